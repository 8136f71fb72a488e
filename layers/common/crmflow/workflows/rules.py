"""Per-action rules of SPEC section 3, each in one pure function, for the action executors
(``crmflow.engine.actions``), the test mode (``crmflow.workflow_admin.simulate``) and the explainer.

Nothing here reads or writes a store: callers pass in what the rule needs.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from crmflow.filters import matches
from crmflow.workflows.models import CreateRecordAction, IfThenAction, WorkflowDefinition

OWNER_SYNC_HOLD = timedelta(minutes=10)


def choose_branch(
    action: IfThenAction, properties: Mapping[str, str | None], types: Mapping[str, str] | None = None
) -> tuple[int | None, str | None]:
    """IF_THEN: the first branch whose filterGroups the record meets, as (index, next action id);
    ``(None, defaultNext)`` when none does. ``types`` are the property types to compare with."""
    for index, branch in enumerate(action.branches):
        if matches(branch.filterGroups, properties, types):
            return index, branch.next
    return None, action.defaultNext


def creates_infinite_loop(
    definition: WorkflowDefinition, action: CreateRecordAction, types: Mapping[str, str] | None = None
) -> bool:
    """E-8: the record CREATE_RECORD would create meets this workflow's own enrollment triggers."""
    return (
        str(action.objectType) == str(definition.objectType)
        and bool(definition.enrollment.filterGroups)
        and matches(definition.enrollment.filterGroups, action.properties, types)
    )


def owner_rotation_hold_until(object_type: str, created_at: datetime, owner_sync: bool) -> datetime | None:
    """W-5: ROTATE_OWNER on a contact waits until 10 minutes after its creation when contact-company
    owner sync is on. The instant to wait for, or None when the rule does not apply."""
    if object_type == "contacts" and owner_sync:
        return created_at + OWNER_SYNC_HOLD
    return None


def unsendable_email(email_id: str, state: str | None) -> str | None:
    """W-6 when sending: why SEND_EMAIL cannot send ``email_id`` in ``state`` (None: it can)."""
    if state != "AUTOMATED":
        return f"email {email_id} is not a marketing email saved for automation"
    return None
