"""Editing pipelines and their stages (SPEC 6, T-1..T-4) for deals, tickets and leads.

A pipeline is saved whole in the Config table (``pk=PIPELINE#{type}``, ``sk={id}``); a saved default
pipeline replaces the built-in one. Deleting marks it archived. Every check runs before anything is
written: a 400 changes nothing.
"""

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmflow import clock
from crmflow.access import principal
from crmflow.config import get_settings
from crmflow.dynamo import db, increment, serialize
from crmflow.errors import ValidationFailed
from crmflow.records import pipelines, store
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records.models import Record, Source, SourceType, resolve_object_type
from crmflow.records.pipelines import DEFAULT_PIPELINES, Pipeline, PipelineAccess, Stage

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
FIRST_ID = 1000  # new pipeline and stage ids start here, clear of HubSpot's default ids


def _metadata(value: Any) -> Any:
    """Metadata values as text (HubSpot sends ``true``/``0.2`` as strings); keys are identifiers."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not _KEY.match(key):
                raise ValueError(f"metadata key {key!r} must be a name of letters, digits and _ (at most 64)")
    return _text(value)


def _text(value: Any) -> Any:
    return (
        {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
        if isinstance(value, dict)
        else value
    )


class StageInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=100)
    displayOrder: int = 0
    metadata: dict[str, str] = Field(default_factory=dict)
    requiredProperties: list[str] = Field(
        default_factory=list, description="T-4: properties a record needs to enter"
    )

    _metadata_text = field_validator("metadata", mode="before")(_metadata)


class StageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=100)
    displayOrder: int | None = None
    metadata: dict[str, str] | None = None
    requiredProperties: list[str] | None = None

    _metadata_text = field_validator("metadata", mode="before")(_metadata)


class PipelineInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=100)
    displayOrder: int = 0
    stages: list[StageInput] = Field(min_length=1)


class PipelineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=100)
    displayOrder: int | None = None


# ---------------------------------------------------------------- checks
def _check_stage(object_type: str, stage: Stage, where: str) -> None:
    metadata = stage.metadata
    if object_type == "tickets" and metadata.get("ticketState") not in ("OPEN", "CLOSED"):
        raise ValidationFailed(f"{where}.metadata.ticketState: must be OPEN or CLOSED")
    if object_type in ("deals", "leads") and metadata.get("isClosed", "false") not in ("true", "false"):
        raise ValidationFailed(f"{where}.metadata.isClosed: must be true or false")
    if object_type == "deals":
        try:
            probability = float(metadata.get("probability", ""))
        except ValueError:
            raise ValidationFailed(
                f"{where}.metadata.probability: must be a number from 0.0 to 1.0"
            ) from None
        if not 0.0 <= probability <= 1.0:
            raise ValidationFailed(f"{where}.metadata.probability: must be a number from 0.0 to 1.0")
    definitions = property_defs.definitions(object_type)
    for name in stage.requiredProperties:
        definition = definitions.get(name)
        if definition is None:
            raise ValidationFailed(
                f"{where}.requiredProperties: {name} is not a property of {object_type}",
                context={"requiredProperties": [name]},
            )
        if definition.read_only:
            raise ValidationFailed(
                f"{where}.requiredProperties: {name} is read-only or calculated and cannot be required",
                context={"requiredProperties": [name]},
            )


def _check(object_type: str, pipeline: Pipeline) -> None:
    """Every stage valid, labels unique, and T-2: a ticket pipeline keeps an open and a closed status."""
    live = [stage for stage in pipeline.stages if not stage.archived]
    if not live:
        raise ValidationFailed("stages: a pipeline needs at least one stage")
    for i, stage in enumerate(pipeline.stages):
        if not stage.archived:
            _check_stage(object_type, stage, f"stages[{i}]")
    labels = [stage.label.casefold() for stage in live]
    if len(set(labels)) != len(labels):
        raise ValidationFailed("stages: two stages have the same label")
    if object_type == "tickets":
        states = {stage.metadata.get("ticketState") for stage in live}
        if states != {"OPEN", "CLOSED"}:
            missing = "open" if "OPEN" not in states else "closed"
            raise ValidationFailed(
                "stages: a ticket pipeline must keep at least one open and one closed status; "
                f"this would leave no {missing} status"
            )


# ---------------------------------------------------------------- storage
def _save(object_type: str, pipeline: Pipeline) -> Pipeline:
    item = {"pk": f"PIPELINE#{object_type}", "sk": pipeline.id, "pipeline": pipeline.model_dump(mode="json")}
    db().put_item(TableName=get_settings().config_table, Item=serialize(item))
    return pipeline


def _new_id(object_type: str, kind: str) -> str:
    return str(FIRST_ID + increment(get_settings().config_table, "COUNTER", f"{kind}#{object_type}"))


def _holding(object_type: str, pipeline_id: str, stage_id: str | None = None) -> list[Record]:
    """The live records in a pipeline (or one of its stages), whoever asks."""
    pipeline_prop, stage_prop = pipelines.PIPELINE_PROPERTIES[object_type]
    with principal.acting_as(principal.SYSTEM):
        return [
            record
            for record in store.scan_type(object_type)
            if record.properties.get(pipeline_prop) == pipeline_id
            and (stage_id is None or record.properties.get(stage_prop) == stage_id)
        ]


def _editable(object_type: str) -> str:
    object_type = resolve_object_type(object_type)
    if not pipelines.has_pipelines(object_type):
        raise ValidationFailed(f"Object type {object_type} has no pipelines")
    principal.require_super_admin()
    return object_type


# ---------------------------------------------------------------- pipelines (T-1, T-2)
def create_pipeline(object_type: str, data: PipelineInput) -> Pipeline:
    object_type = _editable(object_type)
    now = clock.iso(clock.now())
    stages = [Stage(id="new", **spec.model_dump(), createdAt=now, updatedAt=now) for spec in data.stages]
    draft = Pipeline(
        id="new",
        label=data.label,
        displayOrder=data.displayOrder,
        stages=stages,
        createdAt=now,
        updatedAt=now,
    )
    _check(object_type, draft)
    for stage in draft.stages:
        stage.id = _new_id(object_type, "stage")
    draft.id = _new_id(object_type, "pipeline")
    return _save(object_type, draft)


def update_pipeline(object_type: str, pipeline_id: str, data: PipelineUpdate) -> Pipeline:
    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    changes = data.model_dump(exclude_none=True)
    return _save(object_type, current.model_copy(update={**changes, "updatedAt": clock.iso(clock.now())}))


def delete_pipeline(object_type: str, pipeline_id: str) -> None:
    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    if any(p.id == pipeline_id for p in DEFAULT_PIPELINES[object_type]):
        raise ValidationFailed(
            f"pipelineId: {pipeline_id} is the default pipeline of {object_type}; it always exists"
        )
    held = len(_holding(object_type, pipeline_id))
    if held:
        raise ValidationFailed(
            f"pipelineId: pipeline {pipeline_id} holds {held} {object_type}; "
            "move or delete them before deleting it",
            context={"count": [str(held)]},
        )
    _save(object_type, current.model_copy(update={"archived": True, "updatedAt": clock.iso(clock.now())}))


def set_access(object_type: str, pipeline_id: str, access: PipelineAccess | None) -> Pipeline:
    """Limit who sees a pipeline and its records to some users and teams (``None``: everyone)."""
    from crmflow.access import users

    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    if object_type != "tickets":
        raise ValidationFailed(
            f"access: access lists apply to ticket pipelines; {object_type} are not restricted"
        )
    if access is not None:
        unknown_users = [u for u in access.userIds if users.get_user(u) is None]
        unknown_teams = [t for t in access.teamIds if users.get_team(t) is None]
        if unknown_users or unknown_teams:
            names = [f"userIds: {', '.join(unknown_users)}"] if unknown_users else []
            names += [f"teamIds: {', '.join(unknown_teams)}"] if unknown_teams else []
            raise ValidationFailed(f"no such {'; '.join(names)}")
    return _save(
        object_type, current.model_copy(update={"access": access, "updatedAt": clock.iso(clock.now())})
    )


# ---------------------------------------------------------------- stages (T-3, T-4)
def _stage_index(pipeline: Pipeline, stage_id: str) -> int:
    for i, stage in enumerate(pipeline.stages):
        if stage.id == stage_id and not stage.archived:
            return i
    from crmflow.errors import NotFound

    raise NotFound(f"Unable to find stage {stage_id} in pipeline {pipeline.id}")


def add_stage(object_type: str, pipeline_id: str, data: StageInput) -> Stage:
    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    now = clock.iso(clock.now())
    stage = Stage(id="new", **data.model_dump(), createdAt=now, updatedAt=now)
    _check(object_type, current.model_copy(update={"stages": [*current.stages, stage]}))
    stage.id = _new_id(object_type, "stage")
    _save(object_type, current.model_copy(update={"stages": [*current.stages, stage], "updatedAt": now}))
    return stage


def update_stage(object_type: str, pipeline_id: str, stage_id: str, data: StageUpdate) -> Stage:
    """Rename, reorder or change a stage; its id never changes."""
    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    index = _stage_index(current, stage_id)
    now = clock.iso(clock.now())
    stage = current.stages[index].model_copy(update={**data.model_dump(exclude_none=True), "updatedAt": now})
    stages = [*current.stages[:index], stage, *current.stages[index + 1 :]]
    updated = current.model_copy(update={"stages": stages, "updatedAt": now})
    _check(object_type, updated)
    _save(object_type, updated)
    return stage


def delete_stage(object_type: str, pipeline_id: str, stage_id: str, move_to: str | None) -> int:
    """Delete a stage; the records in it move to ``move_to`` (same pipeline), each a normal update
    that the stream (and so workflows) sees. Answers how many moved."""
    object_type = _editable(object_type)
    current = pipelines.get_pipeline(object_type, pipeline_id)
    index = _stage_index(current, stage_id)
    now = clock.iso(clock.now())
    stages = [
        s.model_copy(update={"archived": True, "updatedAt": now}) if i == index else s
        for i, s in enumerate(current.stages)
    ]
    remaining = current.model_copy(update={"stages": stages, "updatedAt": now})
    _check(object_type, remaining)
    held = _holding(object_type, pipeline_id, stage_id)
    if move_to is not None and remaining.stage(move_to) is None:
        raise ValidationFailed(f"moveTicketsTo: {move_to} is not another stage of pipeline {pipeline_id}")
    if held and move_to is None:
        raise ValidationFailed(
            f"moveTicketsTo: stage {stage_id} holds {len(held)} {object_type}; give a stage of pipeline "
            f"{pipeline_id} to move them to",
            context={"count": [str(len(held))]},
        )
    if held:
        target = remaining.stage(move_to or "")
        if target is None:
            raise ValidationFailed(f"moveTicketsTo: {move_to} is not another stage of pipeline {pipeline_id}")
        _check_required_for_all(object_type, held, target)
        _, stage_prop = pipelines.PIPELINE_PROPERTIES[object_type]
        source = Source(type=SourceType.SYSTEM, id=f"stage {stage_id} deleted", label="T-3")
        with principal.acting_as(principal.SYSTEM):
            for record in held:
                records.update_record(
                    object_type, record.id, {stage_prop: target.id}, system=True, source=source
                )
    _save(object_type, remaining)
    return len(held)


def _check_required_for_all(object_type: str, held: list[Record], target: Stage) -> None:
    """T-4 for the stage-delete move: every record must have the target's required properties."""
    missing: dict[str, list[str]] = {}
    for record in held:
        lacking = [name for name in target.requiredProperties if not record.properties.get(name)]
        if lacking:
            missing[record.id] = lacking
    if missing:
        detail = "; ".join(f"{record_id} lacks {', '.join(names)}" for record_id, names in missing.items())
        raise ValidationFailed(
            f"moveTicketsTo: stage {target.id} requires {', '.join(target.requiredProperties)}: {detail}",
            context={"ids": list(missing)},
        )


def stage_payload(stage: Stage) -> Mapping[str, Any]:
    return stage.model_dump(exclude={"archived"})
