"""Workflows: save with validation and revisions, turn on and off, enroll and unenroll by hand,
and read enrollments, the log and statistics (SPEC section 8, ``/workflows``)."""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from crmflow import clock, emails, lists
from crmflow.access import policy, users
from crmflow.engine import enroll as enrolling
from crmflow.engine import goals, live_edits, suppression
from crmflow.engine import store as engine_store
from crmflow.engine.models import Reason, Status
from crmflow.errors import Conflict, NotFound, ValidationFailed
from crmflow.filters import FilterGroup
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.recovery import failures
from crmflow.workflows import store
from crmflow.workflows.models import (
    IfThenAction,
    RotateOwnerAction,
    WorkflowDefinition,
    check_email_states,
    check_whole_number_triggers,
)
from crmflow.workflows.store import StoredWorkflow

MAX_LIST = 100


class WorkflowUpdate(WorkflowDefinition):
    """A PUT body: the definition, the revision it was read at, and the E-2 choice."""

    revision: int
    enrollExisting: bool = False


def _check(definition: WorkflowDefinition) -> None:
    """The rules that need the account's data: E-5 (property types), W-6 (email states) and E-6
    (suppression lists exist and hold the workflow's object type)."""
    types = {
        name: str(spec.type) for name, spec in property_defs.definitions(str(definition.objectType)).items()
    }
    problems = _unknown_property_problems(definition, types)
    problems += check_whole_number_triggers(definition, types) + check_email_states(
        definition, emails.state_of
    )
    problems += lists.suppression_list_problems(str(definition.objectType), definition.suppressionListIds)
    problems += [
        f"actions[{i}].teamId: no team with id {action.teamId}"
        for i, action in enumerate(definition.actions)
        if isinstance(action, RotateOwnerAction) and action.teamId and users.get_team(action.teamId) is None
    ]
    if problems:
        raise ValidationFailed("; ".join(problems))


def _unknown_property_problems(definition: WorkflowDefinition, known: dict[str, str]) -> list[str]:
    """Every filter (enrollment triggers, goal, IF_THEN branches) and re-enrollment property that
    names a property the workflow's object type does not have: it could never be met."""
    object_type = str(definition.objectType)
    groups: list[tuple[str, list[FilterGroup]]] = [
        ("enrollment.filterGroups", definition.enrollment.filterGroups)
    ]
    if definition.goal is not None:
        groups.append(("goal.filterGroups", definition.goal.filterGroups))
    for i, action in enumerate(definition.actions):
        if isinstance(action, IfThenAction):
            groups += [
                (f"actions[{i}].branches[{b}].filterGroups", branch.filterGroups)
                for b, branch in enumerate(action.branches)
            ]
    problems = [
        problem
        for field, filter_groups in groups
        for problem in lists.unknown_property_problems(field, filter_groups, known, object_type)
    ]
    problems += [
        f"enrollment.reEnrollment.properties[{k}]: property '{name}' does not exist on {object_type}"
        for k, name in enumerate(definition.enrollment.reEnrollment.properties)
        if name not in known
    ]
    return problems


def require(workflow_id: str) -> StoredWorkflow:
    workflow = store.get(workflow_id)
    if workflow is None:
        raise NotFound(f"workflow {workflow_id} does not exist")
    return workflow


def revisions(workflow_id: str) -> dict[str, Any]:
    """Every saved definition, oldest first (the log names the one each action ran under)."""
    require(workflow_id)
    saved = store.revisions(workflow_id)
    return {"results": [{"revision": item["revision"], "savedAt": item["savedAt"]} for item in saved]}


def revision(workflow_id: str, number: int) -> dict[str, Any]:
    require(workflow_id)
    item = store.revision(workflow_id, number)
    if item is None:
        raise NotFound(f"revision: workflow {workflow_id} has no revision {number}")
    definition = WorkflowDefinition.model_validate_json(item["definition"])
    body = definition.model_dump(mode="json")
    return {**body, "id": workflow_id, "revision": number, "savedAt": item["savedAt"]}


