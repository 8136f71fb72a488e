"""``/crm/v3/objects``: records, batches and search (HubSpot CRM v3 paths and bodies)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from crmflow import clock
from crmflow.errors import NotFound
from crmflow.records import history, service
from crmflow.records import search as searching
from crmflow.records.models import Record, RecordCreate, RecordUpdate, resolve_object_type

router = APIGatewayHttpRouter()

PropertiesParam = Annotated[str | None, Query(description="Comma-separated property names to return")]


class RecordId(BaseModel):
    id: str


class BatchCreate(BaseModel):
    inputs: list[RecordCreate] = Field(max_length=service.MAX_BATCH)


class BatchRead(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inputs: list[RecordId] = Field(max_length=service.MAX_BATCH)
    properties: list[str] | None = None
    idProperty: str | None = None


class BatchUpdateInput(RecordUpdate):
    id: str


class BatchUpdate(BaseModel):
    inputs: list[BatchUpdateInput] = Field(max_length=service.MAX_BATCH)


class BatchArchive(BaseModel):
    inputs: list[RecordId] = Field(max_length=service.MAX_BATCH)


def _names(text: str | None) -> list[str] | None:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return names or None


def _present(object_type: str, records: list[Record], names: list[str] | None) -> list[dict[str, Any]]:
    return [service.present(object_type, record, names) for record in records]


def _singular(object_type: str) -> str:
    return "company" if object_type == "companies" else object_type.removesuffix("s")


def _with_associations(object_type: str, body: dict[str, Any], to_types: list[str] | None) -> dict[str, Any]:
    """HubSpot's v3 ``associations`` block: ``{toType: {"results": [{"id", "type"}]}}``."""
    if not to_types:
        return body
    found: dict[str, Any] = {}
    for name in to_types:
        to_type = resolve_object_type(name)
        links = service.list_associations(object_type, body["id"], to_type)
        label = f"{_singular(object_type)}_to_{_singular(to_type)}"
        results = [{"id": link.toId, "type": label} for link in links]
        if results:
            found[to_type] = {"results": results}
    return {**body, "associations": found} if found else body


def _batch(records: list[dict[str, Any]], started: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "COMPLETE",
        "results": records,
        "startedAt": started,
        "completedAt": clock.iso(clock.now()),
        **extra,
    }


@router.post("/crm/v3/objects/<object_type>")
def create(object_type: str, body: RecordCreate) -> tuple[dict[str, Any], int]:
    object_type = resolve_object_type(object_type)
    record = service.create_record(object_type, body.properties, body.associations)
    return service.present(object_type, record), 201


@router.get("/crm/v3/objects/<object_type>")
def list_page(
    object_type: str,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 10,
    after: Annotated[str | None, Query()] = None,
    properties: PropertiesParam = None,
    associations: Annotated[str | None, Query()] = None,
    archived: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    page = service.list_records(object_type, limit=limit, after=after, archived=archived)
    names, to_types = _names(properties), _names(associations)
    results = [
        _with_associations(object_type, service.present(object_type, record, names), to_types)
        for record in page.results
    ]
    body: dict[str, Any] = {"results": results}
    if page.after:
        body["paging"] = {"next": {"after": page.after, "link": None}}
    return body


@router.post("/crm/v3/objects/<object_type>/search")
def search(object_type: str, body: searching.SearchRequest) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    page = searching.search(object_type, body)
    results = _present(object_type, page.results, body.properties)
    answer: dict[str, Any] = {"total": page.total, "results": results}
    if page.after:
        answer["paging"] = {"next": {"after": page.after, "link": None}}
    return answer


@router.post("/crm/v3/objects/<object_type>/batch/create")
def batch_create(object_type: str, body: BatchCreate) -> tuple[dict[str, Any], int]:
    object_type = resolve_object_type(object_type)
    started = clock.iso(clock.now())
    created = service.batch_create(object_type, body.inputs)
    return _batch(_present(object_type, created, None), started), 201


@router.post("/crm/v3/objects/<object_type>/batch/read")
def batch_read(object_type: str, body: BatchRead) -> tuple[dict[str, Any], int]:
    object_type = resolve_object_type(object_type)
    started = clock.iso(clock.now())
    ids = [item.id for item in body.inputs]
    if body.idProperty and body.idProperty != "hs_object_id":
        found_by = {i: service.find_by_unique_property(object_type, body.idProperty, i) for i in ids}
        records = [r for r in found_by.values() if r is not None]
        missing = [i for i, r in found_by.items() if r is None]
    else:
        records, missing = service.batch_read(object_type, ids)
    answer = _batch(_present(object_type, records, body.properties), started)
    if not missing:
        return answer, 200
    error = NotFound(f"Could not find {object_type} with ids: {', '.join(missing)}", context={"ids": missing})
    errors = [{**error.to_body(None), "context": {"ids": missing}}]
    return {**answer, "numErrors": 1, "errors": errors}, 207


@router.post("/crm/v3/objects/<object_type>/batch/update")
def batch_update(object_type: str, body: BatchUpdate) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    started = clock.iso(clock.now())
    updated = service.batch_update(object_type, [(item.id, item.properties) for item in body.inputs])
    return _batch(_present(object_type, updated, None), started)


@router.post("/crm/v3/objects/<object_type>/batch/archive")
def batch_archive(object_type: str, body: BatchArchive):  # a Response: no annotation
    service.batch_archive(resolve_object_type(object_type), [item.id for item in body.inputs])
    return Response(204)


@router.get("/crm/v3/objects/<object_type>/<record_id>")
def get(
    object_type: str,
    record_id: str,
    properties: PropertiesParam = None,
    associations: Annotated[str | None, Query()] = None,
    idProperty: Annotated[str | None, Query()] = None,
    propertiesWithHistory: PropertiesParam = None,
) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    record = service.require_record(object_type, record_id, id_property=idProperty)
    body = service.present(object_type, record, _names(properties))
    if with_history := _names(propertiesWithHistory):
        body["propertiesWithHistory"] = history.present(record, with_history)
    return _with_associations(object_type, body, _names(associations))


@router.patch("/crm/v3/objects/<object_type>/<record_id>")
def update(object_type: str, record_id: str, body: RecordUpdate) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    return service.present(object_type, service.update_record(object_type, record_id, body.properties))


@router.delete("/crm/v3/objects/<object_type>/<record_id>")
def archive(object_type: str, record_id: str):  # a Response: no annotation
    service.archive_record(resolve_object_type(object_type), record_id)
    return Response(204)
