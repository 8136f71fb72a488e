"""``/openapi.json``: the document Powertools generates, corrected to say what the API answers.

Powertools writes FastAPI's conventions into the document: 422 with ``HTTPValidationError`` for a
request that fails validation, 200 for every success, a free string for every path parameter. crmflow
answers as HubSpot does (:mod:`crmflow.errors`): 400 with HubSpot's error body, 201, 204 or 207 where
a route says so, 401 and 403 from the token, 404, 409 where a route can conflict, 413 for a body that
is too large. :func:`document` rewrites the generated document to match; the contract test
(``tests/test_openapi_contract.py``) holds the result to the running API with schemathesis.

JSON is read whatever the request's content type (``app._json_body``), so no operation answers 415.
"""

import copy
import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from crmflow.api import examples
from crmflow.records.models import OBJECT_TYPE_IDS, OBJECT_TYPES, resolve_object_type
from crmflow.records.pipelines import has_pipelines

TITLE = "crmflow"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

ERROR = "Error"
"""The component every error answer refers to: HubSpot's error body (``ApiError.to_body``)."""
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "description": "HubSpot's error body. ``context`` names the offending values by field, when known.",
    "required": ["status", "message", "category", "correlationId"],
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "message": {"type": "string"},
        "category": {
            "type": "string",
            "description": "VALIDATION_ERROR, INVALID_AUTHENTICATION, FORBIDDEN, OBJECT_NOT_FOUND, CONFLICT, "
            "PAYLOAD_TOO_LARGE, INTERNAL_ERROR or SERVICE_UNAVAILABLE",
        },
        "correlationId": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "context": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}
GATEWAY_ERROR = "GatewayError"
"""What API Gateway itself answers on AWS, before crmflow runs: a 401 from the JWT authorizer, a 413."""
GATEWAY_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "GatewayError",
    "description": 'API Gateway\'s own answer (AWS only), e.g. ``{"message": "Unauthorized"}``.',
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
SECURITY_SCHEME = "bearerAuth"
SECURITY_SCHEME_OBJECT: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "On AWS a Cognito token, checked by API Gateway's JWT authorizer. Locally (crmflow serve) "
    "`local-admin` (a super admin) or the token of a user created with POST /settings/users.",
}
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")  # users first

OBJECT_TYPE_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *OBJECT_TYPES,
            *(OBJECT_TYPE_IDS[name] for name in OBJECT_TYPES),
            *("company" if name == "companies" else name.removesuffix("s") for name in OBJECT_TYPES),
        ]
    )
)
"""Every spelling of an object type that ``resolve_object_type`` takes: name, HubSpot id, singular (it
takes them in upper case too, left out here)."""
PIPELINE_OBJECT_TYPE_NAMES = tuple(
    name for name in OBJECT_TYPE_NAMES if has_pipelines(resolve_object_type(name))
)
"""The spellings of the object types that have pipelines: ``/crm/v3/pipelines/contacts`` is a 400."""
OBJECT_TYPE_PARAMETERS = ("object_type", "from_type", "to_type")
OBJECT_TYPE_DESCRIPTION = (
    "An object type: its name (contacts), HubSpot id (0-1) or singular (contact), in any case."
)

SUCCESS: dict[str, tuple[int, ...]] = {
    # What a route answers on success when it is not 200, from its ``return ..., 201`` or ``Response(204)``
    # (the test checks this against the routes' source).
    "POST /crm/v3/objects/{object_type}": (201,),
    "POST /crm/v3/objects/{object_type}/batch/create": (201,),
    "POST /crm/v3/objects/{object_type}/batch/read": (200, 207),  # 207: some ids not found
    "POST /crm/v3/objects/{object_type}/batch/archive": (204,),
    "DELETE /crm/v3/objects/{object_type}/{record_id}": (204,),
    "PUT /crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}": (201,),
    "DELETE /crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}": (204,),
    "POST /crm/v3/properties/{object_type}": (201,),
    "POST /crm/v3/pipelines/{object_type}": (201,),
    "DELETE /crm/v3/pipelines/{object_type}/{pipeline_id}": (204,),
    "DELETE /crm/v3/pipelines/{object_type}/{pipeline_id}/access": (204,),
    "POST /crm/v3/pipelines/{object_type}/{pipeline_id}/stages": (201,),
    "DELETE /crm/v3/pipelines/{object_type}/{pipeline_id}/stages/{stage_id}": (204,),
    "POST /workflows": (201,),
    "DELETE /workflows/{workflow_id}": (204,),
    "POST /workflows/{workflow_id}/enrollments": (201,),
    "DELETE /workflows/{workflow_id}/enrollments/{record_id}": (204,),
    "POST /marketing/v3/emails": (201,),
    "POST /marketing/v3/forms": (201,),
    "POST /crm/v3/lists": (201,),
    "DELETE /crm/v3/lists/{list_id}": (204,),
    "POST /settings/teams": (201,),
    "DELETE /settings/teams/{team_id}": (204,),
    "POST /settings/users": (201,),
    "DELETE /settings/users/{user_id}": (204,),
}
CONFLICTS: dict[str, str] = {
    # The operations that can answer 409 (``raise Conflict(`` in the domain code), and why.
    "POST /crm/v3/properties/{object_type}": "A property with that name exists on the object type.",
    "DELETE /crm/v3/lists/{list_id}": "The list is a suppression list of a workflow.",
    "POST /settings/users": "A user with that email exists.",
    "PUT /workflows/{workflow_id}": "The revision sent is not the workflow's current one (edited meanwhile).",
    "POST /workflows/{workflow_id}/enrollments": "The record is already enrolled in the workflow.",
    "POST /workflows/{workflow_id}/enrollments/{record_id}/retry": "The enrollment is not FAILED (any more).",
}
ERRORS: dict[int, str] = {
    400: "Not valid (VALIDATION_ERROR): a path, query or body value is wrong (the message names it).",
    401: "No bearer token, or one that is not valid (INVALID_AUTHENTICATION).",
    403: "The token's user may not do this (FORBIDDEN): not a crmflow user, email not verified, or not "
    "a super admin for an admin-only operation.",
    404: "Not found (OBJECT_NOT_FOUND): what the path names does not exist or is not visible to the user.",
    413: "The request body is too large (PAYLOAD_TOO_LARGE): any request's, checked before routing.",
}
_FROM_GATEWAY = (401, 413)


