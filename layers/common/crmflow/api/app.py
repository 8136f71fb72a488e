"""The HTTP API: one Powertools resolver, one router per resource, HubSpot-style errors.

A new resource is a module with a ``router`` included below. On AWS, API Gateway's JWT authorizer has
checked the token before the handler runs (locally the runtime emulates it).
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.access import principal
from crmflow.api import (
    associations,
    emails,
    forms,
    lists,
    pipelines,
    properties,
    records,
    settings,
    users,
    workflow_test,
    workflows,
)
from crmflow.errors import ApiError, NotFound, ValidationFailed

logger = Logger(service="crmflow")
app = APIGatewayHttpResolver(enable_validation=True)

app.include_router(records.router)
app.include_router(associations.router)
app.include_router(properties.router)
app.include_router(pipelines.router)
app.include_router(workflows.router)
app.include_router(workflow_test.router)
app.include_router(emails.router)
app.include_router(forms.router)
app.include_router(settings.router)
app.include_router(lists.router)
app.include_router(users.router)


def identify(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Every request runs as the principal of its verified JWT claims (T-5), set here once."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    try:
        who = principal.from_claims(claims)
    except ApiError as error:
        return _error(error)
    with principal.acting_as(who):
        return next_middleware(app)


app.use(middlewares=[identify])


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():  # a Response: no annotation
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema(title="crmflow"))


# ---------------------------------------------------------------- errors


def _error(error: ApiError) -> Response:
    correlation_id = app.current_event.request_context.request_id
    return Response(error.status, content_types.APPLICATION_JSON, error.to_body(correlation_id))


def _field(loc: tuple[Any, ...]) -> str:
    """``("body", "properties", "email")`` → ``properties.email``; list indexes as ``[0]``."""
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else []
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or (str(loc[0]) if loc else "body")


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    problems = []
    for detail in error.errors():
        if detail["type"] == "json_invalid":
            problems.append(f"Invalid input JSON: {detail.get('ctx', {}).get('error', 'malformed')}")
        else:
            problems.append(f"{_field(tuple(detail['loc']))}: {detail['msg']}")
    return _error(ValidationFailed("; ".join(problems)))


@app.exception_handler(ApiError)
def api_error(error: ApiError) -> Response:
    return _error(error)


@app.not_found
def unknown_route(_: NotFoundError) -> Response:
    event = app.current_event
    return _error(NotFound(f"No route for {event.http_method} {event.path}"))


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("unhandled error")
    correlation_id = app.current_event.request_context.request_id
    body = {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}
    return Response(500, content_types.APPLICATION_JSON, {**body, "correlationId": correlation_id})


def _json_body(event: dict[str, Any]) -> dict[str, Any]:
    """Every body is JSON here: one sent with another content type (curl's form default) is read as
    JSON rather than as a form, so it is checked like any other body."""
    headers = event.get("headers") or {}
    kind = next((value for key, value in headers.items() if key.lower() == "content-type"), "")
    if event.get("body") and "json" not in kind.lower() and not event.get("isBase64Encoded"):
        plain = {key: value for key, value in headers.items() if key.lower() != "content-type"}
        return {**event, "headers": {**plain, "content-type": "application/json"}}
    return event


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolve one API Gateway (HTTP API, payload 2.0) event."""
    return app.resolve(_json_body(event), context)
