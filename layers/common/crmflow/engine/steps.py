"""One step of an enrollment's execution: the gate, then the action (SPEC 3, "Running").

Every action Lambda runs :func:`run_step`. Against the *current* definition it checks that the
enrollment is still active (unenrolled records stop), the record exists (W-4), the action still
exists (W-11), the workflow is on (W-1), and the pause dates and time windows (W-2, W-3) through
the one calendar function; then it runs the action at most once (W-7) and answers the next state.
The state machine holds the record in a Wait state until the answer's ``wakeAt``.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crmflow import clock
from crmflow.engine import enroll as enrolling
from crmflow.engine import goals, store, suppression
from crmflow.engine.models import Enrollment, Event, Reason, Status, StepState
from crmflow.records import service as records
from crmflow.records.models import Record
from crmflow.workflows import store as workflows
from crmflow.workflows.calendar import Calendar, next_allowed_run_with_reason
from crmflow.workflows.models import Action
from crmflow.workflows.store import StoredWorkflow

MAX_ATTEMPTS = 5  # the first try and the state machine's 4 retries
CRASHED_AFTER_SECONDS = 120  # a claim still RUNNING this long after it was taken: its Lambda died
END = "$end"  # the action id of "after the last action" (a trailing delay holds the record there)
DELAY_TYPES = ("DELAY", "DELAY_UNTIL")
# A Wait state may wake a fraction of a second before a timestamp with milliseconds: a step that
# close to its time is due (else it would hand back the same state and spin)
WAKE_TOLERANCE = timedelta(seconds=1)
CLAIM_DONE = "claim done"  # in a step's changes: the write that completed the enrollment marked the claim


class EnrollmentFinished(Exception):
    """The enrollment has ended: the state machine catches this into its Succeed state."""


class TransientActionError(Exception):
    """A failure worth retrying (timeouts, 5xx, throttling); the state machine retries with backoff."""


class PermanentActionError(Exception):
    """A failure that will not go away: logged, and the record goes on to the next action (W-7)."""


@dataclass
class Outcome:
    """What an action did: where the record goes next and when."""

    next_action_id: str | None
    wake_at: datetime | None = None
    event: Event = Event.ACTION_EXECUTED
    reason: Reason | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    stay: bool = False  # wait and run this same action again at wake_at (W-5)


@dataclass
class Context:
    workflow: StoredWorkflow
    enrollment: Enrollment
    record: Record
    action: Any
    state: StepState
    now: datetime
    attempt: int
    due: datetime  # when the step was due; earlier than ``now`` when it ran late (E-7 throttling)
    changes: dict[str, Any] = field(default_factory=dict)  # the enrollment's new fields, written at the end


Executor = Callable[[Context], Outcome]


def run_step(event: dict[str, Any], action_type: str, execute: Executor) -> dict[str, Any]:
    """The handler body of every action Lambda. Raises EnrollmentFinished at the end."""
    state = StepState.model_validate(event)
    if clock.parse_iso(state.wakeAt) - clock.now() > WAKE_TOLERANCE:
        return state.model_dump()  # not due yet (a restarted run starts here): hold until wakeAt
    claim = store.claim_step(state.enrollmentId, state.workflowId, state.recordId, state.step, state.run)
    attempt = 1
    if not claim.taken:
        old = claim.item or {}
        if old.get("enrollmentId") != state.enrollmentId or old.get("run") != state.run:
            return _answer(None)  # ended and replaced, or restarted in a newer run: this run is over
        if old.get("claimStep") != state.step:  # an older step delivered late, or none claimed
            return _answer(None)  # while not active
        if old.get("claimState") == "DONE":
            return _answer(json.loads(old["claimResult"]))
        if old.get("status") != Status.ACTIVE.value:
            return _answer(None)
        if old.get("claimState") == "RETRY":
            claim = store.retry_claim(state.workflowId, state.recordId, state.step)
            attempt = int((claim.item or {}).get("claimAttempts", 0))
        if not claim.taken:
            age = (clock.now() - clock.parse_iso(old["claimedAt"])).total_seconds()
            if age < CRASHED_AFTER_SECONDS:  # delivered twice while the first delivery runs
                raise TransientActionError(f"step {state.step} of {state.enrollmentId} is already running")
            execute = _interrupted  # the first delivery died midway: never run an action twice
            attempt = 0
            claim = store.Claim(True, old)
    enrollment = claim.enrollment
    assert enrollment is not None  # a taken claim carries the enrollment
    changes: dict[str, Any] = {}
    try:
        with store.buffered_log():
            result = _step(state, enrollment, action_type, execute, attempt, changes)
    except TransientActionError:
        store.release_claim(state.workflowId, state.recordId, state.step)
        raise
    if not changes.pop(CLAIM_DONE, False):
        store.complete_claim(enrollment, state.step, result, **changes)
    return _answer(result)


def _interrupted(context: "Context") -> "Outcome":
    raise PermanentActionError("interrupted while running; not run again (at most once per enrollment)")


def _answer(result: dict[str, Any] | None) -> dict[str, Any]:
    if result is None:
        raise EnrollmentFinished("the enrollment has ended")
    return result


def _step(
    state: StepState,
    enrollment: Enrollment,
    action_type: str,
    execute: Executor,
    attempt: int,
    changes: dict[str, Any],
) -> dict[str, Any] | None:
    """The gate and the action of a claimed step; ``changes`` collects the enrollment's new fields."""
    workflow = workflows.get(state.workflowId)
    if workflow is None:
        store.finish_enrollment(enrollment, Status.UNENROLLED, None)
        return None
    record = records.get_record(state.objectType, state.recordId)
    if record is None:
        enrolling.unenroll(workflow, enrollment, Reason.RECORD_DELETED, stop=False)
        return None
    if suppression.unenroll_if_suppressed(workflow, enrollment, record, stop=False):  # E-6
        return None
    now = clock.now()
    if goals.unenroll_if_met(workflow, enrollment, record, stop=False):  # G-1: before its next action
        return None
    if state.delayActionId:
        state = _after_delay(workflow, record.id, state)
    if state.actionId == END:
        _complete(workflow, enrollment, state, changes)
        return None
    action = workflow.definition.action(state.actionId)
    if action is None:  # W-11: removed while the record waited for it
        enrolling.log(workflow, record.id, Event.ERROR, actionId=state.actionId, reason=Reason.ACTION_REMOVED)
        return _goto(workflow, enrollment, state, state.plannedNext, now, changes)
    if str(action.type) != action_type:  # the action was replaced by another type: run its Lambda
        return _next_state(state, action, now, same_step_action=True)
    if action_type not in DELAY_TYPES:
        if not workflow.enabled:  # W-1
            if action_type != "IF_THEN":
                enrolling.log(workflow, record.id, Event.ACTION_SKIPPED, action, reason=Reason.WORKFLOW_OFF)
                return _goto(workflow, enrollment, state, getattr(action, "next", None), now, changes)
        else:
            run_at, reason = next_allowed_run_with_reason(now, Calendar.from_definition(workflow.definition))
            if reason is not None and run_at > now:  # W-2, W-3
                enrolling.log(
                    workflow,
                    record.id,
                    Event.WAITING,
                    action,
                    reason=Reason(reason.value),
                    until=clock.iso(run_at),
                )
                changes.update(currentActionId=action.id, waitingUntil=clock.iso(run_at))
                return _next_state(state, action, run_at)
    due = min(now, clock.parse_iso(state.wakeAt))
    context = Context(workflow, enrollment, record, action, state, now, attempt, due, changes)
    try:
        outcome = execute(context)
    except TransientActionError as error:
        if attempt < MAX_ATTEMPTS:
            raise
        outcome = _failed(action, f"gave up after {attempt} attempts: {error}")
    except PermanentActionError as error:
        outcome = _failed(action, str(error))
    if outcome.stay:
        changes.update(currentActionId=action.id, waitingUntil=clock.iso(outcome.wake_at or now))
        return _next_state(state, action, outcome.wake_at or now)
    enrolling.log(workflow, record.id, outcome.event, action, reason=outcome.reason, **outcome.detail)
    if action_type in DELAY_TYPES and outcome.event == Event.DELAY_STARTED:
        wake = outcome.wake_at or now
        after = _goto(
            workflow, enrollment, state, outcome.next_action_id, wake, changes, waiting_in=action.id
        )
        if after is None:
            return None
        holding = {**after, "delayActionId": action.id, "delayStartedAt": clock.iso(context.due)}
        # waitState lets a live edit restart the wait (W-12, W-13)
        changes.update(currentActionId=action.id, waitingUntil=clock.iso(wake), waitState=json.dumps(holding))
        return holding
    return _goto(workflow, enrollment, state, outcome.next_action_id, outcome.wake_at or now, changes)