def create(definition: WorkflowDefinition) -> StoredWorkflow:
    _check(definition)
    now = clock.iso(clock.now())
    workflow = StoredWorkflow(
        id=store.next_id(), revision=1, createdAt=now, updatedAt=now, definition=definition
    )
    store.save(workflow, expected_revision=None)
    return workflow


def update(workflow_id: str, body: WorkflowUpdate) -> StoredWorkflow:
    current = require(workflow_id)
    if body.revision != current.revision:
        raise Conflict(f"revision: the workflow is at revision {current.revision}; you sent {body.revision}")
    definition = WorkflowDefinition.model_validate(body.model_dump(exclude={"revision", "enrollExisting"}))
    _check(definition)
    updated = current.model_copy(
        update={
            "definition": definition,
            "revision": current.revision + 1,
            "updatedAt": clock.iso(clock.now()),
        }
    )
    updated = goals.start_new_period(current, updated)  # G-4: every goal criterion deleted
    try:
        store.save(updated, expected_revision=current.revision)
    except Exception as error:  # a concurrent save won the race
        if "ConditionalCheckFailed" in str(error) or "TransactionCanceled" in str(error):
            raise Conflict(f"revision: the workflow changed while saving revision {body.revision}") from error
        raise
    goals.reset_counts(current, updated)
    live_edits.request_reschedule(updated, live_edits.changed_delays(current.definition, definition))
    triggers_changed = current.definition.enrollment != definition.enrollment
    if updated.enabled and triggers_changed and body.enrollExisting:  # E-2 for edited triggers
        enrolling.request_enroll_existing(updated)
    return updated


def delete(workflow_id: str) -> None:
    workflow = require(workflow_id)
    store.delete(workflow_id)
    for enrollment in engine_store.workflow_enrollments(workflow_id):
        if enrollment.status == Status.ACTIVE:
            enrolling.unenroll(workflow, enrollment, Reason.MANUAL)


def enable(workflow_id: str, enroll_existing: bool) -> StoredWorkflow:
    workflow = require(workflow_id)
    now = clock.iso(clock.now())
    store.set_flags(workflow_id, enabled=True, enabledAt=now)
    workflow = workflow.model_copy(update={"enabled": True, "enabledAt": now})
    if enroll_existing:
        enrolling.request_enroll_existing(workflow)
    return workflow


def disable(workflow_id: str) -> StoredWorkflow:
    workflow = require(workflow_id)
    store.set_flags(workflow_id, enabled=False)
    return workflow.model_copy(update={"enabled": False})


def enroll_manually(workflow_id: str, record_id: str) -> dict[str, Any]:
    workflow = require(workflow_id)
    if not workflow.enabled:
        raise ValidationFailed(f"workflow {workflow_id} is off: a workflow that is off enrolls no one (W-1)")
    record = records.get_record(workflow.objectType, record_id)
    if record is None:
        raise NotFound(f"recordId: {workflow.objectType} {record_id} does not exist")
    if goals.blocks_enrollment(workflow, record):  # G-2
        raise ValidationFailed(f"recordId: {record_id} already meets the goal of workflow {workflow_id}")
    if suppression.blocks_enrollment(workflow, record):  # E-6
        raise ValidationFailed(f"recordId: {record_id} is on a suppression list of workflow {workflow_id}")
    enrollment = enrolling.enroll(workflow, record, manual=True)
    if enrollment is None:
        raise Conflict(f"recordId: {record_id} is already enrolled in workflow {workflow_id}")
    return enrollment.body()


def _shown(workflow: StoredWorkflow) -> Callable[[str], bool]:
    """Whether the caller may see a record of the workflow (T-5: a hidden ticket's enrollments and log
    entries are not shown, as the ticket itself answers 404)."""
    if records.visible(workflow.objectType) is policy.everything:
        return lambda record_id: True
    return lambda record_id: records.get_record(workflow.objectType, record_id) is not None


def unenroll_manually(workflow_id: str, record_id: str) -> None:
    workflow = require(workflow_id)
    if not _shown(workflow)(record_id):
        raise NotFound(f"record {record_id} has no active enrollment in workflow {workflow_id}")
    enrollment = engine_store.get_enrollment(workflow_id, record_id)
    if enrollment is None or enrollment.status != Status.ACTIVE:
        raise NotFound(f"record {record_id} has no active enrollment in workflow {workflow_id}")
    enrolling.unenroll(workflow, enrollment, Reason.MANUAL)


