"""The workflow log and statistics, L-1 to L-3, read back through the API."""

from crmflow_local.runtime import Runtime
from engine_support import (
    automated_email,
    contact,
    create_workflow,
    define_property,
    enrollments,
    events,
    log,
    ok,
    update,
    workflow,
)

SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}


def test_l1_every_step_is_logged_and_readable_per_workflow_and_per_record(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    email_id = automated_email(rt)
    rt.advance(to="2026-12-01T17:00:00Z")  # 18:00 in Oslo: the window has closed
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"hours": 1}},
            {"type": "SEND_EMAIL", "emailId": email_id},
            {"type": "SET_PROPERTY", "property": "undefined_property", "value": "x"},
            SET_NURTURED,
            timeWindows=[{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
        ),
    )
    runner = contact(rt, "r@example.com", lifecyclestage="lead")
    leaver = contact(rt, "l@example.com", lifecyclestage="lead")
    rt.settle()
    ok(rt.api("DELETE", f"/workflows/{workflow_id}/enrollments/{leaver}"), 204)
    rt.advance("P1D")

    assert events(rt, workflow_id, runner) == [
        ("ENROLLED", None, None),
        ("DELAY_STARTED", "1", None),
        ("DELAY_ENDED", "1", None),
        ("WAITING", "2", "TIME_WINDOW"),
        ("ACTION_EXECUTED", "2", None),
        ("ERROR", "3", None),
        ("ACTION_EXECUTED", "4", None),
        ("COMPLETED", None, None),
    ]
    assert events(rt, workflow_id, leaver) == [
        ("ENROLLED", None, None),
        ("DELAY_STARTED", "1", None),
        ("UNENROLLED", None, "MANUAL"),
    ]
    entries = log(rt, workflow_id, runner)
    assert set(entries[0]) >= {"at", "recordId", "event", "actionId", "actionType", "reason"}
    executed = [e for e in entries if e["event"] == "ACTION_EXECUTED"]
    assert [(e["at"], e["actionType"]) for e in executed] == [
        ("2026-12-02T08:00:00.000Z", "SEND_EMAIL"),
        ("2026-12-02T08:00:00.000Z", "SET_PROPERTY"),
    ]
    assert "undefined_property" in entries[5]["detail"]["error"]

    # The whole workflow's log, in time order, a page at a time.
    everything = log(rt, workflow_id)
    assert len(everything) == 11
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)
    pages, after = [], None
    while True:
        query = {"limit": "4"} | ({"after": after} if after else {})
        page = ok(rt.api("GET", f"/workflows/{workflow_id}/log", query=query))
        pages.append(page["results"])
        after = (page.get("paging") or {}).get("next", {}).get("after")
        if not after:
            break
    assert [len(p) for p in pages] == [4, 4, 3]
    assert [e for p in pages for e in p] == everything


def test_l2_log_keeps_detail_180_days_then_summary_until_two_years(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow(SET_NURTURED))
    first = contact(rt, "first@example.com", lifecyclestage="lead")
    rt.advance("P100D")
    second = contact(rt, "second@example.com", lifecyclestage="lead")
    rt.settle()
    full = log(rt, workflow_id, first)
    assert [e["event"] for e in full] == ["ENROLLED", "ACTION_EXECUTED", "COMPLETED"]
    assert full[1]["detail"] == {"property": "nurtured", "value": "true"}

    rt.advance("P81D")  # the first record's entries are 181 days old, the second's 81
    assert log(rt, workflow_id, first) == [
        {"recordId": first, "event": "ENROLLED", "actionType": None},
        {"recordId": first, "event": "ACTION_EXECUTED", "actionType": "SET_PROPERTY"},
        {"recordId": first, "event": "COMPLETED", "actionType": None},
    ]
    assert log(rt, workflow_id, second)[1]["detail"] == {"property": "nurtured", "value": "true"}
    assert [(e["recordId"], "at" in e) for e in log(rt, workflow_id)] == [(first, False)] * 3 + [
        (second, True)
    ] * 3

    rt.advance(to="2028-12-01T08:00:01Z")  # two years (731 days, a leap year) after the first run
    assert log(rt, workflow_id, first) == []
    assert [set(e) for e in log(rt, workflow_id)] == [{"recordId", "event", "actionType"}] * 3
    rt.advance("P100D")
    assert log(rt, workflow_id) == []

    # Enrollment history is kept for good: it still backs "enroll only the first time" (E-3).
    assert sorted(e["recordId"] for e in enrollments(rt, workflow_id, "COMPLETED")) == sorted([first, second])
    update(rt, first, lifecyclestage="subscriber")
    update(rt, first, lifecyclestage="lead")
    rt.settle()
    assert log(rt, workflow_id) == []
    assert len(enrollments(rt, workflow_id)) == 2


def test_l3_stats_count_waiting_per_action_with_time_left_and_outcomes(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 2}}, {"type": "DELAY", "delay": {"hours": 6}}, SET_NURTURED
        ),
    )
    early = contact(rt, "early@example.com", lifecyclestage="lead")
    rt.advance("P1D")
    late = contact(rt, "late@example.com", lifecyclestage="lead")
    leaver = contact(rt, "leaver@example.com", lifecyclestage="lead")
    rt.advance("PT12H")
    ok(rt.api("DELETE", f"/workflows/{workflow_id}/enrollments/{leaver}"), 204)

    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert (stats["enrolled"], stats["active"], stats["completed"], stats["unenrolled"]) == (3, 2, 0, 1)
    assert stats["waiting"] == {"1": 2}
    left = {entry["recordId"]: entry["secondsLeft"] for entry in stats["timeLeft"]["1"]}
    assert left == {early: 12 * 3600, late: 36 * 3600}

    rt.advance("PT15H")  # early: 3 h left in the second delay; late: 21 h left in the first
    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert stats["waiting"] == {"1": 1, "2": 1}
    assert {e["recordId"]: e["secondsLeft"] for e in stats["timeLeft"]["1"]} == {late: 21 * 3600}
    assert {e["recordId"]: e["secondsLeft"] for e in stats["timeLeft"]["2"]} == {early: 3 * 3600}
    assert (stats["active"], stats["completed"]) == (2, 0)

    rt.advance("P2D")
    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert (stats["enrolled"], stats["active"], stats["completed"], stats["unenrolled"]) == (3, 0, 2, 1)
    assert stats["waiting"] == {}
    assert stats["goal"] == {"met": 0, "emailed": 0, "conversionRate": 0.0}
