"""Helpers for the engine tests: build workflows, drive them through the runtime's public API, read
the results back (the log, enrollments, records), and a real local HTTP server for WEBHOOK."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer

LEAD = {
    "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
}


def ok(response: Any, status: int | None = None) -> Any:
    """The JSON of a response, after checking it succeeded (with the body in the failure message)."""
    assert response.status < 300 if status is None else response.status == status, (
        response.status,
        response.body,
    )
    return response.json


def define_property(rt: Runtime, name: str, type_: str = "string", object_type: str = "contacts") -> None:
    ok(
        rt.api(
            "POST", f"/crm/v3/properties/{object_type}", {"name": name, "label": name.title(), "type": type_}
        )
    )


def automated_email(rt: Runtime, subject: str = "Welcome") -> str:
    body = {"name": subject, "subject": subject, "state": "AUTOMATED"}
    return str(ok(rt.api("POST", "/marketing/v3/emails", body), 201)["id"])


def chain(*actions: dict[str, Any]) -> list[dict[str, Any]]:
    """Give actions ids "1", "2"... and link each to the next (the last one ends the workflow)."""
    linked = []
    for index, action in enumerate(actions, start=1):
        item = {"id": str(index), **action}
        if item["type"] != "IF_THEN":
            item.setdefault("next", str(index + 1) if index < len(actions) else None)
        linked.append(item)
    return linked


def workflow(*actions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A contact workflow enrolling leads, running ``actions`` in order."""
    definition: dict[str, Any] = {
        "name": "Test workflow",
        "objectType": "contacts",
        "timeZone": "Europe/Oslo",
        "enrollment": {"filterGroups": LEAD["filterGroups"]},
        "startActionId": "1" if actions else None,
        "actions": chain(*actions),
    }
    definition.update(fields)
    return definition


def create_workflow(
    rt: Runtime, definition: dict[str, Any], *, enable: bool = True, existing: bool = False
) -> str:
    workflow_id = str(ok(rt.api("POST", "/workflows", definition), 201)["id"])
    if enable:
        ok(rt.api("POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": existing}))
    return workflow_id


def contact(rt: Runtime, email: str = "a@example.com", **properties: str) -> str:
    body = {"properties": {"email": email, **properties}}
    return str(ok(rt.api("POST", "/crm/v3/objects/contacts", body), 201)["id"])


def update(rt: Runtime, record_id: str, **properties: str) -> None:
    ok(rt.api("PATCH", f"/crm/v3/objects/contacts/{record_id}", {"properties": properties}))


def properties(rt: Runtime, record_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"/crm/v3/objects/contacts/{record_id}"))["properties"]


def log(
    rt: Runtime, workflow_id: str, record_id: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    query = {"limit": str(limit)} | ({"recordId": record_id} if record_id else {})
    return ok(rt.api("GET", f"/workflows/{workflow_id}/log", query=query))["results"]


def events(rt: Runtime, workflow_id: str, record_id: str | None = None) -> list[tuple[Any, ...]]:
    """The log as (event, actionId, reason) tuples, oldest first."""
    return [(e["event"], e["actionId"], e["reason"]) for e in log(rt, workflow_id, record_id)]


def enrollments(rt: Runtime, workflow_id: str, status: str | None = None) -> list[dict[str, Any]]:
    query = {"limit": "1000"} | ({"status": status} if status else {})
    return ok(rt.api("GET", f"/workflows/{workflow_id}/enrollments", query=query))["results"]


def executed_at(rt: Runtime, workflow_id: str, action_id: str, record_id: str | None = None) -> list[str]:
    return [
        e["at"]
        for e in log(rt, workflow_id, record_id)
        if e["event"] == "ACTION_EXECUTED" and e["actionId"] == action_id
    ]


def replay(rt: Runtime, functions: Callable[[str], bool]) -> int:
    """Deliver again every event the functions chosen by ``functions`` received so far; answers how
    many. An action Lambda that ends the enrollment fails with EnrollmentFinished, as it did first."""
    recorded = [(i.function, i.event) for i in list(rt.invocations) if functions(i.function)]
    for function, event in recorded:
        with contextlib.suppress(RuntimeError):
            rt.invoke(function, json.loads(json.dumps(event)))
    return len(recorded)


# ---------------------------------------------------------------- a real HTTP endpoint for WEBHOOK
@dataclass
class WebhookServer:
    """Answers each request with the next (status, JSON body) of ``script`` (the last one repeats)."""

    script: list[tuple[int, Any]]
    calls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextlib.contextmanager
def webhook_server(*script: tuple[int, Any]) -> Iterator[WebhookServer]:
    server_state = WebhookServer(list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                index = min(len(server_state.calls), len(server_state.script) - 1)
                server_state.calls.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                status, answer = server_state.script[index]
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_PUT = _answer

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()


def http_json(server: LocalServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One JSON request to a real local server as the local admin: (status, parsed answer)."""
    request = urllib.request.Request(
        server.url + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Bearer local-admin")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
