"""Goals G-1 to G-5 and the goal figures of the statistics (L-3), each through the real path: the
API, the records stream, the state machine on moto, the action Lambdas and the EventBridge bus.

The goal of these workflows is ``plan = paid``; they enroll leads.
"""

from typing import Any

import pytest
from crmflow_local.runtime import Runtime
from engine_support import (
    LEAD,
    automated_email,
    contact,
    create_workflow,
    define_property,
    enrollments,
    events,
    log,
    ok,
    properties,
    replay,
    update,
    workflow,
)

PAID = {"filterGroups": [{"filters": [{"propertyName": "plan", "operator": "EQ", "value": "paid"}]}]}
SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}


@pytest.fixture
def email_id(rt: Runtime) -> str:
    define_property(rt, "plan")
    define_property(rt, "nurtured")
    return automated_email(rt)


def stats(rt: Runtime, workflow_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))


def goal_figures(rt: Runtime, workflow_id: str) -> dict[str, Any]:
    return stats(rt, workflow_id)["goal"]


def edit(rt: Runtime, workflow_id: str, **fields: Any) -> None:
    current = ok(rt.api("GET", f"/workflows/{workflow_id}"))
    body = {
        key: value for key, value in current.items() if key not in ("id", "enabled", "createdAt", "updatedAt")
    }
    ok(rt.api("PUT", f"/workflows/{workflow_id}", {**body, **fields}))


def emailed_to(rt: Runtime) -> list[str]:
    return [mail["recordId"] for mail in rt.outbox()]


def goal_met(rt: Runtime, workflow_id: str, record_id: str) -> list[dict[str, Any]]:
    return [e for e in log(rt, workflow_id, record_id) if e["event"] == "GOAL_MET"]


def nurture_with_goal(rt: Runtime, email_id: str) -> str:
    """Wait 1 hour, email, wait 1 day, tag: a record can meet the goal before or after its email."""
    return create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"hours": 1}},
            {"type": "SEND_EMAIL", "emailId": email_id},
            {"type": "DELAY", "delay": {"days": 1}},
            SET_NURTURED,
            goal=PAID,
        ),
    )


# ---------------------------------------------------------------- G-1
def test_g1_record_meeting_goal_while_waiting_in_delay_is_unenrolled_before_next_action(
    rt: Runtime, email_id: str
) -> None:
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 2}}, {"type": "SEND_EMAIL", "emailId": email_id}, goal=PAID
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.advance("P1D")
    assert stats(rt, workflow_id)["waiting"] == {"1": 1}
    update(rt, record, plan="paid")
    rt.settle()

    assert events(rt, workflow_id, record) == [
        ("ENROLLED", None, None),
        ("DELAY_STARTED", "1", None),
        ("GOAL_MET", None, None),
        ("UNENROLLED", None, "GOAL"),
    ]
    assert goal_met(rt, workflow_id, record)[0]["detail"] == {"counted": False}  # never emailed
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["UNENROLLED"]
    assert stats(rt, workflow_id)["waiting"] == {}
    rt.advance("P2D")
    assert emailed_to(rt) == []  # the next action never ran
    assert len(events(rt, workflow_id, record)) == 4
    assert [e["status"] for e in rt.executions()] == ["ABORTED"]


def test_g1_goal_edited_to_match_a_waiting_record_unenrolls_it_before_its_next_action(
    rt: Runtime, email_id: str
) -> None:
    """No record change: the step gate finds the goal met when the delay ends."""
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 2}}, {"type": "SEND_EMAIL", "emailId": email_id}, goal=PAID
        ),
    )
    record = contact(rt, lifecyclestage="lead", plan="trial")
    rt.advance("P1D")
    edit(
        rt,
        workflow_id,
        goal={"filterGroups": [{"filters": [{"propertyName": "plan", "operator": "EQ", "value": "trial"}]}]},
    )
    rt.settle()
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["ACTIVE"]

    rt.advance("P1D")
    assert events(rt, workflow_id, record)[-2:] == [("GOAL_MET", None, None), ("UNENROLLED", None, "GOAL")]
    assert goal_met(rt, workflow_id, record)[0]["at"] == "2026-12-03T08:00:00.000Z"  # when the delay ended
    assert emailed_to(rt) == []
    assert [e["status"] for e in rt.executions()] == ["SUCCEEDED"]


