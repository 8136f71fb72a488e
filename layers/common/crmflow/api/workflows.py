"""``/workflows``: definitions, turning on and off, enrollments, log and stats (SPEC section 8)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from crmflow.access.principal import require_super_admin
from crmflow.engine.models import Status
from crmflow.errors import ValidationFailed
from crmflow.workflow_admin import explain, service
from crmflow.workflows import store
from crmflow.workflows.models import WorkflowDefinition

router = APIGatewayHttpRouter()


class EnableBody(BaseModel):
    enrollExisting: bool = False


class EnrollBody(BaseModel):
    recordId: str


@router.post("/workflows")
def create_workflow(definition: WorkflowDefinition) -> tuple[dict[str, Any], int]:
    require_super_admin()  # workflow actions run as the system and see every record
    return service.create(definition).body(), 201


MAX_WORKFLOW_PAGE = 100


@router.get("/workflows")
def list_workflows(
    limit: Annotated[int, Query(ge=1, le=MAX_WORKFLOW_PAGE)] = MAX_WORKFLOW_PAGE,
    after: Annotated[str | None, Query(description="The last workflow id of the previous page")] = None,
) -> dict[str, Any]:
    """Workflows in id order, ``limit`` a page; ``paging.next.after`` when there are more."""
    if after is not None and not (after.isascii() and after.isdigit()):
        raise ValidationFailed(f"after: '{after}' is not a valid paging cursor (a workflow id)")
    start = int(after) if after is not None else 0
    found = sorted((w for w in store.all_workflows() if int(w.id) > start), key=lambda w: int(w.id))
    answer: dict[str, Any] = {"results": [workflow.body() for workflow in found[:limit]]}
    if len(found) > limit:
        answer["paging"] = {"next": {"after": found[limit - 1].id, "link": None}}
    return answer


@router.get("/workflows/schema")
def workflow_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow definition."""
    return WorkflowDefinition.model_json_schema()


@router.get("/workflows/<workflow_id>")
def get_workflow(workflow_id: str) -> dict[str, Any]:
    return service.require(workflow_id).body()


@router.get("/workflows/<workflow_id>/revisions")
def list_revisions(workflow_id: str) -> dict[str, Any]:
    return service.revisions(workflow_id)


@router.get("/workflows/<workflow_id>/revisions/<revision>")
def get_revision(workflow_id: str, revision: int) -> dict[str, Any]:
    return service.revision(workflow_id, revision)


@router.put("/workflows/<workflow_id>")
def update_workflow(workflow_id: str, body: service.WorkflowUpdate) -> dict[str, Any]:
    require_super_admin()  # workflow actions run as the system and see every record
    return service.update(workflow_id, body).body()


@router.delete("/workflows/<workflow_id>")
def delete_workflow(workflow_id: str):  # a Response: no annotation
    require_super_admin()  # workflow actions run as the system and see every record
    service.delete(workflow_id)
    return Response(204)


@router.post("/workflows/<workflow_id>/enable")
def enable_workflow(workflow_id: str, body: EnableBody | None = None) -> dict[str, Any]:
    require_super_admin()  # workflow actions run as the system and see every record
    return service.enable(workflow_id, (body or EnableBody()).enrollExisting).body()


@router.post("/workflows/<workflow_id>/disable")
def disable_workflow(workflow_id: str) -> dict[str, Any]:
    require_super_admin()  # workflow actions run as the system and see every record
    return service.disable(workflow_id).body()


@router.post("/workflows/<workflow_id>/enrollments")
def enroll_record(workflow_id: str, body: EnrollBody) -> tuple[dict[str, Any], int]:
    return service.enroll_manually(workflow_id, body.recordId), 201


@router.post("/workflows/<workflow_id>/enrollments/<record_id>/retry")
def retry_enrollment(workflow_id: str, record_id: str) -> dict[str, Any]:
    """Resume a FAILED enrollment from its failed step (the steps before it do not run again)."""
    return service.retry_failed(workflow_id, record_id)


@router.delete("/workflows/<workflow_id>/enrollments/<record_id>")
def unenroll_record(workflow_id: str, record_id: str):  # a Response: no annotation
    service.unenroll_manually(workflow_id, record_id)
    return Response(204)


@router.get("/workflows/<workflow_id>/enrollments")
def list_enrollments(
    workflow_id: str,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    return service.enrollments(workflow_id, status, limit, after)


@router.get("/workflows/<workflow_id>/log")
def read_log(
    workflow_id: str,
    recordId: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    return service.log(workflow_id, recordId, limit, after)


@router.get("/workflows/<workflow_id>/stats")
def workflow_stats(workflow_id: str) -> dict[str, Any]:
    return service.stats(workflow_id).model_dump()


@router.get("/workflows/<workflow_id>/explain/<record_id>")
def explain_enrollment(workflow_id: str, record_id: str) -> dict[str, Any]:
    """L-4: which triggers, suppression lists and goal criteria the record meets, and its history."""
    return explain.explain(workflow_id, record_id)
