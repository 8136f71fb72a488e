"""Enrollment rules E-1 to E-8 (without E-6), each through the real path: the API, the records
stream, the starter queue, the state machine on moto and the action Lambdas."""

import json

import pytest
from crmflow.engine import enroll as enrolling
from crmflow_local.runtime import Runtime
from engine_support import (
    contact,
    create_workflow,
    define_property,
    enrollments,
    events,
    executed_at,
    ok,
    properties,
    replay,
    update,
    workflow,
)

T0 = "2026-12-01T08:00:00.000Z"
SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}


def test_e1_record_that_starts_to_meet_triggers_enrolls_and_runs_the_workflow(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow(SET_NURTURED))
    subscriber = contact(rt, "s@example.com", lifecyclestage="subscriber")
    lead = contact(rt, "l@example.com", lifecyclestage="lead")
    rt.settle()

    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [lead]
    assert properties(rt, lead)["nurtured"] == "true"
    assert "nurtured" not in properties(rt, subscriber)

    update(rt, subscriber, lifecyclestage="lead")  # starts to meet the triggers by a change
    rt.settle()
    assert sorted(e["recordId"] for e in enrollments(rt, workflow_id, "COMPLETED")) == sorted(
        [lead, subscriber]
    )
    assert properties(rt, subscriber)["nurtured"] == "true"
    assert events(rt, workflow_id, subscriber) == [
        ("ENROLLED", None, None),
        ("ACTION_EXECUTED", "1", None),
        ("COMPLETED", None, None),
    ]

    manual = contact(rt, "m@example.com", lifecyclestage="customer")  # a manual enrollment by API
    ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": manual}), 201)
    rt.settle()
    assert events(rt, workflow_id, manual)[0] == ("ENROLLED", None, "MANUAL")
    assert properties(rt, manual)["nurtured"] == "true"
    assert len(rt.executions("SUCCEEDED")) == 3


def test_e2_enroll_existing_on_enable_and_on_trigger_change(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enrolling, "ENROLL_EXISTING_PAGE", 2)  # several pages for five records
    define_property(rt, "nurtured")
    leads = [contact(rt, f"l{i}@example.com", lifecyclestage="lead") for i in range(4)]
    customer = contact(rt, "c@example.com", lifecyclestage="customer")
    rt.settle()

    with_existing = create_workflow(rt, workflow(SET_NURTURED), existing=True)
    without_existing = create_workflow(rt, workflow(SET_NURTURED), existing=False)
    rt.settle()
    assert sorted(e["recordId"] for e in enrollments(rt, with_existing)) == sorted(leads)
    assert enrollments(rt, without_existing) == []
    pages = [
        json.loads(record["body"])
        for invocation in rt.invocations
        if invocation.function == "StarterFunction"
        for record in invocation.event["Records"]
        if json.loads(record["body"])["kind"] == "enroll-existing"
    ]
    assert len(pages) == 3  # five records, two per page: no invocation loads them all

    later = contact(
        rt, "later@example.com", lifecyclestage="lead"
    )  # "only records that come to meet them later"
    rt.settle()
    assert [e["recordId"] for e in enrollments(rt, without_existing)] == [later]

    # Changing the triggers of an active workflow offers the same choice.
    current = ok(rt.api("GET", f"/workflows/{without_existing}"))
    customers = {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
        ]
    }
    body = {
        **workflow(SET_NURTURED, enrollment=customers),
        "revision": current["revision"],
        "enrollExisting": True,
    }
    ok(rt.api("PUT", f"/workflows/{without_existing}", body))
    rt.settle()
    assert sorted(e["recordId"] for e in enrollments(rt, without_existing)) == sorted([later, customer])


def test_e3_record_enrolls_once_unless_reenrollment_property_changes_and_never_twice_at_once(
    rt: Runtime,
) -> None:
    delay_then_set = [{"type": "DELAY", "delay": {"days": 1}}, SET_NURTURED]
    define_property(rt, "nurtured")
    once = create_workflow(rt, workflow(*delay_then_set))
    again = create_workflow(
        rt,
        workflow(
            *delay_then_set,
            enrollment={
                **workflow()["enrollment"],
                "reEnrollment": {"enabled": True, "properties": ["lifecyclestage"]},
            },
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.settle()

    # While enrolled: the change delivered twice, a re-enrollment property change and a manual
    # enrollment still leave one active enrollment per workflow.
    replay(rt, lambda f: f in ("RecordsStreamFunction", "StarterFunction"))
    update(rt, record, lifecyclestage="subscriber")
    update(rt, record, lifecyclestage="lead")
    rt.settle()
    assert ok(rt.api("POST", f"/workflows/{again}/enrollments", {"recordId": record}), 409)
    assert [e["status"] for e in enrollments(rt, once)] == ["ACTIVE"]
    assert [e["status"] for e in enrollments(rt, again)] == ["ACTIVE"]
    assert len(rt.executions()) == 2

    rt.advance("P1D")
    assert [e["status"] for e in enrollments(rt, again)] == ["COMPLETED"]

    # After finishing: meeting the triggers again re-enrolls only where re-enrollment is on.
    update(rt, record, lifecyclestage="subscriber")
    update(rt, record, lifecyclestage="lead")
    rt.settle()
    assert [e["status"] for e in enrollments(rt, once)] == ["COMPLETED"]
    assert [e["status"] for e in enrollments(rt, again)] == ["ACTIVE"]
    assert [e[0] for e in events(rt, once, record)].count("ENROLLED") == 1
    assert [e[0] for e in events(rt, again, record)].count("ENROLLED") == 2
    assert len(rt.executions()) == 3


def _filters(n: int) -> dict:
    return {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "email", "operator": "NEQ", "value": f"x{i}@example.com"}
                    for i in range(n)
                ]
            }
        ]
    }


