"""``/crm/v3/pipelines``: pipelines and their stages."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow.records import pipelines
from crmflow.records.models import resolve_object_type

router = APIGatewayHttpRouter()


@router.get("/crm/v3/pipelines/<object_type>")
def list_pipelines(object_type: str) -> dict[str, Any]:
    found = pipelines.list_pipelines(resolve_object_type(object_type))
    return {"results": [p.model_dump() for p in found]}


@router.get("/crm/v3/pipelines/<object_type>/<pipeline_id>")
def get_pipeline(object_type: str, pipeline_id: str) -> dict[str, Any]:
    return pipelines.get_pipeline(resolve_object_type(object_type), pipeline_id).model_dump()


@router.get("/crm/v3/pipelines/<object_type>/<pipeline_id>/stages")
def list_stages(object_type: str, pipeline_id: str) -> dict[str, Any]:
    pipeline = pipelines.get_pipeline(resolve_object_type(object_type), pipeline_id)
    return {"results": [s.model_dump() for s in pipeline.stages if not s.archived]}
