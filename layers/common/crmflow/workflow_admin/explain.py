"""The enrollment explainer (SPEC 3, L-4): why a record did or did not enroll in a workflow.

For one workflow and one record: each enrollment trigger group and filter (met, and the value it was
compared with), the event trigger, each suppression list (member or not; for a dynamic list each
filter), each goal criterion, the re-enrollment setting, and the record's enrollment history.

The verdict asks the engine's own rules (:func:`crmflow.engine.enroll.meets_triggers`,
:func:`crmflow.engine.goals.blocks_enrollment`, :func:`crmflow.engine.suppression.suppressing_list`),
so it says what the engine does; the per-filter detail comes from :func:`crmflow.filters.explain`
typed by the property definitions. ``reasons`` lists every rule that keeps the record out, in the
order a user would fix them; ``verdict`` is the first (or "meets the triggers").

A record enrolls when a change makes it start to meet the triggers (E-1). One that already met them
when the workflow was last turned on (``enabledAt``) and was not enrolled then (no ``enrollExisting``)
never has such a change while it keeps meeting them: :func:`_met_when_turned_on` says so (``MET_BEFORE``,
when no other rule keeps it out).
"""

from datetime import datetime
from typing import Any

from crmflow import clock, lists
from crmflow.engine import enroll as enrolling
from crmflow.engine import goals, suppression
from crmflow.engine import store as engine_store
from crmflow.engine.models import Enrollment, Status
from crmflow.errors import NotFound
from crmflow.filters import explain as explain_filters
from crmflow.filters import filter_properties
from crmflow.records import service as records
from crmflow.records.history import KEPT
from crmflow.records.models import Record
from crmflow.workflows import store
from crmflow.workflows.models import has_goal
from crmflow.workflows.store import StoredWorkflow

MEETS = "meets the triggers"
MET_BEFORE = "met the triggers before it was turned on; turn on with enrollExisting to enroll it"


def explain(workflow_id: str, record_id: str) -> dict[str, Any]:
    workflow = store.get(workflow_id)
    if workflow is None:
        raise NotFound(f"workflow {workflow_id} does not exist")
    record = records.get_record(workflow.objectType, record_id)
    if record is None:
        raise NotFound(f"recordId: {workflow.objectType} {record_id} does not exist")
    definition = workflow.definition
    types = lists.property_types(workflow.objectType)

    trigger_groups = explain_filters(definition.enrollment.filterGroups, record.properties, types)
    meets = enrolling.meets_triggers(workflow, record.properties)
    event = definition.enrollment.event
    triggers = {
        "met": meets,
        "filterGroups": [group.model_dump(mode="json") for group in trigger_groups],
        "event": event.model_dump(mode="json") if event else None,
    }

    suppression_lists = []
    for list_id in definition.suppressionListIds:
        crm_list = lists.get(list_id)
        if crm_list is None:
            suppression_lists.append({"listId": list_id, "member": False, "deleted": True})
        else:
            suppression_lists.append(lists.explain_membership(crm_list, record, types))
    suppressed_by = suppression.suppressing_list(workflow, record) if definition.suppressionListIds else None

    goal: dict[str, Any] | None = None
    if definition.goal is not None and has_goal(definition):
        goal_groups = explain_filters(definition.goal.filterGroups, record.properties, types)
        goal = {
            "met": goals.blocks_enrollment(workflow, record),
            "filterGroups": [group.model_dump(mode="json") for group in goal_groups],
        }

    current = engine_store.get_enrollment(workflow.id, record.id)
    re_enrollment = definition.enrollment.reEnrollment
    reasons = []
    if not workflow.enabled:
        reasons.append("workflow is off")
    if current is not None and current.status == Status.ACTIVE:
        reasons.append("already enrolled")
    if not meets:
        if event is not None:
            reasons.append(f"does not meet the triggers (it enrolls on the {event.type} event)")
        else:
            reasons.append("does not meet the triggers")
    if suppressed_by is not None:
        reasons.append(f"on suppression list {suppressed_by.listId} ({suppressed_by.name})")
    if goal is not None and goal["met"]:
        reasons.append("already meets the goal")
    if current is not None and current.status != Status.ACTIVE and not re_enrollment.enabled:
        reasons.append("enrolled before and re-enrollment is off")
    if not reasons and current is None and event is None and _met_when_turned_on(workflow, record):
        # only when nothing else keeps it out: a suppression list or the goal would have kept it out of
        # a change too, and at one instant of the virtual clock which came first cannot be told
        reasons.append(MET_BEFORE)

    return {
        "workflowId": workflow.id,
        "recordId": record.id,
        "objectType": workflow.objectType,
        "enabled": workflow.enabled,
        "wouldEnroll": not reasons,
        "verdict": reasons[0] if reasons else MEETS,
        "reasons": reasons,
        "triggers": triggers,
        "reEnrollment": re_enrollment.model_dump(mode="json"),
        "suppressionLists": suppression_lists,
        "goal": goal,
        "enrollment": current.body() if current is not None else None,
        "history": _history(workflow.id, record.id, current),
    }


def _history(workflow_id: str, record_id: str, current: Enrollment | None) -> list[dict[str, Any]]:
    """Every enrollment of the record in the workflow, oldest first (kept for good, L-2)."""
    answer = []
    for item in engine_store.history(workflow_id, record_id):
        status = item.get("outcome")  # written when the enrollment ends
        if status is None and current is not None and item.get("enrollmentId") == current.enrollmentId:
            status = current.status.value
        answer.append(
            {
                "enrollmentId": item.get("enrollmentId"),
                "enrolledAt": item.get("enrolledAt"),
                "endedAt": item.get("endedAt"),
                "status": status or Status.ACTIVE.value,
                "reason": item.get("reason"),
            }
        )
    return answer


def _met_when_turned_on(workflow: StoredWorkflow, record: Record) -> bool:
    """Whether ``record`` (never enrolled, meeting the triggers now) met them when ``workflow`` was last
    turned on. Its trigger properties' values then: the current ones if the record has not changed since
    (``updatedAt``), else from the property history where it is kept. A record created after the workflow
    was turned on did not. When a value then is not known (a property without kept history changed since),
    it did: the engine enrolls at the change that makes a record meet the triggers, so a record that meets
    them and was never enrolled has met them through every change since."""
    if not workflow.enabled or workflow.enabledAt is None:
        return False
    enabled_at = clock.parse_iso(workflow.enabledAt)
    if clock.parse_iso(record.createdAt) > enabled_at:
        return False
    if clock.parse_iso(record.updatedAt) <= enabled_at:
        return True  # unchanged since: it met them then as it does now
    then: dict[str, str | None] = dict(record.properties)
    for name in filter_properties(workflow.definition.enrollment.filterGroups):
        value = _value_at(record, name, enabled_at)
        if value is _UNKNOWN:
            return True
        then[name] = value if isinstance(value, str) else None
    return enrolling.meets_triggers(workflow, then)


_UNKNOWN = object()


def _value_at(record: Record, name: str, at: datetime) -> object:
    """The value ``name`` had at ``at``, from the kept history; ``_UNKNOWN`` when none is kept."""
    if name not in KEPT:
        return _UNKNOWN
    entries = record.history.get(name) or []  # from the record's creation on: none, never a value
    value: str | None = None
    for entry in entries:  # oldest first
        if clock.parse_iso(entry.timestamp) > at:
            break
        value = entry.value
    return value
