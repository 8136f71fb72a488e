"""Ticket pipelines and statuses (SPEC T-1..T-4) and ticket status automation, through the real path:
the HTTP API of the embedded runtime, the records stream, workflows on the Step Functions
interpreter, and HubSpot's official client against a real local server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from automation_support import associated, create, patch, props_of, sources
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer
from engine_support import chain, create_workflow, enrollments, events, log, ok, workflow
from hubspot import HubSpot
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.tickets import SimplePublicObjectInputForCreate as TicketInput

PIPELINES = "/crm/v3/pipelines/tickets"
STAGE = "hs_pipeline_stage"
OPEN = {"ticketState": "OPEN"}
CLOSED = {"ticketState": "CLOSED"}
PRIORITY = "hs_ticket_priority"


# ---------------------------------------------------------------- helpers
def stage_input(label: str, state: dict[str, str] = OPEN, order: int = 0, **fields: Any) -> dict[str, Any]:
    return {"label": label, "displayOrder": order, "metadata": state, **fields}


def new_pipeline(rt: Runtime, label: str = "Billing", order: int = 1) -> dict[str, Any]:
    """A ticket pipeline with stages Open (OPEN), Pending (OPEN), Done (CLOSED)."""
    body = {
        "label": label,
        "displayOrder": order,
        "stages": [
            stage_input("Open", OPEN, 0),
            stage_input("Pending", OPEN, 1),
            stage_input("Done", CLOSED, 2),
        ],
    }
    return ok(rt.api("POST", PIPELINES, body), 201)


def listed(rt: Runtime) -> list[tuple[str, str]]:
    """GET /crm/v3/pipelines/tickets as (id, label), in the order answered."""
    return [(p["id"], p["label"]) for p in ok(rt.api("GET", PIPELINES))["results"]]


def get_pipeline(rt: Runtime, pipeline_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"{PIPELINES}/{pipeline_id}"))


def add_stage(rt: Runtime, pipeline_id: str = "0", label: str = "Escalated", **fields: Any) -> str:
    body = {"label": label, "displayOrder": 9, "metadata": OPEN, **fields}
    return str(ok(rt.api("POST", f"{PIPELINES}/{pipeline_id}/stages", body), 201)["id"])


def ticket(rt: Runtime, subject: str = "Help", **props: str) -> str:
    return create(rt, "tickets", subject=subject, **props)


def stage_of(rt: Runtime, ticket_id: str) -> tuple[str, str]:
    props = props_of(rt, "tickets", ticket_id)
    return props["hs_pipeline"], props[STAGE]


def ticket_count(rt: Runtime) -> int:
    return len(ok(rt.api("GET", "/crm/v3/objects/tickets", query={"limit": "100"}))["results"])


def error_of(response: Any, status: int = 400) -> str:
    """The message of an error answer, after checking its status and HubSpot error shape."""
    assert response.status == status, (response.status, response.body)
    body = response.json
    assert body["status"] == "error" and body["correlationId"]
    return body["message"]


def in_stage(stage_id: str) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": STAGE, "operator": "EQ", "value": stage_id}]}]}


def ticket_workflow(*actions: dict[str, Any], enrollment: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return workflow(*actions, objectType="tickets", enrollment=enrollment, **fields)


def category(value: str) -> dict[str, Any]:
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_ticket_category", "operator": "EQ", "value": value}]}
        ]
    }


def team_with_two_users(rt: Runtime) -> tuple[str, str, str]:
    team = str(ok(rt.api("POST", "/settings/teams", {"name": "Support"}), 201)["id"])
    users = [
        str(
            ok(
                rt.api(
                    "POST",
                    "/settings/users",
                    {"email": f"u{n}@example.com", "teamIds": [team], "permissions": {"tickets": ALL}},
                ),
                201,
            )["id"]
        )
        for n in (1, 2)
    ]
    return team, users[0], users[1]


ALL = {"access": "ALL"}


# ---------------------------------------------------------------- T-1 pipelines
def test_t1_create_pipeline_with_all_stages_lists_it_beside_the_default(rt: Runtime) -> None:
    created = new_pipeline(rt)
    assert created["id"] and created["id"] != "0"
    assert [(s["label"], s["metadata"]["ticketState"]) for s in created["stages"]] == [
        ("Open", "OPEN"),
        ("Pending", "OPEN"),
        ("Done", "CLOSED"),
    ]
    stage_ids = [s["id"] for s in created["stages"]]
    assert all(stage_ids) and len(set(stage_ids)) == 3
    assert listed(rt) == [("0", "Support Pipeline"), (created["id"], "Billing")]
    assert [s["id"] for s in get_pipeline(rt, created["id"])["stages"]] == stage_ids


def test_t1_rename_and_reorder_change_the_list(rt: Runtime) -> None:
    billing = new_pipeline(rt, "Billing", order=1)["id"]
    returns = new_pipeline(rt, "Returns", order=2)["id"]
    assert listed(rt) == [("0", "Support Pipeline"), (billing, "Billing"), (returns, "Returns")]

    renamed = ok(rt.api("PATCH", f"{PIPELINES}/{returns}", {"label": "Refunds", "displayOrder": -1}))
    assert (renamed["id"], renamed["label"], renamed["displayOrder"]) == (returns, "Refunds", -1)
    ok(rt.api("PATCH", f"{PIPELINES}/0", {"displayOrder": 5}))
    assert listed(rt) == [(returns, "Refunds"), (billing, "Billing"), ("0", "Support Pipeline")]
    assert len(get_pipeline(rt, returns)["stages"]) == 3


def test_t1_delete_an_empty_pipeline(rt: Runtime) -> None:
    pipeline_id = new_pipeline(rt)["id"]
    assert rt.api("DELETE", f"{PIPELINES}/{pipeline_id}").status == 204
    assert error_of(rt.api("GET", f"{PIPELINES}/{pipeline_id}"), 404)
    assert listed(rt) == [("0", "Support Pipeline")]


def test_t1_a_pipeline_holding_tickets_cannot_be_deleted(rt: Runtime) -> None:
    pipeline = new_pipeline(rt)
    for subject in ("a", "b"):
        ticket(rt, subject, hs_pipeline=pipeline["id"], hs_pipeline_stage=pipeline["stages"][0]["id"])
    message = error_of(rt.api("DELETE", f"{PIPELINES}/{pipeline['id']}"))
    assert "holds 2 tickets" in message
    assert get_pipeline(rt, pipeline["id"]) == pipeline


def test_t1_the_default_pipeline_cannot_be_deleted_and_always_exists(rt: Runtime) -> None:
    before = get_pipeline(rt, "0")
    message = error_of(rt.api("DELETE", f"{PIPELINES}/0"))
    assert "default" in message
    assert get_pipeline(rt, "0") == before
    assert [s["id"] for s in before["stages"]] == ["1", "2", "3", "4"]
    assert listed(rt) == [("0", "Support Pipeline")]


def test_t1_deal_pipeline_with_closed_and_probability_metadata(rt: Runtime) -> None:
    body = {
        "label": "Partners",
        "displayOrder": 1,
        "stages": [
            {"label": "Talking", "displayOrder": 0, "metadata": {"isClosed": False, "probability": 0.3}},
            {"label": "Signed", "displayOrder": 1, "metadata": {"isClosed": True, "probability": 1.0}},
        ],
    }
    created = ok(rt.api("POST", "/crm/v3/pipelines/deals", body), 201)
    assert [s["metadata"] for s in created["stages"]] == [
        {"isClosed": "false", "probability": "0.3"},
        {"isClosed": "true", "probability": "1.0"},
    ]
    ids = [p["id"] for p in ok(rt.api("GET", "/crm/v3/pipelines/deals"))["results"]]
    assert ids == ["default", created["id"]]
    signed = created["stages"][1]["id"]
    won = create(rt, "deals", dealname="Big", pipeline=created["id"], dealstage=signed)
    assert props_of(rt, "deals", won)["hs_is_closed_won"] == "true"


def test_t1_a_deal_without_a_pipeline_still_gets_the_default_after_a_pipeline_is_added(rt: Runtime) -> None:
    body = {"label": "Partners", "stages": [{"label": "Talking", "metadata": {"probability": "0.3"}}]}
    ok(rt.api("POST", "/crm/v3/pipelines/deals", body), 201)
    props = props_of(rt, "deals", create(rt, "deals", dealname="Small"))
    assert (props["pipeline"], props["dealstage"]) == ("default", "appointmentscheduled")


def test_t1_deal_stage_probability_above_one_is_a_400(rt: Runtime) -> None:
    body = {
        "label": "Partners",
        "stages": [{"label": "Signed", "metadata": {"isClosed": True, "probability": 1.5}}],
    }
    assert "probability" in error_of(rt.api("POST", "/crm/v3/pipelines/deals", body))
    added = {"label": "Maybe", "metadata": {"isClosed": "false", "probability": "1.5"}}
    message = error_of(rt.api("POST", "/crm/v3/pipelines/deals/default/stages", added))
    assert "probability" in message
    assert [p["id"] for p in ok(rt.api("GET", "/crm/v3/pipelines/deals"))["results"]] == ["default"]
    assert len(ok(rt.api("GET", "/crm/v3/pipelines/deals/default"))["stages"]) == 7


# ---------------------------------------------------------------- T-2 open and closed statuses
def test_t2_create_without_a_closed_status_is_a_400(rt: Runtime) -> None:
    body = {"label": "Only open", "stages": [stage_input("A"), stage_input("B", order=1)]}
    message = error_of(rt.api("POST", PIPELINES, body))
    assert "open" in message and "closed" in message
    assert listed(rt) == [("0", "Support Pipeline")]


def test_t2_patching_the_last_open_status_to_closed_is_a_400(rt: Runtime) -> None:
    body = {"label": "Small", "stages": [stage_input("Open", OPEN), stage_input("Done", CLOSED, 1)]}
    pipeline = ok(rt.api("POST", PIPELINES, body), 201)
    open_id = pipeline["stages"][0]["id"]
    answer = rt.api("PATCH", f"{PIPELINES}/{pipeline['id']}/stages/{open_id}", {"metadata": CLOSED})
    assert "open" in error_of(answer)
    assert get_pipeline(rt, pipeline["id"]) == pipeline


def test_t2_deleting_the_only_closed_status_is_a_400(rt: Runtime) -> None:
    before = get_pipeline(rt, "0")
    message = error_of(rt.api("DELETE", f"{PIPELINES}/0/stages/4"))
    assert "closed" in message
    assert get_pipeline(rt, "0") == before
    assert ok(rt.api("GET", f"{PIPELINES}/0/stages/4"))["metadata"] == CLOSED


# ---------------------------------------------------------------- T-3 statuses
def test_t3_added_stage_keeps_its_id_through_rename_and_reorder(rt: Runtime) -> None:
    stage_id = add_stage(rt, label="Escalated")
    moved = ticket(rt, hs_pipeline="0", hs_pipeline_stage=stage_id)
    path = f"{PIPELINES}/0/stages/{stage_id}"
    renamed = ok(rt.api("PATCH", path, {"label": "Escalated to L2", "displayOrder": 1}))
    assert (renamed["id"], renamed["label"], renamed["displayOrder"]) == (stage_id, "Escalated to L2", 1)
    assert ok(rt.api("GET", path))["label"] == "Escalated to L2"
    assert stage_of(rt, moved) == ("0", stage_id)
    patch(rt, "tickets", ticket(rt), hs_pipeline_stage=stage_id)  # the id still addresses the stage
    labels = {s["id"]: s["label"] for s in ok(rt.api("GET", f"{PIPELINES}/0/stages"))["results"]}
    assert labels == {
        "1": "New",
        "2": "Waiting on contact",
        "3": "Waiting on us",
        "4": "Closed",
        stage_id: "Escalated to L2",
    }


def test_t3_reordering_a_stage_changes_the_order_of_the_stage_list(rt: Runtime) -> None:
    stage_id = add_stage(rt, label="Triage")
    ok(rt.api("PATCH", f"{PIPELINES}/0/stages/{stage_id}", {"displayOrder": -1}))
    ids = [s["id"] for s in ok(rt.api("GET", f"{PIPELINES}/0/stages"))["results"]]
    assert ids == [stage_id, "1", "2", "3", "4"]


def test_t3_deleting_a_stage_holding_tickets_needs_move_tickets_to(rt: Runtime) -> None:
    pipeline = new_pipeline(rt)
    pending_id = pipeline["stages"][1]["id"]
    held = [ticket(rt, s, hs_pipeline=pipeline["id"], hs_pipeline_stage=pending_id) for s in "ab"]
    message = error_of(rt.api("DELETE", f"{PIPELINES}/{pipeline['id']}/stages/{pending_id}"))
    assert "holds 2 tickets" in message and "moveTicketsTo" in message
    assert get_pipeline(rt, pipeline["id"]) == pipeline
    assert [stage_of(rt, t) for t in held] == [(pipeline["id"], pending_id)] * 2


def test_t3_moved_tickets_get_a_system_history_entry_and_enroll_in_a_stage_workflow(rt: Runtime) -> None:
    pipeline = new_pipeline(rt)
    pid = pipeline["id"]
    open_id, pending_id, done_id = (s["id"] for s in pipeline["stages"])
    held = [ticket(rt, s, hs_pipeline=pid, hs_pipeline_stage=pending_id) for s in "ab"]
    elsewhere = ticket(rt, "c", hs_pipeline=pid, hs_pipeline_stage=done_id)
    set_low = {"type": "SET_PROPERTY", "property": PRIORITY, "value": "LOW"}
    workflow_id = create_workflow(rt, ticket_workflow(set_low, enrollment=in_stage(open_id)))

    answer = rt.api("DELETE", f"{PIPELINES}/{pid}/stages/{pending_id}", query={"moveTicketsTo": open_id})
    assert answer.status == 204, answer.body
    rt.settle()

    assert [s["id"] for s in get_pipeline(rt, pid)["stages"]] == [open_id, done_id]
    assert error_of(rt.api("GET", f"{PIPELINES}/{pid}/stages/{pending_id}"), 404)
    for moved in held:
        assert stage_of(rt, moved) == (pid, open_id)
        assert sources(rt, "tickets", moved, STAGE)[-1] == (open_id, "SYSTEM", "T-3")
        assert props_of(rt, "tickets", moved)[PRIORITY] == "LOW"
    assert sorted(e["recordId"] for e in enrollments(rt, workflow_id)) == sorted(held)
    assert stage_of(rt, elsewhere) == (pid, done_id)


def test_t3_move_tickets_to_another_pipeline_or_an_unknown_stage_is_a_400(rt: Runtime) -> None:
    pipeline = new_pipeline(rt)
    pid, pending_id = pipeline["id"], pipeline["stages"][1]["id"]
    held = ticket(rt, hs_pipeline=pid, hs_pipeline_stage=pending_id)
    path = f"{PIPELINES}/{pid}/stages/{pending_id}"
    for target in ("2", "9999", pending_id):
        message = error_of(rt.api("DELETE", path, query={"moveTicketsTo": target}))
        assert "moveTicketsTo" in message and target in message
    assert get_pipeline(rt, pid) == pipeline
    assert stage_of(rt, held) == (pid, pending_id)


# ---------------------------------------------------------------- T-4 required properties
def test_t4_creating_a_ticket_in_a_stage_without_its_required_property_is_a_400(rt: Runtime) -> None:
    required = add_stage(rt, requiredProperties=[PRIORITY])
    before = ticket_count(rt)
    body = {"properties": {"subject": "Down", "hs_pipeline": "0", STAGE: required}}
    answer = rt.api("POST", "/crm/v3/objects/tickets", body)
    assert PRIORITY in error_of(answer)
    assert answer.json["context"] == {"propertyName": [PRIORITY]}
    assert ticket_count(rt) == before
    batch = {
        "inputs": [
            {"properties": {"subject": "ok", STAGE: required, PRIORITY: "LOW"}},
            {"properties": {"subject": "lacking", STAGE: required}},
        ]
    }
    answer = rt.api("POST", "/crm/v3/objects/tickets/batch/create", batch)
    assert "inputs[1]" in error_of(answer) and "inputs[0]" not in answer.json["message"]
    assert ticket_count(rt) == before

    made = ticket(rt, "Down", hs_pipeline="0", hs_pipeline_stage=required, hs_ticket_priority="HIGH")
    assert stage_of(rt, made) == ("0", required)
    assert ticket_count(rt) == before + 1


def test_t4_moving_into_the_stage_needs_the_value(rt: Runtime) -> None:
    required = add_stage(rt, requiredProperties=[PRIORITY])
    moved = ticket(rt)
    answer = rt.api("PATCH", f"/crm/v3/objects/tickets/{moved}", {"properties": {STAGE: required}})
    assert PRIORITY in error_of(answer)
    assert stage_of(rt, moved) == ("0", "1")

    patch(rt, "tickets", moved, hs_pipeline_stage=required, hs_ticket_priority="MEDIUM")
    assert stage_of(rt, moved) == ("0", required)
    assert props_of(rt, "tickets", moved)[PRIORITY] == "MEDIUM"


def test_t4_batch_update_names_every_input_lacking_the_value_and_changes_nothing(rt: Runtime) -> None:
    required = add_stage(rt, requiredProperties=[PRIORITY])
    ids = [ticket(rt, s) for s in "abc"]
    inputs = [
        {"id": ids[0], "properties": {STAGE: required}},
        {"id": ids[1], "properties": {STAGE: required, PRIORITY: "LOW"}},
        {"id": ids[2], "properties": {STAGE: required, "subject": "changed"}},
    ]
    answer = rt.api("POST", "/crm/v3/objects/tickets/batch/update", {"inputs": inputs})
    message = error_of(answer)
    assert "inputs[0]" in message and "inputs[2]" in message and "inputs[1]" not in message
    assert PRIORITY in message
    assert answer.json["context"]["inputs"] == ["0", "2"]
    for record_id, subject in zip(ids, "abc", strict=True):
        props = props_of(rt, "tickets", record_id)
        assert (props[STAGE], props["subject"], props.get(PRIORITY)) == ("1", subject, None)


def test_t4_workflow_moving_a_ticket_into_the_stage_without_the_value_logs_error(rt: Runtime) -> None:
    required = add_stage(rt, requiredProperties=[PRIORITY])
    move = {"type": "SET_PROPERTY", "property": STAGE, "value": required}
    workflow_id = create_workflow(rt, ticket_workflow(move, enrollment=category("outage")))
    stuck = ticket(rt, "a", hs_ticket_category="outage")
    rt.settle()

    assert events(rt, workflow_id, stuck) == [
        ("ENROLLED", None, None),
        ("ERROR", "1", None),
        ("COMPLETED", None, None),
    ]
    error_entry = log(rt, workflow_id, stuck)[1]
    assert error_entry["actionType"] == "SET_PROPERTY" and PRIORITY in error_entry["detail"]["error"]
    assert stage_of(rt, stuck) == ("0", "1")

    fine = ticket(rt, "b", hs_ticket_category="outage", hs_ticket_priority="URGENT")
    rt.settle()
    assert stage_of(rt, fine) == ("0", required)


def test_t4_stage_deletion_moving_tickets_into_a_required_stage_names_them(rt: Runtime) -> None:
    required = add_stage(rt, label="Escalated", requiredProperties=[PRIORITY])
    doomed = add_stage(rt, label="Parked")
    lacking = [ticket(rt, s, hs_pipeline_stage=doomed) for s in "ab"]
    having = ticket(rt, "c", hs_pipeline_stage=doomed, hs_ticket_priority="LOW")
    before = get_pipeline(rt, "0")

    answer = rt.api("DELETE", f"{PIPELINES}/0/stages/{doomed}", query={"moveTicketsTo": required})
    message = error_of(answer)
    assert all(t in message for t in lacking) and PRIORITY in message
    assert answer.json["context"]["ids"] == lacking and having not in answer.json["context"]["ids"]
    assert get_pipeline(rt, "0") == before
    assert [stage_of(rt, t)[1] for t in [*lacking, having]] == [doomed] * 3


@pytest.mark.parametrize(
    ("name", "why"),
    [("hs_object_id", "read-only"), ("createdate", "read-only"), ("no_such_property", "not a property")],
)
def test_t4_required_properties_must_be_writable_properties(rt: Runtime, name: str, why: str) -> None:
    before = get_pipeline(rt, "0")
    body = {"label": "Bad", "metadata": OPEN, "requiredProperties": [name]}
    message = error_of(rt.api("POST", f"{PIPELINES}/0/stages", body))
    assert name in message and why in message
    message = error_of(rt.api("PATCH", f"{PIPELINES}/0/stages/2", {"requiredProperties": [name]}))
    assert name in message
    create_body = {
        "label": "P",
        "stages": [stage_input("A", requiredProperties=[name]), stage_input("B", CLOSED)],
    }
    assert name in error_of(rt.api("POST", PIPELINES, create_body))
    assert get_pipeline(rt, "0") == before
    assert listed(rt) == [("0", "Support Pipeline")]


def test_t4_a_ticket_without_pipeline_or_stage_gets_pipeline_0_stage_1(rt: Runtime) -> None:
    new_pipeline(rt, order=1)
    assert stage_of(rt, ticket(rt)) == ("0", "1")


def test_t4_the_default_pipeline_is_used_even_when_another_is_listed_first(rt: Runtime) -> None:
    first = new_pipeline(rt, order=-1)["id"]
    assert listed(rt)[0][0] == first
    assert stage_of(rt, ticket(rt)) == ("0", "1")


def test_t4_other_properties_of_a_ticket_in_a_required_stage_can_change(rt: Runtime) -> None:
    stage_id = add_stage(rt, label="Escalated")
    sitting = ticket(rt, hs_pipeline_stage=stage_id)
    ok(rt.api("PATCH", f"{PIPELINES}/0/stages/{stage_id}", {"requiredProperties": [PRIORITY]}))
    patch(rt, "tickets", sitting, subject="Still broken", hs_ticket_category="billing")
    props = props_of(rt, "tickets", sitting)
    assert (props[STAGE], props["subject"], props.get(PRIORITY)) == (stage_id, "Still broken", None)


# ---------------------------------------------------------------- status automation
def escalation() -> dict[str, Any]:
    """Waiting on us for 4 hours: priority HIGH and a task."""
    still_waiting = {"filterGroups": in_stage("3")["filterGroups"], "next": "3"}
    actions = chain(
        {"type": "DELAY", "delay": {"hours": 4}},
        {"type": "IF_THEN", "branches": [still_waiting], "defaultNext": None},
        {"type": "SET_PROPERTY", "property": PRIORITY, "value": "HIGH"},
        {"type": "CREATE_TASK", "properties": {"hs_task_subject": "Ticket waiting on us for 4 hours"}},
    )
    return {
        "name": "Escalate waiting tickets",
        "objectType": "tickets",
        "timeZone": "UTC",
        "enrollment": in_stage("3"),
        "startActionId": "1",
        "actions": actions,
    }


def test_status_automation_escalates_a_ticket_left_waiting_on_us_for_4_hours(rt: Runtime) -> None:
    workflow_id = create_workflow(rt, escalation())
    left, moved_on = ticket(rt, "left"), ticket(rt, "moved on")
    for record_id in (left, moved_on):
        patch(rt, "tickets", record_id, hs_pipeline_stage="3")
    rt.advance("PT1H")
    patch(rt, "tickets", moved_on, hs_pipeline_stage="2")
    rt.advance("PT2H59M")
    assert props_of(rt, "tickets", left).get(PRIORITY) is None
    assert associated(rt, "tickets", left, "tasks") == []

    rt.advance("PT1M")
    assert props_of(rt, "tickets", left)[PRIORITY] == "HIGH"
    tasks = associated(rt, "tickets", left, "tasks")
    assert len(tasks) == 1
    task = props_of(rt, "tasks", tasks[0])
    assert task["hs_task_subject"] == "Ticket waiting on us for 4 hours"
    assert [e[0] for e in events(rt, workflow_id, left)][-1] == "COMPLETED"

    assert props_of(rt, "tickets", moved_on).get(PRIORITY) is None
    assert stage_of(rt, moved_on) == ("0", "2")
    assert associated(rt, "tickets", moved_on, "tasks") == []
    assert ("ACTION_EXECUTED", "3", None) not in events(rt, workflow_id, moved_on)


def test_status_automation_rotate_owner_over_a_team(rt: Runtime) -> None:
    team, u1, u2 = team_with_two_users(rt)
    rotate = {"type": "ROTATE_OWNER", "teamId": team}
    create_workflow(rt, ticket_workflow(rotate, enrollment=category("billing")))
    owned = []
    for subject in "abc":
        owned.append(ticket(rt, subject, hs_ticket_category="billing"))
        rt.settle()
    assert [props_of(rt, "tickets", t).get("hubspot_owner_id") for t in owned] == [u1, u2, u1]
    assert sources(rt, "tickets", owned[1], "hubspot_owner_id")[-1][:2] == (u2, "WORKFLOW")


def test_status_automation_rotate_owner_needs_an_existing_team_or_owner_ids(rt: Runtime) -> None:
    unknown = ticket_workflow({"type": "ROTATE_OWNER", "teamId": "404"}, enrollment=category("x"))
    message = error_of(rt.api("POST", "/workflows", unknown))
    assert "actions[0].teamId" in message and "404" in message
    neither = ticket_workflow({"type": "ROTATE_OWNER"}, enrollment=category("x"))
    message = error_of(rt.api("POST", "/workflows", neither))
    assert "actions[0]" in message and "ownerIds" in message and "teamId" in message
    assert ok(rt.api("GET", "/workflows"))["results"] == []


# ---------------------------------------------------------------- bad input never 500
def test_unknown_fields_in_pipeline_and_stage_bodies_are_named(rt: Runtime) -> None:
    body = {
        "label": "X",
        "colour": "red",
        "stages": [stage_input("A", shade="dark"), stage_input("B", CLOSED)],
    }
    message = error_of(rt.api("POST", PIPELINES, body))
    assert "colour" in message and "shade" in message
    assert "owner" in error_of(rt.api("PATCH", f"{PIPELINES}/0", {"owner": "me"}))
    assert "tint" in error_of(rt.api("POST", f"{PIPELINES}/0/stages", stage_input("C", tint=1)))
    assert "tint" in error_of(rt.api("PATCH", f"{PIPELINES}/0/stages/1", {"tint": 1}))
    assert listed(rt) == [("0", "Support Pipeline")]


def test_an_empty_stage_list_is_a_400(rt: Runtime) -> None:
    assert "stages" in error_of(rt.api("POST", PIPELINES, {"label": "Empty", "stages": []}))
    assert listed(rt) == [("0", "Support Pipeline")]


def test_unknown_pipeline_or_stage_is_a_404(rt: Runtime) -> None:
    assert "77" in error_of(rt.api("GET", f"{PIPELINES}/77"), 404)
    assert "77" in error_of(rt.api("GET", f"{PIPELINES}/77/stages"), 404)
    assert "99" in error_of(rt.api("GET", f"{PIPELINES}/0/stages/99"), 404)
    assert error_of(rt.api("PATCH", f"{PIPELINES}/77", {"label": "x"}), 404)
    assert error_of(rt.api("PATCH", f"{PIPELINES}/0/stages/99", {"label": "x"}), 404)
    assert error_of(rt.api("DELETE", f"{PIPELINES}/0/stages/99"), 404)


# ---------------------------------------------------------------- only super admins edit
def test_only_super_admins_edit_pipelines(rt: Runtime) -> None:
    user = ok(
        rt.api("POST", "/settings/users", {"email": "agent@example.com", "permissions": {"tickets": ALL}}),
        201,
    )
    token = user["token"]
    pipeline = new_pipeline(rt)
    pid = pipeline["id"]
    body = {"label": "Mine", "stages": [stage_input("A"), stage_input("B", CLOSED)]}
    assert error_of(rt.api("POST", PIPELINES, body, token=token), 403)
    assert error_of(rt.api("PATCH", f"{PIPELINES}/{pid}", {"label": "Mine"}, token=token), 403)
    assert error_of(rt.api("DELETE", f"{PIPELINES}/{pid}", token=token), 403)
    assert error_of(rt.api("POST", f"{PIPELINES}/{pid}/stages", stage_input("C"), token=token), 403)
    stage_path = f"{PIPELINES}/{pid}/stages/{pipeline['stages'][1]['id']}"
    assert error_of(rt.api("PATCH", stage_path, {"label": "Mine"}, token=token), 403)
    assert error_of(rt.api("DELETE", stage_path, token=token), 403)
    assert [p["id"] for p in ok(rt.api("GET", PIPELINES, token=token))["results"]] == ["0", pid]
    assert ok(rt.api("GET", f"{PIPELINES}/{pid}", token=token)) == pipeline


# ---------------------------------------------------------------- HubSpot's official client
@pytest.fixture
def server(rt: Runtime) -> Iterator[LocalServer]:
    local = LocalServer(rt, "127.0.0.1", 0).start()
    yield local
    local.close()


def test_hubspot_client_creates_a_ticket_pipeline_and_a_ticket_in_it(server: LocalServer) -> None:
    client = HubSpot(access_token="local-admin", host=server.url)
    pipeline = client.crm.pipelines.pipelines_api.create(
        object_type="tickets",
        pipeline_input=PipelineInput(
            label="Client pipeline",
            display_order=3,
            stages=[
                PipelineStageInput(label="Open", display_order=0, metadata={"ticketState": "OPEN"}),
                PipelineStageInput(label="Closed", display_order=1, metadata={"ticketState": "CLOSED"}),
            ],
        ),
    )
    assert [(s.label, s.metadata) for s in pipeline.stages] == [
        ("Open", {"ticketState": "OPEN"}),
        ("Closed", {"ticketState": "CLOSED"}),
    ]
    listed_ids = [p.id for p in client.crm.pipelines.pipelines_api.get_all(object_type="tickets").results]
    assert listed_ids == ["0", pipeline.id]
    created = client.crm.tickets.basic_api.create(
        TicketInput(
            properties={"subject": "Via client", "hs_pipeline": pipeline.id, STAGE: pipeline.stages[0].id}
        )
    )
    read = client.crm.tickets.basic_api.get_by_id(created.id, properties=["subject", "hs_pipeline", STAGE])
    assert read.properties["subject"] == "Via client"
    assert (read.properties["hs_pipeline"], read.properties[STAGE]) == (pipeline.id, pipeline.stages[0].id)


def test_hubspot_client_creates_and_reads_a_ticket_in_a_custom_pipeline(
    rt: Runtime, server: LocalServer
) -> None:
    pipeline = new_pipeline(rt)
    client = HubSpot(access_token="local-admin", host=server.url)
    created = client.crm.tickets.basic_api.create(
        TicketInput(
            properties={
                "subject": "Via client",
                "hs_pipeline": pipeline["id"],
                STAGE: pipeline["stages"][1]["id"],
            }
        )
    )
    read = client.crm.tickets.basic_api.get_by_id(created.id, properties=["subject", "hs_pipeline", STAGE])
    assert read.properties["subject"] == "Via client"
    assert (read.properties["hs_pipeline"], read.properties[STAGE]) == (
        pipeline["id"],
        pipeline["stages"][1]["id"],
    )
