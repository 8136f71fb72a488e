"""The events crmflow takes on its bus and its events queue (an EventBridge envelope either way).

``detail-type`` tells them apart:
- ``ACTIVITY_LOGGED``: ``{"objectType": "calls", "properties": {...}, "associations": [...]}`` logs an
  email, call, meeting or communication, as ``POST /crm/v3/objects/{type}`` would.
- ``FORM_SUBMITTED``: ``{"formId", "values": {"email", ...}}`` submits a form (creates or updates the
  contact), or, with ``{"formId", "objectType", "recordId"}``, tells that a known contact submitted.
- any other type (``GOAL_ACHIEVED``, ``EMAIL_REPLIED`` ...): ``{"objectType", "recordId", ...}``
  enrolls the record in workflows with that event trigger.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crmflow.records.models import AssociationInput

ACTIVITY_LOGGED = "ACTIVITY_LOGGED"
FORM_SUBMITTED = "FORM_SUBMITTED"


class Envelope(BaseModel):
    """EventBridge's envelope (an SQS message carries the same JSON)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str | None = None
    source: str = "crmflow"
    detail_type: str = Field(alias="detail-type", min_length=1)
    detail: dict[str, Any]


class ActivityLogged(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objectType: Literal["emails", "calls", "meetings", "communications"]
    properties: dict[str, str | None] = Field(default_factory=dict)
    associations: list[AssociationInput] = Field(default_factory=list)


class FormSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")

    formId: str = Field(min_length=1)
    values: dict[str, str | None]


class RecordEvent(BaseModel):
    """An event about a known record (workflow event triggers)."""

    model_config = ConfigDict(extra="allow")

    objectType: str = Field(min_length=1)
    recordId: str = Field(min_length=1)
