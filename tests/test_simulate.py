"""Test mode's simulation (``crmflow.workflow_admin.simulate``) as a pure function: no moto, no clock."""

from datetime import UTC, datetime
from typing import Any

import pytest
from crmflow.records.models import Record
from crmflow.workflow_admin.simulate import Account, simulate
from crmflow.workflows.models import WorkflowDefinition
from crmflow.workflows.store import StoredWorkflow
from engine_support import chain

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday, 09:00 in Oslo
LEAD = [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]


def stored(*actions: dict[str, Any], enabled: bool = True, **fields: Any) -> StoredWorkflow:
    definition = {
        "name": "Unit",
        "objectType": "contacts",
        "timeZone": "Europe/Oslo",
        "enrollment": {"filterGroups": LEAD},
        "startActionId": "1" if actions else None,
        "actions": chain(*actions),
        **fields,
    }
    return StoredWorkflow(
        id="7",
        revision=1,
        enabled=enabled,
        createdAt="2026-11-01T00:00:00.000Z",
        updatedAt="2026-11-01T00:00:00.000Z",
        definition=WorkflowDefinition.model_validate(definition),
    )


def contact(created: str = "2026-11-01T00:00:00.000Z", **properties: str) -> Record:
    return Record(
        id="42",
        properties={"email": "a@example.com", **properties},
        createdAt=created,
        updatedAt=created,
    )


def path(answer: Any) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (s.at[11:16], s.event.value, s.actionId, s.reason.value if s.reason else None) for s in answer.steps
    ]


SET = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}


def test_w1_off_skips_every_action_but_delays_and_if_then_routes() -> None:
    workflow = stored(
        {"type": "DELAY", "delay": {"hours": 1}},
        {"type": "IF_THEN", "branches": [{"filterGroups": LEAD, "next": "3"}]},
        SET,
    )
    answer = simulate(workflow, contact(lifecyclestage="lead"), START, 1, Account(), enabled=False)
    assert path(answer) == [
        ("08:00", "DELAY_STARTED", "1", None),
        ("09:00", "DELAY_ENDED", "1", None),
        ("09:00", "ACTION_EXECUTED", "2", None),
        ("09:00", "ACTION_SKIPPED", "3", "WORKFLOW_OFF"),
        ("09:00", "COMPLETED", None, None),
    ]
    assert "nurtured" not in answer.properties


def test_a_branch_sees_what_an_earlier_action_set_and_a_trailing_delay_holds_then_completes() -> None:
    workflow = stored(
        {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "lead"},
        {"type": "IF_THEN", "branches": [{"filterGroups": LEAD, "next": "3"}], "defaultNext": None},
        {"type": "DELAY", "delay": {"minutes": 30}},
    )
    answer = simulate(workflow, contact(lifecyclestage="subscriber"), START, 1, Account())
    assert path(answer) == [
        ("08:00", "ACTION_EXECUTED", "1", None),
        ("08:00", "ACTION_EXECUTED", "2", None),
        ("08:00", "DELAY_STARTED", "3", None),
        ("08:30", "DELAY_ENDED", "3", None),
        ("08:30", "COMPLETED", None, None),
    ]
    assert answer.steps[1].branch == 0
    assert answer.steps[1].detail == {"branch": 0}


def test_g1_the_goal_is_checked_before_each_action_and_g2_blocks_enrollment() -> None:
    goal = {"filterGroups": [{"filters": [{"propertyName": "nurtured", "operator": "EQ", "value": "true"}]}]}
    workflow = stored(SET, {"type": "DELAY", "delay": {"days": 1}}, goal=goal)
    answer = simulate(workflow, contact(), START, 5, Account())
    assert path(answer) == [("08:00", "ACTION_EXECUTED", "1", None), ("08:00", "GOAL_MET", None, None)]
    assert answer.outcome == "GOAL_MET"

    blocked = simulate(workflow, contact(nurtured="true"), START, 5, Account())
    assert (blocked.outcome, blocked.reason, blocked.steps) == ("NOT_ENROLLED", "GOAL", [])


