"""Forms (``/marketing/v3/forms``) and their submissions.

A form may set a default lifecycle stage. A submission creates the contact with the submitted
email, or updates the one that has it, with ``sourceType`` FORM: a new contact gets the form's
stage, else the account's default stage (LC-1), else the first stage of the order (subscriber);
an existing contact moves to the form's stage only forward (LC-5).
"""

from collections.abc import Mapping

from pydantic import BaseModel, Field

from crmflow import clock
from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, increment, query, serialize
from crmflow.errors import NotFound, ValidationFailed
from crmflow.lifecycle import settings as lifecycle_settings
from crmflow.lifecycle.rules import set_stage
from crmflow.lifecycle.stages import ORDER, PROPERTY, LifecycleStage
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records.models import Record, Source, SourceType


class FormInput(BaseModel):
    name: str = Field(min_length=1)
    defaultLifecycleStage: LifecycleStage | None = Field(
        default=None, description="The stage contacts submitting this form get (LC-1's exception)"
    )


class Form(FormInput):
    id: str
    createdAt: str
    updatedAt: str


def _table() -> str:
    return get_settings().config_table


def create(data: FormInput) -> Form:
    form_id = str(increment(_table(), "COUNTER", "forms"))
    now = clock.iso(clock.now())
    form = Form(**data.model_dump(), id=form_id, createdAt=now, updatedAt=now)
    db().put_item(TableName=_table(), Item=serialize({"pk": "FORM", "sk": form.id, **form.model_dump()}))
    return form


def get(form_id: str) -> Form | None:
    item = db().get_item(TableName=_table(), Key={"pk": {"S": "FORM"}, "sk": {"S": str(form_id)}})
    return Form.model_validate(deserialize(item["Item"])) if "Item" in item else None


def require(form_id: str) -> Form:
    form = get(form_id)
    if form is None:
        raise NotFound(f"formId: form {form_id} does not exist")
    return form


def all_forms() -> list[Form]:
    found = query(
        _table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "FORM"}}
    )
    return [Form.model_validate(item) for item in found]


def check_values(values: Mapping[str, str | None]) -> str:
    """The submitted email, after checking every value against the contact properties (400 naming the
    field otherwise); nothing is written."""
    email = (values.get("email") or "").strip()
    if not email:
        raise ValidationFailed("fields: a submission needs an email field", context={"fields": ["email"]})
    property_defs.validate_properties("contacts", values, property_defs.definitions("contacts"))
    return email


def submit(form_id: str, values: Mapping[str, str | None]) -> Record:
    """Create or update the contact of a submission (by email); the contact as it is afterwards."""
    form = require(form_id)
    email = check_values(values)
    source = Source(type=SourceType.FORM, id=form.id)
    given = {name: value for name, value in values.items() if name != PROPERTY}
    existing = records.find_by_unique_property("contacts", "email", email)
    if existing is None:
        stage = values.get(PROPERTY) or form.defaultLifecycleStage
        stage = stage or lifecycle_settings.get().defaultStageOnCreate or ORDER[0]
        return records.create_record("contacts", {**given, PROPERTY: stage}, source=source)
    changed = {
        name: value
        for name, value in given.items()
        if existing.properties.get(name) != value
        and not (name == "email" and value and value.lower() == email.lower())
    }
    if changed:
        existing = records.update_record("contacts", existing.id, changed, source=source)
    target = values.get(PROPERTY) or form.defaultLifecycleStage
    if target and set_stage("contacts", existing, target, source):
        existing = records.require_record("contacts", existing.id)
    return existing
