"""Suppression lists (SPEC 3, E-6): the one place that decides what being on one does.

- A record on a suppression list of the workflow never enrolls: :func:`blocks_enrollment` is asked
  by :func:`crmflow.engine.enroll.enroll` (every way of enrolling goes through it). No enrollment
  item is written; the explainer (L-4) tells why.
- A record that joins a suppression list while enrolled is unenrolled (UNENROLLED / SUPPRESSED,
  execution stopped):

  * a dynamic list: the records stream, on a change of a property the list reads that puts the
    record on it (:func:`on_record_change`, chosen by the trigger index, :mod:`crmflow.triggers`);
  * a manual list: adding members (:func:`members_joined`, called by the lists API);
  * and the step gate before every action (:func:`unenroll_if_suppressed`), so a missed or late
    event, or a list added to an active workflow, still stops the record before its next action.

Membership is always read fresh (a manual member is one GetItem, a dynamic list one evaluation of
its filters against the current record), so a replayed stream batch cannot act on stale data.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crmflow.engine import enroll as enrolling
from crmflow.engine import store
from crmflow.engine.models import Enrollment, Reason, Status
from crmflow.records import service as records
from crmflow.records.models import Record
from crmflow.workflows import store as workflows
from crmflow.workflows.store import StoredWorkflow

if TYPE_CHECKING:
    from crmflow.lists import CrmList


def suppressing_list(workflow: StoredWorkflow, record: Record) -> "CrmList | None":
    """The first suppression list of the workflow the record is on now, or None.

    A list deleted after the workflow was saved suppresses no one (deleting a list in use is refused).
    """
    from crmflow import lists  # only for workflows with suppression lists

    types: dict[str, str] | None = None
    for list_id in workflow.definition.suppressionListIds:
        crm_list = lists.get(list_id)
        if crm_list is None:
            continue
        if crm_list.processingType == lists.ProcessingType.DYNAMIC and types is None:
            types = lists.property_types(crm_list.objectType)
        if lists.is_member(crm_list, record, types):
            return crm_list
    return None


def blocks_enrollment(workflow: StoredWorkflow, record: Record) -> bool:
    """E-6: a record on a suppression list of the workflow does not enroll."""
    return bool(workflow.definition.suppressionListIds) and suppressing_list(workflow, record) is not None


def unenroll_if_suppressed(
    workflow: StoredWorkflow, enrollment: Enrollment, record: Record, *, stop: bool
) -> bool:
    """E-6: True when the record is on a suppression list and has left the workflow.

    ``stop=False`` from the step gate (the execution ends by itself), True from anywhere else.
    """
    if not workflow.definition.suppressionListIds or suppressing_list(workflow, record) is None:
        return False
    enrolling.unenroll(workflow, enrollment, Reason.SUPPRESSED, stop=stop)
    return True


def on_record_change(object_type: str, record: Record, known: Iterable[StoredWorkflow] | None) -> None:
    """The records stream: unenroll the record from active enrollments whose workflow suppresses it.

    One query of the record's enrollments (GSI byRecord); the current record and the lists are read
    only for an active enrollment in a workflow that has suppression lists. ``known`` are the
    workflows the caller already read; a workflow that is off is read here (records still go
    through it, W-1).
    """
    if known is not None and not any(
        w.objectType == object_type and w.definition.suppressionListIds for w in known
    ):
        return  # no workflow of this type suppresses anyone
    by_id = {workflow.id: workflow for workflow in known or ()}
    current_record: Record | None = None
    for enrollment in store.record_enrollments(object_type, record.id):
        if enrollment.status != Status.ACTIVE:
            continue
        workflow = by_id.get(enrollment.workflowId) or workflows.get(enrollment.workflowId)
        if workflow is None or not workflow.definition.suppressionListIds:
            continue
        active = store.get_enrollment(workflow.id, record.id)  # the GSI is eventually consistent
        if active is None or active.status != Status.ACTIVE:
            continue
        if current_record is None:  # the record as it is now, not as a (possibly replayed) image
            current_record = records.get_record(object_type, record.id)
            if current_record is None:
                return
        unenroll_if_suppressed(workflow, active, current_record, stop=True)


def members_joined(list_id: str, record_ids: Iterable[str]) -> int:
    """Records were added to a manual list: unenroll them from workflows that suppress the list.

    Cost: one read of the workflows, then one GetItem per record and workflow using the list (none
    when no workflow uses it). Answers how many enrollments ended.
    """
    from crmflow import lists

    using = lists.workflows_using(list_id)
    ended = 0
    for workflow in using:
        for record_id in record_ids:
            enrollment = store.get_enrollment(workflow.id, record_id)
            if enrollment is None or enrollment.status != Status.ACTIVE:
                continue
            if enrolling.unenroll(workflow, enrollment, Reason.SUPPRESSED):
                ended += 1
    return ended
