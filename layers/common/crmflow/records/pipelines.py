"""Pipelines and stages: HubSpot's defaults from code, custom or edited ones stored in the Config table.

A stored pipeline (``pk=PIPELINE#{type}``, ``sk=<id>``, attribute ``pipeline``) replaces the default
of the same id; a stored pipeline with ``archived`` true hides it.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from crmflow import aws
from crmflow.config import get_settings
from crmflow.dynamo import deserialize
from crmflow.errors import NotFound, ValidationFailed

_EPOCH = "2026-01-01T00:00:00.000Z"

# (pipeline property, stage property) for the object types that have pipelines.
PIPELINE_PROPERTIES: dict[str, tuple[str, str]] = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
    "leads": ("hs_pipeline", "hs_pipeline_stage"),
}


class Stage(BaseModel):
    id: str
    label: str
    displayOrder: int
    metadata: dict[str, str] = Field(default_factory=dict)
    requiredProperties: list[str] = Field(default_factory=list)
    archived: bool = False
    createdAt: str = _EPOCH
    updatedAt: str = _EPOCH


class PipelineAccess(BaseModel):
    """Who may see a pipeline and its records (tickets): these users and the members of these teams."""

    userIds: list[str] = Field(default_factory=list)
    teamIds: list[str] = Field(default_factory=list)


class Pipeline(BaseModel):
    id: str
    label: str
    displayOrder: int = 0
    stages: list[Stage]
    access: PipelineAccess | None = None  # None: everyone who may see the object type
    archived: bool = False
    createdAt: str = _EPOCH
    updatedAt: str = _EPOCH

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id and not s.archived), None)

    def live_stages(self) -> list[Stage]:
        """The stages that are not deleted, in display order (the first is where new records go)."""
        return sorted((s for s in self.stages if not s.archived), key=lambda s: s.displayOrder)


def _deal_stage(order: int, stage_id: str, label: str, probability: str, closed: bool = False) -> Stage:
    return Stage(
        id=stage_id,
        label=label,
        displayOrder=order,
        metadata={"isClosed": "true" if closed else "false", "probability": probability},
    )


DEFAULT_PIPELINES: dict[str, list[Pipeline]] = {
    "deals": [
        Pipeline(
            id="default",
            label="Sales Pipeline",
            stages=[
                _deal_stage(0, "appointmentscheduled", "Appointment Scheduled", "0.2"),
                _deal_stage(1, "qualifiedtobuy", "Qualified To Buy", "0.4"),
                _deal_stage(2, "presentationscheduled", "Presentation Scheduled", "0.6"),
                _deal_stage(3, "decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
                _deal_stage(4, "contractsent", "Contract Sent", "0.9"),
                _deal_stage(5, "closedwon", "Closed Won", "1.0", closed=True),
                _deal_stage(6, "closedlost", "Closed Lost", "0.0", closed=True),
            ],
        )
    ],
    "tickets": [
        Pipeline(
            id="0",
            label="Support Pipeline",
            stages=[
                Stage(id="1", label="New", displayOrder=0, metadata={"ticketState": "OPEN"}),
                Stage(id="2", label="Waiting on contact", displayOrder=1, metadata={"ticketState": "OPEN"}),
                Stage(id="3", label="Waiting on us", displayOrder=2, metadata={"ticketState": "OPEN"}),
                Stage(id="4", label="Closed", displayOrder=3, metadata={"ticketState": "CLOSED"}),
            ],
        )
    ],
    "leads": [
        Pipeline(
            id="default",
            label="Lead pipeline",
            stages=[
                Stage(id=stage_id, label=stage_id.capitalize(), displayOrder=i, metadata={"isClosed": closed})
                for i, (stage_id, closed) in enumerate(
                    [
                        ("new", "false"),
                        ("attempting", "false"),
                        ("connected", "false"),
                        ("qualified", "true"),
                        ("disqualified", "true"),
                    ]
                )
            ],
        )
    ],
}


def _stored_pipelines(object_type: str) -> list[Pipeline]:
    found: list[Pipeline] = []
    kwargs: dict[str, Any] = {
        "TableName": get_settings().config_table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"PIPELINE#{object_type}"}},
    }
    while True:
        page = aws.client("dynamodb").query(**kwargs)
        found += [Pipeline.model_validate(deserialize(item)["pipeline"]) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def has_pipelines(object_type: str) -> bool:
    return object_type in PIPELINE_PROPERTIES


def list_pipelines(object_type: str) -> list[Pipeline]:
    """The live pipelines of ``object_type`` in display order (defaults overridden by stored ones)."""
    if not has_pipelines(object_type):
        raise ValidationFailed(f"Object type {object_type} has no pipelines")
    by_id = {p.id: p for p in DEFAULT_PIPELINES[object_type]}
    by_id.update({p.id: p for p in _stored_pipelines(object_type)})
    live = [p for p in by_id.values() if not p.archived]
    return sorted(live, key=lambda p: (p.displayOrder, p.id))


def get_pipeline(object_type: str, pipeline_id: str) -> Pipeline:
    """One live pipeline; 404 when there is none."""
    for pipeline in list_pipelines(object_type):
        if pipeline.id == pipeline_id:
            return pipeline
    raise NotFound(f"Unable to find pipeline {pipeline_id} for {object_type}")


def apply_pipeline(
    object_type: str,
    current: Mapping[str, str | None],
    changes: Mapping[str, str | None],
    pipelines: list[Pipeline] | None = None,
) -> dict[str, str | None]:
    """``changes`` completed and checked for the pipeline rules, given the record's ``current`` properties.

    A new record without pipeline or stage gets the default pipeline and its first stage; a stage must
    belong to the record's pipeline (400 naming the stage property otherwise).
    """
    if not has_pipelines(object_type):
        return dict(changes)
    pipeline_prop, stage_prop = PIPELINE_PROPERTIES[object_type]
    if pipeline_prop not in changes and stage_prop not in changes and current:
        return dict(changes)
    pipelines = pipelines if pipelines is not None else list_pipelines(object_type)
    if not pipelines:
        raise ValidationFailed(
            f"{pipeline_prop}: no pipeline of {object_type} is open to you",
            context={"propertyName": [pipeline_prop]},
        )
    result = dict(changes)
    pipeline_id = changes.get(pipeline_prop, current.get(pipeline_prop))
    stage_id = changes.get(stage_prop, current.get(stage_prop))
    default = next((p for p in pipelines if p.id == DEFAULT_PIPELINES[object_type][0].id), pipelines[0])
    if pipeline_id is None and stage_id is not None:
        # A stage without a pipeline: the pipeline that has that stage, the default first.
        owner = next((p for p in [default, *pipelines] if p.stage(stage_id)), None)
        pipeline_id = owner.id if owner else default.id
        result[pipeline_prop] = pipeline_id
    elif pipeline_id is None:
        pipeline_id = default.id
        result[pipeline_prop] = pipeline_id
    pipeline = next((p for p in pipelines if p.id == pipeline_id), None)
    if pipeline is None:
        raise ValidationFailed(
            f"Property values were not valid: {pipeline_prop}: {pipeline_id!r} is not a valid pipeline id",
            context={"propertyName": [pipeline_prop]},
        )
    if stage_id is None:
        stage_id = pipeline.live_stages()[0].id
        result[stage_prop] = stage_id
    if pipeline.stage(stage_id) is None:
        raise ValidationFailed(
            f"Property values were not valid: {stage_prop}: {stage_id!r} is not a valid stage "
            f"of pipeline {pipeline.id}",
            context={"propertyName": [stage_prop]},
        )
    return result


def stage_of(object_type: str, properties: Mapping[str, str | None]) -> Stage | None:
    """The stage a record sits in (``None`` when the type has no pipelines or the stage is unknown)."""
    if not has_pipelines(object_type):
        return None
    pipeline_prop, stage_prop = PIPELINE_PROPERTIES[object_type]
    stage_id = properties.get(stage_prop)
    for pipeline in list_pipelines(object_type):
        if pipeline.id == properties.get(pipeline_prop) and stage_id:
            return pipeline.stage(stage_id)
    return None