def _after_delay(workflow: StoredWorkflow, record_id: str, state: StepState) -> StepState:
    """A delay ended: go where the delay leads in the *current* definition (W-10), and log an
    action removed while the record waited for it (W-11)."""
    delay_id = state.delayActionId
    delay = workflow.definition.action(delay_id)
    delay_type = str(delay.type) if delay is not None else "DELAY"  # a deleted delay (W-12)
    enrolling.log(workflow, record_id, Event.DELAY_ENDED, actionId=delay_id, actionType=delay_type)
    update: dict[str, Any] = {"delayActionId": None, "delayStartedAt": None}
    if delay is not None:
        planned = state.actionId
        if planned != END and workflow.definition.action(planned) is None:
            enrolling.log(workflow, record_id, Event.ERROR, actionId=planned, reason=Reason.ACTION_REMOVED)
        update["actionId"] = getattr(delay, "next", None) or END
    return state.model_copy(update=update)


def _failed(action: Action, message: str) -> Outcome:
    return Outcome(getattr(action, "next", None), event=Event.ERROR, detail={"error": message[:500]})


def _next_state(
    state: StepState, action: Action, wake: datetime, *, same_step_action: bool = False
) -> dict[str, Any]:
    del same_step_action
    return state.model_copy(
        update={
            "actionId": action.id,
            "function": enrolling.function_for(action),
            "wakeAt": clock.iso(wake),
            "step": state.step + 1,
            "plannedNext": getattr(action, "next", None),
        }
    ).model_dump()