def test_the_horizon_includes_a_step_due_at_its_end_and_stops_before_a_later_one() -> None:
    workflow = stored(
        {"type": "DELAY", "delay": {"days": 1}}, SET, {"type": "DELAY", "delay": {"days": 1}}, SET
    )
    answer = simulate(workflow, contact(), START, 1, Account())
    assert [s.event.value for s in answer.steps] == [
        "DELAY_STARTED",
        "DELAY_ENDED",
        "ACTION_EXECUTED",
        "DELAY_STARTED",
    ]
    assert (answer.outcome, answer.currentActionId, answer.waitingUntil) == (
        "STILL_RUNNING",
        "3",
        "2026-12-03T08:00:00.000Z",
    )


@pytest.mark.parametrize(("sync", "runs_at"), [(True, "08:10"), (False, "08:00")])
def test_w5_rotate_owner_on_a_new_contact_waits_ten_minutes(sync: bool, runs_at: str) -> None:
    workflow = stored({"type": "ROTATE_OWNER", "ownerIds": ["101", "102", "103"]})
    account = Account(owner_sync=sync, rotation_turn=lambda action_id: 4)
    answer = simulate(workflow, contact(created="2026-12-01T08:00:00.000Z"), START, 1, account)
    executed = [s for s in answer.steps if s.event == "ACTION_EXECUTED"]
    assert [(s.at[11:16], s.detail) for s in executed] == [(runs_at, {"ownerId": "102"})]
    assert answer.properties["hubspot_owner_id"] == "102"


def test_windows_and_pause_dates_make_actions_wait_delay_until_reads_the_property() -> None:
    workflow = stored(
        {"type": "DELAY_UNTIL", "untilProperty": "renewal"},
        SET,
        pauseDates=["2026-12-07"],
        timeWindows=[{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
    )
    account = Account(property_types={"renewal": "date"})
    answer = simulate(workflow, contact(renewal="2026-12-05"), START, 30, account)
    # Saturday 00:00 in Oslo; no window at the weekend; Monday is a pause date: Tuesday 09:00.
    assert [(s.at, s.event.value, s.reason) for s in answer.steps] == [
        ("2026-12-01T08:00:00.000Z", "DELAY_STARTED", None),
        ("2026-12-04T23:00:00.000Z", "DELAY_ENDED", None),
        ("2026-12-04T23:00:00.000Z", "WAITING", "TIME_WINDOW"),
        ("2026-12-08T08:00:00.000Z", "ACTION_EXECUTED", None),
        ("2026-12-08T08:00:00.000Z", "COMPLETED", None),
    ]


def test_outside_actions_are_simulated_and_a_missing_email_is_an_error() -> None:
    workflow = stored(
        {"type": "WEBHOOK", "url": "http://127.0.0.1:9/hook", "responseMapping": {"a.b": "tier"}},
        {"type": "SEND_EMAIL", "emailId": "5"},
        {"type": "ENROLL_IN_WORKFLOW", "workflowId": "8"},
        {"type": "CREATE_RECORD", "objectType": "contacts", "properties": {"lifecyclestage": "lead"}},
    )
    answer = simulate(workflow, contact(), START, 1, Account(email_state=lambda email_id: None))
    assert [(s.event.value, s.reason) for s in answer.steps] == [
        ("ACTION_EXECUTED", None),
        ("ERROR", None),
        ("ERROR", None),
        ("ACTION_SKIPPED", "INFINITE_LOOP"),
        ("COMPLETED", None),
    ]
    assert answer.steps[0].detail == {
        "simulated": True,
        "url": "http://127.0.0.1:9/hook",
        "method": "POST",
        "unmapped": ["tier"],
    }
    assert answer.steps[1].detail == {"error": "email 5 is not a marketing email saved for automation"}
    assert answer.steps[2].detail == {"error": "workflow 8 does not exist"}


def test_days_must_be_one_to_366() -> None:
    with pytest.raises(ValueError, match="days"):
        simulate(stored(SET), contact(), START, 0, Account())


def test_e6_a_record_on_a_suppression_list_would_not_enroll() -> None:
    answer = simulate(stored(SET), contact(), START, 1, Account(suppressed=lambda record: True))
    assert (answer.outcome, answer.reason, answer.steps) == ("NOT_ENROLLED", "SUPPRESSED", [])
