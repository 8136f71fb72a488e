"""``/crm/v3/properties``: property definitions (defaults and custom)."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow.errors import NotFound
from crmflow.records import properties
from crmflow.records.models import resolve_object_type

router = APIGatewayHttpRouter()


@router.get("/crm/v3/properties/<object_type>")
def list_properties(object_type: str) -> dict[str, Any]:
    found = properties.definitions(resolve_object_type(object_type))
    return {"results": [p.model_dump() for p in found.values()]}


@router.post("/crm/v3/properties/<object_type>")
def create_property(object_type: str, spec: properties.PropertyCreate) -> tuple[dict[str, Any], int]:
    return properties.create_definition(resolve_object_type(object_type), spec).model_dump(), 201


@router.get("/crm/v3/properties/<object_type>/<name>")
def get_property(object_type: str, name: str) -> dict[str, Any]:
    object_type = resolve_object_type(object_type)
    found = properties.definitions(object_type).get(name)
    if found is None:
        raise NotFound(f"Unable to find property {name} on {object_type}")
    return found.model_dump()
