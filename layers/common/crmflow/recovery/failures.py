"""Mark an enrollment FAILED when its execution fails, and resume it on request (exactly once: only
the failed step runs again; the steps before it had finished and are not repeated).

The state machine catches every error its Step task raises (after retrying the transient ones) and
hands the state to :func:`on_step_failed`; an execution that dies some other way (stopped by hand,
timed out) reaches :func:`on_execution_ended` through EventBridge.
"""

import json
from typing import Any

from botocore.exceptions import ClientError

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.engine import enroll as enrolling
from crmflow.engine import store
from crmflow.engine.models import Enrollment, Event, Status, StepState
from crmflow.errors import Conflict, NotFound
from crmflow.workflows import store as workflows

MAX_ERROR_TEXT = 500


def _summary(error: str, cause: str) -> str:
    """The failure as the log shows it: the error type and the Lambda's message, not its stack."""
    message = cause
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict):
            message = str(parsed.get("errorMessage") or parsed.get("errorType") or cause)
    except (TypeError, ValueError):
        pass
    return f"{error}: {message}"[:MAX_ERROR_TEXT]


def fail(enrollment: Enrollment, state: StepState, error: str, cause: str) -> bool:
    """End ``enrollment`` FAILED at ``state``'s action, logged; False when it had moved on already."""
    if enrollment.status != Status.ACTIVE or enrollment.enrollmentId != state.enrollmentId:
        return False
    if enrollment.run != state.run:  # a live edit restarted it in a newer execution
        return False
    store.release_claim(state.workflowId, state.recordId, state.step)  # the failed step may run again
    if not store.fail_enrollment(enrollment, state.actionId, state.model_dump_json()):
        return False
    workflow = workflows.get(enrollment.workflowId)
    if workflow is not None:
        action = workflow.definition.action(state.actionId)
        enrolling.log(
            workflow,
            enrollment.recordId,
            Event.ERROR,
            actionId=state.actionId,
            actionType=str(action.type) if action else None,
            error=_summary(error, cause),
            enrollmentFailed=True,
        )
    return True


def on_step_failed(payload: dict[str, Any]) -> bool:
    """The state machine's catch-all: the step's state plus ``failure: {Error, Cause}``."""
    failure = payload.get("failure") or {}
    state = StepState.model_validate({k: v for k, v in payload.items() if k != "failure"})
    enrollment = store.get_enrollment(state.workflowId, state.recordId)
    if enrollment is None:
        return False
    return fail(enrollment, state, str(failure.get("Error", "Error")), str(failure.get("Cause", "")))


def on_execution_ended(execution_input: str, status: str, run: int) -> bool:
    """An execution that ended FAILED, TIMED_OUT or ABORTED without its enrollment ending: the record
    is FAILED at its current action (an execution we stopped ourselves has moved its enrollment on)."""
    first = StepState.model_validate_json(execution_input)
    enrollment = store.get_enrollment(first.workflowId, first.recordId)
    if enrollment is None or enrollment.run != run or enrollment.status != Status.ACTIVE:
        return False
    at = enrollment.currentActionId or first.actionId
    workflow = workflows.get(first.workflowId)
    action = workflow.definition.action(at) if workflow else None
    # the step number is unknown: a fresh one, so the retry claims anew
    state = first.model_copy(
        update={
            "actionId": at,
            "function": enrolling.function_for(action) if action else first.function,
            "step": 1_000_000 + int(clock.now().timestamp()) % 1_000_000,
            "run": run,
            "delayActionId": None,
            "delayStartedAt": None,
        }
    )
    return fail(
        enrollment, state, f"Execution{status.title().replace('_', '')}", f"the execution ended {status}"
    )


def retry(workflow_id: str, record_id: str) -> dict[str, Any]:
    """Resume a FAILED enrollment from its failed step in a new execution run."""
    if workflows.get(workflow_id) is None:
        raise NotFound(f"workflow {workflow_id} does not exist")
    enrollment = store.get_enrollment(workflow_id, record_id)
    if enrollment is None:
        raise NotFound(f"record {record_id} has no enrollment in workflow {workflow_id}")
    if enrollment.status != Status.FAILED or not enrollment.failedState:
        raise Conflict(f"recordId: the enrollment of {record_id} is {enrollment.status.value}, not FAILED")
    if not store.reopen_failed(enrollment):
        raise Conflict(f"recordId: the enrollment of {record_id} changed; read it again")
    run = enrollment.run + 1
    state = StepState.model_validate_json(enrollment.failedState)
    state = state.model_copy(update={"run": run, "wakeAt": clock.iso(clock.now())})
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().enrollment_state_machine_arn,
            name=enrolling.execution_name(enrollment.enrollmentId, run),
            input=state.model_dump_json(),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
    reopened = store.get_enrollment(workflow_id, record_id)
    return (reopened or enrollment).body()
