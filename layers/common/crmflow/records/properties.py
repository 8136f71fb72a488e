"""Property definitions: HubSpot-like defaults per object type (from code) plus custom ones (stored).

Values are strings on the wire. Validation checks a value against its property's type and
normalises it: numbers stay as written, bools become ``true``/``false``, dates ``YYYY-MM-DD`` and
datetimes ``2026-12-01T08:00:00.000Z`` (epoch milliseconds are accepted as HubSpot does).
"""

import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.dynamo import deserialize, serialize
from crmflow.errors import Conflict, ValidationFailed
from crmflow.records.models import OBJECT_TYPES

PropertyType = Literal["string", "number", "enumeration", "date", "datetime", "bool"]

FIELD_TYPES: dict[str, str] = {
    "string": "text",
    "number": "number",
    "enumeration": "select",
    "date": "date",
    "datetime": "date",
    "bool": "booleancheckbox",
}

# When a default property was "created": a fixed moment, so reads are stable.
_EPOCH = "2026-01-01T00:00:00.000Z"


class PropertyOption(BaseModel):
    label: str
    value: str
    displayOrder: int = 0
    hidden: bool = False
    description: str = ""


class ModificationMetadata(BaseModel):
    archivable: bool = True
    readOnlyDefinition: bool = False
    readOnlyValue: bool = False


class PropertyDefinition(BaseModel):
    """A property as ``/crm/v3/properties`` answers it (HubSpot's ``Property``)."""

    name: str
    label: str
    type: PropertyType
    fieldType: str
    groupName: str = "info"
    description: str = ""
    options: list[PropertyOption] = Field(default_factory=list)
    displayOrder: int = -1
    calculated: bool = False
    hasUniqueValue: bool = False
    hidden: bool = False
    formField: bool = True
    hubspotDefined: bool = False
    modificationMetadata: ModificationMetadata = Field(default_factory=ModificationMetadata)
    createdAt: str = _EPOCH
    updatedAt: str = _EPOCH
    archived: bool = False

    @property
    def read_only(self) -> bool:
        """Users cannot set it (the system computes it)."""
        return self.calculated or self.modificationMetadata.readOnlyValue


