"""``/crm/v3/pipelines``: pipelines and their stages (T-1..T-4); editing is for super admins, and a
pipeline with an access list is seen only by the users and teams it names (and super admins)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import pipeline_edits as edits
from crmflow.access import policy, principal
from crmflow.errors import NotFound
from crmflow.records import pipelines
from crmflow.records.models import resolve_object_type

router = APIGatewayHttpRouter()
_ONE = "/crm/v3/pipelines/<object_type>/<pipeline_id>"


def _visible(object_type: str, pipeline_id: str) -> pipelines.Pipeline:
    object_type = resolve_object_type(object_type)
    pipeline = pipelines.get_pipeline(object_type, pipeline_id)
    if not policy.may_see_pipeline(principal.current(), object_type, pipeline):
        raise NotFound(f"Unable to find pipeline {pipeline_id} for {object_type}")
    return pipeline


def _body(pipeline: pipelines.Pipeline) -> dict[str, Any]:
    body = pipeline.model_dump(exclude={"stages"})
    body["stages"] = [edits.stage_payload(s) for s in pipeline.live_stages()]
    return body


@router.get("/crm/v3/pipelines/<object_type>")
def list_pipelines(object_type: str) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    who = principal.current()
    found = [p for p in pipelines.list_pipelines(object_type) if policy.may_see_pipeline(who, object_type, p)]
    return {"results": [_body(p) for p in found]}


@router.post("/crm/v3/pipelines/<object_type>")
def create_pipeline(object_type: str, body: edits.PipelineInput) -> tuple[dict[str, Any], int]:
    return _body(edits.create_pipeline(object_type, body)), 201


@router.get(_ONE)
def get_pipeline(object_type: str, pipeline_id: str) -> dict[str, Any]:
    return _body(_visible(object_type, pipeline_id))


@router.patch(_ONE)
def update_pipeline(object_type: str, pipeline_id: str, body: edits.PipelineUpdate) -> dict[str, Any]:
    return _body(edits.update_pipeline(object_type, pipeline_id, body))


@router.delete(_ONE)
def delete_pipeline(object_type: str, pipeline_id: str):  # a Response: no annotation
    edits.delete_pipeline(object_type, pipeline_id)
    return Response(204)


@router.get(f"{_ONE}/access")
def get_access(object_type: str, pipeline_id: str) -> dict[str, Any]:
    access = _visible(object_type, pipeline_id).access
    return {"restricted": access is not None, **(access or pipelines.PipelineAccess()).model_dump()}


@router.put(f"{_ONE}/access")
def put_access(object_type: str, pipeline_id: str, body: pipelines.PipelineAccess) -> dict[str, Any]:
    access = edits.set_access(object_type, pipeline_id, body).access
    return {"restricted": True, **(access or body).model_dump()}


@router.delete(f"{_ONE}/access")
def delete_access(object_type: str, pipeline_id: str):  # a Response: no annotation
    edits.set_access(object_type, pipeline_id, None)
    return Response(204)


@router.get(f"{_ONE}/stages")
def list_stages(object_type: str, pipeline_id: str) -> dict[str, Any]:
    return {"results": _body(_visible(object_type, pipeline_id))["stages"]}


@router.post(f"{_ONE}/stages")
def add_stage(object_type: str, pipeline_id: str, body: edits.StageInput) -> tuple[dict[str, Any], int]:
    return dict(edits.stage_payload(edits.add_stage(object_type, pipeline_id, body))), 201


@router.get(f"{_ONE}/stages/<stage_id>")
def get_stage(object_type: str, pipeline_id: str, stage_id: str) -> dict[str, Any]:
    stage = _visible(object_type, pipeline_id).stage(stage_id)
    if stage is None:
        raise NotFound(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
    return dict(edits.stage_payload(stage))


@router.patch(f"{_ONE}/stages/<stage_id>")
def update_stage(
    object_type: str, pipeline_id: str, stage_id: str, body: edits.StageUpdate
) -> dict[str, Any]:
    return dict(edits.stage_payload(edits.update_stage(object_type, pipeline_id, stage_id, body)))


@router.delete(f"{_ONE}/stages/<stage_id>")
def delete_stage(
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    moveTicketsTo: Annotated[str | None, Query(description="T-3: the stage its records move to")] = None,
):  # a Response: no annotation
    edits.delete_stage(object_type, pipeline_id, stage_id, moveTicketsTo)
    return Response(204)
