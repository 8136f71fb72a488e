"""The crmflow API over HTTP, as the workflow commands use it: JSON in and out, a bearer token.

By default the local server (``crmflow serve`` on 127.0.0.1:3000 with the local admin token); the
``CRMFLOW_URL`` and ``CRMFLOW_TOKEN`` environment variables, or ``--url`` and ``--token``, point it
at another one, such as a deployed stack's ``ApiUrl`` with a Cognito ID token.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from crmflow_local.auth import LOCAL_ADMIN_TOKEN

DEFAULT_URL = "http://127.0.0.1:3000"
"""Where ``crmflow serve`` listens unless told otherwise (its ``--host`` and ``--port`` defaults)."""
TIMEOUT_SECONDS = 60.0


def default_url() -> str:
    return os.environ.get("CRMFLOW_URL") or DEFAULT_URL


def default_token() -> str:
    return os.environ.get("CRMFLOW_TOKEN") or LOCAL_ADMIN_TOKEN


class ApiFailure(Exception):
    """An answer that is not a success: ``status`` and the API's ``message``."""

    def __init__(self, status: int, message: str, method: str = "", path: str = "") -> None:
        super().__init__(f"{method} {path}: {status} {message}".strip())
        self.status = status
        self.message = message


class Unreachable(Exception):
    """The API could not be reached at all."""


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, method=method, data=data)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                message = json.loads(raw).get("message") or raw.decode(errors="replace")
            except (ValueError, AttributeError):
                message = raw.decode(errors="replace") or str(error.reason)
            raise ApiFailure(error.code, message, method, path) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot reach {self.url}: {reason}") from None
        return json.loads(text) if text else None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def find(self, path: str) -> Any:
        """GET, or None when the answer is 404."""
        try:
            return self.get(path)
        except ApiFailure as failure:
            if failure.status == 404:
                return None
            raise

    def workflows(self) -> Iterator[dict[str, Any]]:
        """Every workflow, in id order (``GET /workflows``, a page at a time)."""
        after: str | None = None
        while True:
            query = "?limit=100" + (f"&after={urllib.parse.quote(after)}" if after else "")
            page = self.get("/workflows" + query)
            yield from page["results"]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