# ---------------------------------------------------------------- G-2
def test_g2_record_already_meeting_goal_is_not_enrolled_and_does_not_count(
    rt: Runtime, email_id: str
) -> None:
    workflow_id = nurture_with_goal(rt, email_id)
    paid = contact(rt, "paid@example.com", lifecyclestage="lead", plan="paid")
    rt.advance("P2D")

    assert enrollments(rt, workflow_id) == []
    assert log(rt, workflow_id, paid) == []
    assert rt.executions() == []
    figures = stats(rt, workflow_id)
    assert (figures["enrolled"], figures["active"], figures["unenrolled"]) == (0, 0, 0)
    assert figures["goal"] == {"met": 0, "emailed": 0, "conversionRate": 0.0}

    manual = rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": paid})
    assert manual.status == 400
    assert paid in manual.json["message"] and "goal" in manual.json["message"]
    assert enrollments(rt, workflow_id) == []


# ---------------------------------------------------------------- G-3
def test_g3_conversion_counts_emailed_records_meeting_goal_while_enrolled_or_after_finishing(
    rt: Runtime, email_id: str
) -> None:
    workflow_id = nurture_with_goal(rt, email_id)
    during = contact(rt, "during@example.com", lifecyclestage="lead")
    after = contact(rt, "after@example.com", lifecyclestage="lead")
    never = contact(rt, "never@example.com", lifecyclestage="lead")
    unemailed = contact(rt, "unemailed@example.com", lifecyclestage="lead")
    rt.advance("PT30M")
    update(rt, unemailed, plan="paid")  # meets the goal before its email: goal met, not a conversion
    rt.advance("PT1H")
    assert sorted(emailed_to(rt)) == sorted([during, after, never])

    update(rt, during, plan="paid")  # while enrolled (waiting in the second delay)
    rt.advance("P1D")
    assert {e["recordId"]: e["status"] for e in enrollments(rt, workflow_id)} == {
        during: "UNENROLLED",
        after: "COMPLETED",
        never: "COMPLETED",
        unemailed: "UNENROLLED",
    }
    assert "nurtured" not in properties(rt, during)
    update(rt, after, plan="paid")  # any time after finishing the workflow
    rt.advance("P10D")

    assert goal_figures(rt, workflow_id) == {"met": 2, "emailed": 3, "conversionRate": pytest.approx(2 / 3)}
    assert [e["detail"] for e in goal_met(rt, workflow_id, unemailed)] == [{"counted": False}]
    assert [e["detail"] for e in goal_met(rt, workflow_id, during)] == [{"counted": True}]
    assert [e["detail"] for e in goal_met(rt, workflow_id, after)] == [
        {"counted": True, "status": "COMPLETED"}
    ]
    assert events(rt, workflow_id, after)[-2:] == [("COMPLETED", None, None), ("GOAL_MET", None, None)]

    # counted once: more changes, and the whole records stream delivered again (W-7)
    update(rt, during, nurtured="later")
    update(rt, after, plan="paid", nurtured="again")
    assert replay(rt, lambda function: function == "RecordsStreamFunction") > 0
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 2, "emailed": 3, "conversionRate": pytest.approx(2 / 3)}
    assert len(goal_met(rt, workflow_id, after)) == 1


def test_g3_re_enrolled_record_counts_once_as_emailed(rt: Runtime, email_id: str) -> None:
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "SEND_EMAIL", "emailId": email_id},
            goal=PAID,
            enrollment={**LEAD, "reEnrollment": {"enabled": True, "properties": ["lifecyclestage"]}},
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    update(rt, record, lifecyclestage="subscriber")
    update(rt, record, lifecyclestage="lead")  # enrolls again and is emailed again
    rt.settle()
    assert emailed_to(rt) == [record, record]
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 1, "conversionRate": 0.0}
    update(rt, record, plan="paid")
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 1, "emailed": 1, "conversionRate": 1.0}


