"""Workflow goals (SPEC 3, G-1 to G-5): the one place that decides what meeting a goal does.

- G-1: an enrolled record that meets the goal is unenrolled (GOAL_MET, then UNENROLLED / GOAL).
  The records stream does it as soon as the record changes; the step gate checks again before
  every action, so no action runs after the goal is met (a goal edited to match a waiting record,
  or a stream that lags).
- G-2: a record that already meets the goal when it would enroll does not enroll.
- G-3: conversion counts records sent a marketing email by this workflow that meet the goal,
  while enrolled or at any time after: the enrollment item carries ``emailed`` and ``goalMet`` for
  the record (kept across re-enrollments, so a record counts once), and a conditional write marks
  the conversion once however often a change is delivered. Stats ``met`` is that count, so
  ``conversionRate = met / emailed``.
- G-4: deleting every goal criterion starts a new goal period (``goalResetAt`` on the workflow)
  and zeroes the counts; an email or conversion of an earlier period counts no more.
- G-5: each conversion is published on the bus as ``GOAL_ACHIEVED``; workflows whose event
  trigger names this workflow enroll the record.

Goals apply to every object type (the filter engine is the same); the SPEC names contacts.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.engine import enroll as enrolling
from crmflow.engine import store
from crmflow.engine.models import Enrollment, Event, Reason, Status
from crmflow.filters import matches
from crmflow.records import properties as property_defs
from crmflow.records.models import Record
from crmflow.workflows import store as workflows
from crmflow.workflows.models import WorkflowDefinition, has_goal
from crmflow.workflows.store import StoredWorkflow

EVENT_SOURCE = "crmflow.workflows"
GOAL_ACHIEVED = "GOAL_ACHIEVED"


def meets_goal(workflow: StoredWorkflow, record: Record, types: Mapping[str, str] | None = None) -> bool:
    """Whether the record meets the workflow's goal (a goal without criteria is no goal).

    ``types`` are the property types to compare with (read from the definitions when not given).
    """
    goal = workflow.definition.goal
    if goal is None or not has_goal(workflow.definition):
        return False
    if types is None:
        types = property_defs.types_of(workflow.objectType)
    return matches(goal.filterGroups, record.properties, types)


def period(workflow: StoredWorkflow) -> str:
    """The workflow's current goal period (G-4): "" until the criteria are first deleted."""
    return workflow.goalResetAt or ""


# ---------------------------------------------------------------- G-1: unenroll
def unenroll_if_met(workflow: StoredWorkflow, enrollment: Enrollment, record: Record, *, stop: bool) -> bool:
    """G-1: True when the record meets the goal and has left the workflow (counted if emailed)."""
    if not meets_goal(workflow, record):
        return False
    counted = _convert(workflow, enrollment)
    enrolling.log(workflow, record.id, Event.GOAL_MET, counted=counted)
    enrolling.unenroll(workflow, enrollment, Reason.GOAL, stop=stop)
    return True


def on_record_change(object_type: str, record: Record, known: Iterable[StoredWorkflow] | None) -> None:
    """The records stream: G-1 for the record's active enrollments, G-3 for finished ones.

    ``known`` are the workflows the caller already read; a workflow that is off is read here (its
    records still go through it, W-1, and finished records still convert).
    """
    if known is not None and not any(w.objectType == object_type and has_goal(w.definition) for w in known):
        return  # no workflow of this type has a goal: nothing to unenroll or count
    by_id = {workflow.id: workflow for workflow in known or ()}
    for enrollment in store.record_enrollments(object_type, record.id):
        active = enrollment.status == Status.ACTIVE
        if not active and not (enrollment.emailed and not enrollment.goalMet):
            continue
        workflow = by_id.get(enrollment.workflowId) or workflows.get(enrollment.workflowId)
        if workflow is None or not meets_goal(workflow, record):
            continue
        current = store.get_enrollment(workflow.id, record.id)  # the GSI is eventually consistent
        if current is None:
            continue
        if current.status == Status.ACTIVE:
            if clock.parse_iso(record.updatedAt) >= clock.parse_iso(current.enrolledAt):  # not a replay
                unenroll_if_met(workflow, current, record, stop=True)
        elif _convert(workflow, current):
            enrolling.log(workflow, record.id, Event.GOAL_MET, counted=True, status=current.status.value)