class PropertyCreate(BaseModel):
    """A custom property as ``POST /crm/v3/properties/{type}`` takes it."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")
    label: str = Field(min_length=1)
    type: PropertyType
    fieldType: str | None = None
    groupName: str = "info"
    description: str = ""
    options: list[PropertyOption] = Field(default_factory=list)
    displayOrder: int = -1
    hasUniqueValue: bool = False
    hidden: bool = False
    formField: bool = True


def _prop(
    name: str,
    type_: PropertyType = "string",
    *,
    options: Iterable[str] = (),
    read_only: bool = False,
    calculated: bool = False,
    unique: bool = False,
    group: str = "info",
) -> PropertyDefinition:
    return PropertyDefinition(
        name=name,
        label=name.removeprefix("hs_").replace("_", " ").capitalize(),
        type=type_,
        fieldType=FIELD_TYPES[type_],
        groupName=group,
        options=[
            PropertyOption(label=value.replace("_", " ").capitalize(), value=value, displayOrder=i)
            for i, value in enumerate(options)
        ],
        calculated=calculated,
        hasUniqueValue=unique,
        hubspotDefined=True,
        modificationMetadata=ModificationMetadata(
            archivable=False, readOnlyDefinition=True, readOnlyValue=read_only or calculated
        ),
    )


LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

_COMMON = [
    _prop("hs_object_id", "number", read_only=True, unique=True),
    _prop("createdate", "datetime", read_only=True),
    _prop("hs_lastmodifieddate", "datetime", read_only=True),
    _prop("hubspot_owner_id", "enumeration"),
]
_ACTIVITY = [_prop("hs_timestamp", "datetime")]

_DEFAULTS: dict[str, list[PropertyDefinition]] = {
    "contacts": [
        _prop("lastmodifieddate", "datetime", read_only=True),
        _prop("email", unique=True),
        _prop("firstname"),
        _prop("lastname"),
        _prop("phone"),
        _prop("mobilephone"),
        _prop("company"),
        _prop("website"),
        _prop("jobtitle"),
        _prop("address"),
        _prop("city"),
        _prop("state"),
        _prop("zip"),
        _prop("country"),
        _prop("lifecyclestage", "enumeration", options=LIFECYCLE_STAGES),
        _prop(
            "hs_lead_status",
            "enumeration",
            options=(
                "NEW",
                "OPEN",
                "IN_PROGRESS",
                "OPEN_DEAL",
                "UNQUALIFIED",
                "ATTEMPTED_TO_CONTACT",
                "CONNECTED",
                "BAD_TIMING",
            ),
        ),
        _prop("associatedcompanyid", "number"),
        _prop("closedate", "datetime"),
        _prop("days_to_close", "number", calculated=True),
        _prop("first_deal_created_date", "datetime", read_only=True),
        _prop("hs_email_optout", "bool"),
    ],
    "companies": [
        _prop("name"),
        _prop("domain"),
        _prop("industry"),
        _prop("phone"),
        _prop("website"),
        _prop("city"),
        _prop("state"),
        _prop("country"),
        _prop("numberofemployees", "number"),
        _prop("annualrevenue", "number"),
        _prop("lifecyclestage", "enumeration", options=LIFECYCLE_STAGES),
        _prop("closedate", "datetime"),
        _prop("days_to_close", "number", calculated=True),
        _prop("first_deal_created_date", "datetime", read_only=True),
        _prop("description"),
    ],
    "deals": [
        _prop("dealname"),
        _prop("amount", "number"),
        _prop("pipeline", "enumeration"),
        _prop("dealstage", "enumeration"),
        _prop("closedate", "datetime"),
        _prop("dealtype", "enumeration", options=("newbusiness", "existingbusiness")),
        _prop("description"),
        _prop("hs_is_closed", "bool", calculated=True),
        _prop("hs_is_closed_won", "bool", calculated=True),
    ],
    "tickets": [
        _prop("subject"),
        _prop("content"),
        _prop("hs_pipeline", "enumeration"),
        _prop("hs_pipeline_stage", "enumeration"),
        _prop("hs_ticket_priority", "enumeration", options=("LOW", "MEDIUM", "HIGH", "URGENT")),
        _prop("hs_ticket_category"),
        _prop("source_type"),
        _prop("closed_date", "datetime"),
    ],
    "leads": [
        _prop("hs_lead_name"),
        _prop("hs_pipeline", "enumeration"),
        _prop("hs_pipeline_stage", "enumeration"),
        _prop("hs_lead_type"),
        _prop("hs_lead_label"),
        _prop("hs_lead_disqualification_reason"),
        _prop("hs_lead_disqualification_note"),
        _prop("hs_lead_follow_up_of", "number", read_only=True),
    ],
    "tasks": [
        *_ACTIVITY,
        _prop("hs_task_subject"),
        _prop("hs_task_body"),
        _prop(
            "hs_task_status",
            "enumeration",
            options=("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
        ),
        _prop("hs_task_priority", "enumeration", options=("NONE", "LOW", "MEDIUM", "HIGH")),
        _prop("hs_task_type", "enumeration", options=("TODO", "CALL", "EMAIL", "LINKED_IN", "MEETING")),
    ],
    "emails": [
        *_ACTIVITY,
        _prop("hs_email_direction", "enumeration", options=("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
        _prop("hs_email_subject"),
        _prop("hs_email_text"),
        _prop("hs_email_html"),
        _prop(
            "hs_email_status", "enumeration", options=("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")
        ),
    ],
    "calls": [
        *_ACTIVITY,
        _prop("hs_call_title"),
        _prop("hs_call_body"),
        _prop("hs_call_direction", "enumeration", options=("INBOUND", "OUTBOUND")),
        _prop("hs_call_disposition"),
        _prop("hs_call_duration", "number"),
        _prop("hs_call_status"),
    ],
    "meetings": [
        *_ACTIVITY,
        _prop("hs_meeting_title"),
        _prop("hs_meeting_body"),
        _prop("hs_meeting_start_time", "datetime"),
        _prop("hs_meeting_end_time", "datetime"),
        _prop(
            "hs_meeting_outcome",
            "enumeration",
            options=("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
        ),
    ],
    "communications": [
        *_ACTIVITY,
        _prop(
            "hs_communication_channel_type",
            "enumeration",
            options=("SMS", "WHATS_APP", "LINKEDIN_MESSAGE", "PHYSICAL_MAIL", "CUSTOM_CHANNEL_CONVERSATION"),
        ),
        _prop("hs_communication_body"),
        _prop("hs_communication_logged_from"),
    ],
}

DEFAULT_PROPERTIES: dict[str, dict[str, PropertyDefinition]] = {
    object_type: {p.name: p for p in _COMMON + _DEFAULTS[object_type]} for object_type in OBJECT_TYPES
}


# ---------------------------------------------------------------- definitions


def _table() -> str:
    return get_settings().config_table


CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, list[PropertyDefinition]]] = {}


def _stored_definitions(object_type: str) -> list[PropertyDefinition]:
    """Custom definitions, cached per process for a few seconds (every record write validates
    against them; a definition created in another Lambda is seen within ``CACHE_SECONDS``)."""
    hit = _cache.get(object_type)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    found = _read_definitions(object_type)
    _cache[object_type] = (time.monotonic(), found)
    return found


@aws.on_reset
def forget_cached_definitions() -> None:
    _cache.clear()


def _read_definitions(object_type: str) -> list[PropertyDefinition]:
    found: list[PropertyDefinition] = []
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"PROPDEF#{object_type}"}},
    }
    while True:
        page = aws.client("dynamodb").query(**kwargs)
        found += [
            PropertyDefinition.model_validate(deserialize(item)["definition"]) for item in page["Items"]
        ]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def definitions(object_type: str) -> dict[str, PropertyDefinition]:
    """Every property of ``object_type``: the defaults, then the custom ones stored in the Config table."""
    return {**DEFAULT_PROPERTIES[object_type], **{p.name: p for p in _stored_definitions(object_type)}}


def types_of(object_type: str) -> dict[str, str]:
    """Property name → type for ``object_type``: what every filter evaluation compares with."""
    return property_types(definitions(object_type))


def property_types(defs: Mapping[str, PropertyDefinition]) -> dict[str, str]:
    """Property name → type, as the filter engine takes it for typed comparisons."""
    return {name: definition.type for name, definition in defs.items()}


def create_definition(object_type: str, spec: PropertyCreate) -> PropertyDefinition:
    """Store a custom property; 409 when a property of that name exists."""
    if spec.name in DEFAULT_PROPERTIES[object_type]:
        raise Conflict(f"A property named '{spec.name}' already exists.")
    if spec.type == "enumeration" and spec.fieldType not in (None, "select", "radio", "checkbox"):
        raise ValidationFailed(f"fieldType: '{spec.fieldType}' is not valid for an enumeration property")
    at = clock.iso(clock.now())
    definition = PropertyDefinition(
        **spec.model_dump(exclude={"fieldType"}),
        fieldType=spec.fieldType or FIELD_TYPES[spec.type],
        createdAt=at,
        updatedAt=at,
    )
    client = aws.client("dynamodb")
    try:
        client.put_item(
            TableName=_table(),
            Item=serialize(
                {"pk": f"PROPDEF#{object_type}", "sk": spec.name, "definition": definition.model_dump()}
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )
    except client.exceptions.ConditionalCheckFailedException:
        raise Conflict(f"A property named '{spec.name}' already exists.") from None
    _cache.pop(object_type, None)
    return definition


# ---------------------------------------------------------------- values

MAX_VALUE_LENGTH = 65_536  # characters in one property value, as HubSpot allows
# UTF-8 bytes of all the values one write sets: a record is one DynamoDB item (at most 400 KB with its
# property names, history and associations), so a write that could not be stored is a 400, not a 500.
MAX_WRITE_BYTES = 300_000

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_EPOCH_MS = re.compile(r"^-?\d{9,}$")


def _parse_datetime(value: str) -> datetime:
    if _EPOCH_MS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return clock.parse_iso(value)


def normalize_value(definition: PropertyDefinition, value: str) -> str:
    """``value`` checked against the property's type and normalised; ValidationFailed naming the property."""
    name, kind = definition.name, definition.type

    def invalid(rule: str) -> ValidationFailed:
        return ValidationFailed(
            f"Property values were not valid: {name}: {value!r} {rule}",
            context={"propertyName": [name]},
        )

    if kind == "number":
        if not _NUMBER.match(value.strip()) or not math.isfinite(float(value)):
            raise invalid("is not a valid number")
        return value.strip()
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            raise invalid("is not a valid bool (true or false)")
        return value.lower()
    if kind == "date":
        try:
            parsed = _parse_datetime(value)
        except ValueError:
            raise invalid("is not a valid date (YYYY-MM-DD)") from None
        return date(parsed.year, parsed.month, parsed.day).isoformat()
    if kind == "datetime":
        try:
            return clock.iso(_parse_datetime(value))
        except (ValueError, OverflowError):
            raise invalid("is not a valid datetime (ISO 8601 or epoch milliseconds)") from None
    if kind == "enumeration" and definition.options:
        allowed = {option.value for option in definition.options}
        chosen = value.split(";") if definition.fieldType == "checkbox" else [value]
        if any(choice not in allowed for choice in chosen):
            raise invalid(f"is not one of the allowed options: {', '.join(sorted(allowed))}")
    return value


