"""The engine's own data: enrollments, the state an execution carries, log entries."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    UNENROLLED = "UNENROLLED"
    FAILED = "FAILED"  # an action failed unexpectedly; POST .../retry resumes it from that step


class Event(StrEnum):
    ENROLLED = "ENROLLED"
    ACTION_EXECUTED = "ACTION_EXECUTED"
    ACTION_SKIPPED = "ACTION_SKIPPED"
    DELAY_STARTED = "DELAY_STARTED"
    DELAY_ENDED = "DELAY_ENDED"
    WAITING = "WAITING"
    GOAL_MET = "GOAL_MET"
    UNENROLLED = "UNENROLLED"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"


class Reason(StrEnum):
    WORKFLOW_OFF = "WORKFLOW_OFF"
    PAUSE_DATE = "PAUSE_DATE"
    TIME_WINDOW = "TIME_WINDOW"
    INFINITE_LOOP = "INFINITE_LOOP"
    ACTION_REMOVED = "ACTION_REMOVED"
    GOAL = "GOAL"
    SUPPRESSED = "SUPPRESSED"
    CRITERIA = "CRITERIA"
    RECORD_DELETED = "RECORD_DELETED"
    MANUAL = "MANUAL"


class Enrollment(BaseModel):
    """A record's latest enrollment in a workflow (one item per workflow and record)."""

    workflowId: str
    recordId: str
    objectType: str
    enrollmentId: str
    number: int = 1
    status: Status = Status.ACTIVE
    enrolledAt: str
    endedAt: str | None = None
    currentActionId: str | None = None
    waitingUntil: str | None = None
    started: bool = False
    run: int = 0
    waitState: str | None = None
    emailed: bool = False
    goalMet: bool = False
    goalPeriod: str = ""  # G-4: the workflow's goalResetAt when ``emailed`` was counted ("" never reset)
    triggerSequence: str | None = None  # stream sequence number of the change that enrolled it
    failedState: str | None = None  # FAILED: the step to resume from (a StepState as JSON)

    def body(self) -> dict[str, Any]:
        return {
            "recordId": self.recordId,
            "status": self.status.value,
            "currentActionId": self.currentActionId,
            "waitingUntil": self.waitingUntil,
            "enrolledAt": self.enrolledAt,
        }


class StepState(BaseModel):
    """What one execution carries from step to step (its input and each Step's output).

    ``function`` names the Lambda of the next step (``action-delay``...), ``wakeAt`` when the
    Wait state lets it run. ``step`` counts executed steps: it keys the at-most-once claims.
    ``plannedNext`` is where the current action led when it was scheduled, so a removed action
    can be skipped to its successor (W-11).
    """

    enrollmentId: str
    workflowId: str
    recordId: str
    objectType: str
    actionId: str
    function: str
    wakeAt: str
    step: int = 1
    plannedNext: str | None = None
    delayActionId: str | None = None
    delayStartedAt: str | None = None
    run: int = 0  # bumped when a live edit restarts the execution (W-12, W-13)


class LogEntry(BaseModel):
    at: str
    recordId: str
    event: Event
    actionId: str | None = None
    actionType: str | None = None
    reason: Reason | None = None
    revision: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
