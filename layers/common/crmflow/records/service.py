"""CRM records: create, read, update, archive, batch and list (HubSpot CRM v3 rules).

Workflow actions and other domains call these with plain names:
:func:`get_record`, :func:`create_record`, :func:`update_record`, :func:`archive_record`,
:func:`iter_records`, :func:`list_associations`, :func:`associate`. ``system=True`` lets the engine
set read-only/calculated properties (users cannot); ``source`` says who writes, for the property
history. Every check runs before anything is written, so a 400 stores nothing.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel

from crmflow import clock
from crmflow.access import policy, principal
from crmflow.errors import NotFound, ValidationFailed
from crmflow.records import associations as assoc_types
from crmflow.records import history, pipelines, properties, store
from crmflow.records.models import (
    API,
    Association,
    AssociationInput,
    Record,
    RecordCreate,
    Source,
    resolve_object_type,
)

MAX_PAGE = 100
MAX_BATCH = 100
MAX_CREATE_ASSOCIATIONS = 49  # 1 record + 2 items per association in one 100-item transaction


class Page(BaseModel):
    """One page of records and the cursor of the next page (``None`` on the last)."""

    results: list[Record]
    after: str | None = None
    total: int | None = None


# ---------------------------------------------------------------- reading


def visible(object_type: str) -> Callable[[Record], bool]:
    """T-5: the test records of ``object_type`` pass to be seen by the current principal (the API's
    user; the system sees everything). Every read below applies it, so a hidden record is missing."""
    return policy.visibility(principal.current(), object_type)


def get_record(object_type: str, record_id: str) -> Record | None:
    """The live record, or ``None`` when it does not exist, is archived, or is hidden from the caller."""
    object_type = resolve_object_type(object_type)
    record = store.get(object_type, str(record_id))
    return record if record is not None and not record.archived and visible(object_type)(record) else None


def require_record(object_type: str, record_id: str, *, id_property: str | None = None) -> Record:
    """The live record (looked up by ``id_property`` when given); 404 otherwise."""
    object_type = resolve_object_type(object_type)
    if id_property and id_property != "hs_object_id":
        record = find_by_unique_property(object_type, id_property, record_id)
    else:
        record = get_record(object_type, record_id)
    if record is None:
        raise NotFound(f"Object not found.  objectId are usually numeric. ({object_type} {record_id})")
    return record


def find_by_unique_property(object_type: str, name: str, value: str) -> Record | None:
    """The live record whose unique property ``name`` equals ``value`` (case-insensitive)."""
    object_type = resolve_object_type(object_type)
    definition = properties.definitions(object_type).get(name)
    if definition is None or not definition.hasUniqueValue:
        raise ValidationFailed(f"idProperty: {name} is not a unique property of {object_type}")
    wanted = value.casefold()
    return next(
        (r for r in iter_records(object_type) if (r.properties.get(name) or "").casefold() == wanted), None
    )


def iter_records(object_type: str, *, archived: bool = False) -> Iterator[Record]:
    """Every live (or, with ``archived``, every archived) record of a type, page by page from DynamoDB."""
    object_type = resolve_object_type(object_type)
    return filter(visible(object_type), store.scan_type(object_type, archived=archived))


def list_records(
    object_type: str, *, limit: int = 10, after: str | None = None, archived: bool = False
) -> Page:
    """One page of records in id order; ``after`` is the last id of the previous page."""
    object_type = resolve_object_type(object_type)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: must be between 1 and {MAX_PAGE}")
    if after is not None and not (after.isascii() and after.isdigit()):
        raise ValidationFailed(f"after: '{after}' is not a valid paging cursor")
    shown = filter(visible(object_type), store.scan_type(object_type, archived=archived, after=after))
    found = list(islice(shown, limit + 1))
    results = found[:limit]
    return Page(results=results, after=results[-1].id if len(found) > limit else None)


def present(object_type: str, record: Record, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The record as the API answers it: all properties with a value, or exactly ``names`` (plus ids)."""
    if names:
        always = ["hs_object_id", "createdate", "hs_lastmodifieddate"]
        if object_type == "contacts":
            always.append("lastmodifieddate")
        shown = {name: record.properties.get(name) for name in [*names, *always]}
    else:
        shown = {name: value for name, value in record.properties.items() if value not in (None, "")}
    body = record.model_dump(exclude={"properties", "archivedAt", "history"})
    body["properties"] = dict(sorted(shown.items()))
    if record.archived:
        body["archivedAt"] = record.archivedAt
    return body


