"""The lifecycle stage order and LC-5: automation never moves a stage backwards."""

from typing import Literal

from crmflow.records.properties import LIFECYCLE_STAGES

OTHER = "other"  # outside the order
ORDER: tuple[str, ...] = tuple(stage for stage in LIFECYCLE_STAGES if stage != OTHER)
PROPERTY = "lifecyclestage"
# the lifecyclestage property's options, as a type for the settings documents (a test keeps them equal)
LifecycleStage = Literal[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]


def moves_forward(current: str | None, target: str) -> bool:
    """LC-5: may automation move a record from ``current`` to ``target``?

    Only forward along :data:`ORDER`. A record without a stage may get any stage; a record in
    ``other`` (outside the order) is never moved by automation, and ``other`` is never a target for
    a record that has a stage.
    """
    if not current:
        return True
    if current not in ORDER or target not in ORDER:
        return False
    return ORDER.index(target) > ORDER.index(current)
