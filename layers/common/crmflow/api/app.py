"""The HTTP API: one Powertools resolver, one router per resource, HubSpot-style errors.

A new resource is a module with a ``router`` included below. On AWS, API Gateway's JWT authorizer has
checked the token before the handler runs (locally the runtime emulates it).
"""

import base64
import binascii
import json
import re
from itertools import accumulate
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
    console,
    docs,
    emails,
    forms,
    lists,
    openapi,
    pipelines,
    properties,
    record_workflows,
    records,
    settings,
    users,
    workflow_test,
    workflows,
)
from crmflow.errors import ApiError, NotFound, PayloadTooLarge, ValidationFailed

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
app.include_router(docs.router)
app.include_router(record_workflows.router)
app.include_router(console.router)


def identify(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Every request runs as the principal of its verified JWT claims (T-5), set here once; the public
    routes (``docs.PUBLIC``: the document and Swagger UI; ``console.PUBLIC``: the web console's page and
    assets) have no token and run as nobody."""
    event = app.current_event
    if docs.is_public(event.http_method, event.path) or console.is_public(event.http_method, event.path):
        return next_middleware(app)
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
    return Response(200, content_types.APPLICATION_JSON, openapi.for_request(app))


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


# ---------------------------------------------------------------- the body, before any route

MAX_BODY_BYTES = 5 * 1024 * 1024  # API Gateway and Lambda take at most 6 MB per request
MAX_JSON_DEPTH = 64

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _too_deep(text: str) -> bool:
    """Whether ``text`` nests arrays and objects more than ``MAX_JSON_DEPTH`` deep, found without
    parsing (the JSON parser recurses, so a deep enough body would exhaust the stack): brackets
    outside strings are counted, in C-speed passes."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


def _holds_lone_surrogate(text: str) -> bool:
    """Whether a string (or key) of the JSON ``text`` holds a UTF-16 surrogate escape that is not half
    of a pair (``"\\ud800"``): Python reads it, but it is not Unicode, and every write of it would fail.
    Only called when such an escape may be there, on text nested at most ``MAX_JSON_DEPTH`` deep."""
    try:
        todo = [json.loads(text)]
    except ValueError:
        return False  # not JSON: the route's validation says so
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            todo += item
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"body: a request body can be at most {MAX_BODY_BYTES} bytes ({MAX_BODY_BYTES // 2**20} MiB)"
    )


def _checked_body(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its body as text, checked before any route runs: at most ``MAX_BODY_BYTES``
    (else 413); base64 that decodes to UTF-8 when ``isBase64Encoded``, nested at most
    ``MAX_JSON_DEPTH`` deep and valid Unicode (else 400). Whether it is JSON the route's validation
    decides ("Invalid input JSON")."""
    body = event.get("body")
    if not body:
        return event
    if event.get("isBase64Encoded"):
        if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:
            raise _too_large()
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("body: isBase64Encoded is true but the body is not valid base64") from None
        if len(raw) > MAX_BODY_BYTES:
            raise _too_large()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("body: the decoded body is not UTF-8 text (JSON is UTF-8)") from None
        event = {**event, "body": text, "isBase64Encoded": False}
    else:
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        try:
            size = len(body.encode("utf-8"))
        except UnicodeEncodeError:
            raise ValidationFailed("body: not UTF-8 text (it holds an unpaired UTF-16 surrogate)") from None
        if size > MAX_BODY_BYTES:
            raise _too_large()
    text = event["body"]
    if _too_deep(text):
        raise ValidationFailed(f"body: JSON may nest arrays and objects at most {MAX_JSON_DEPTH} levels deep")
    if _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(text):
        raise ValidationFailed(
            "body: a JSON string holds an unpaired UTF-16 surrogate escape (\\ud800 to \\udfff); "
            "text must be valid Unicode"
        )
    return event


def _early_error(event: dict[str, Any], error: ApiError) -> dict[str, Any]:
    """``error`` answered as the resolver answers it, for a request no route has seen."""
    correlation_id = (event.get("requestContext") or {}).get("requestId")
    return {
        "statusCode": error.status,
        "body": json.dumps(error.to_body(correlation_id), separators=(",", ":")),
        "isBase64Encoded": False,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "cookies": [],
    }


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolve one API Gateway (HTTP API, payload 2.0) event; its body is checked first."""
    try:
        event = _checked_body(event)
    except ApiError as error:
        return _early_error(event, error)
    return app.resolve(_json_body(event), context)