# ---------------------------------------------------------------- writing


def _stamp(object_type: str, values: dict[str, str | None], at: str) -> None:
    values["hs_lastmodifieddate"] = at
    if object_type == "contacts":
        values["lastmodifieddate"] = at


def _calculated(object_type: str, merged: Mapping[str, str | None], changes: dict[str, str | None]) -> None:
    """Recompute calculated properties that depend on what changes (deal closed/won from its stage)."""
    if object_type == "deals" and "dealstage" in changes:
        stage = pipelines.stage_of(object_type, merged)
        closed = stage is not None and stage.metadata.get("isClosed") == "true"
        won = closed and stage is not None and float(stage.metadata.get("probability", "0")) >= 1.0
        changes["hs_is_closed"] = "true" if closed else "false"
        changes["hs_is_closed_won"] = "true" if won else "false"


def _check_required(object_type: str, merged: Mapping[str, str | None]) -> None:
    """A stage may list properties a record needs to enter it (T-4)."""
    stage = pipelines.stage_of(object_type, merged)
    if stage is None:
        return
    missing = [name for name in stage.requiredProperties if not merged.get(name)]
    if missing:
        raise ValidationFailed(
            f"Stage {stage.label!r} ({stage.id}) requires values for: {', '.join(missing)} (T-4)",
            context={"propertyName": missing},
        )


def _pipelines_for_caller(
    object_type: str, changes: Mapping[str, str | None]
) -> list[pipelines.Pipeline] | None:
    """The pipelines a write may put a record in: those the caller may see (a hidden pipeline is as
    unknown as a missing one); ``None`` (all) when nothing restricts the caller or the write."""
    if not pipelines.has_pipelines(object_type) or not set(changes) & set(
        pipelines.PIPELINE_PROPERTIES[object_type]
    ):
        return None
    who = principal.current()
    if who.unrestricted:
        return None
    return [p for p in pipelines.list_pipelines(object_type) if policy.may_see_pipeline(who, object_type, p)]


def _prepare_create(
    object_type: str, values: Mapping[str, str | None], *, system: bool
) -> dict[str, str | None]:
    defs = properties.definitions(object_type)
    checked = properties.validate_properties(object_type, values, defs, system=system)
    checked = pipelines.apply_pipeline(object_type, {}, checked, _pipelines_for_caller(object_type, checked))
    _check_required(object_type, checked)
    return checked


def _association_pairs(
    object_type: str, record_id: str, inputs: Sequence[AssociationInput]
) -> list[tuple[Association, Association]]:
    """Create-body associations as (forward, inverse) pairs; 400 naming the input when one is invalid."""
    if len(inputs) > MAX_CREATE_ASSOCIATIONS:
        raise ValidationFailed(f"associations: at most {MAX_CREATE_ASSOCIATIONS} associations per record")
    pairs = []
    for i, spec in enumerate(inputs):
        type_ids = [t.associationTypeId for t in spec.types]
        to_type = assoc_types.target_type(object_type, type_ids)
        if to_type is None:
            raise ValidationFailed(
                f"associations[{i}].types: association type ids {type_ids} are not valid from {object_type}",
                context={"associations": [str(i)]},
            )
        if get_record(to_type, spec.to.id) is None:
            raise ValidationFailed(
                f"associations[{i}].to.id: {to_type} {spec.to.id} does not exist",
                context={"associations": [str(i)]},
            )
        forward, backward = assoc_types.resolve_types(object_type, to_type, type_ids)
        pairs.append(
            (
                Association(
                    fromType=object_type, fromId=record_id, toType=to_type, toId=spec.to.id, types=forward
                ),
                Association(
                    fromType=to_type, fromId=spec.to.id, toType=object_type, toId=record_id, types=backward
                ),
            )
        )
    return pairs


def _insert(
    object_type: str,
    checked: dict[str, str | None],
    associations: Sequence[AssociationInput],
    source: Source,
) -> Record:
    record_id = store.next_id(object_type)
    pairs = _association_pairs(object_type, record_id, associations)
    at = clock.iso(clock.now())
    values: dict[str, str | None] = {k: v for k, v in checked.items() if v is not None}
    _calculated(object_type, values, values)
    values.update(hs_object_id=record_id, createdate=at)
    _stamp(object_type, values, at)
    kept = {name: [entry] for name, entry in history.entries_for({}, values, source, at).items()}
    record = Record(id=record_id, properties=values, createdAt=at, updatedAt=at, history=kept)
    store.insert(object_type, record, pairs)
    return record