def _complete(
    workflow: StoredWorkflow, enrollment: Enrollment, state: StepState, changes: dict[str, Any]
) -> None:
    """Complete the enrollment, marking this step's claim done in the same write (one call less)."""
    if enrolling.complete(workflow, enrollment, (state.step, changes)):
        changes.clear()
        changes[CLAIM_DONE] = True


def _goto(
    workflow: StoredWorkflow,
    enrollment: Enrollment,
    state: StepState,
    next_id: str | None,
    wake: datetime,
    changes: dict[str, Any],
    *,
    waiting_in: str | None = None,
) -> dict[str, Any] | None:
    """Move to ``next_id`` at ``wake``; the end of the graph completes the enrollment."""
    following = workflow.definition.action(next_id)
    if following is None and state.actionId != END:
        changes.update(currentActionId=state.actionId)  # a finished enrollment shows its last action
    if following is None:
        if waiting_in is not None and wake > clock.now():  # a trailing delay: hold, then complete
            return state.model_copy(
                update={
                    "actionId": END,
                    "wakeAt": clock.iso(wake),
                    "step": state.step + 1,
                    "plannedNext": None,
                }
            ).model_dump()
        _complete(workflow, enrollment, state, changes)
        return None
    if waiting_in is None:
        changes.update(currentActionId=following.id, waitingUntil=None)
    return _next_state(state, following, wake)
