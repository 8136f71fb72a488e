"""Editing an active workflow (W-10 to W-13).

W-10 and W-11 need nothing here: every step reads the current definition, and a record leaving a
delay goes where the delay leads *now* (``steps._after_delay``). A running Wait state cannot be
changed, so for W-12 (a deleted delay) and W-13 (a delay whose length changed) the records waiting
in it are restarted: their execution is stopped and a new run starts at the same place, holding
until the delay's original start plus its new length (now, if that has passed or the delay is
gone). The work is queued on the starter queue a page at a time, so an edit with thousands of
waiting records returns at once and never runs past a Lambda's timeout; each restart is a
conditional move to the next run, so a repeated message or a record that moved on is harmless.
"""

import json
from typing import Any

from botocore.exceptions import ClientError

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.engine import enroll as enrolling
from crmflow.engine import store
from crmflow.engine.models import Enrollment, Status, StepState
from crmflow.records import service as records
from crmflow.workflows import store as workflows
from crmflow.workflows.calendar import Calendar, delay_end, delay_until
from crmflow.workflows.models import DelayAction, DelayUntilAction, WorkflowDefinition
from crmflow.workflows.store import StoredWorkflow

PAGE = 100
DELAY_TYPES = ("DELAY", "DELAY_UNTIL")


def changed_delays(old: WorkflowDefinition, new: WorkflowDefinition) -> list[str]:
    """Delays of ``old`` that ``new`` deletes, turns into another type, or changes."""
    changed = []
    for action in old.actions:
        if str(action.type) not in DELAY_TYPES:
            continue
        now = new.action(action.id)
        same = now is not None and now.model_dump(exclude={"next"}) == action.model_dump(exclude={"next"})
        if not same:
            changed.append(action.id)
    return changed


def request_reschedule(workflow: StoredWorkflow, delay_ids: list[str]) -> None:
    if delay_ids:
        _queue({"kind": "reschedule", "workflowId": workflow.id, "delayIds": delay_ids, "after": None})


def _queue(body: dict[str, Any]) -> None:
    aws.client("sqs").send_message(QueueUrl=get_settings().starter_queue_url, MessageBody=json.dumps(body))


def reschedule_page(workflow_id: str, delay_ids: list[str], after: str | None) -> int:
    """Restart the records waiting in ``delay_ids`` on one page; queues the next page."""
    workflow = workflows.get(workflow_id)
    if workflow is None:
        return 0
    page, cursor = store.enrollments_page(workflow_id, after, PAGE)
    restarted = 0
    for enrollment in page:
        if (
            enrollment.status == Status.ACTIVE
            and enrollment.currentActionId in delay_ids
            and enrollment.waitState
        ):
            restarted += restart(workflow, enrollment)
    if cursor:
        _queue({"kind": "reschedule", "workflowId": workflow_id, "delayIds": delay_ids, "after": cursor})
    return restarted


def new_wake(workflow: StoredWorkflow, state: StepState, record_properties: dict[str, Any]) -> str:
    """When a record waiting in a delay should now go on: start + the delay's current length."""
    now = clock.now()
    delay = workflow.definition.action(state.delayActionId)
    started = clock.parse_iso(state.delayStartedAt) if state.delayStartedAt else now
    if isinstance(delay, DelayAction):
        spec = delay.delay
        wake = delay_end(started, spec, Calendar.from_definition(workflow.definition))  # W-13
    elif isinstance(delay, DelayUntilAction):
        wake = delay_until(started, delay, record_properties, Calendar.from_definition(workflow.definition))
    else:
        wake = now  # W-12: the delay was deleted (or turned into another type of action)
    return clock.iso(max(wake, now))


def restart(workflow: StoredWorkflow, enrollment: Enrollment) -> bool:
    if enrollment.waitState is None:
        return False
    state = StepState.model_validate_json(enrollment.waitState)
    if state.delayActionId != enrollment.currentActionId or state.run != enrollment.run:
        return False
    record = records.get_record(enrollment.objectType, enrollment.recordId)
    wake = new_wake(workflow, state, record.properties if record else {})
    if wake == state.wakeAt:
        return False
    moved = state.model_copy(update={"wakeAt": wake, "run": enrollment.run + 1})
    if not store.restart_run(enrollment, wake, moved.model_dump_json()):
        return False
    enrolling.stop_execution(enrollment.enrollmentId, "rescheduled after an edit", enrollment.run)
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().enrollment_state_machine_arn,
            name=enrolling.execution_name(enrollment.enrollmentId, moved.run),
            input=moved.model_dump_json(),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
    return True