def create_record(
    object_type: str,
    properties: Mapping[str, str | None],
    associations: Sequence[AssociationInput | Mapping[str, Any]] | None = None,
    *,
    system: bool = False,
    source: Source = API,
) -> Record:
    """Create a record (with its ``associations`` in HubSpot's create-body form)."""
    object_type = resolve_object_type(object_type)
    inputs = [
        a if isinstance(a, AssociationInput) else AssociationInput.model_validate(a)
        for a in associations or []
    ]
    checked = _prepare_create(object_type, properties, system=system)
    _association_pairs(object_type, "0", inputs)  # validate before an id is taken
    return _insert(object_type, checked, inputs, source)


def _prepare_update(
    object_type: str, current: Record, values: Mapping[str, str | None], *, system: bool
) -> dict[str, str | None]:
    defs = properties.definitions(object_type)
    checked = properties.validate_properties(object_type, values, defs, system=system)
    checked = pipelines.apply_pipeline(
        object_type, current.properties, checked, _pipelines_for_caller(object_type, checked)
    )
    merged = {**current.properties, **checked}
    if set(checked) & set(pipelines.PIPELINE_PROPERTIES.get(object_type, ())):
        _check_required(object_type, merged)  # T-4: only when the record enters a stage
    _calculated(object_type, merged, checked)
    return checked


def update_record(
    object_type: str,
    record_id: str,
    properties: Mapping[str, str | None],
    *,
    system: bool = False,
    source: Source = API,
) -> Record:
    """Change properties of a live record (``None`` or ``""`` clears one); 404 when missing or archived."""
    object_type = resolve_object_type(object_type)
    current = require_record(object_type, str(record_id))
    checked = _prepare_update(object_type, current, properties, system=system)
    updated = _write_update(object_type, current, checked, source)
    if updated is None:
        raise NotFound(f"Object not found. ({object_type} {record_id})")
    return updated


def _write_update(
    object_type: str, current: Record, checked: dict[str, str | None], source: Source
) -> Record | None:
    at = clock.iso(clock.now())
    _stamp(object_type, checked, at)
    kept = history.entries_for(current.properties, checked, source, at)
    return store.update_properties(object_type, current.id, checked, at, kept)


def preview_update(
    object_type: str, current: Record, values: Mapping[str, str | None], at: str
) -> dict[str, str | None]:
    """The properties ``current`` would have after :func:`update_record` by the system at ``at``,
    with the same checks and errors, saving nothing (test mode plays updates on a copy)."""
    object_type = resolve_object_type(object_type)
    checked = _prepare_update(object_type, current, values, system=True)
    _stamp(object_type, checked, at)
    merged = {**current.properties, **checked}
    return {name: value for name, value in merged.items() if value is not None}


def archive_record(object_type: str, record_id: str) -> bool:
    """Archive a record and drop its associations; False when there was no live record."""
    object_type = resolve_object_type(object_type)
    record_id = str(record_id)
    if get_record(object_type, record_id) is None:
        return False
    if not store.mark_archived(object_type, record_id, clock.iso(clock.now())):
        return False
    links = [
        (a.fromType, a.fromId, a.toType, a.toId) for a in store.query_associations(object_type, record_id)
    ]
    store.delete_associations(links)
    return True


# ---------------------------------------------------------------- batches


def _check_batch(inputs: Sequence[Any]) -> None:
    if len(inputs) > MAX_BATCH:
        raise ValidationFailed(f"inputs: at most {MAX_BATCH} inputs per batch")


T = TypeVar("T")
P = TypeVar("P")


def _each_input(inputs: Sequence[T], prepare: Callable[[T], P]) -> list[P]:
    """``prepare`` every input; one 400 naming every input that failed and why (nothing is written)."""
    prepared, failed = [], []
    for i, item in enumerate(inputs):
        try:
            prepared.append(prepare(item))
        except ValidationFailed as error:
            failed.append((i, error))
    if failed:
        raise ValidationFailed(
            "; ".join(f"inputs[{i}]: {error.message}" for i, error in failed),
            context={"inputs": [str(i) for i, _ in failed]},
        )
    return prepared


def batch_create(object_type: str, inputs: Sequence[RecordCreate], source: Source = API) -> list[Record]:
    """Create every input, or nothing when one of them is invalid (400 naming its index)."""
    object_type = resolve_object_type(object_type)
    _check_batch(inputs)
    prepared = _each_input(
        inputs,
        lambda item: (
            _association_pairs(object_type, "0", item.associations),
            _prepare_create(object_type, item.properties, system=False),
        )[1],
    )
    created = []
    for checked, item in zip(prepared, inputs, strict=True):
        created.append(_insert(object_type, checked, item.associations, source))
    return created