def test_e4_more_than_250_trigger_filters_is_a_400_naming_the_limit(rt: Runtime) -> None:
    too_many = rt.api("POST", "/workflows", workflow(SET_NURTURED, enrollment=_filters(251)))
    assert too_many.status == 400
    assert too_many.json["category"] == "VALIDATION_ERROR"
    assert "250" in too_many.json["message"]
    assert ok(rt.api("GET", "/workflows"))["results"] == []

    define_property(rt, "nurtured")
    at_limit = create_workflow(rt, workflow(SET_NURTURED, enrollment=_filters(250)))
    current = ok(rt.api("GET", f"/workflows/{at_limit}"))
    body = {**workflow(SET_NURTURED, enrollment=_filters(300)), "revision": current["revision"]}
    assert rt.api("PUT", f"/workflows/{at_limit}", body).status == 400
    assert ok(rt.api("GET", f"/workflows/{at_limit}"))["revision"] == current["revision"]


def test_e5_decimal_value_in_contact_number_trigger_is_a_400_naming_the_property(rt: Runtime) -> None:
    define_property(rt, "score", "number")
    define_property(rt, "nurtured")
    decimal = {"filterGroups": [{"filters": [{"propertyName": "score", "operator": "GTE", "value": "2.5"}]}]}
    answer = rt.api("POST", "/workflows", workflow(SET_NURTURED, enrollment=decimal))
    assert answer.status == 400
    assert "score" in answer.json["message"]
    assert ok(rt.api("GET", "/workflows"))["results"] == []  # nothing saved

    whole = {"filterGroups": [{"filters": [{"propertyName": "score", "operator": "GTE", "value": "3"}]}]}
    workflow_id = create_workflow(rt, workflow(SET_NURTURED, enrollment=whole))
    high = contact(rt, "h@example.com", score="7")
    contact(rt, "l@example.com", score="2")
    rt.settle()
    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [high]


def test_e7_mass_enrollment_is_throttled_through_the_starter_queue_and_keeps_enrollment_time(
    rt: Runtime,
) -> None:
    starter_batch = int(rt.template["Parameters"]["StarterBatchSize"]["Default"])
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"hours": 1}}, SET_NURTURED))
    inputs = [{"properties": {"email": f"c{i}@example.com", "lifecyclestage": "lead"}} for i in range(30)]
    ok(rt.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs}), 201)
    rt.settle()

    active = enrollments(rt, workflow_id, "ACTIVE")
    assert len(active) == 30
    assert {e["enrolledAt"] for e in active} == {T0}
    assert {e["waitingUntil"] for e in active} == {"2026-12-01T09:00:00.000Z"}
    starts = [inv for inv in rt.invocations if inv.function == "StarterFunction"]
    assert len(starts) >= 3
    assert all(len(inv.event["Records"]) <= starter_batch for inv in starts)
    assert len(rt.executions("RUNNING")) == 30

    # A start drained late still counts its first delay from the enrollment time.
    late = contact(rt, "late@example.com", lifecyclestage="customer")
    rt.settle()
    ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": late}), 201)
    sqs, queue = rt.client("sqs"), rt.env("STARTER_QUEUE_URL")
    held = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=3600)["Messages"]
    assert len(held) == 1
    rt.advance("PT20M")
    assert [e["recordId"] for e in enrollments(rt, workflow_id, "ACTIVE") if e["recordId"] == late] == [late]
    assert len(rt.executions()) == 30  # not started yet
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=held[0]["ReceiptHandle"], VisibilityTimeout=0)
    rt.settle()
    mine = next(e for e in enrollments(rt, workflow_id) if e["recordId"] == late)
    assert mine["enrolledAt"] == "2026-12-01T08:00:00.000Z"
    assert mine["waitingUntil"] == "2026-12-01T09:00:00.000Z"

    rt.advance("PT1H")
    assert len(enrollments(rt, workflow_id, "COMPLETED")) == 31
    assert len(rt.executions("SUCCEEDED")) == 31


def test_e8_create_record_that_would_meet_its_own_triggers_is_skipped_as_infinite_loop(rt: Runtime) -> None:
    looping = {
        "type": "CREATE_RECORD",
        "objectType": "contacts",
        "properties": {"email": "x@example.com", "lifecyclestage": "lead"},
    }
    harmless = {
        "type": "CREATE_RECORD",
        "objectType": "contacts",
        "properties": {"email": "y@example.com", "lifecyclestage": "subscriber"},
    }
    workflow_id = create_workflow(rt, workflow(looping, harmless))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()

    assert events(rt, workflow_id, record) == [
        ("ENROLLED", None, None),
        ("ACTION_SKIPPED", "1", "INFINITE_LOOP"),
        ("ACTION_EXECUTED", "2", None),
        ("COMPLETED", None, None),
    ]
    emails = sorted(
        r["properties"]["email"] for r in ok(rt.api("GET", "/crm/v3/objects/contacts"))["results"]
    )
    assert emails == ["a@example.com", "y@example.com"]
    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [record]
    assert executed_at(rt, workflow_id, "2") == [T0]
