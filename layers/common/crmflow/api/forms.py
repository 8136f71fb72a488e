"""``/marketing/v3/forms`` and HubSpot's submission endpoint. A submission is checked here (400
naming the field, nothing written) and published on the bus as FORM_SUBMITTED; the events function
creates or updates the contact and enrolls it, as for a submission sent to the bus directly."""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from crmflow import aws, clock, forms
from crmflow.config import get_settings

router = APIGatewayHttpRouter()


class SubmittedField(BaseModel):
    name: str = Field(min_length=1)
    value: str | None = None


class Submission(BaseModel):
    """HubSpot's ``/submissions/v3/integration/submit`` body (``context`` and the rest are ignored)."""

    fields: list[SubmittedField] = Field(min_length=1)


@router.post("/marketing/v3/forms")
def create_form(body: forms.FormInput) -> tuple[dict[str, Any], int]:
    return forms.create(body).model_dump(), 201


@router.get("/marketing/v3/forms")
def list_forms() -> dict[str, Any]:
    return {"results": [form.model_dump() for form in forms.all_forms()]}


@router.get("/marketing/v3/forms/<form_id>")
def get_form(form_id: str) -> dict[str, Any]:
    return forms.require(form_id).model_dump()


@router.post("/submissions/v3/integration/submit/<portal_id>/<form_id>")
def submit(portal_id: str, form_id: str, body: Annotated[Submission, Body()]) -> dict[str, Any]:
    forms.require(form_id)
    values = {item.name: item.value for item in body.fields}
    forms.check_values(values)
    detail = {"formId": form_id, "values": values, "submittedAt": clock.iso(clock.now())}
    aws.client("events").put_events(
        Entries=[
            {
                "Source": "crmflow.forms",
                "DetailType": "FORM_SUBMITTED",
                "Detail": json.dumps(detail),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    return {"inlineMessage": "Thanks for submitting the form."}