def batch_read(object_type: str, ids: Sequence[str]) -> tuple[list[Record], list[str]]:
    """The live records among ``ids`` (in the order asked) and the ids not found."""
    object_type = resolve_object_type(object_type)
    _check_batch(ids)
    found = store.get_many(object_type, [str(i) for i in ids])
    seen = visible(object_type)
    live = {i: r for i, r in found.items() if not r.archived and seen(r)}
    ordered = list(dict.fromkeys(str(i) for i in ids))
    return [live[i] for i in ordered if i in live], [i for i in ordered if i not in live]


def batch_update(
    object_type: str, inputs: Sequence[tuple[str, Mapping[str, str | None]]], source: Source = API
) -> list[Record]:
    """Update every ``(id, properties)``, or nothing when one is invalid or missing."""
    object_type = resolve_object_type(object_type)
    _check_batch(inputs)
    found = store.get_many(object_type, [str(record_id) for record_id, _ in inputs])
    seen = visible(object_type)
    missing = [
        str(i) for i, _ in inputs if str(i) not in found or found[str(i)].archived or not seen(found[str(i)])
    ]
    if missing:
        raise NotFound(
            f"Could not find {object_type} with ids: {', '.join(missing)}", context={"ids": missing}
        )
    prepared = _each_input(
        inputs, lambda item: _prepare_update(object_type, found[str(item[0])], item[1], system=False)
    )
    updated = []
    for (record_id, _), checked in zip(inputs, prepared, strict=True):
        record = _write_update(object_type, found[str(record_id)], checked, source)
        if record is not None:
            updated.append(record)
    return updated


def batch_archive(object_type: str, ids: Sequence[str]) -> None:
    object_type = resolve_object_type(object_type)
    _check_batch(ids)
    for record_id in ids:
        archive_record(object_type, str(record_id))


# ---------------------------------------------------------------- associations


def _require_live(object_type: str, record_id: str) -> None:
    if get_record(object_type, record_id) is None:
        raise NotFound(f"Object not found. ({object_type} {record_id})")


def associate(
    from_type: str, from_id: str, to_type: str, to_id: str, type_ids: Sequence[int] = ()
) -> Association:
    """Associate two live records with the default type plus the labelled ``type_ids`` (both ways)."""
    from_type, to_type = resolve_object_type(from_type), resolve_object_type(to_type)
    from_id, to_id = str(from_id), str(to_id)
    _require_live(from_type, from_id)
    _require_live(to_type, to_id)
    forward_types, backward_types = assoc_types.resolve_types(from_type, to_type, list(type_ids))
    existing = store.get_association(from_type, from_id, to_type, to_id)
    existing_back = store.get_association(to_type, to_id, from_type, from_id)
    forward = Association(
        fromType=from_type,
        fromId=from_id,
        toType=to_type,
        toId=to_id,
        types=assoc_types.merge_types(existing.types if existing else [], forward_types),
    )
    backward = Association(
        fromType=to_type,
        fromId=to_id,
        toType=from_type,
        toId=from_id,
        types=assoc_types.merge_types(existing_back.types if existing_back else [], backward_types),
    )
    if existing != forward or existing_back != backward:
        store.put_associations([(forward, backward)])
    return forward


def list_associations(from_type: str, record_id: str, to_type: str) -> list[Association]:
    """The associations from one record to records of ``to_type``."""
    from_type, to_type = resolve_object_type(from_type), resolve_object_type(to_type)
    links = list(store.query_associations(from_type, str(record_id), to_type))
    seen = visible(to_type)
    if links and seen is not policy.everything:
        targets = store.get_many(to_type, [link.toId for link in links])
        links = [link for link in links if link.toId in targets and seen(targets[link.toId])]
    return links


def remove_association(from_type: str, from_id: str, to_type: str, to_id: str) -> None:
    """Remove every association type between two records (both directions); no-op when there is none."""
    from_type, to_type = resolve_object_type(from_type), resolve_object_type(to_type)
    _require_live(from_type, str(from_id))
    _require_live(to_type, str(to_id))
    if store.get_association(from_type, str(from_id), to_type, str(to_id)) is not None:
        store.delete_associations([(from_type, str(from_id), to_type, str(to_id))])
