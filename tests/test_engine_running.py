"""Running rules W-1 to W-7, each through the real path. Pause dates and time windows are checked in
Europe/Oslo across the end of summer time (2026-10-25: 03:00 CEST becomes 02:00 CET)."""

import json
from collections.abc import Iterator

import pytest
from crmflow_local.runtime import Runtime
from engine_support import (
    automated_email,
    contact,
    create_workflow,
    define_property,
    enrollments,
    events,
    executed_at,
    log,
    ok,
    properties,
    replay,
    update,
    webhook_server,
    workflow,
)

SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]


@pytest.fixture
def autumn() -> Iterator[Runtime]:
    """Thursday 2026-10-22, 10:00 in Oslo (08:00Z), three days before summer time ends."""
    with Runtime(start="2026-10-22T08:00:00Z") as runtime:
        define_property(runtime, "nurtured")
        yield runtime


def test_w1_turned_off_workflow_enrolls_no_one_and_skips_every_action_but_delays(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    email_id = automated_email(rt)
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 1}},
            SET_NURTURED,
            {"type": "DELAY", "delay": {"hours": 2}},
            {"type": "SEND_EMAIL", "emailId": email_id},
        ),
    )
    inside = contact(rt, lifecyclestage="lead")
    rt.settle()
    ok(rt.api("POST", f"/workflows/{workflow_id}/disable"))
    later = contact(rt, "later@example.com", lifecyclestage="lead")
    rt.settle()
    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [inside]
    assert rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": later}).status == 400

    rt.advance("P2D")
    assert events(rt, workflow_id, inside) == [
        ("ENROLLED", None, None),
        ("DELAY_STARTED", "1", None),
        ("DELAY_ENDED", "1", None),
        ("ACTION_SKIPPED", "2", "WORKFLOW_OFF"),
        ("DELAY_STARTED", "3", None),
        ("DELAY_ENDED", "3", None),
        ("ACTION_SKIPPED", "4", "WORKFLOW_OFF"),
        ("COMPLETED", None, None),
    ]
    assert [e["at"] for e in log(rt, workflow_id, inside) if e["event"] == "DELAY_ENDED"] == [
        "2026-12-02T08:00:00.000Z",
        "2026-12-02T10:00:00.000Z",
    ]
    assert "nurtured" not in properties(rt, inside)
    assert rt.outbox() == []
    assert enrollments(rt, workflow_id, "COMPLETED")[0]["recordId"] == inside


def test_w2_action_due_on_pause_date_runs_next_day_same_local_time(autumn: Runtime) -> None:
    rt = autumn
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 2}},
            SET_NURTURED,
            {"type": "DELAY", "delay": {"days": 1}},
            {"type": "SET_PROPERTY", "property": "nurtured", "value": "twice"},
            pauseDates=["2026-10-24", "2026-10-25", "2026-10-26"],
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.advance("P2D")
    # Delays keep counting through pause dates: the first ends on Saturday at 10:00 CEST (08:00Z)...
    assert [e["at"] for e in log(rt, workflow_id) if e["event"] == "DELAY_ENDED"] == [
        "2026-10-24T08:00:00.000Z"
    ]
    waiting = [e for e in log(rt, workflow_id) if e["event"] == "WAITING"]
    assert [(e["at"], e["actionId"], e["reason"]) for e in waiting] == [
        ("2026-10-24T08:00:00.000Z", "2", "PAUSE_DATE")
    ]
    assert "nurtured" not in properties(rt, record)

    # ... and the action runs on Tuesday, the next day that is not a pause date, at 10:00 local:
    # 09:00Z now that summer time has ended.
    rt.advance(to="2026-10-27T08:59:59Z")
    assert executed_at(rt, workflow_id, "2") == []
    rt.advance(to="2026-10-27T09:00:00Z")
    assert executed_at(rt, workflow_id, "2") == ["2026-10-27T09:00:00.000Z"]
    assert properties(rt, record)["nurtured"] == "true"

    # A delay started after the wait counts from there; Wednesday is no pause date.
    rt.advance("P1D")
    assert executed_at(rt, workflow_id, "4") == ["2026-10-28T09:00:00.000Z"]
    assert properties(rt, record)["nurtured"] == "twice"
    assert enrollments(rt, workflow_id)[0]["status"] == "COMPLETED"