def retry_failed(workflow_id: str, record_id: str) -> dict[str, Any]:
    if not _shown(require(workflow_id))(record_id):
        raise NotFound(f"record {record_id} has no enrollment in workflow {workflow_id}")
    return failures.retry(workflow_id, record_id)


def enrollments(workflow_id: str, status: Status | None, limit: int, after: str | None) -> dict[str, Any]:
    shown = _shown(require(workflow_id))
    if after is not None and not (after.isascii() and after.isdigit()):
        raise ValidationFailed(f"after: '{after}' is not a valid paging cursor (a record id)")
    results: list[dict[str, Any]] = []
    next_after: str | None = None
    for enrollment in engine_store.workflow_enrollments(workflow_id):
        if status is not None and enrollment.status != status:
            continue
        if not shown(enrollment.recordId):
            continue
        if after is not None and int(enrollment.recordId) <= int(after):
            continue
        if len(results) == limit:
            next_after = results[-1]["recordId"]
            break
        results.append(enrollment.body())
    answer: dict[str, Any] = {"results": results}
    if next_after:
        answer["paging"] = {"next": {"after": next_after}}
    return answer


def log(workflow_id: str, record_id: str | None, limit: int, after: str | None) -> dict[str, Any]:
    shown = _shown(require(workflow_id))
    if record_id is not None and not shown(record_id):
        raise NotFound(f"recordId: record {record_id} does not exist")
    entries, next_after = engine_store.read_log(workflow_id, record_id, limit, after)
    answer: dict[str, Any] = {"results": [entry for entry in entries if shown(entry["recordId"])]}
    if next_after:
        answer["paging"] = {"next": {"after": next_after}}
    return answer


class Stats(BaseModel):
    enrolled: int
    active: int
    completed: int
    unenrolled: int
    failed: int
    waiting: dict[str, int]
    timeLeft: dict[str, list[dict[str, Any]]]
    goal: dict[str, Any]


def stats(workflow_id: str) -> Stats:
    """L-3, counted from the enrollment and history items (one partition query), so the figures
    cannot drift from the enrollments however often an event is delivered."""
    shown = _shown(require(workflow_id))
    now = clock.now()
    counts = {"enrolled": 0, "COMPLETED": 0, "UNENROLLED": 0, "FAILED": 0, "active": 0}
    waiting: dict[str, int] = {}
    time_left: dict[str, list[dict[str, Any]]] = {}
    counters: dict[str, int] = {}
    for item in engine_store.workflow_partition(workflow_id):
        kind = item["sk"].split("#", 1)[0]
        if kind == "H":
            counts["enrolled"] += 1
            if item.get("outcome") in counts:
                counts[item["outcome"]] += 1
        elif kind == "STATS":
            counters = {key: int(value) for key, value in item.items() if key not in ("pk", "sk")}
        elif kind == "R" and item.get("status") == Status.ACTIVE.value:
            counts["active"] += 1
            action_id = item.get("currentActionId")
            if action_id is None:
                continue
            waiting[action_id] = waiting.get(action_id, 0) + 1
            until = item.get("waitingUntil")
            entries = time_left.setdefault(action_id, [])
            if until and len(entries) < MAX_LIST and shown(item["recordId"]):
                left = max(0, int((clock.parse_iso(until) - now).total_seconds()))
                entries.append({"recordId": item["recordId"], "waitingUntil": until, "secondsLeft": left})
    emailed, met = counters.get("emailed", 0), counters.get("goalMet", 0)
    return Stats(
        enrolled=counts["enrolled"],
        active=counts["active"],
        completed=counts["COMPLETED"],
        unenrolled=counts["UNENROLLED"],
        failed=counts["FAILED"],
        waiting=waiting,
        timeLeft={key: value for key, value in time_left.items() if value},
        goal={"met": met, "emailed": emailed, "conversionRate": (met / emailed) if emailed else 0.0},
    )
