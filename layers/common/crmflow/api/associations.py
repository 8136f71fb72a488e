"""``/crm/v4/objects/{from}/{id}/associations``: default and labelled associations, both ways."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import clock
from crmflow.records import service
from crmflow.records.models import OBJECT_TYPE_IDS, AssociationTypeSpec, resolve_object_type

router = APIGatewayHttpRouter()

_BASE = "/crm/v4/objects/<from_type>/<from_id>/associations"


@router.put(f"{_BASE}/default/<to_type>/<to_id>")
def associate_default(from_type: str, from_id: str, to_type: str, to_id: str) -> dict[str, Any]:
    started = clock.iso(clock.now())
    link = service.associate(from_type, from_id, to_type, to_id)
    default = link.types[0]
    result = {
        "from": {"id": link.fromId},
        "to": {"id": link.toId},
        "associationSpec": {"associationCategory": default.category, "associationTypeId": default.typeId},
    }
    completed = clock.iso(clock.now())
    return {"status": "COMPLETE", "results": [result], "startedAt": started, "completedAt": completed}


@router.put(f"{_BASE}/<to_type>/<to_id>")
def associate_labelled(
    from_type: str, from_id: str, to_type: str, to_id: str, body: Annotated[list[AssociationTypeSpec], Body()]
) -> tuple[dict[str, Any], int]:
    link = service.associate(from_type, from_id, to_type, to_id, [t.associationTypeId for t in body])
    answer = {
        "fromObjectTypeId": OBJECT_TYPE_IDS[link.fromType],
        "fromObjectId": link.fromId,
        "toObjectTypeId": OBJECT_TYPE_IDS[link.toType],
        "toObjectId": link.toId,
        "labels": [t.label for t in link.types if t.label],
    }
    return answer, 201


@router.get(f"{_BASE}/<to_type>")
def list_associations(from_type: str, from_id: str, to_type: str) -> dict[str, Any]:
    from_type, to_type = resolve_object_type(from_type), resolve_object_type(to_type)
    service.require_record(from_type, from_id)
    links = service.list_associations(from_type, from_id, to_type)
    results = [
        {"toObjectId": link.toId, "associationTypes": [t.model_dump() for t in link.types]} for link in links
    ]
    return {"results": results}


@router.delete(f"{_BASE}/<to_type>/<to_id>")
def remove(from_type: str, from_id: str, to_type: str, to_id: str):  # a Response: no annotation
    service.remove_association(from_type, from_id, to_type, to_id)
    return Response(204)
