"""Helpers for the lifecycle and lead automation tests: settings, records and activities created
through the HTTP API of the embedded runtime, and reads of what the automation did."""

from __future__ import annotations

import json
from typing import Any

from crmflow_local.runtime import Runtime
from engine_support import ok

# HubSpot's default association type ids used by the tests.
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 341
CONTACT_TO_COMPANY = 279
PRIMARY_COMPANY = 1
LEAD_TO_CONTACT = 578
ACTIVITY_TO_CONTACT = {"emails": 198, "calls": 194, "meetings": 200, "communications": 82}
ACTIVITY_TO_LEAD = {"emails": 599, "calls": 597, "meetings": 601, "communications": 603}


def to(record_id: str, type_id: int) -> dict[str, Any]:
    """One create-body association (HubSpot's shape)."""
    return {
        "to": {"id": record_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def lifecycle_settings(rt: Runtime, **fields: Any) -> dict[str, Any]:
    return ok(rt.api("PUT", "/settings/lifecycle", fields))


def lead_settings(rt: Runtime, **fields: Any) -> dict[str, Any]:
    return ok(rt.api("PUT", "/settings/lead-automation", fields))


def create(
    rt: Runtime, object_type: str, associations: list[dict[str, Any]] | None = None, **props: str
) -> str:
    body: dict[str, Any] = {"properties": props}
    if associations:
        body["associations"] = associations
    return str(ok(rt.api("POST", f"/crm/v3/objects/{object_type}", body), 201)["id"])


def patch(rt: Runtime, object_type: str, record_id: str, **props: str) -> None:
    ok(rt.api("PATCH", f"/crm/v3/objects/{object_type}/{record_id}", {"properties": props}))


def props_of(rt: Runtime, object_type: str, record_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"/crm/v3/objects/{object_type}/{record_id}"))["properties"]


def stage(rt: Runtime, record_id: str, object_type: str = "contacts") -> str | None:
    return props_of(rt, object_type, record_id).get("lifecyclestage")


def lead_stage(rt: Runtime, lead_id: str) -> str | None:
    return props_of(rt, "leads", lead_id).get("hs_pipeline_stage")


def history(rt: Runtime, object_type: str, record_id: str, name: str) -> list[dict[str, Any]]:
    """``propertiesWithHistory`` of one property, newest first."""
    answer = ok(
        rt.api("GET", f"/crm/v3/objects/{object_type}/{record_id}", query={"propertiesWithHistory": name})
    )
    return answer["propertiesWithHistory"][name]


def sources(rt: Runtime, object_type: str, record_id: str, name: str) -> list[tuple[Any, ...]]:
    """The history as (value, sourceType, sourceLabel), oldest first."""
    return [
        (e["value"], e["sourceType"], e["sourceLabel"])
        for e in reversed(history(rt, object_type, record_id, name))
    ]


def associated(rt: Runtime, from_type: str, record_id: str, to_type: str) -> list[str]:
    answer = ok(rt.api("GET", f"/crm/v4/objects/{from_type}/{record_id}/associations/{to_type}"))
    return sorted((str(r["toObjectId"]) for r in answer["results"]), key=int)


def leads_of(rt: Runtime, contact_id: str) -> list[str]:
    return associated(rt, "contacts", contact_id, "leads")


def associate(rt: Runtime, from_type: str, from_id: str, to_type: str, to_id: str, *type_ids: int) -> None:
    if type_ids:
        body = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t} for t in type_ids]
        ok(rt.api("PUT", f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}", body))
    else:
        ok(rt.api("PUT", f"/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}"))


def put_event(rt: Runtime, detail_type: str, detail: Any, source: str = "crmflow.tests") -> None:
    """One event on the project's EventBridge bus."""
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    answer = rt.client("events").put_events(Entries=[{**entry, "EventBusName": rt.env("EVENT_BUS_NAME")}])
    assert answer["FailedEntryCount"] == 0, answer


def queue_event(rt: Runtime, envelope: Any) -> None:
    """One message on the project's events queue (the body is the EventBridge envelope as JSON)."""
    body = envelope if isinstance(envelope, str) else json.dumps(envelope)
    rt.client("sqs").send_message(QueueUrl=rt.env("EVENTS_QUEUE_URL"), MessageBody=body)


def dead_letters(rt: Runtime) -> list[dict[str, Any]]:
    """The messages on the events dead-letter queue (read and left there)."""
    sqs = rt.client("sqs")
    url = rt.env("EVENTS_DEAD_LETTER_QUEUE_URL")
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]