def test_w3_action_due_outside_time_window_waits_for_next_opening_across_dst(autumn: Runtime) -> None:
    rt = autumn
    rt.advance(to="2026-10-22T16:00:00Z")  # Thursday 18:00 CEST: after the window closed
    workflow_id = create_workflow(
        rt,
        workflow(
            SET_NURTURED,
            {"type": "DELAY", "delay": {"days": 1}},
            {"type": "SET_PROPERTY", "property": "nurtured", "value": "again"},
            timeWindows=[{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    assert enrollments(rt, workflow_id)[0]["waitingUntil"] == "2026-10-23T07:00:00.000Z"
    assert "nurtured" not in properties(rt, record)

    rt.advance("P5D")
    # Friday 09:00 CEST is 07:00Z; the one-day delay ends on Saturday 09:00Z, outside every window,
    # so the next action waits for Monday 09:00 CET, which is 08:00Z after the change.
    assert executed_at(rt, workflow_id, "1") == ["2026-10-23T07:00:00.000Z"]
    assert executed_at(rt, workflow_id, "3") == ["2026-10-26T08:00:00.000Z"]
    assert [
        (e["at"], e["actionId"], e["reason"]) for e in log(rt, workflow_id) if e["event"] == "WAITING"
    ] == [
        ("2026-10-22T16:00:00.000Z", "1", "TIME_WINDOW"),
        ("2026-10-24T07:00:00.000Z", "3", "TIME_WINDOW"),
    ]
    assert properties(rt, record)["nurtured"] == "again"


def test_w4_deleted_record_is_removed_from_every_workflow_at_once(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    waiting = [{"type": "DELAY", "delay": {"days": 3}}, SET_NURTURED]
    first, second = create_workflow(rt, workflow(*waiting)), create_workflow(rt, workflow(*waiting))
    record = contact(rt, lifecyclestage="lead")
    other = contact(rt, "other@example.com", lifecyclestage="lead")
    rt.settle()
    assert len(rt.executions("RUNNING")) == 4

    ok(rt.api("DELETE", f"/crm/v3/objects/contacts/{record}"), 204)
    rt.settle()  # no clock movement: "at once"
    for workflow_id in (first, second):
        mine = next(e for e in enrollments(rt, workflow_id) if e["recordId"] == record)
        assert mine["status"] == "UNENROLLED"
        assert events(rt, workflow_id, record)[-1] == ("UNENROLLED", None, "RECORD_DELETED")
    statuses = {e["name"]: e["status"] for e in rt.executions()}
    assert statuses == {
        f"wf{first}-r{record}-e1": "ABORTED",
        f"wf{second}-r{record}-e1": "ABORTED",
        f"wf{first}-r{other}-e1": "RUNNING",
        f"wf{second}-r{other}-e1": "RUNNING",
    }

    rt.advance("P3D")
    assert [e["status"] for e in enrollments(rt, first)] == ["UNENROLLED", "COMPLETED"]
    assert properties(rt, other)["nurtured"] == "true"


def test_w5_rotate_owner_on_new_contact_waits_until_ten_minutes_after_creation(rt: Runtime) -> None:
    rotate = {"type": "ROTATE_OWNER", "ownerIds": ["101", "102"]}
    assert ok(rt.api("GET", "/settings/ownership")) == {"syncContactCompanyOwner": True}
    workflow_id = create_workflow(rt, workflow(rotate))
    fresh = contact(rt, lifecyclestage="lead")
    rt.advance("PT9M59S")
    assert "hubspot_owner_id" not in properties(rt, fresh)
    rt.advance("PT1S")
    assert executed_at(rt, workflow_id, "1") == ["2026-12-01T08:10:00.000Z"]
    assert properties(rt, fresh)["hubspot_owner_id"] == "101"

    # An older contact rotates at once; with owner sync off a new one does too.
    older = contact(rt, "old@example.com", lifecyclestage="subscriber")
    rt.advance("PT10M")
    update(rt, older, lifecyclestage="lead")
    rt.settle()
    assert properties(rt, older)["hubspot_owner_id"] == "102"
    ok(rt.api("PUT", "/settings/ownership", {"syncContactCompanyOwner": False}))
    unsynced = contact(rt, "new@example.com", lifecyclestage="lead")
    rt.settle()
    assert properties(rt, unsynced)["hubspot_owner_id"] == "101"
    assert executed_at(rt, workflow_id, "1", unsynced) == ["2026-12-01T08:20:00.000Z"]


def test_w6_send_email_must_use_an_email_saved_for_automation(rt: Runtime) -> None:
    draft = ok(rt.api("POST", "/marketing/v3/emails", {"name": "D", "subject": "D", "state": "DRAFT"}), 201)[
        "id"
    ]
    sent = ok(
        rt.api("POST", "/marketing/v3/emails", {"name": "P", "subject": "P", "state": "PUBLISHED"}), 201
    )["id"]
    automated = automated_email(rt)
    for email_id, word in ((draft, "draft"), (sent, "already sent")):
        answer = rt.api("POST", "/workflows", workflow({"type": "SEND_EMAIL", "emailId": email_id}))
        assert answer.status == 400
        assert word in answer.json["message"]
    assert ok(rt.api("GET", "/workflows"))["results"] == []

    workflow_id = create_workflow(rt, workflow({"type": "SEND_EMAIL", "emailId": automated}))
    current = ok(rt.api("GET", f"/workflows/{workflow_id}"))
    body = {**workflow({"type": "SEND_EMAIL", "emailId": draft}), "revision": current["revision"]}
    assert rt.api("PUT", f"/workflows/{workflow_id}", body).status == 400
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    assert [(m["emailId"], m["recordId"], m["workflowId"]) for m in rt.outbox()] == [
        (automated, record, workflow_id)
    ]


def test_w7_replayed_stream_batches_messages_and_invocations_run_nothing_twice(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    define_property(rt, "tier")
    email_id = automated_email(rt)
    with webhook_server((200, {"customer": {"tier": "gold"}})) as hook:
        reenroll = {
            **workflow()["enrollment"],
            "reEnrollment": {"enabled": True, "properties": ["lifecyclestage"]},
        }
        workflow_id = create_workflow(
            rt,
            workflow(
                {"type": "DELAY", "delay": {"days": 1}},
                {"type": "SEND_EMAIL", "emailId": email_id},
                {"type": "WEBHOOK", "url": hook.url, "responseMapping": {"customer.tier": "tier"}},
                SET_NURTURED,
                enrollment=reenroll,
            ),
        )
        record = contact(rt, lifecyclestage="subscriber")
        update(rt, record, lifecyclestage="lead")
        rt.settle()

        def deliveries(function: str) -> bool:
            return function in ("RecordsStreamFunction", "StarterFunction") or function.startswith("Action")

        assert replay(rt, deliveries) >= 3  # while the record waits in the delay
        rt.settle()
        rt.advance("P1D")
        assert replay(rt, deliveries) >= 8  # after it finished: every batch, message and invocation
        rt.settle()

        assert len(hook.calls) == 1
        assert hook.calls[0]["headers"]["Idempotency-Key"] == f"wf{workflow_id}-r{record}-e1/3"
    assert len(rt.outbox()) == 1
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["COMPLETED"]
    assert len(rt.executions()) == 1
    assert [e[0] for e in events(rt, workflow_id, record)] == [
        "ENROLLED",
        "DELAY_STARTED",
        "DELAY_ENDED",
        "ACTION_EXECUTED",
        "ACTION_EXECUTED",
        "ACTION_EXECUTED",
        "COMPLETED",
    ]
    assert properties(rt, record)["tier"] == "gold"
    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert (stats["enrolled"], stats["completed"], stats["goal"]["emailed"]) == (1, 1, 1)


def test_w7_transient_webhook_failures_are_retried_with_backoff(rt: Runtime) -> None:
    define_property(rt, "tier")
    define_property(rt, "nurtured")
    with webhook_server((503, {}), (503, {}), (200, {"data": {"tier": "gold", "tags": ["a", "b"]}})) as hook:
        workflow_id = create_workflow(
            rt,
            workflow(
                {"type": "WEBHOOK", "url": hook.url, "responseMapping": {"data.tier": "tier"}}, SET_NURTURED
            ),
        )
        record = contact(rt, lifecyclestage="lead")
        rt.advance("PT5M")
    assert len(hook.calls) == 3
    assert hook.calls[0]["body"]["objectId"] == record
    assert hook.calls[0]["body"]["properties"]["lifecyclestage"] == "lead"
    assert properties(rt, record)["tier"] == "gold"
    assert properties(rt, record)["nurtured"] == "true"
    assert events(rt, workflow_id, record) == [
        ("ENROLLED", None, None),
        ("ACTION_EXECUTED", "1", None),
        ("ACTION_EXECUTED", "2", None),
        ("COMPLETED", None, None),
    ]
    # Backed off: the three calls are spread over (virtual) seconds, not made back to back.
    history = rt.history(rt.executions()[0]["executionArn"])
    failures = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert failures == ["TransientActionError", "TransientActionError", "EnrollmentFinished"]
    assert executed_at(rt, workflow_id, "1")[0] > "2026-12-01T08:00:00.000Z"


def test_w7_permanent_webhook_failure_is_logged_and_record_goes_on(rt: Runtime) -> None:
    define_property(rt, "tier")
    define_property(rt, "nurtured")
    with webhook_server((400, {"error": "bad request"})) as hook:
        workflow_id = create_workflow(
            rt,
            workflow({"type": "WEBHOOK", "url": hook.url, "responseMapping": {"tier": "tier"}}, SET_NURTURED),
        )
        record = contact(rt, lifecyclestage="lead")
        rt.advance("PT5M")
    assert len(hook.calls) == 1
    entries = log(rt, workflow_id, record)
    assert [(e["event"], e["actionId"]) for e in entries] == [
        ("ENROLLED", None),
        ("ERROR", "1"),
        ("ACTION_EXECUTED", "2"),
        ("COMPLETED", None),
    ]
    assert "400" in entries[1]["detail"]["error"]
    assert entries[1]["actionType"] == "WEBHOOK"
    assert "tier" not in properties(rt, record)
    assert properties(rt, record)["nurtured"] == "true"


def test_w7_business_event_delivered_twice_enrolls_once(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    form_trigger = {
        "filterGroups": [],
        "event": {"type": "FORM_SUBMITTED", "formId": "signup"},
        "reEnrollment": {"enabled": True, "properties": []},
    }
    workflow_id = create_workflow(rt, workflow(SET_NURTURED, enrollment=form_trigger))
    record = contact(rt, lifecyclestage="subscriber")
    rt.settle()
    detail = {"objectType": "contacts", "recordId": record, "formId": "signup"}
    entry = {"Source": "crmflow.forms", "DetailType": "FORM_SUBMITTED", "Detail": json.dumps(detail)}
    rt.client("events").put_events(Entries=[{**entry, "EventBusName": rt.env("EVENT_BUS_NAME")}])
    rt.settle()
    envelope = {"id": "evt-1", "source": "crmflow.forms", "detail-type": "FORM_SUBMITTED", "detail": detail}
    queue = rt.env("EVENTS_QUEUE_URL")
    rt.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    rt.settle()
    assert [e[0] for e in events(rt, workflow_id, record)].count(
        "ENROLLED"
    ) == 2  # two events, re-enrollment on

    assert replay(rt, lambda function: function == "EventsFunction") == 2  # both delivered again
    rt.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    rt.settle()
    assert [e[0] for e in events(rt, workflow_id, record)].count("ENROLLED") == 2
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["COMPLETED"]
    assert len(rt.executions()) == 2