def document(generated: dict[str, Any], *, server_url: str = "/") -> dict[str, Any]:
    """The generated document (``app.get_openapi_schema`` as JSON) corrected; ``generated`` stays as it is."""
    doc = copy.deepcopy(generated)
    doc["servers"] = [{"url": server_url}]
    doc["security"] = [{SECURITY_SCHEME: []}]
    components = doc.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = copy.deepcopy(SECURITY_SCHEME_OBJECT)
    schemas = components.setdefault("schemas", {})
    schemas[ERROR] = copy.deepcopy(ERROR_SCHEMA)
    schemas[GATEWAY_ERROR] = copy.deepcopy(GATEWAY_ERROR_SCHEMA)
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _operation(f"{method.upper()} {path}", item[method])
    for name in ("ListCreate",):
        _object_type_fields(schemas.get(name, {}))
    for name in _POWERTOOLS_SCHEMAS:  # unless something of the app's own refers to them
        if f'"#/components/schemas/{name}"' not in json.dumps(doc):
            schemas.pop(name, None)
    return doc


def _operation(key: str, operation: dict[str, Any]) -> None:
    pipelines = key.split(" ", 1)[1].startswith("/crm/v3/pipelines/")
    if key in examples.SUMMARIES:  # else Powertools' "GET /path"; the docs test names the missing ones
        operation["summary"] = examples.SUMMARIES[key]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and key in examples.REQUESTS:
        body["example"] = copy.deepcopy(examples.REQUESTS[key])
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") in OBJECT_TYPE_PARAMETERS:
            parameter["schema"] = {
                **parameter.get("schema", {}),
                "type": "string",
                "enum": list(PIPELINE_OBJECT_TYPE_NAMES if pipelines else OBJECT_TYPE_NAMES),
                "description": OBJECT_TYPE_DESCRIPTION,
            }
    responses: dict[str, Any] = operation.get("responses", {})
    responses.pop("422", None)
    success = responses.pop("200", {"description": "Successful Response"})
    answers: dict[str, Any] = {}
    for status in SUCCESS.get(key, (200,)):
        if status == 204:
            answers["204"] = {"description": "No Content"}
        else:
            answers[str(status)] = {
                **copy.deepcopy(success),
                "description": "Some ids not found: the others in results, those in errors (Multi-Status)"
                if status == 207
                else success["description"],
            }
            content = answers[str(status)].get("content", {}).get("application/json")
            if content is not None and status != 207 and key in examples.RESPONSES:
                content["example"] = copy.deepcopy(examples.RESPONSES[key])
    errors = dict(ERRORS)
    if key in CONFLICTS:
        errors[409] = f"Conflict (CONFLICT): {CONFLICTS[key]}"
    for status in sorted(errors):
        answers[str(status)] = {
            "description": errors[status],
            "content": {"application/json": {"schema": _error_schema(status)}},
        }
    operation["responses"] = {**answers, **{k: v for k, v in responses.items() if k not in answers}}


def _error_schema(status: int) -> dict[str, Any]:
    error = {"$ref": f"#/components/schemas/{ERROR}"}
    if status in _FROM_GATEWAY:
        return {"anyOf": [error, {"$ref": f"#/components/schemas/{GATEWAY_ERROR}"}]}
    return error


def _object_type_fields(schema: dict[str, Any]) -> None:
    """``objectType`` / ``objectTypeId`` fields of a body: the spellings the API takes, not any string."""
    fields = schema.get("properties", {})
    spellings = {"objectType": list(OBJECT_TYPE_NAMES), "objectTypeId": list(OBJECT_TYPE_IDS.values())}
    for name, enum in spellings.items():
        field = fields.get(name)
        if field is None:
            continue
        branches = field.get("anyOf", [field])
        for branch in branches:
            if branch.get("type") == "string" and "enum" not in branch:
                branch["enum"] = enum


def server_url(event: Any) -> str:
    """Where this request came to: scheme and host, plus the stage unless it is ``$default``."""
    headers = {key.lower(): value for key, value in (event.headers or {}).items()}
    context = event.request_context
    host = headers.get("host") or context.domain_name
    scheme = headers.get("x-forwarded-proto", "http")  # API Gateway always sends it; crmflow serve does not
    stage = context.stage
    return f"{scheme}://{host}" + ("" if stage in (None, "", "$default") else f"/{stage}")


@cache
def _generated(app: APIGatewayHttpResolver) -> dict[str, Any]:
    return json.loads(app.get_openapi_json_schema(title=TITLE))


def for_request(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The corrected document of ``app``, naming as its server the URL the current request came to."""
    return document(_generated(app), server_url=server_url(app.current_event))
