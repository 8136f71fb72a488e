"""Enrollment (E-1 to E-3, E-7) and unenrollment (W-4, manual, criteria).

A record enrolls by a conditional write of its enrollment item (never two active enrollments in
one workflow, whatever races) and a message to the starter queue; the starter starts the
execution named after the enrollment, so a repeated start is harmless.
"""

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.engine import goals, store, suppression
from crmflow.engine.models import Enrollment, Event, LogEntry, Reason, Status, StepState
from crmflow.filters import matches
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records.models import Record
from crmflow.triggers import TriggerIndex
from crmflow.workflows import store as workflows
from crmflow.workflows.models import Action
from crmflow.workflows.store import StoredWorkflow

ENROLL_EXISTING_PAGE = 100


def function_for(action: Action) -> str:
    """The Lambda (without the stack prefix) that runs an action type: ``action-set-property``."""
    return "action-" + str(action.type).lower().replace("_", "-")


def log(
    workflow: StoredWorkflow, record_id: str, event: Event, action: Action | None = None, **extra: Any
) -> None:
    store.append_log(
        workflow.id,
        LogEntry(
            at=clock.iso(clock.now()),
            recordId=record_id,
            event=event,
            actionId=action.id if action else extra.pop("actionId", None),
            actionType=str(action.type) if action else extra.pop("actionType", None),
            reason=extra.pop("reason", None),
            revision=workflow.revision,
            detail=extra,
        ),
    )


def execution_name(enrollment_id: str, run: int = 0) -> str:
    """The execution of an enrollment; a restart after a live edit (W-12, W-13) is a new run."""
    return enrollment_id if run == 0 else f"{enrollment_id}-run{run}"


def execution_arn(enrollment_id: str, run: int = 0) -> str:
    machine = get_settings().enrollment_state_machine_arn
    return machine.replace(":stateMachine:", ":execution:") + ":" + execution_name(enrollment_id, run)


# ---------------------------------------------------------------- triggers (E-1, E-3)
def meets_triggers(workflow: StoredWorkflow, properties: Mapping[str, str | None]) -> bool:
    groups = workflow.definition.enrollment.filterGroups
    return bool(groups) and matches(groups, properties, property_defs.types_of(workflow.objectType))


def on_record_change(
    object_type: str,
    old: Record | None,
    new: Record | None,
    active: list[StoredWorkflow] | None = None,
    sequence: str | None = None,
    index: TriggerIndex | None = None,
) -> None:
    """A record changed (from the stream): unenroll deleted records, enroll those that start to meet.

    ``active`` is every workflow (on or off), read once per stream batch by the caller; ``sequence`` the
    stream sequence number of the change (it tells a replayed change from a new one, W-7). With an
    ``index`` (:mod:`crmflow.triggers`, its workflows are ``active``) only the workflows, goals and
    suppression lists that read a property the change touched are evaluated.
    """
    if new is None or new.archived:
        if old is not None and not old.archived:
            remove_record(object_type, old.id)
        return
    before = old if old is not None and not old.archived else None
    if index is not None:
        active = index.workflows
        selection = index.select(object_type, before, new)
        if selection.goals:
            goals.on_record_change(object_type, new, active)  # G-1 and G-3
        if selection.suppression:
            suppression.on_record_change(object_type, new, active)  # E-6: joined a suppression list
        for workflow in selection.workflows:
            evaluate(workflow, before, new, sequence)
        return
    goals.on_record_change(object_type, new, active)  # G-1 and G-3 on every change
    suppression.on_record_change(object_type, new, active)  # E-6: joined a suppression list
    for workflow in active if active is not None else workflows.all_workflows():
        if workflow.objectType != object_type or not workflow.enabled:
            continue
        evaluate(workflow, before, new, sequence)


def evaluate(workflow: StoredWorkflow, old: Record | None, new: Record, sequence: str | None = None) -> None:
    """E-1/E-3 for one workflow and one change of a record.

    The triggers are checked first: the enrollment is read only when the record meets them now, or
    stopped meeting them in a workflow that unenrolls then, so a change that concerns neither costs
    no DynamoDB call.
    """
    meets_now = meets_triggers(workflow, new.properties)
    met_before = old is not None and meets_triggers(workflow, old.properties)
    if not meets_now and not (met_before and workflow.definition.unenrollWhenCriteriaNotMet):
        return
    if meets_now and not met_before and _enroll_first_time(workflow, new, sequence):
        return
    existing = store.get_enrollment(workflow.id, new.id)
    if existing is not None and existing.status == Status.ACTIVE:
        if workflow.definition.unenrollWhenCriteriaNotMet and met_before and not meets_now:
            unenroll(workflow, existing, Reason.CRITERIA)
        elif not existing.started:
            _send_start(existing)
        return
    if not meets_now:
        return
    if existing is None:
        if not met_before:
            enroll(workflow, new, trigger_sequence=sequence, existing=None)
        return
    reenrollment = workflow.definition.enrollment.reEnrollment
    if reenrollment.enabled and old is not None and _after_enrollment(existing, new, sequence):
        changed = any(
            old.properties.get(name) != new.properties.get(name) for name in reenrollment.properties
        )
        if changed:
            enroll(workflow, new, trigger_sequence=sequence, existing=existing)


