"""``crmflow serve``: the API on 127.0.0.1, in front of the embedded runtime.

Requests are turned into API Gateway HTTP API events (the local authorizer checks the bearer
token) and handled by the same API function as on AWS. The local routes of SPEC section 8 move
the virtual clock and read the outbox. Work that requests cause (stream records, queue messages,
executions) runs on a background pump, as it would run asynchronously on AWS.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crmflow import clock

from crmflow_local.runtime import Runtime, parse_duration


class LocalServer:
    """The HTTP server and its pump thread around one :class:`Runtime`."""

    def __init__(self, runtime: Runtime, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.runtime = runtime
        self.lock = threading.RLock()
        self._work = threading.Event()
        self._closing = False
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self._pump = threading.Thread(target=self._pump_loop, name="crmflow-pump", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        if not isinstance(host, str):  # a bound AF_INET socket reports a str; typeshed allows bytes
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self) -> LocalServer:
        self._pump.start()
        threading.Thread(target=self.httpd.serve_forever, name="crmflow-http", daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self._pump.start()
        self.httpd.serve_forever()

    def close(self) -> None:
        self._closing = True
        self._work.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._pump.is_alive():
            self._pump.join(timeout=60)

    def poke(self) -> None:
        self._work.set()

    def _pump_loop(self) -> None:
        while not self._closing:
            self._work.wait()
            self._work.clear()
            if self._closing:
                return
            with self.lock:
                self.runtime.settle()

    # ---------------------------------------------------------------- local routes
    def local_route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        rt = self.runtime
        with self.lock:
            if path == "/_local/clock" and method == "GET":
                return 200, {"now": clock.iso(rt.now)}
            if path == "/_local/clock" and method == "POST":
                if not isinstance(body, dict) or ("advance" in body) == ("to" in body):
                    return 400, _error(
                        "body: give exactly one of 'advance' (ISO 8601 duration) or 'to' (timestamp)"
                    )
                try:
                    if "advance" in body:
                        rt.advance(parse_duration(str(body["advance"])))
                    else:
                        rt.advance(to=clock.parse_iso(str(body["to"])))
                except ValueError as error:
                    return 400, _error(f"{'advance' if 'advance' in body else 'to'}: {error}")
                return 200, {"now": clock.iso(rt.now)}
            if path == "/_local/settle" and method == "POST":
                rt.settle()
                return 200, {"now": clock.iso(rt.now)}
            if path == "/_local/outbox" and method == "GET":
                return 200, rt.outbox()
        return 404, _error(f"no local route {method} {path}", "OBJECT_NOT_FOUND")


def _error(message: str, category: str = "VALIDATION_ERROR") -> dict[str, Any]:
    return {"status": "error", "message": message, "category": category, "correlationId": "local"}


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "crmflow-local"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else None
            if parts.path.startswith("/_local/"):
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    self._send(400, _error("body: not valid JSON"))
                    return
                status, answer = server.local_route(self.command, parts.path, body)
                self._send(status, answer)
                return
            auth = self.headers.get("Authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            query: dict[str, str] = {}
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                query[key] = f"{query[key]},{value}" if key in query else value
            headers = {key.lower(): value for key, value in self.headers.items()}
            with server.lock:
                answer = server.runtime.api(
                    self.command, parts.path, token=token, query=query, headers=headers, raw_body=raw
                )
            server.poke()
            self._send_raw(answer.status, answer.headers, answer.body)

        def _send(self, status: int, body: Any) -> None:
            self._send_raw(status, {"content-type": "application/json"}, json.dumps(body))

        def _send_raw(self, status: int, headers: dict[str, str], body: str) -> None:
            data = body.encode()
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler
