"""Test mode (issue 4): ``POST /workflows/{id}/test`` answers the path a record would take, and a real
enrollment of the same record then takes exactly that path; test mode itself changes nothing.

The clock starts on Tuesday 2026-12-01 at 08:00Z (09:00 in Oslo).
"""

import json
from typing import Any

from crmflow_local.runtime import Runtime
from engine_support import (
    automated_email,
    contact,
    create_workflow,
    define_property,
    enrollments,
    log,
    ok,
    properties,
    webhook_server,
    workflow,
)

MANUAL_ONLY = {"filterGroups": []}  # no trigger: records enroll by API only
CUSTOMER = {
    "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}]
}
IS_LEAD = [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
# bookkeeping the test mode does not show: the enrollment itself and the unenrollment after a goal
NOT_IN_TEST_MODE = ("ENROLLED", "UNENROLLED")


def run_test(rt: Runtime, workflow_id: str, record_id: str, days: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"recordId": record_id} | ({"days": days} if days is not None else {})
    return ok(rt.api("POST", f"/workflows/{workflow_id}/test", body), 200)


def essential(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(at, event, actionId, reason, branch) of each step, the way test mode and the log both say it."""
    return [
        (e["at"], e["event"], e["actionId"], e["reason"], (e.get("detail") or {}).get("branch"))
        for e in entries
        if e["event"] not in NOT_IN_TEST_MODE
    ]


def nurture_workflow(email_id: str) -> dict[str, Any]:
    """A delay into a pause date, an email, a branch with a SET_PROPERTY on each side (the default
    side meets the goal), a delay that ends after the window closed, and a last update."""
    return workflow(
        {"type": "DELAY", "delay": {"days": 1}, "next": "2"},
        {"type": "SEND_EMAIL", "emailId": email_id, "next": "3"},
        {"type": "IF_THEN", "branches": [{"filterGroups": IS_LEAD, "next": "4"}], "defaultNext": "5"},
        {"type": "SET_PROPERTY", "property": "nurtured", "value": "true", "next": "6"},
        {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "customer", "next": "6"},
        {"type": "DELAY", "delay": {"hours": 9}, "next": "7"},
        {"type": "SET_PROPERTY", "property": "nurtured", "value": "done", "next": None},
        enrollment=MANUAL_ONLY,
        goal=CUSTOMER,
        pauseDates=["2026-12-02"],
        timeWindows=[{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
    )


def test_test_mode_answers_the_path_a_real_enrollment_then_takes(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, nurture_workflow(automated_email(rt)))
    lead = contact(rt, "lead@example.com", lifecyclestage="lead")
    other = contact(rt, "other@example.com", lifecyclestage="subscriber")
    rt.settle()

    predicted = {record: run_test(rt, workflow_id, record, days=7) for record in (lead, other)}

    # What the path is, with exact times: the one-day delay ends on Wednesday, a pause date, so the
    # email waits for Thursday 09:00 in Oslo (08:00Z); the nine-hour delay then ends at 18:00,
    # after the window closed, so the last action waits for Friday 09:00.
    assert predicted[lead]["outcome"] == "COMPLETED"
    assert essential(predicted[lead]["steps"]) == [
        ("2026-12-01T08:00:00.000Z", "DELAY_STARTED", "1", None, None),
        ("2026-12-02T08:00:00.000Z", "DELAY_ENDED", "1", None, None),
        ("2026-12-02T08:00:00.000Z", "WAITING", "2", "PAUSE_DATE", None),
        ("2026-12-03T08:00:00.000Z", "ACTION_EXECUTED", "2", None, None),
        ("2026-12-03T08:00:00.000Z", "ACTION_EXECUTED", "3", None, 0),
        ("2026-12-03T08:00:00.000Z", "ACTION_EXECUTED", "4", None, None),
        ("2026-12-03T08:00:00.000Z", "DELAY_STARTED", "6", None, None),
        ("2026-12-03T17:00:00.000Z", "DELAY_ENDED", "6", None, None),
        ("2026-12-03T17:00:00.000Z", "WAITING", "7", "TIME_WINDOW", None),
        ("2026-12-04T08:00:00.000Z", "ACTION_EXECUTED", "7", None, None),
        ("2026-12-04T08:00:00.000Z", "COMPLETED", None, None, None),
    ]
    assert [step["branch"] for step in predicted[lead]["steps"] if step["actionId"] == "3"] == [0]
    assert predicted[lead]["properties"]["nurtured"] == "done"
    # The other record takes the default branch, whose update meets the goal: it leaves (G-1)
    # before its next action.
    assert predicted[other]["outcome"] == "GOAL_MET"
    assert essential(predicted[other]["steps"])[-3:] == [
        ("2026-12-03T08:00:00.000Z", "ACTION_EXECUTED", "3", None, None),
        ("2026-12-03T08:00:00.000Z", "ACTION_EXECUTED", "5", None, None),
        ("2026-12-03T08:00:00.000Z", "GOAL_MET", None, None, None),
    ]
    assert [step["branch"] for step in predicted[other]["steps"] if step["actionId"] == "3"] == [None]

    for record in (lead, other):
        ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": record}), 201)
    rt.advance("P7D")

    for record in (lead, other):
        assert essential(log(rt, workflow_id, record)) == essential(predicted[record]["steps"]), record
    assert properties(rt, lead)["nurtured"] == "done"
    assert properties(rt, other)["lifecyclestage"] == "customer"
    statuses = {e["recordId"]: e["status"] for e in enrollments(rt, workflow_id)}
    assert statuses == {lead: "COMPLETED", other: "UNENROLLED"}
    assert sorted((mail["recordId"], mail["at"]) for mail in rt.outbox()) == [
        (lead, "2026-12-03T08:00:00.000Z"),
        (other, "2026-12-03T08:00:00.000Z"),
    ]


def test_test_mode_stops_at_the_horizon_where_the_record_would_wait(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, nurture_workflow(automated_email(rt)))
    lead = contact(rt, lifecyclestage="lead")

    answer = run_test(rt, workflow_id, lead, days=1)
    assert (answer["outcome"], answer["currentActionId"], answer["waitingUntil"]) == (
        "STILL_RUNNING",
        "2",
        "2026-12-03T08:00:00.000Z",
    )
    assert answer["end"] == "2026-12-02T08:00:00.000Z"
    assert [step["event"] for step in answer["steps"]] == ["DELAY_STARTED", "DELAY_ENDED", "WAITING"]
    assert run_test(rt, workflow_id, lead)["end"] == "2026-12-31T08:00:00.000Z"  # 30 days by default


# ---------------------------------------------------------------- it changes nothing
def _tables(rt: Runtime) -> dict[str, list[str]]:
    dynamodb = rt.client("dynamodb")
    content = {}
    for table in dynamodb.list_tables()["TableNames"]:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        content[table] = sorted(json.dumps(item, sort_keys=True) for page in pages for item in page["Items"])
    return content


def _queues(rt: Runtime) -> dict[str, str]:
    sqs = rt.client("sqs")
    counts = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        counts[url] = attributes["Attributes"]["ApproximateNumberOfMessages"]
    return counts


def snapshot(rt: Runtime, workflow_id: str, record_id: str) -> dict[str, Any]:
    return {
        "record": ok(rt.api("GET", f"/crm/v3/objects/contacts/{record_id}")),
        "outbox": rt.outbox(),
        "executions": sorted((e["name"], e["status"]) for e in rt.executions()),
        "enrollments": enrollments(rt, workflow_id),
        "log": log(rt, workflow_id),
        "stats": ok(rt.api("GET", f"/workflows/{workflow_id}/stats")),
        "tasks": ok(rt.api("GET", "/crm/v3/objects/tasks"))["results"],
        "companies": ok(rt.api("GET", "/crm/v3/objects/companies"))["results"],
        "tables": _tables(rt),
        "queues": _queues(rt),
    }


def test_test_mode_changes_no_record_sends_nothing_and_calls_no_webhook(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    define_property(rt, "tier")
    email_id = automated_email(rt)
    target = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 2}}, enrollment=MANUAL_ONLY))
    with webhook_server((200, {"tier": "gold"})) as hook:
        workflow_id = create_workflow(
            rt,
            workflow(
                {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"},
                {"type": "SEND_EMAIL", "emailId": email_id},
                {"type": "WEBHOOK", "url": hook.url, "responseMapping": {"tier": "tier"}},
                {"type": "CREATE_TASK", "properties": {"hs_task_subject": "Call"}},
                {"type": "CREATE_RECORD", "objectType": "companies", "properties": {"name": "Acme"}},
                {"type": "ROTATE_OWNER", "ownerIds": ["101", "102"]},
                {"type": "ENROLL_IN_WORKFLOW", "workflowId": target},
                {"type": "CLEAR_PROPERTY", "property": "nurtured"},
                {"type": "DELAY_UNTIL", "weekdays": ["FRI"], "time": "10:00"},
            ),
        )
        inside = contact(rt, "inside@example.com", lifecyclestage="lead")  # really runs, then waits
        rt.advance("PT10M")
        calls = len(hook.calls)
        assert calls == 1
        record = contact(rt, "tested@example.com", lifecyclestage="subscriber")
        rt.settle()
        before = snapshot(rt, workflow_id, record)
        assert before["enrollments"][0]["recordId"] == inside
        assert before["enrollments"][0]["currentActionId"] == "9"
        assert len(before["outbox"]) == 1

        answer = run_test(rt, workflow_id, record)

        assert len(hook.calls) == calls  # no call from test mode
        after = snapshot(rt, workflow_id, record)
    assert after == before

    steps = {(s["actionId"], s["event"]): s for s in answer["steps"]}
    assert answer["outcome"] == "COMPLETED"
    assert steps[("3", "ACTION_EXECUTED")]["detail"]["simulated"] is True
    assert steps[("3", "ACTION_EXECUTED")]["detail"]["unmapped"] == ["tier"]
    assert steps[("2", "ACTION_EXECUTED")]["detail"] == {
        "emailId": email_id,
        "to": "tested@example.com",
        "simulated": True,
    }
    # W-5: the contact was created at 08:10, so owner rotation waits until 08:20; the next owner in
    # turn is 102 (the record inside took 101)
    assert steps[("6", "WAITING")]["detail"]["until"] == "2026-12-01T08:20:00.000Z"
    assert steps[("6", "ACTION_EXECUTED")]["at"] == "2026-12-01T08:20:00.000Z"
    assert steps[("6", "ACTION_EXECUTED")]["detail"]["ownerId"] == "102"
    assert steps[("9", "DELAY_STARTED")]["detail"]["until"] == "2026-12-04T09:00:00.000Z"
    assert answer["steps"][-1] == {
        "at": "2026-12-04T09:00:00.000Z",
        "actionId": None,
        "actionType": None,
        "event": "COMPLETED",
        "reason": None,
        "branch": None,
        "detail": {},
    }
    assert answer["properties"]["hubspot_owner_id"] == "102"
    assert "nurtured" not in answer["properties"]
    assert "hubspot_owner_id" not in properties(rt, record)


def test_test_mode_mirrors_the_errors_and_skips_of_the_engine(rt: Runtime) -> None:
    email_id = automated_email(rt)
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "SEND_EMAIL", "emailId": email_id},
            {"type": "SET_PROPERTY", "property": "undefined_property", "value": "x"},
            {"type": "CREATE_RECORD", "objectType": "contacts", "properties": {"lifecyclestage": "lead"}},
            {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "opportunity"},
        ),
    )
    # The email was saved for automation, then became a draft (no API edits emails: the store does):
    # SEND_EMAIL fails at run time, is logged as ERROR, and the record goes on (W-6, W-7).
    rt.client("dynamodb").update_item(
        TableName=rt.env("CONFIG_TABLE"),
        Key={"pk": {"S": "EMAIL"}, "sk": {"S": email_id}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "DRAFT"}},
    )
    record = contact(rt, lifecyclestage="subscriber")
    rt.settle()

    answer = run_test(rt, workflow_id, record)
    steps = [(s["event"], s["actionId"], s["reason"]) for s in answer["steps"]]
    assert steps == [
        ("ERROR", "1", None),
        ("ERROR", "2", None),  # no such property: the update fails as the real one would
        ("ACTION_SKIPPED", "3", "INFINITE_LOOP"),  # E-8: a new lead would enroll again
        ("ACTION_EXECUTED", "4", None),
        ("COMPLETED", None, None),
    ]
    assert "not a marketing email saved for automation" in answer["steps"][0]["detail"]["error"]
    assert "undefined_property" in answer["steps"][1]["detail"]["error"]

    ok(rt.api("PATCH", f"/crm/v3/objects/contacts/{record}", {"properties": {"lifecyclestage": "lead"}}))
    rt.settle()
    real = log(rt, workflow_id, record)
    assert [(e["event"], e["actionId"], e["reason"]) for e in real] == [("ENROLLED", None, None), *steps]
    predicted_errors = [s["detail"]["error"] for s in answer["steps"][:2]]
    assert [e["detail"].get("error") for e in real[1:3]] == predicted_errors
    assert rt.outbox() == []


# ---------------------------------------------------------------- bad input
def test_test_mode_rejects_bad_input_naming_the_field(rt: Runtime) -> None:
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 1}}))
    record = contact(rt, lifecyclestage="subscriber")
    path = f"/workflows/{workflow_id}/test"
    for body, field in (
        ({"recordId": record, "days": 0}, "days"),
        ({"recordId": record, "days": 367}, "days"),
        ({"days": 5}, "recordId"),
        ({"recordId": "", "days": 5}, "recordId"),
    ):
        answer = rt.api("POST", path, body)
        assert answer.status == 400, (body, answer.body)
        assert answer.json["message"].startswith(field), answer.json
    assert rt.api("POST", path, {"recordId": record, "days": 366}).status == 200

    missing_record = rt.api("POST", path, {"recordId": "999999"})
    assert missing_record.status == 404
    assert "recordId" in missing_record.json["message"]
    missing_workflow = rt.api("POST", "/workflows/999999/test", {"recordId": record})
    assert missing_workflow.status == 404
    assert "999999" in missing_workflow.json["message"]


def test_test_mode_plays_a_workflow_that_is_off_as_if_it_were_on(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(
        rt, workflow({"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}), enable=False
    )
    record = contact(rt, lifecyclestage="lead")
    answer = run_test(rt, workflow_id, record)
    assert answer["workflowEnabled"] is False
    assert [(s["event"], s["actionId"]) for s in answer["steps"]] == [
        ("ACTION_EXECUTED", "1"),
        ("COMPLETED", None),
    ]


def test_a_record_that_already_meets_the_goal_would_not_enroll(rt: Runtime) -> None:
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 1}}, goal=CUSTOMER))
    record = contact(rt, lifecyclestage="customer")
    answer = run_test(rt, workflow_id, record)
    assert (answer["outcome"], answer["reason"], answer["steps"]) == ("NOT_ENROLLED", "GOAL", [])
    assert rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": record}).status == 400


def test_a_record_on_a_suppression_list_would_not_enroll(rt: Runtime) -> None:
    record = contact(rt, lifecyclestage="subscriber")
    body = {
        "name": "Do not contact",
        "objectType": "contacts",
        "processingType": "MANUAL",
        "recordIds": [record],
    }
    list_id = str(ok(rt.api("POST", "/crm/v3/lists", body), 201)["list"]["listId"])
    workflow_id = create_workflow(
        rt, workflow({"type": "DELAY", "delay": {"days": 1}}, suppressionListIds=[list_id])
    )
    answer = run_test(rt, workflow_id, record)
    assert (answer["outcome"], answer["reason"], answer["steps"]) == ("NOT_ENROLLED", "SUPPRESSED", [])


def test_a_record_an_update_puts_on_a_dynamic_suppression_list_leaves_as_it_really_does(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    nurtured = [{"filters": [{"propertyName": "nurtured", "operator": "EQ", "value": "true"}]}]
    body = {
        "name": "Nurtured",
        "objectType": "contacts",
        "processingType": "DYNAMIC",
        "filterGroups": nurtured,
    }
    list_id = str(ok(rt.api("POST", "/crm/v3/lists", body), 201)["list"]["listId"])
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"},
            {"type": "DELAY", "delay": {"days": 1}},
            enrollment=MANUAL_ONLY,
            suppressionListIds=[list_id],
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    answer = run_test(rt, workflow_id, record)
    predicted = [(s["at"], s["event"], s["actionId"], s["reason"]) for s in answer["steps"]]
    assert predicted == [
        ("2026-12-01T08:00:00.000Z", "ACTION_EXECUTED", "1", None),
        ("2026-12-01T08:00:00.000Z", "UNENROLLED", None, "SUPPRESSED"),
    ]
    assert (answer["outcome"], answer["reason"]) == ("UNENROLLED", "SUPPRESSED")

    ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": record}), 201)
    rt.advance("P2D")
    real = [(e["at"], e["event"], e["actionId"], e["reason"]) for e in log(rt, workflow_id, record)]
    assert real[1:] == predicted