# ---------------------------------------------------------------- G-4
def test_g4_deleting_every_goal_criterion_resets_count_and_rate_editing_does_not(
    rt: Runtime, email_id: str
) -> None:
    workflow_id = create_workflow(rt, workflow({"type": "SEND_EMAIL", "emailId": email_id}, goal=PAID))
    converted = contact(rt, "c@example.com", lifecyclestage="lead")
    waiting = contact(rt, "w@example.com", lifecyclestage="lead")
    rt.settle()
    update(rt, converted, plan="paid")
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 1, "emailed": 2, "conversionRate": 0.5}

    edited = {
        "filterGroups": [{"filters": [{"propertyName": "plan", "operator": "IN", "values": ["paid", "pro"]}]}]
    }
    edit(rt, workflow_id, goal=edited)  # editing a criterion
    added = {
        "filterGroups": [
            *edited["filterGroups"],
            {"filters": [{"propertyName": "nurtured", "operator": "HAS_PROPERTY"}]},
        ]
    }
    edit(rt, workflow_id, goal=added)  # adding one
    assert goal_figures(rt, workflow_id) == {"met": 1, "emailed": 2, "conversionRate": 0.5}

    edit(rt, workflow_id, goal=None)  # deleting every criterion
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 0, "conversionRate": 0.0}

    edit(rt, workflow_id, goal=PAID)  # a new goal: records emailed before the reset do not count
    update(rt, waiting, plan="paid")
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 0, "conversionRate": 0.0}
    fresh = contact(rt, "f@example.com", lifecyclestage="lead")
    between = contact(rt, "b@example.com", lifecyclestage="lead")
    rt.settle()
    update(rt, fresh, plan="paid")
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 1, "emailed": 2, "conversionRate": 0.5}

    edit(rt, workflow_id, goal={"filterGroups": []})  # empty filterGroups is no criterion either
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 0, "conversionRate": 0.0}
    edit(rt, workflow_id, goal={"filterGroups": []})  # nothing left to delete: nothing resets
    later = contact(rt, "l@example.com", lifecyclestage="lead")
    rt.settle()
    assert emailed_to(rt)[-1] == later
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 1, "conversionRate": 0.0}
    edit(rt, workflow_id, goal=PAID)  # a second reset at the same instant is a period of its own
    update(rt, between, plan="paid")
    update(rt, later, plan="paid")
    rt.settle()
    assert goal_figures(rt, workflow_id) == {"met": 1, "emailed": 1, "conversionRate": 1.0}


# ---------------------------------------------------------------- G-5
def test_g5_goal_achieved_trigger_enrolls_records_counting_toward_the_goal_conversion(
    rt: Runtime, email_id: str
) -> None:
    goal_workflow = nurture_with_goal(rt, email_id)
    achieved = {"filterGroups": [], "event": {"type": "GOAL_ACHIEVED", "workflowId": goal_workflow}}
    follow_up = create_workflow(
        rt,
        workflow({"type": "SET_PROPERTY", "property": "nurtured", "value": "customer"}, enrollment=achieved),
    )
    unemailed = contact(rt, "u@example.com", lifecyclestage="lead")
    during = contact(rt, "d@example.com", lifecyclestage="lead")
    after = contact(rt, "a@example.com", lifecyclestage="lead")
    rt.advance("PT30M")
    update(rt, unemailed, plan="paid")  # meets the goal, but does not count toward the conversion
    rt.advance("PT1H")
    update(rt, during, plan="paid")
    rt.advance("P2D")
    update(rt, after, plan="paid")
    rt.settle()

    assert goal_figures(rt, goal_workflow)["met"] == 2
    assert sorted(e["recordId"] for e in enrollments(rt, follow_up, "COMPLETED")) == sorted([during, after])
    assert properties(rt, during)["nurtured"] == "customer"
    assert properties(rt, after)["nurtured"] == "customer"
    assert "nurtured" not in properties(rt, unemailed)
    assert events(rt, follow_up, during) == [
        ("ENROLLED", None, None),
        ("ACTION_EXECUTED", "1", None),
        ("COMPLETED", None, None),
    ]

    replay(rt, lambda function: function == "RecordsStreamFunction")  # counted and published once
    rt.settle()
    assert [e[0] for e in events(rt, follow_up, after)].count("ENROLLED") == 1


# ---------------------------------------------------------------- L-3
def test_l3_stats_show_goal_met_emailed_and_conversion_rate(rt: Runtime, email_id: str) -> None:
    workflow_id = create_workflow(rt, workflow({"type": "SEND_EMAIL", "emailId": email_id}, goal=PAID))
    assert goal_figures(rt, workflow_id) == {"met": 0, "emailed": 0, "conversionRate": 0.0}
    records = [contact(rt, f"r{n}@example.com", lifecyclestage="lead") for n in range(4)]
    rt.settle()
    update(rt, records[0], plan="paid")
    rt.settle()
    figures = stats(rt, workflow_id)
    assert figures["completed"] == 4
    assert figures["goal"] == {"met": 1, "emailed": 4, "conversionRate": 0.25}