def _enroll_first_time(workflow: StoredWorkflow, record: Record, sequence: str | None) -> bool:
    """The common case, a record that just came to meet the triggers: enroll it without reading
    first (the write is conditional on there being no enrollment). False when there is one, so
    the caller reads it and decides (an active one, a re-enrollment)."""
    if goals.blocks_enrollment(workflow, record) or suppression.blocks_enrollment(workflow, record):
        return True  # G-2, E-6: it does not enroll, whatever enrollments it has
    return enroll(workflow, record, trigger_sequence=sequence, existing=None) is not None


def _after_enrollment(existing: Enrollment, new: Record, sequence: str | None) -> bool:
    """W-7: only a change made after the latest enrollment may re-enroll; a stream batch delivered
    again (the change that enrolled the record, or an older one) must not."""
    if sequence is not None and existing.triggerSequence is not None:
        return int(sequence) > int(existing.triggerSequence)
    return clock.parse_iso(new.updatedAt) > clock.parse_iso(existing.enrolledAt)


def on_event(
    event_type: str, object_type: str, record_id: str, detail: Mapping[str, Any], event_id: str | None = None
) -> int:
    """An event from the bus or the events queue; answers how many workflows it enrolled in.

    ``event_id`` (the EventBridge envelope's id) makes a redelivered event enroll no one again (W-7).
    """
    record = records.get_record(object_type, record_id)
    if record is None:
        return 0
    enrolled = 0
    for workflow in workflows.all_workflows():
        trigger = workflow.definition.enrollment.event
        if not workflow.enabled or workflow.objectType != record_object_type(object_type) or trigger is None:
            continue
        if trigger.type != event_type:
            continue
        if trigger.type == "FORM_SUBMITTED" and str(detail.get("formId")) != trigger.formId:
            continue
        if trigger.type == "GOAL_ACHIEVED" and str(detail.get("workflowId")) != trigger.workflowId:
            continue
        existing = store.get_enrollment(workflow.id, record.id)
        if existing is not None and existing.status == Status.ACTIVE and not existing.started:
            _send_start(existing)  # an earlier delivery of the event enrolled it, then lost the start
        if existing is not None and (existing.status == Status.ACTIVE or not trigger_reenrolls(workflow)):
            continue
        if event_id is not None and existing is not None and store.event_handled(workflow.id, event_id):
            continue
        if enroll(workflow, record, existing=existing) is not None:
            enrolled += 1
            if event_id is not None:
                store.mark_event_handled(workflow.id, event_id)
    return enrolled


def record_object_type(name: str) -> str:
    from crmflow.records.models import resolve_object_type

    return resolve_object_type(name)


def trigger_reenrolls(workflow: StoredWorkflow) -> bool:
    return workflow.definition.enrollment.reEnrollment.enabled


# ---------------------------------------------------------------- enrolling
class _Unread:
    """The caller has not read the record's latest enrollment in the workflow: :func:`enroll` does."""


UNREAD = _Unread()


def enroll(
    workflow: StoredWorkflow,
    record: Record,
    *,
    manual: bool = False,
    trigger_sequence: str | None = None,
    existing: Enrollment | _Unread | None = UNREAD,
) -> Enrollment | None:
    """Enroll ``record``; None when it already has an active enrollment (or lost a race).

    ``trigger_sequence`` is the stream sequence number of the change that enrolls it, if any;
    ``existing`` the record's latest enrollment when the caller has just read it (the conditional
    write still guards against a race).
    """
    if isinstance(existing, _Unread):
        existing = store.get_enrollment(workflow.id, record.id)
    if existing is not None and existing.status == Status.ACTIVE:
        if not existing.started:
            _send_start(existing)
        return None
    if goals.blocks_enrollment(workflow, record):  # G-2: already meets the goal
        return None
    if suppression.blocks_enrollment(workflow, record):  # E-6: on a suppression list
        return None
    number = existing.number + 1 if existing else 1
    enrollment = Enrollment(
        workflowId=workflow.id,
        recordId=record.id,
        objectType=workflow.objectType,
        enrollmentId=f"wf{workflow.id}-r{record.id}-e{number}",
        number=number,
        enrolledAt=clock.iso(clock.now()),
        currentActionId=workflow.definition.startActionId,
        triggerSequence=trigger_sequence,
        **goals.carried_over(existing),
    )
    if not store.insert_enrollment(enrollment, existing.number if existing else None):
        return None
    log(workflow, record.id, Event.ENROLLED, reason=Reason.MANUAL if manual else None)
    if workflow.definition.startActionId is None:
        complete(workflow, enrollment)
        return enrollment
    _send_start(enrollment)
    return enrollment


