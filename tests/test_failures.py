"""Failure is visible and recoverable (issue 10): an unexpected error in an action, or an execution
that dies, ends the enrollment FAILED with an ERROR log entry; retry resumes it from the failed step,
and the steps before it do not run again. Through the real path: API, stream, state machine on moto,
action Lambdas, the failure Lambda."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from crmflow.engine import actions
from crmflow.engine.steps import Context, Outcome
from crmflow_local.runtime import Runtime
from engine_support import contact, create_workflow, define_property, enrollments, log, ok, workflow

SET = {"type": "SET_PROPERTY", "property": "nurtured", "value": "yes"}


@pytest.fixture
def broken_action_2(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bool]]:
    """SET_PROPERTY action "2" fails with an unexpected error (a bug) until ``fixed`` is set."""
    state = {"fixed": False}
    real = actions.EXECUTORS["SET_PROPERTY"]

    def flaky(ctx: Context) -> Outcome:
        if ctx.action.id == "2" and not state["fixed"]:
            raise RuntimeError("boom: an unexpected bug")
        return real(ctx)

    monkeypatch.setitem(actions.EXECUTORS, "SET_PROPERTY", flaky)
    yield state


def _executed(rt: Runtime, workflow_id: str, record: str) -> list[str]:
    return [e["actionId"] for e in log(rt, workflow_id, record) if e["event"] == "ACTION_EXECUTED"]


def test_unexpected_error_ends_the_enrollment_failed_and_retry_resumes_once(
    rt: Runtime, broken_action_2: dict[str, bool]
) -> None:
    define_property(rt, "nurtured")
    steps = ({**SET, "value": "1"}, {**SET, "value": "2"}, {**SET, "value": "3"})
    workflow_id = create_workflow(rt, workflow(*steps))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()

    [enrollment] = enrollments(rt, workflow_id)
    assert (enrollment["status"], enrollment["currentActionId"]) == ("FAILED", "2")
    errors = [e for e in log(rt, workflow_id, record) if e["event"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["actionId"] == "2" and errors[0]["actionType"] == "SET_PROPERTY"
    assert "boom: an unexpected bug" in errors[0]["detail"]["error"]
    assert ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))["failed"] == 1
    assert [e["status"] for e in rt.executions()] == ["FAILED"]
    assert _executed(rt, workflow_id, record) == ["1"]

    broken_action_2["fixed"] = True
    retried = ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments/{record}/retry"))
    assert retried["status"] == "ACTIVE"
    rt.settle()
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["COMPLETED"]
    assert _executed(rt, workflow_id, record) == ["1", "2", "3"]  # action 1 did not run again
    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert (stats["failed"], stats["completed"]) == (0, 1)
    again = rt.api("POST", f"/workflows/{workflow_id}/enrollments/{record}/retry")
    assert again.status == 409 and "COMPLETED" in again.json["message"]


def test_retry_of_an_unknown_or_active_enrollment_is_4xx(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 1}}, SET))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    active = rt.api("POST", f"/workflows/{workflow_id}/enrollments/{record}/retry")
    assert active.status == 409 and "ACTIVE" in active.json["message"]
    assert rt.api("POST", f"/workflows/{workflow_id}/enrollments/999/retry").status == 404
    assert rt.api("POST", f"/workflows/999/enrollments/{record}/retry").status == 404


def _status_change(rt: Runtime, execution: dict[str, Any], status: str) -> dict[str, Any]:
    """The EventBridge event AWS sends when an execution ends (as the rule in template.yaml gets it)."""
    described = rt.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    return {
        "version": "0",
        "id": "evt-1",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution["name"],
            "status": status,
            "input": described["input"],
        },
    }


def test_a_dead_execution_fails_its_enrollment_and_retry_resumes_it(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"hours": 1}}, SET))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    [execution] = rt.executions()
    sfn = rt.client("stepfunctions")
    sfn.stop_execution(executionArn=execution["executionArn"], cause="stopped by an operator")
    rt.invoke("EnrollmentFailedFunction", _status_change(rt, execution, "ABORTED"))
    [enrollment] = enrollments(rt, workflow_id)
    assert enrollment["status"] == "FAILED"
    [error] = [e for e in log(rt, workflow_id, record) if e["event"] == "ERROR"]
    assert "ABORTED" in error["detail"]["error"]

    ok(rt.api("POST", f"/workflows/{workflow_id}/enrollments/{record}/retry"))
    rt.advance("PT2H")
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["COMPLETED"]
    assert ok(rt.api("GET", f"/crm/v3/objects/contacts/{record}"))["properties"]["nurtured"] == "yes"


def test_an_execution_we_stopped_ourselves_does_not_fail_the_enrollment(rt: Runtime) -> None:
    """Unenrolling stops the execution; its ABORTED event must not turn the record FAILED."""
    define_property(rt, "nurtured")
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"hours": 1}}, SET))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    [execution] = rt.executions()
    ok(rt.api("DELETE", f"/workflows/{workflow_id}/enrollments/{record}"))
    answer = rt.invoke("EnrollmentFailedFunction", _status_change(rt, execution, "ABORTED"))
    assert answer == {"failed": False}
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["UNENROLLED"]
    assert json.dumps(log(rt, workflow_id, record)).count('"ERROR"') == 0


@pytest.mark.parametrize(
    ("delay", "words"),
    [
        ({"days": 99999999999}, "365"),
        ({"days": 300, "hours": 24 * 70}, "365 days"),
        ({"minutes": -1}, "greater than or equal to 0"),
        ({"days": 1, "businessHours": True}, "give hours, not days"),
    ],
)
def test_delays_are_bounded_when_saved(rt: Runtime, delay: dict[str, Any], words: str) -> None:
    """A delay a Wait state cannot hold (or an overflowing one) is a 400 at save, never a stuck record."""
    answer = rt.api("POST", "/workflows", workflow({"type": "DELAY", "delay": delay}))
    assert answer.status == 400, answer.body
    assert "actions[0]" in answer.json["message"] and words in answer.json["message"]
    assert ok(rt.api("GET", "/workflows"))["results"] == []
