"""``/console``: the web console, a small single-page application over the public API.

The page and its assets (plain ES modules and one style sheet in ``crmflow/api/console/``, no build
step, nothing fetched from another host) are public like ``/docs`` (``PUBLIC``; on AWS their events in
template.yaml say ``Authorizer: NONE``): they hold no data. Every number the console shows comes from
an API call made with the bearer token the user types in, so a user sees exactly what the API lets
them see. docs/console.md describes the pages; docs/decisions.md why it is built this way.

Caching: the page names every module through an import map whose URLs carry a hash of the file
(``app.js?v=3f2a...``), so an asset asked for with its current hash is cached for good and a new
release is a new URL; anything else is ``no-cache``. The page's Content-Security-Policy allows scripts
from this host only (plus the import map, by its hash) and requests to this host only.
"""

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow.errors import NotFound

router = APIGatewayHttpRouter()

PATH = "/console"
ROOM = Path(__file__).parent / "console"
ENTRY = "app.js"
STYLE = "console.css"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
PUBLIC: frozenset[tuple[str, str]] = frozenset({("GET", PATH), ("GET", f"{PATH}/{{asset}}")})
"""The routes open without a token, as template.yaml's ``Authorizer: NONE`` events name them."""
_CACHE_FOREVER = "public, max-age=31536000, immutable"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    text: str
    content_type: str
    version: str  # the first 16 hex digits of the file's SHA-256


def is_public(method: str, path: str) -> bool:
    """Whether ``method path`` (the path without the stage) is one of the :data:`PUBLIC` routes."""
    if method.upper() != "GET":
        return False
    if path == PATH:
        return True
    asset = path.removeprefix(f"{PATH}/")
    return asset != path and "/" not in asset and bool(asset)


@cache
def assets() -> dict[str, Asset]:
    """Every file of the console's room, by name (read once per process)."""
    found = {}
    for file in sorted(ROOM.iterdir()):
        if file.is_file() and file.suffix in CONTENT_TYPES:
            text = file.read_text(encoding="utf-8")
            version = hashlib.sha256(text.encode()).hexdigest()[:16]
            found[file.name] = Asset(text, CONTENT_TYPES[file.suffix], version)
    return found


def _import_map(base: str) -> str:
    """The page's import map: each module's plain URL → its URL with the file's hash."""
    imports = {
        f"{base}{PATH}/{name}": f"{base}{PATH}/{name}?v={asset.version}"
        for name, asset in assets().items()
        if name.endswith(".js")
    }
    return json.dumps({"imports": imports}, indent=1).replace("</", "<\\/")


def _script_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def page(base: str) -> tuple[str, str]:
    """The console's HTML shell and its Content-Security-Policy; ``base`` is the path prefix the API is
    served under ('' or '/stage'). The modules build everything else."""
    import_map = _import_map(base)
    root = f"{html.escape(base)}{PATH}"
    style = assets()[STYLE].version
    entry = assets()[ENTRY].version
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' '{_script_hash(import_map)}'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    body = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>crmflow console</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{root}/{STYLE}?v={style}">
  <script type="importmap">{import_map}</script>
  <script type="module" src="{root}/{ENTRY}?v={entry}"></script>
</head>
<body data-base="{html.escape(base)}">
  <noscript><p>The crmflow console needs JavaScript. The API itself is described at
  <a href="{html.escape(base)}/docs">/docs</a>.</p></noscript>
  <div id="app"></div>
</body>
</html>
"""
    return body, policy


def _base() -> str:
    stage = router.current_event.request_context.stage
    return "" if stage in (None, "", "$default") else f"/{stage}"


@router.get(PATH, include_in_schema=False)
def console_page():  # a Response: no annotation
    body, policy = page(_base())
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": policy, **_SECURITY_HEADERS}
    return Response(200, "text/html; charset=utf-8", body, headers=headers)


@router.get(f"{PATH}/<asset>", include_in_schema=False)
def console_asset(asset: str):  # a Response: no annotation
    found = assets().get(asset)
    if found is None:
        raise NotFound(f"No console asset '{asset}' (there are {', '.join(assets())})")
    asked = (router.current_event.query_string_parameters or {}).get("v")
    cache_control = _CACHE_FOREVER if asked == found.version else "no-cache"
    headers = {"Cache-Control": cache_control, **_SECURITY_HEADERS}
    return Response(200, found.content_type, found.text, headers=headers)
