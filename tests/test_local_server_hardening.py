"""`crmflow serve` hardening (issue 10): no stall while handlers run, /_local/* for the super admin
only, and malformed HTTP framing answered 400/413 with the connection closed, never a hang."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer
from engine_support import log, workflow

START = "2026-12-01T08:00:00Z"
REQUEST_TIMEOUT = 1.5  # the servers' socket timeout here (10 s by default)
CONTACTS = "/crm/v3/objects/contacts"
ADMIN = "local-admin"


@pytest.fixture
def rt(monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    # the WEBHOOK SSRF guard must let the actions call this test's servers on 127.0.0.1
    monkeypatch.setenv("WEBHOOK_ALLOWED_PRIVATE", "127.0.0.1/32")
    with Runtime(start=START) as runtime:
        yield runtime


@pytest.fixture
def serve(rt: Runtime) -> Iterator[Callable[..., LocalServer]]:
    started: list[LocalServer] = []

    def make(**options: Any) -> LocalServer:
        options.setdefault("request_timeout", REQUEST_TIMEOUT)
        server = LocalServer(rt, "127.0.0.1", 0, **options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.close()


@pytest.fixture
def server(serve: Callable[..., LocalServer]) -> LocalServer:
    return serve()


def _call(
    server: LocalServer,
    method: str,
    path: str,
    body: object = None,
    token: str | None = ADMIN,
    timeout: float = 10,
) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(
        server.url + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None, _lower(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), _lower(error.headers)


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _timed(*args: Any, **kwargs: Any) -> tuple[int, Any, float]:
    began = time.monotonic()
    status, body, _ = _call(*args, **kwargs)
    return status, body, time.monotonic() - began


def _hubspot_error(body: Any, category: str) -> None:
    assert set(body) == {"status", "message", "category", "correlationId"}, body
    assert body["status"] == "error" and body["category"] == category and body["correlationId"]


def _enable(server: LocalServer, definition: dict[str, Any]) -> str:
    status, created, _ = _call(server, "POST", "/workflows", definition)
    assert status == 201, created
    assert _call(server, "POST", f"/workflows/{created['id']}/enable", {"enrollExisting": False})[0] == 200
    return str(created["id"])


def _lead(n: int) -> dict[str, Any]:
    return {"properties": {"email": f"lead{n}@example.com", "lifecyclestage": "lead"}}


# ---------------------------------------------------------------- no stall, no deadlock
def test_a_webhook_calling_back_into_the_server_neither_deadlocks_nor_stalls_it(
    rt: Runtime, server: LocalServer
) -> None:
    """Before: the pump held the server lock while the WEBHOOK called the server, which waited for
    that lock until the webhook timed out (10 s, four retries): a clock move took 46 s."""
    workflow_id = _enable(
        server,
        workflow(
            {"type": "WEBHOOK", "url": f"{server.url}{CONTACTS}"},
            {"type": "WEBHOOK", "url": f"{server.url}/_local/clock", "method": "GET"},
        ),
    )
    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        creates = [pool.submit(_timed, server, "POST", CONTACTS, _lead(n)) for n in range(6)]
        moved = pool.submit(_timed, server, "POST", "/_local/clock", {"advance": "PT10M"})
        created = [future.result() for future in creates]
        clock_move = moved.result()
    settled = _timed(server, "POST", "/_local/settle")
    elapsed = time.monotonic() - began

    assert [status for status, _, _ in created] == [201] * 6
    assert max(seconds for _, _, seconds in created) < 5, created
    assert clock_move[:2] == (200, {"now": "2026-12-01T08:10:00.000Z"}) and clock_move[2] < 8
    assert settled[0] == 200 and elapsed < 10, (settled, elapsed)
    for _, record, _ in created:
        entries = log(rt, workflow_id, record["id"])
        errors = [(e["actionId"], e["detail"]["error"]) for e in entries if e["event"] == "ERROR"]
        # the callbacks were answered at once: 401 (a webhook carries no bearer token)
        assert [action for action, _ in errors] == ["1", "2"], entries
        assert all("401" in error for _, error in errors), errors
        assert entries[-1]["event"] == "COMPLETED"


class _SlowEndpoint:
    """A webhook endpoint that takes ``seconds`` to answer; ``arrived`` is set on each request."""

    def __init__(self, seconds: float) -> None:
        self.arrived = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.arrived.set()
                time.sleep(seconds)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_while_a_handler_holds_the_runtime_requests_get_a_prompt_503_not_a_hang(
    serve: Callable[..., LocalServer],
) -> None:
    server = serve(busy_timeout=1.0)
    endpoint = _SlowEndpoint(seconds=4)
    try:
        _enable(server, workflow({"type": "WEBHOOK", "url": endpoint.url}))
        assert _call(server, "POST", CONTACTS, _lead(1))[0] == 201
        assert endpoint.arrived.wait(10), "the pump never ran the WEBHOOK action"

        # the clock needs no handler: answered at once while the pump waits for the webhook
        status, body, seconds = _timed(server, "GET", "/_local/clock")
        assert (status, body) == (200, {"now": "2026-12-01T08:00:00.000Z"}) and seconds < 1
        began = time.monotonic()
        status, body, headers = _call(server, "GET", CONTACTS)
        waited = time.monotonic() - began
        assert status == 503 and 0.8 < waited < 3, (status, waited)
        _hubspot_error(body, "SERVICE_UNAVAILABLE")
        assert int(headers["retry-after"]) >= 1
        # settle waits for the pump (and so for the webhook) without holding anything it needs
        status, _, seconds = _timed(server, "POST", "/_local/settle")
        assert status == 200 and seconds < 8
        status, body, _ = _call(server, "GET", CONTACTS)
        assert status == 200 and len(body["results"]) == 1
    finally:
        endpoint.close()


# ---------------------------------------------------------------- /_local/* is for the super admin
LOCAL_ROUTES = [
    ("GET", "/_local/clock", None),
    ("POST", "/_local/clock", {"advance": "PT1M"}),
    ("POST", "/_local/settle", None),
    ("GET", "/_local/outbox", None),
]


def test_local_routes_need_the_super_admin_token(server: LocalServer) -> None:
    status, user, _ = _call(server, "POST", "/settings/users", {"email": "agent@example.com"})
    assert status == 201 and user["token"]
    for method, path, body in LOCAL_ROUTES:
        for token in (None, "not-a-token"):
            status, answer, _ = _call(server, method, path, body, token=token)
            assert status == 401, (method, path, token)
            _hubspot_error(answer, "INVALID_AUTHENTICATION")
        status, answer, _ = _call(server, method, path, body, token=user["token"])
        assert status == 403, (method, path)
        _hubspot_error(answer, "FORBIDDEN")
        assert _call(server, method, path, body)[0] == 200, (method, path)
    assert _call(server, "GET", "/_local/nothing-here", token=None)[0] == 401
    assert _call(server, "GET", "/_local/nothing-here")[0] == 404
    assert _call(server, "GET", "/_local/clock")[1] == {"now": "2026-12-01T08:01:00.000Z"}


def test_local_routes_take_only_a_bearer_token(server: LocalServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    connection.request("GET", "/_local/clock", headers={"Authorization": "Basic bG9jYWwtYWRtaW4="})
    response = connection.getresponse()
    assert response.status == 401
    _hubspot_error(json.loads(response.read()), "INVALID_AUTHENTICATION")
    connection.close()


# ---------------------------------------------------------------- malformed framing
def _port(server: LocalServer) -> int:
    return int(server.httpd.server_address[1])


def _raw(server: LocalServer, data: bytes) -> tuple[int, dict[str, str], Any, float]:
    """Send bytes, read until the server closes the connection (a hang fails on the timeout)."""
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):  # b"": the server closed the connection
            received += chunk
    elapsed = time.monotonic() - began
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), received[:200]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert int(headers["content-length"]) == len(body), received  # one whole answer, nothing after
    assert headers["connection"] == "close"
    return int(lines[0].split()[1]), headers, json.loads(body), elapsed


def _post(headers: str, body: bytes = b"", path: str = CONTACTS) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer local-admin\r\n"
        f"Content-Type: application/json\r\n{headers}\r\n"
    ).encode() + body


BIG = 7 * 1024 * 1024
FRAMING = {
    "content-length not a number": (_post("Content-Length: abc\r\n", b"{}"), 400, "Content-Length"),
    "content-length negative": (_post("Content-Length: -1\r\n", b"{}"), 400, "Content-Length"),
    "content-length twice, different": (
        _post("Content-Length: 2\r\nContent-Length: 3\r\n", b"{}"),
        400,
        "Content-Length",
    ),
    "body shorter than content-length": (_post("Content-Length: 100\r\n", b'{"pro'), 400, "incomplete"),
    "body not utf-8": (_post("Content-Length: 4\r\n", b"\xff\xfe\xfd\xfc"), 400, "body: not valid UTF-8"),
    "local body not utf-8": (
        _post("Content-Length: 2\r\n", b"\xc3\x28", path="/_local/clock"),
        400,
        "body: not valid UTF-8",
    ),
    "body over 6 MB": (_post(f"Content-Length: {BIG}\r\n", b"x" * 1024 * 1024), 413, "6 MB"),
    "body over 6 MB, expecting 100-continue": (
        _post(f"Content-Length: {BIG}\r\nExpect: 100-continue\r\n"),
        413,
        "Lambda",
    ),
    "content-length absurd": (_post("Content-Length: 99999999999999999999999\r\n"), 413, "6 MB"),
    "chunked, bad size": (_post("Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"), 400, "chunk"),
    "chunked and content-length": (
        _post("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", b"{}"),
        400,
        "Transfer-Encoding",
    ),
    "garbage request line": (b"GARBAGE\r\n\r\n", 400, "request"),
    "binary request line": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "request"),
    "four words": (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, "request"),
    "no version": (b"GET /crm/v3/objects/contacts\r\n\r\n", 400, "request line"),
    "empty request line": (b"\r\n\r\n", 400, "request line"),
    "bad version": (b"GET / HTTX/1.1\r\n\r\n", 400, "version"),
    "headers never end": (b"GET /_local/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n", 408, "headers"),
}


@pytest.mark.parametrize("case", list(FRAMING))
def test_malformed_framing_gets_an_answer_and_the_connection_closes(server: LocalServer, case: str) -> None:
    data, expected, words = FRAMING[case]
    status, headers, body, elapsed = _raw(server, data)
    assert status == expected, body
    assert headers["content-type"] == "application/json"
    _hubspot_error(body, "VALIDATION_ERROR")
    assert words in body["message"]
    assert elapsed < REQUEST_TIMEOUT + 3


def test_a_short_body_is_answered_after_the_socket_timeout(
    serve: Callable[..., LocalServer],
) -> None:
    server = serve(request_timeout=1.0)
    status, _, body, elapsed = _raw(server, _post("Content-Length: 50\r\n", b"{}"))
    assert status == 400 and "incomplete" in body["message"]
    assert 0.9 < elapsed < 4


def test_well_formed_requests_keep_the_connection_and_chunked_bodies_work(server: LocalServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    headers = {"Authorization": "Bearer local-admin", "Content-Type": "application/json"}
    connection.request("GET", "/_local/clock", headers=headers)
    first = connection.getresponse()
    assert first.status == 200 and json.loads(first.read())["now"]
    body = iter([b'{"properties": ', b'{"email": "chunked@example.com"}}'])
    connection.request("POST", CONTACTS, body=body, headers=headers, encode_chunked=True)
    second = connection.getresponse()  # the same connection: keep-alive still works
    assert second.status == 201
    assert json.loads(second.read())["properties"]["email"] == "chunked@example.com"
    connection.request("POST", "/_local/clock", body=b"{not json", headers=headers)
    third = connection.getresponse()
    assert third.status == 400 and "not valid JSON" in json.loads(third.read())["message"]
    connection.close()
