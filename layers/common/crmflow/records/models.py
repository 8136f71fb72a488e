"""CRM records as the API and the domain see them (HubSpot CRM v3 shapes)."""

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


class Record(BaseModel):
    """A CRM record: every property value is a string, as in HubSpot."""

    id: str
    properties: dict[str, str | None]
    createdAt: str
    updatedAt: str
    archived: bool = False
    archivedAt: str | None = None


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
