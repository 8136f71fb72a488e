"""Association types (v4): HubSpot's default type ids, the labelled ones, and their inverses.

Every association carries its pair's default, unlabelled type; a labelled type (contact→company
``1`` "Primary") comes on top of it. A type id crmflow does not know stands for the default.
"""

from pydantic import BaseModel

from crmflow.records.models import OBJECT_TYPES, AssociatedType

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"


class AssociationLabel(BaseModel):
    """A labelled association type from ``fromType`` to ``toType`` and the type id of its inverse."""

    typeId: int
    label: str
    inverseTypeId: int


# (from, to) → default type id; the inverse pair has its own entry.
_DEFAULTS: dict[tuple[str, str], int] = {}


def _pair(a: str, b: str, a_to_b: int, b_to_a: int) -> None:
    _DEFAULTS[(a, b)] = a_to_b
    _DEFAULTS[(b, a)] = b_to_a


# HubSpot's documented default association type ids.
_pair("contacts", "companies", 279, 280)
_pair("deals", "contacts", 3, 4)
_pair("deals", "companies", 341, 342)
_pair("tickets", "contacts", 16, 15)
_pair("tickets", "companies", 339, 340)
_pair("deals", "tickets", 27, 28)
_pair("contacts", "emails", 197, 198)
_pair("companies", "emails", 185, 186)
_pair("deals", "emails", 209, 210)
_pair("tickets", "emails", 223, 224)
_pair("contacts", "calls", 193, 194)
_pair("companies", "calls", 181, 182)
_pair("deals", "calls", 205, 206)
_pair("tickets", "calls", 219, 220)
_pair("contacts", "meetings", 199, 200)
_pair("companies", "meetings", 187, 188)
_pair("deals", "meetings", 211, 212)
_pair("tickets", "meetings", 225, 226)
_pair("contacts", "tasks", 203, 204)
_pair("companies", "tasks", 191, 192)
_pair("deals", "tasks", 215, 216)
_pair("tickets", "tasks", 229, 230)
_pair("contacts", "communications", 81, 82)
_pair("companies", "communications", 87, 88)
_pair("deals", "communications", 85, 86)
_pair("tickets", "communications", 83, 84)
_pair("leads", "contacts", 578, 579)
_pair("leads", "companies", 610, 611)
_pair("leads", "calls", 596, 597)
_pair("leads", "emails", 598, 599)
_pair("leads", "meetings", 600, 601)
_pair("leads", "communications", 602, 603)
_pair("leads", "tasks", 646, 647)
_pair("contacts", "contacts", 449, 449)
_pair("companies", "companies", 450, 450)

# Labelled (primary) types; each names the inverse labelled type.
LABELS: dict[tuple[str, str], list[AssociationLabel]] = {
    ("contacts", "companies"): [AssociationLabel(typeId=1, label="Primary", inverseTypeId=2)],
    ("companies", "contacts"): [AssociationLabel(typeId=2, label="Primary", inverseTypeId=1)],
    ("deals", "companies"): [AssociationLabel(typeId=5, label="Primary", inverseTypeId=6)],
    ("companies", "deals"): [AssociationLabel(typeId=6, label="Primary", inverseTypeId=5)],
    ("tickets", "companies"): [AssociationLabel(typeId=26, label="Primary", inverseTypeId=25)],
    ("companies", "tickets"): [AssociationLabel(typeId=25, label="Primary", inverseTypeId=26)],
}

PRIMARY_CONTACT_TO_COMPANY = 1


def default_type_id(from_type: str, to_type: str) -> int:
    """The default, unlabelled type id from ``from_type`` to ``to_type`` (a fixed id for other pairs)."""
    known = _DEFAULTS.get((from_type, to_type))
    if known is not None:
        return known
    return 1000 + OBJECT_TYPES.index(from_type) * 20 + OBJECT_TYPES.index(to_type)


def default_type(from_type: str, to_type: str) -> AssociatedType:
    return AssociatedType(category=HUBSPOT_DEFINED, typeId=default_type_id(from_type, to_type), label=None)


def target_type(from_type: str, type_ids: list[int]) -> str | None:
    """The object type a create-body association points to, told by its type ids (``None``: unknown)."""
    for type_id in type_ids:
        for to_type in OBJECT_TYPES:
            labelled = {label.typeId for label in LABELS.get((from_type, to_type), [])}
            if type_id == default_type_id(from_type, to_type) or type_id in labelled:
                return to_type
    return None


def resolve_types(
    from_type: str, to_type: str, type_ids: list[int]
) -> tuple[list[AssociatedType], list[AssociatedType]]:
    """The types of an association asked for with ``type_ids``, and of its inverse.

    Always the default type; plus each labelled type asked for. Unknown ids mean the default.
    """
    labels = {label.typeId: label for label in LABELS.get((from_type, to_type), [])}
    forward = [default_type(from_type, to_type)]
    backward = [default_type(to_type, from_type)]
    for type_id in dict.fromkeys(type_ids):
        label = labels.get(type_id)
        if label is not None:
            forward.append(AssociatedType(category=HUBSPOT_DEFINED, typeId=label.typeId, label=label.label))
            backward.append(
                AssociatedType(category=HUBSPOT_DEFINED, typeId=label.inverseTypeId, label=label.label)
            )
    return forward, backward


def merge_types(existing: list[AssociatedType], added: list[AssociatedType]) -> list[AssociatedType]:
    """``existing`` plus those of ``added`` it does not have yet."""
    have = {t.typeId for t in existing}
    return existing + [t for t in added if t.typeId not in have]
