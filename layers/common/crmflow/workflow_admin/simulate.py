"""Test mode (issue 4): the path one record would take through a workflow, played on a private clock.

:func:`simulate` is pure. It takes the workflow, a snapshot of the record, the instant to start at
(the virtual clock's "now"), a horizon in days and an :class:`Account` of read-only lookups, and
answers the steps the real engine would log, with the same event names, reasons and times. Nothing
is written, sent or called: SET_PROPERTY, CLEAR_PROPERTY and ROTATE_OWNER change an in-memory copy
of the record's properties (so later branches and the goal see them), the other actions that would
reach the outside world are marked ``{"simulated": true}``.

It follows the step gate of :mod:`crmflow.engine.steps` through the same rule functions:

* before every step, E-6 (on a suppression list: UNENROLLED / SUPPRESSED) and G-1 (a record
  that meets the goal leaves: GOAL_MET); the path ends there;
* a step after a delay first logs DELAY_ENDED (before the gate, as the engine does);
* non-delay actions go through the gate: W-1 (workflow off: skipped with WORKFLOW_OFF, IF_THEN
  still routes) or W-2/W-3 (:func:`~crmflow.workflows.calendar.next_allowed_run_with_reason`:
  WAITING, then the action runs at the opening);
* DELAY / DELAY_UNTIL through :func:`~crmflow.workflows.calendar.add_delay` and
  :func:`~crmflow.workflows.calendar.delay_until`; a trailing delay holds, then completes;
* IF_THEN, E-8, W-5 and W-6 through :mod:`crmflow.workflows.rules`; a failing action is an ERROR
  step and the record goes on, as W-7's permanent failures do.

The one step the engine does not log is the W-5 hold (the engine only sets the enrollment's
``waitingUntil``); test mode shows it as a WAITING step with ``detail.rule = "W-5"``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from crmflow import clock
from crmflow.engine.goals import meets_goal
from crmflow.engine.models import Event, Reason
from crmflow.errors import ApiError
from crmflow.records.models import Record
from crmflow.workflows import rules
from crmflow.workflows.calendar import Calendar, delay_end, delay_until, next_allowed_run_with_reason
from crmflow.workflows.models import Action, DelayAction, DelayUntilAction, IfThenAction
from crmflow.workflows.store import StoredWorkflow

MAX_DAYS = 366
END = "$end"  # "after the last action", as in the engine's step state
DELAY_TYPES = ("DELAY", "DELAY_UNTIL")
_MAX_STEPS = 10_000  # the graph has no cycles: a path is a few steps per action


class PathOutcome(StrEnum):
    COMPLETED = "COMPLETED"  # the record would finish the workflow within the horizon
    GOAL_MET = "GOAL_MET"  # G-1: it would meet the goal and leave
    STILL_RUNNING = "STILL_RUNNING"  # the horizon ends while it waits (``waitingUntil``)
    NOT_ENROLLED = "NOT_ENROLLED"  # it would not enroll (``reason``)
    UNENROLLED = "UNENROLLED"  # E-6: an update would put it on a suppression list (``reason``)


class SimulatedStep(BaseModel):
    at: str
    actionId: str | None = None
    actionType: str | None = None
    event: Event
    reason: Reason | None = None
    branch: int | None = None  # IF_THEN: the index of the branch taken, None for the default
    detail: dict[str, Any] = Field(default_factory=dict)


class SimulatedPath(BaseModel):
    """The answer of ``POST /workflows/{id}/test``."""

    workflowId: str
    recordId: str
    start: str
    end: str
    workflowEnabled: bool
    outcome: PathOutcome
    reason: Reason | None = None
    currentActionId: str | None = None  # STILL_RUNNING: where the record waits
    waitingUntil: str | None = None
    steps: list[SimulatedStep]
    properties: dict[str, str | None]  # the record's properties at the end of the path


def _merge(record: Record, values: Mapping[str, str | None], at: datetime) -> dict[str, str | None]:
    del at
    merged = {**record.properties, **values}
    return {name: value for name, value in merged.items() if value not in (None, "")}


@dataclass(frozen=True)
class Account:
    """What test mode may read of the account. The API passes lookups over the stores; unit tests
    pass plain values."""

    email_state: Callable[[str], str | None] = lambda email_id: None
    owner_sync: bool = True  # W-5: contact-company owner sync
    property_types: Mapping[str, str] = field(default_factory=dict)
    # the record's properties after a system update, raising ApiError as the update would
    apply_update: Callable[[Record, Mapping[str, str | None], datetime], dict[str, str | None]] = _merge
    workflow: Callable[[str], StoredWorkflow | None] = lambda workflow_id: None  # ENROLL_IN_WORKFLOW
    rotation_turn: Callable[[str], int] = lambda action_id: 0  # ROTATE_OWNER's counter, read only
    suppressed: Callable[[Record], bool] = lambda record: False  # E-6: on a suppression list
    team_members: Callable[[str], list[str]] = lambda team_id: []  # ROTATE_OWNER over a team


@dataclass
class _Result:
    """What an action would do (the engine's executor Outcome)."""

    next_action_id: str | None
    wake_at: datetime | None = None
    event: Event = Event.ACTION_EXECUTED
    reason: Reason | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    branch: int | None = None
    hold: bool = False  # W-5: wait and run this same action again at wake_at


class _Failed(Exception):
    """A permanent failure of the action (the engine logs ERROR and goes on)."""


@dataclass
class _Pending:
    action_id: str
    at: datetime
    delay_id: str | None = None  # the delay this step ends


def simulate(
    workflow: StoredWorkflow,
    record: Record,
    start: datetime,
    days: int,
    account: Account,
    *,
    enabled: bool = True,
) -> SimulatedPath:
    """The path ``record`` would take if it enrolled in ``workflow`` at ``start``, for ``days`` days.

    ``enabled`` plays the workflow on (the default: test mode answers what a record enrolled now
    would do) or off (W-1: what a record already inside it would do).
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days: must be 1 to {MAX_DAYS}, got {days}")
    return _Player(workflow, record, start, start + timedelta(days=days), account, enabled).play()


class _Player:
    def __init__(
        self,
        workflow: StoredWorkflow,
        record: Record,
        start: datetime,
        end: datetime,
        account: Account,
        enabled: bool,
    ) -> None:
        self.workflow = workflow
        self.definition = workflow.definition
        self.calendar = Calendar.from_definition(workflow.definition)
        self.record = record.model_copy(deep=True)
        self.start, self.end = start, end
        self.account = account
        self.enabled = enabled
        self.steps: list[SimulatedStep] = []

    # ------------------------------------------------------------ the path
    def play(self) -> SimulatedPath:
        if meets_goal(self.workflow, self.record, self.account.property_types):  # G-2: it would not enroll
            return self._answer(PathOutcome.NOT_ENROLLED, reason=Reason.GOAL)
        if self.account.suppressed(self.record):  # E-6: it would never enroll
            return self._answer(PathOutcome.NOT_ENROLLED, reason=Reason.SUPPRESSED)
        if self.definition.startActionId is None:
            return self._finish(self.start)
        pending = _Pending(self.definition.startActionId, self.start)
        for _ in range(_MAX_STEPS):
            if pending.at > self.end:
                return self._answer(
                    PathOutcome.STILL_RUNNING,
                    current=pending.delay_id or pending.action_id,
                    waiting_until=pending.at,
                )
            following = self._step(pending)
            if isinstance(following, SimulatedPath):
                return following
            pending = following
        raise RuntimeError(f"test mode: no end after {_MAX_STEPS} steps")

    def _step(self, pending: _Pending) -> "_Pending | SimulatedPath":
        """One step of the engine's gate (``crmflow.engine.steps._step``) at ``pending.at``."""
        now = pending.at
        if self.account.suppressed(self.record):  # E-6: it joined a suppression list
            self._add(now, Event.UNENROLLED, reason=Reason.SUPPRESSED)
            return self._answer(PathOutcome.UNENROLLED, reason=Reason.SUPPRESSED)
        if meets_goal(self.workflow, self.record, self.account.property_types):  # G-1: before its next action
            self._add(now, Event.GOAL_MET)
            return self._answer(PathOutcome.GOAL_MET)
        action_id = pending.action_id
        if pending.delay_id is not None:
            delay = self.definition.action(pending.delay_id)
            self._add(now, Event.DELAY_ENDED, delay)
            action_id = getattr(delay, "next", None) or END
        if action_id == END:
            return self._finish(now)
        action = self.definition.action(action_id)
        if action is None:  # cannot happen: a saved definition is a valid graph
            raise RuntimeError(f"test mode: unknown action {action_id}")
        action_type = str(action.type)
        if action_type not in DELAY_TYPES:
            if not self.enabled:  # W-1
                if action_type != "IF_THEN":
                    self._add(now, Event.ACTION_SKIPPED, action, reason=Reason.WORKFLOW_OFF)
                    return self._goto(getattr(action, "next", None), now)
            else:
                try:
                    run_at, why = next_allowed_run_with_reason(now, self.calendar)
                except ValueError as error:  # no window ever opens: the engine's step fails too
                    self._add(now, Event.ERROR, action, detail={"error": str(error)})
                    return self._answer(PathOutcome.STILL_RUNNING, current=action.id)
                if why is not None and run_at > now:  # W-2, W-3
                    self._add(now, Event.WAITING, action, reason=Reason(why.value), detail=_until(run_at))
                    return _Pending(action.id, run_at)
        try:
            result = self._execute(action, now)
        except _Failed as error:
            result = _Result(
                getattr(action, "next", None), event=Event.ERROR, detail={"error": str(error)[:500]}
            )
        if result.hold:
            wake = result.wake_at or now
            self._add(now, Event.WAITING, action, detail={**_until(wake), "rule": "W-5"})
            return _Pending(action.id, wake)
        self._add(now, result.event, action, reason=result.reason, detail=result.detail, branch=result.branch)
        if action_type in DELAY_TYPES and result.event == Event.DELAY_STARTED:
            wake = result.wake_at or now
            if result.next_action_id is None and wake <= now:  # a trailing delay that is already over
                return self._finish(now)
            return _Pending(result.next_action_id or END, wake, delay_id=action.id)
        return self._goto(result.next_action_id, now)

    def _goto(self, next_id: str | None, now: datetime) -> "_Pending | SimulatedPath":
        if self.definition.action(next_id) is None:
            return self._finish(now)
        assert next_id is not None
        return _Pending(next_id, now)

    def _finish(self, now: datetime) -> SimulatedPath:
        self._add(now, Event.COMPLETED)
        return self._answer(PathOutcome.COMPLETED)

    # ------------------------------------------------------------ what each action would do
    def _execute(self, action: Action, now: datetime) -> _Result:
        if isinstance(action, DelayAction):
            spec = action.delay
            wake = delay_end(now, spec, self.calendar)
            return _Result(action.next, wake, Event.DELAY_STARTED, detail=_until(wake))
        if isinstance(action, DelayUntilAction):
            prop = action.untilProperty
            prop_type = self.account.property_types.get(prop) if prop else None
            wake = delay_until(now, action, self.record.properties, self.calendar, prop_type)
            return _Result(action.next, wake, Event.DELAY_STARTED, detail=_until(wake))
        if isinstance(action, IfThenAction):
            index, following = rules.choose_branch(
                action, self.record.properties, self.account.property_types
            )
            return _Result(following, detail={"branch": index}, branch=index)
        handler: Callable[[Any, datetime], _Result] = getattr(self, "_" + str(action.type).lower())
        return handler(action, now)

    def _set_property(self, action: Any, now: datetime) -> _Result:
        self._update({action.property: action.value}, now)
        return _Result(action.next, detail={"property": action.property, "value": action.value})

    def _clear_property(self, action: Any, now: datetime) -> _Result:
        self._update({action.property: None}, now)
        return _Result(action.next, detail={"property": action.property})

    def _create_record(self, action: Any, now: datetime) -> _Result:
        if rules.creates_infinite_loop(self.definition, action, self.account.property_types):  # E-8
            return _Result(action.next, event=Event.ACTION_SKIPPED, reason=Reason.INFINITE_LOOP)
        return _Result(action.next, detail={"objectType": str(action.objectType), "simulated": True})

    def _create_task(self, action: Any, now: datetime) -> _Result:
        return _Result(action.next, detail={"simulated": True})

    def _send_email(self, action: Any, now: datetime) -> _Result:
        problem = rules.unsendable_email(action.emailId, self.account.email_state(action.emailId))
        if problem:
            raise _Failed(problem)
        to = self.record.properties.get("email")
        if not to:
            raise _Failed("the record has no email address")
        return _Result(action.next, detail={"emailId": action.emailId, "to": to, "simulated": True})

    def _rotate_owner(self, action: Any, now: datetime) -> _Result:
        created = clock.parse_iso(self.record.createdAt)
        object_type = str(self.definition.objectType)
        hold = rules.owner_rotation_hold_until(object_type, created, self.account.owner_sync)  # W-5
        if hold is not None and now < hold:
            return _Result(None, hold, hold=True)
        owners = action.ownerIds or self.account.team_members(action.teamId)
        if not owners:
            raise _Failed(f"team {action.teamId} has no members to rotate among")
        owner = owners[self.account.rotation_turn(action.id) % len(owners)]
        self._update({"hubspot_owner_id": owner}, now)
        return _Result(action.next, detail={"ownerId": owner})

    def _webhook(self, action: Any, now: datetime) -> _Result:
        detail: dict[str, Any] = {"simulated": True, "url": action.url, "method": action.method}
        if action.responseMapping:  # the response is unknown: the mapped properties keep their values
            detail["unmapped"] = sorted(action.responseMapping.values())
        return _Result(action.next, detail=detail)

    def _enroll_in_workflow(self, action: Any, now: datetime) -> _Result:
        object_type = str(self.definition.objectType)
        target = self.account.workflow(action.workflowId)
        if target is None:
            raise _Failed(f"workflow {action.workflowId} does not exist")
        if target.objectType != object_type:
            raise _Failed(f"workflow {target.id} enrolls {target.objectType}, not {object_type}")
        if not target.enabled:
            raise _Failed(f"workflow {target.id} is off")
        return _Result(action.next, detail={"workflowId": target.id, "simulated": True})

    def _update(self, values: Mapping[str, str | None], now: datetime) -> None:
        try:
            properties = self.account.apply_update(self.record, values, now)
        except ApiError as error:
            raise _Failed(error.message) from error
        self.record = self.record.model_copy(update={"properties": properties})

    # ------------------------------------------------------------ the answer
    def _add(
        self,
        at: datetime,
        event: Event,
        action: Action | None = None,
        *,
        reason: Reason | None = None,
        detail: dict[str, Any] | None = None,
        branch: int | None = None,
    ) -> None:
        self.steps.append(
            SimulatedStep(
                at=clock.iso(at),
                actionId=action.id if action else None,
                actionType=str(action.type) if action else None,
                event=event,
                reason=reason,
                branch=branch,
                detail=detail or {},
            )
        )

    def _answer(
        self,
        outcome: PathOutcome,
        *,
        reason: Reason | None = None,
        current: str | None = None,
        waiting_until: datetime | None = None,
    ) -> SimulatedPath:
        return SimulatedPath(
            workflowId=self.workflow.id,
            recordId=self.record.id,
            start=clock.iso(self.start),
            end=clock.iso(self.end),
            workflowEnabled=self.workflow.enabled,
            outcome=outcome,
            reason=reason,
            currentActionId=current,
            waitingUntil=clock.iso(waiting_until) if waiting_until else None,
            steps=self.steps,
            properties=dict(self.record.properties),
        )


def _until(at: datetime) -> dict[str, str]:
    return {"until": clock.iso(at)}