# ---------------------------------------------------------------- G-2: no enrollment
def blocks_enrollment(workflow: StoredWorkflow, record: Record) -> bool:
    """G-2: a record that already meets the goal is not enrolled (and does not count)."""
    return meets_goal(workflow, record)


# ---------------------------------------------------------------- G-3: conversion
def count_email(workflow: StoredWorkflow, enrollment: Enrollment, changes: dict[str, Any]) -> None:
    """SEND_EMAIL sent a marketing email: the record counts once among the emailed of the period.

    The marks go into ``changes``, which the step writes with its claim (see engine.steps)."""
    current = period(workflow)
    if enrollment.emailed and enrollment.goalPeriod == current:
        return
    changes.update(emailed=True, goalMet=False, goalPeriod=current)
    store.add_stats(workflow.id, emailed=1)


def carried_over(previous: Enrollment | None) -> dict[str, Any]:
    """A re-enrollment keeps the record's email and conversion marks: G-3 counts records once."""
    if previous is None:
        return {}
    return {"emailed": previous.emailed, "goalMet": previous.goalMet, "goalPeriod": previous.goalPeriod}


def _convert(workflow: StoredWorkflow, enrollment: Enrollment) -> bool:
    """Count the record toward the goal conversion once (G-3) and publish it (G-5)."""
    if not enrollment.emailed or enrollment.goalMet or enrollment.goalPeriod != period(workflow):
        return False
    if not store.set_goal_met(workflow.id, enrollment.recordId, period(workflow)):
        return False
    store.add_stats(workflow.id, goalMet=1)
    try:
        publish_goal_achieved(workflow, enrollment)
    except Exception:  # undo, so the retried delivery counts and publishes it
        store.set_goal_met(workflow.id, enrollment.recordId, period(workflow), met=False)
        store.add_stats(workflow.id, goalMet=-1)
        raise
    return True


def publish_goal_achieved(workflow: StoredWorkflow, enrollment: Enrollment) -> None:
    """G-5: "Achieved workflow goal" on the bus, for workflows triggered by this one's goal."""
    detail = {"workflowId": workflow.id, "objectType": enrollment.objectType, "recordId": enrollment.recordId}
    answer = aws.client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": GOAL_ACHIEVED,
                "Detail": json.dumps(detail),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"GOAL_ACHIEVED not published: {answer.get('Entries')}")


# ---------------------------------------------------------------- G-4: reset
def criteria_deleted(old: WorkflowDefinition, new: WorkflowDefinition) -> bool:
    """G-4: only deleting every criterion resets; editing or adding criteria does not."""
    return has_goal(old) and not has_goal(new)


def start_new_period(current: StoredWorkflow, updated: StoredWorkflow) -> StoredWorkflow:
    """The workflow to save: a new goal period begins when the update deletes every criterion."""
    if not criteria_deleted(current.definition, updated.definition):
        return updated
    reset_at = clock.parse_iso(updated.updatedAt)
    if current.goalResetAt and reset_at <= clock.parse_iso(current.goalResetAt):  # each period its own
        reset_at = clock.parse_iso(current.goalResetAt) + timedelta(milliseconds=1)
    return updated.model_copy(update={"goalResetAt": clock.iso(reset_at)})


def reset_counts(current: StoredWorkflow, saved: StoredWorkflow) -> None:
    """After the save: zero the counts of a new goal period."""
    if saved.goalResetAt != current.goalResetAt:
        store.reset_goal_stats(saved.id)