def validate_properties(
    object_type: str,
    values: Mapping[str, str | None],
    defs: Mapping[str, PropertyDefinition],
    *,
    system: bool = False,
) -> dict[str, str | None]:
    """Check ``values`` against ``defs``; the normalised values (``None`` clears a property).

    Unknown properties and, unless ``system``, read-only or calculated ones are a 400 naming them.
    An empty string clears a property, as in HubSpot.
    """
    result: dict[str, str | None] = {}
    total = 0
    for name, value in values.items():
        if value is not None and len(value) > MAX_VALUE_LENGTH:
            raise ValidationFailed(
                f"Property values were not valid: {name}: a value can be at most {MAX_VALUE_LENGTH} "
                f"characters, got {len(value)}",
                context={"propertyName": [name]},
            )
        total += len(value.encode("utf-8", "surrogatepass")) if value else 0
        if total > MAX_WRITE_BYTES:
            raise ValidationFailed(
                f"Property values were not valid: {name}: the values of one write can total at most "
                f"{MAX_WRITE_BYTES} bytes (UTF-8)",
                context={"propertyName": [name]},
            )
        definition = defs.get(name)
        if definition is None:
            raise ValidationFailed(
                f'Property values were not valid: Property "{name}" does not exist on {object_type}',
                context={"propertyName": [name]},
            )
        if definition.read_only and not system:
            raise ValidationFailed(
                f'Property values were not valid: "{name}" is a read only property; its value cannot be set.',
                context={"propertyName": [name]},
            )
        result[name] = None if value is None or value == "" else normalize_value(definition, value)
    return result
