"""``GET /crm/v3/objects/{objectType}/{recordId}/workflows``: the workflows a record is in (read only).

One query of the enrollments table's ``byRecord`` index (the record's latest enrollment in each
workflow), after the record itself is read through the records service, so T-5 applies as on every
other route: a ticket the caller may not see answers 404 exactly as a ticket that does not exist.
Enrollments of workflows deleted since are left out.
"""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from crmflow.engine import store as engine_store
from crmflow.engine.models import Status
from crmflow.records import service as records
from crmflow.records.models import resolve_object_type
from crmflow.workflows import store

router = APIGatewayHttpRouter()


class RecordWorkflow(BaseModel):
    """The record's latest enrollment in one workflow, with the workflow's name and state."""

    workflowId: str
    name: str
    enabled: bool
    status: Status
    currentActionId: str | None
    waitingUntil: str | None
    enrolledAt: str
    endedAt: str | None


class RecordWorkflows(BaseModel):
    results: list[RecordWorkflow]


@router.get("/crm/v3/objects/<object_type>/<record_id>/workflows")
def record_workflows(object_type: str, record_id: str) -> RecordWorkflows:
    """Every workflow the record has enrolled in: its ``ACTIVE`` enrollments first (where it is:
    ``currentActionId``, ``waitingUntil``), then those that ended, each in workflow id order."""
    object_type = resolve_object_type(object_type)
    record = records.require_record(object_type, record_id)  # 404 when missing, archived or hidden (T-5)
    workflows = {workflow.id: workflow for workflow in store.all_workflows()}
    found = []
    for enrollment in engine_store.record_enrollments(object_type, record.id):
        workflow = workflows.get(enrollment.workflowId)
        if workflow is None:
            continue
        found.append(
            RecordWorkflow(
                workflowId=workflow.id,
                name=workflow.definition.name,
                enabled=workflow.enabled,
                status=enrollment.status,
                currentActionId=enrollment.currentActionId,
                waitingUntil=enrollment.waitingUntil,
                enrolledAt=enrollment.enrolledAt,
                endedAt=enrollment.endedAt,
            )
        )
    found.sort(key=lambda item: (item.status != Status.ACTIVE, int(item.workflowId)))
    return RecordWorkflows(results=found)
