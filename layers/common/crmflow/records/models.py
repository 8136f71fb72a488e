"""CRM records as the API and the domain see them (HubSpot CRM v3 shapes)."""

from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from crmflow.errors import ValidationFailed

ObjectType = Literal[
    "contacts",
    "companies",
    "deals",
    "tickets",
    "leads",
    "tasks",
    "emails",
    "calls",
    "meetings",
    "communications",
]
OBJECT_TYPES: tuple[str, ...] = get_args(ObjectType)

# HubSpot's object type ids, which its API accepts in place of the names.
OBJECT_TYPE_IDS: dict[str, str] = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "leads": "0-136",
    "tasks": "0-27",
    "emails": "0-49",
    "calls": "0-48",
    "meetings": "0-47",
    "communications": "0-18",
}

_ALIASES: dict[str, str] = {
    **{name: name for name in OBJECT_TYPES},
    **{type_id: name for name, type_id in OBJECT_TYPE_IDS.items()},
    **{name.removesuffix("s"): name for name in OBJECT_TYPES if name != "companies"},
    "company": "companies",
}


def resolve_object_type(name: str) -> str:
    """The canonical object type for ``name`` (``contact``, ``0-1`` and ``contacts`` are one type)."""
    resolved = _ALIASES.get(name.lower())
    if resolved is None:
        raise ValidationFailed(f"Unable to infer object type from: {name}")
    return resolved


class SourceType(StrEnum):
    """Where a property change came from (``propertiesWithHistory``'s ``sourceType``)."""

    API = "API"  # a REST write (also batch calls)
    FORM = "FORM"  # a form submission (sourceId: the form id)
    LIFECYCLE_DEFAULT = "LIFECYCLE_DEFAULT"  # LC-1 default stage on create
    DEAL_CREATED = "DEAL_CREATED"  # LC-2 (sourceId: the deal id)
    DEAL_WON = "DEAL_WON"  # LC-3 (sourceId: the deal id)
    COMPANY_SYNC = "COMPANY_SYNC"  # LC-4 (sourceId: the company id)
    LEAD_AUTOMATION = "LEAD_AUTOMATION"  # LD-1..LD-4 (sourceLabel: the rule)
    WORKFLOW = "WORKFLOW"  # a workflow action (sourceId: the workflow id)
    SYSTEM = "SYSTEM"  # computed by crmflow itself


class Source(BaseModel):
    """Who or what makes a change: stored with every kept history entry."""

    model_config = ConfigDict(frozen=True)

    type: SourceType = SourceType.API
    id: str | None = None
    label: str | None = None  # the rule that made an automated change (LC-2, LD-3 ...)


API = Source()


class HistoryEntry(BaseModel):
    """One value a property had: HubSpot's ``propertiesWithHistory`` item."""

    value: str | None
    timestamp: str
    sourceType: SourceType
    sourceId: str | None = None
    sourceLabel: str | None = None


class Record(BaseModel):
    """A CRM record: every property value is a string, as in HubSpot.

    ``history`` keeps the values of the properties in :data:`crmflow.records.history.KEPT`,
    oldest first; it is not part of the API's record body.
    """

    id: str
    properties: dict[str, str | None]
    createdAt: str
    updatedAt: str
    archived: bool = False
    archivedAt: str | None = None
    history: dict[str, list[HistoryEntry]] = Field(default_factory=dict)


class AssociationTypeSpec(BaseModel):
    """One association type: HubSpot's ``{"associationCategory", "associationTypeId"}``."""

    associationCategory: Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"] = "HUBSPOT_DEFINED"
    associationTypeId: int


class AssociationTarget(BaseModel):
    id: str


class AssociationInput(BaseModel):
    """An association carried in a create body: ``{"to": {"id"}, "types": [...]}``."""

    to: AssociationTarget
    types: list[AssociationTypeSpec] = Field(default_factory=list)


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    properties: dict[str, str | None] = Field(default_factory=dict)
    associations: list[AssociationInput] = Field(default_factory=list)


class RecordUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    properties: dict[str, str | None]


class AssociatedType(BaseModel):
    """An association type as v4 reads answer it."""

    category: str
    typeId: int
    label: str | None = None


class Association(BaseModel):
    """The association from one record to another, with all its types."""

    fromType: str
    fromId: str
    toType: str
    toId: str
    types: list[AssociatedType]