def first_state(workflow: StoredWorkflow, enrollment: Enrollment) -> StepState | None:
    action = workflow.definition.action(workflow.definition.startActionId)
    if action is None:
        return None
    return StepState(
        enrollmentId=enrollment.enrollmentId,
        workflowId=workflow.id,
        recordId=enrollment.recordId,
        objectType=enrollment.objectType,
        actionId=action.id,
        function=function_for(action),
        wakeAt=enrollment.enrolledAt,
        plannedNext=getattr(action, "next", None),
    )


START_FACTS = ("enrollmentId", "objectType", "enrolledAt", "run")


def _send_start(enrollment: Enrollment) -> None:
    """Queue the start (E-7), with what the starter needs to start it without reading it."""
    body = {"kind": "start", "workflowId": enrollment.workflowId, "recordId": enrollment.recordId}
    body |= {name: getattr(enrollment, name) for name in START_FACTS}
    aws.client("sqs").send_message(QueueUrl=get_settings().starter_queue_url, MessageBody=json.dumps(body))


def request_enroll_existing(workflow: StoredWorkflow) -> None:
    """E-2: enroll every record that already meets the triggers, a page at a time, off the request."""
    body = {
        "kind": "enroll-existing",
        "workflowId": workflow.id,
        "revision": workflow.revision,
        "after": None,
    }
    aws.client("sqs").send_message(QueueUrl=get_settings().starter_queue_url, MessageBody=json.dumps(body))


def enroll_existing_page(workflow_id: str, revision: int, after: str | None) -> None:
    """One page of E-2; queues the next page, so no invocation holds all records in memory."""
    workflow = workflows.get(workflow_id)
    if workflow is None or not workflow.enabled or workflow.revision != revision:
        return
    page = records.list_records(workflow.objectType, limit=ENROLL_EXISTING_PAGE, after=after)
    for record in page.results:
        if not meets_triggers(workflow, record.properties):
            continue
        existing = store.get_enrollment(workflow.id, record.id)
        if existing is None or (existing.status == Status.ACTIVE and not existing.started):
            enroll(workflow, record, existing=existing)  # also re-sends a start this page lost before
    if page.after:
        body = {
            "kind": "enroll-existing",
            "workflowId": workflow.id,
            "revision": revision,
            "after": page.after,
        }
        aws.client("sqs").send_message(
            QueueUrl=get_settings().starter_queue_url, MessageBody=json.dumps(body)
        )


def start(workflow_id: str, record_id: str, facts: Mapping[str, Any] | None = None) -> None:
    """The starter: start the execution of the record's enrollment (idempotent).

    With the enrollment's ``facts`` in the message only the workflow is read: a second start is
    refused by the execution's name, and an enrollment that ended meanwhile ends at its first
    step's claim. The first step's claim marks it ``started``.
    """
    workflow = workflows.get(workflow_id)
    if workflow is None:
        return
    if facts is not None and all(name in facts for name in START_FACTS):
        enrollment = Enrollment.model_construct(
            workflowId=workflow_id, recordId=record_id, **{name: facts[name] for name in START_FACTS}
        )
    else:  # a message from before the facts were sent
        found = store.get_enrollment(workflow_id, record_id)
        if found is None or found.status != Status.ACTIVE or found.started:
            return
        enrollment = found
    state = first_state(workflow, enrollment)
    if state is None:  # the first action was removed before the start: read it to complete it
        current = store.get_enrollment(workflow_id, record_id)
        if current is not None and current.enrollmentId == enrollment.enrollmentId:
            complete(workflow, current)
        return
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().enrollment_state_machine_arn,
            name=execution_name(enrollment.enrollmentId, enrollment.run),
            input=state.model_dump_json(),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


# ---------------------------------------------------------------- ending
def complete(
    workflow: StoredWorkflow, enrollment: Enrollment, claim: tuple[int, dict[str, Any]] | None = None
) -> bool:
    """The enrollment has run its last action; ``claim``: the step doing it, marked done with it."""
    if not store.finish_enrollment(enrollment, Status.COMPLETED, None, claim):
        return False
    log(workflow, enrollment.recordId, Event.COMPLETED)
    return True


def unenroll(workflow: StoredWorkflow, enrollment: Enrollment, reason: Reason, *, stop: bool = True) -> bool:
    """End an active enrollment now, stopping its execution; False when it had already ended."""
    if not store.finish_enrollment(enrollment, Status.UNENROLLED, reason.value):
        return False
    log(workflow, enrollment.recordId, Event.UNENROLLED, reason=reason)
    if stop:
        stop_execution(enrollment.enrollmentId, reason.value, enrollment.run)
    return True


def stop_execution(enrollment_id: str, cause: str, run: int = 0) -> None:
    try:
        arn = execution_arn(enrollment_id, run)
        aws.client("stepfunctions").stop_execution(executionArn=arn, cause=cause)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("ExecutionDoesNotExist", "ExecutionNotFound"):
            raise


def remove_record(object_type: str, record_id: str) -> None:
    """W-4: a deleted record leaves every workflow at once."""
    for enrollment in store.record_enrollments(object_type, record_id):
        if enrollment.status != Status.ACTIVE:
            continue
        workflow = workflows.get(enrollment.workflowId)
        if workflow is not None:
            unenroll(workflow, enrollment, Reason.RECORD_DELETED)
