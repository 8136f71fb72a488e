"""``/docs``: Swagger UI on the API's own document (``/openapi.json``), with no request leaving the API.

Swagger UI's script and style sheet are the copies Powertools ships (``aws_lambda_powertools/
event_handler/openapi/swagger_ui/``), served here as ``/docs/swagger-ui-bundle.js`` and
``/docs/swagger-ui.css``; the page loads them and ``/openapi.json`` (:mod:`crmflow.api.openapi`, the
corrected document, not the one Powertools' ``enable_swagger`` would generate and inline) by paths on
this host, so it works offline. The three routes and ``/openapi.json`` need no token (``PUBLIC``; on AWS
their events in template.yaml say ``Authorizer: NONE``): they are documentation. Trying an operation
asks for a token with Swagger UI's Authorize button.
"""

import html
import json
from functools import cache
from pathlib import Path

import aws_lambda_powertools
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow.api import openapi
from crmflow.errors import NotFound

router = APIGatewayHttpRouter()

PATH = "/docs"
SWAGGER_UI = Path(swagger_ui.__file__).parent
ASSETS: dict[str, tuple[str, str]] = {
    # served name -> (file shipped with Powertools, content type)
    "swagger-ui-bundle.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/openapi.json"), ("GET", PATH), ("GET", f"{PATH}/{{asset}}")}
)
"""The routes open without a token, as template.yaml's ``Authorizer: NONE`` events name them."""
VERSION = aws_lambda_powertools.__version__  # in the asset URLs: a new Powertools is a new URL
_CACHE_ASSET = "public, max-age=31536000, immutable"


def is_public(method: str, path: str) -> bool:
    """Whether ``method path`` (the path without the stage) is one of the :data:`PUBLIC` routes."""
    if method.upper() != "GET":
        return False
    if path in (PATH, "/openapi.json"):
        return True
    asset = path.removeprefix(f"{PATH}/")
    return asset != path and "/" not in asset and bool(asset)


def page(base: str) -> str:
    """The Swagger UI page; ``base`` is the path prefix the API is served under ('' or '/stage')."""
    config = {
        "url": f"{base}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "docExpansion": "list",
        "filter": True,
        "layout": "BaseLayout",
        "persistAuthorization": True,
        "tryItOutEnabled": False,
        "validatorUrl": None,  # no badge fetched from validator.swagger.io
    }
    script = json.dumps(config).replace("</", "<\\/")
    asset = f"{html.escape(base)}{PATH}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(openapi.TITLE)} API</title>
  <link rel="stylesheet" href="{asset}/swagger-ui.css?v={VERSION}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{asset}/swagger-ui-bundle.js?v={VERSION}"></script>
  <script>
    const options = {script};
    options.presets = [SwaggerUIBundle.presets.apis];
    window.ui = SwaggerUIBundle(options);
  </script>
</body>
</html>
"""


@cache
def _asset(name: str) -> str:
    return (SWAGGER_UI / ASSETS[name][0]).read_text(encoding="utf-8")


@router.get(PATH, include_in_schema=False)
def swagger_page():  # a Response: no annotation
    stage = router.current_event.request_context.stage
    base = "" if stage in (None, "", "$default") else f"/{stage}"
    return Response(200, "text/html; charset=utf-8", page(base), headers={"Cache-Control": "no-cache"})


@router.get(f"{PATH}/<asset>", include_in_schema=False)
def swagger_asset(asset: str):  # a Response: no annotation
    if asset not in ASSETS:
        raise NotFound(f"No Swagger UI asset '{asset}' (there are {', '.join(sorted(ASSETS))})")
    return Response(200, ASSETS[asset][1], _asset(asset), headers={"Cache-Control": _CACHE_ASSET})
