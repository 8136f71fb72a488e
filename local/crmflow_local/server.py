"""``crmflow serve``: the API on 127.0.0.1, in front of the embedded runtime.

Requests are turned into API Gateway HTTP API events (the local authorizer checks the bearer
token) and handled by the same API function as on AWS. The local routes of SPEC section 8 move
the virtual clock and read the outbox; they are for the super admin (``Bearer local-admin``) only.
Work that requests cause (stream records, queue messages, executions) runs on a background pump,
as it would run asynchronously on AWS.

Locking. The runtime runs one handler at a time (``scheduler.invoke_lock``, held per invocation);
that is the only lock an API request takes, and only for its own invocation, so requests interleave
with the pump's work between invocations. ``Runtime.settle`` and ``Runtime.advance`` are not safe
to run on two threads at once, so only the pump thread runs them: ``POST /_local/settle`` and
``POST /_local/clock`` queue a job for the pump and wait for it, holding no lock. A handler that
calls back into this server (a WEBHOOK action pointed at it) still holds the invoke lock while it
waits for the answer: requests without a token are answered without the runtime, and a request
that cannot get the invoke lock within ``busy_timeout`` seconds gets 503 with Retry-After rather
than waiting for ever.

Framing. A request line, header block or body that is not HTTP/1.1 as API Gateway would accept it
gets a JSON error and the connection is closed: 400 for a malformed request line, Content-Length
or chunked body, a body shorter than announced (after ``request_timeout`` seconds) or not UTF-8;
413 for a body over Lambda's 6 MB request payload limit.

Public routes. ``/openapi.json`` and Swagger UI (``/docs``) answer without a token, as API Gateway does
for the events template.yaml opens with ``Authorizer: NONE`` (``Runtime.is_public``).

Logs. Every answer is logged (``METHOD /path status ms``, at INFO on this module's logger);
``crmflow serve`` shows them, with errors and the Lambda handlers' Powertools logs, as text lines
(:func:`readable_logs`). Tests that start a server log nothing unless they ask.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import queue
import re
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter
from crmflow import clock

from crmflow_local.runtime import LOCAL_ADMIN_TOKEN, Runtime, parse_duration

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 6 * 1024 * 1024
"""Lambda's synchronous invocation payload limit (6 MB); API Gateway alone would take 10 MB."""
REQUEST_TIMEOUT_SECONDS = 10.0
"""How long a connection may stay silent while a request (or the next one) is expected."""
BUSY_TIMEOUT_SECONDS = 5.0
"""How long a request waits for the handler the runtime is running before it gets 503."""
_LINGER_SECONDS = 2.0
_UNAUTHENTICATED = "Authentication credentials not found or invalid (Bearer token)."
_CATEGORIES = {
    401: "INVALID_AUTHENTICATION",
    403: "FORBIDDEN",
    404: "OBJECT_NOT_FOUND",
    500: "INTERNAL_ERROR",
    501: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
    505: "INTERNAL_ERROR",
}
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class _Answer(Exception):
    """An error answer decided while handling a request (``close``: the connection is unusable)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.close = close


class LocalServer:
    """The HTTP server and its pump thread around one :class:`Runtime`."""

    def __init__(
        self,
        runtime: Runtime,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.runtime = runtime
        self.request_timeout = request_timeout
        self.busy_timeout = busy_timeout
        self.max_body_bytes = max_body_bytes
        self._work = threading.Event()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], None], Future[None]]] = queue.SimpleQueue()
        self._dirty = False
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
        self._fail_queued_jobs()
        if self._pump.is_alive():
            self._pump.join(timeout=60)

    def poke(self) -> None:
        """A request may have caused work: the pump settles the runtime when it is next free."""
        self._dirty = True
        self._work.set()

    # ---------------------------------------------------------------- the pump
    def _pump_loop(self) -> None:
        while not self._closing:
            self._work.wait()
            self._work.clear()
            while not self._closing:
                try:
                    work, done = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if not done.set_running_or_notify_cancel():
                    continue
                self._dirty = False  # the job settles everything due, including what was poked
                try:
                    work()
                except BaseException as error:  # handed to the request that queued the job
                    done.set_exception(error)
                else:
                    done.set_result(None)
            if self._dirty and not self._closing:
                self._dirty = False
                try:
                    self.runtime.settle()
                except Exception:  # the pump must live on; the next request or job retries
                    logger.exception("the embedded runtime failed to settle")
        self._fail_queued_jobs()

    def _fail_queued_jobs(self) -> None:
        while True:
            try:
                _, done = self._jobs.get_nowait()
            except queue.Empty:
                return
            if done.set_running_or_notify_cancel():
                done.set_exception(_Answer(503, "the server is shutting down"))

    def run_on_pump(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the pump thread (after what it is doing now) and wait for it."""
        if self._closing or not self._pump.is_alive():
            raise _Answer(503, "the server is shutting down (or was not started)")
        done: Future[None] = Future()
        self._jobs.put((work, done))
        self._work.set()
        if self._closing:  # closed while queueing: nobody may take the job any more
            self._fail_queued_jobs()
        done.result()

    @contextlib.contextmanager
    def handlers_free(self) -> Iterator[None]:
        """Hold the runtime's invoke lock, or answer 503 when a handler keeps it too long.

        A handler that calls this server (a WEBHOOK action pointed at it) holds the lock while it
        waits for the answer: waiting for the lock would stall both until the webhook times out.
        """
        lock = self.runtime.scheduler.invoke_lock
        if not lock.acquire(timeout=self.busy_timeout):
            raise _Answer(
                503,
                f"the embedded runtime has been running one handler for over {self.busy_timeout:g}s "
                "(a WEBHOOK action waiting for its endpoint, perhaps this server): try again shortly",
                headers={"Retry-After": str(max(1, round(self.busy_timeout)))},
            )
        try:
            yield
        finally:
            lock.release()

    # ---------------------------------------------------------------- local routes
    def check_admin(self, token: str | None) -> None:
        """``/_local/*`` is for the super admin: 401 without a valid token, 403 for a user's token."""
        if token is not None and hmac.compare_digest(token.encode(), LOCAL_ADMIN_TOKEN.encode()):
            return
        if not token:
            raise _Answer(401, _UNAUTHENTICATED)
        with self.handlers_free():
            claims = self.runtime.authorize(token)
        if claims is None:
            raise _Answer(401, _UNAUTHENTICATED)
        raise _Answer(403, "the /_local/ routes are for the super admin (Bearer local-admin) only")

    def local_route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        rt = self.runtime
        if path == "/_local/clock" and method == "GET":
            return 200, {"now": clock.iso(rt.now)}
        if path == "/_local/clock" and method == "POST":
            if not isinstance(body, dict) or ("advance" in body) == ("to" in body):
                return 400, _error(
                    "body: give exactly one of 'advance' (ISO 8601 duration) or 'to' (timestamp)"
                )
            field = "advance" if "advance" in body else "to"
            try:
                if field == "advance":
                    step = parse_duration(str(body["advance"]))
                    self._on_pump(field, lambda: rt.advance(step))
                else:
                    target = clock.parse_iso(str(body["to"]))
                    self._on_pump(field, lambda: rt.advance(to=target))
            except ValueError as error:
                return 400, _error(f"{field}: {error}")
            return 200, {"now": clock.iso(rt.now)}
        if path == "/_local/settle" and method == "POST":
            self._on_pump("settle", rt.settle)
            return 200, {"now": clock.iso(rt.now)}
        if path == "/_local/outbox" and method == "GET":
            with self.handlers_free():
                return 200, rt.outbox()
        return 404, _error(f"no local route {method} {path}", "OBJECT_NOT_FOUND")

    def _on_pump(self, what: str, work: Callable[[], None]) -> None:
        try:
            self.run_on_pump(work)
        except (ValueError, _Answer):
            raise
        except Exception as error:
            raise _Answer(500, f"{what}: the embedded runtime failed: {error}") from error


def _error(message: str, category: str = "VALIDATION_ERROR") -> dict[str, Any]:
    return {"status": "error", "message": message, "category": category, "correlationId": str(uuid.uuid4())}


def _category(status: int) -> str:
    return _CATEGORIES.get(status, "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR")


def _bearer(header: str) -> str | None:
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "crmflow-local"
        timeout = server.request_timeout  # applied to the socket in setup(): no read waits for ever
        _linger = False
        raw_requestline: bytes
        # set by parse_request; defaults for the answers sent before it gets that far
        command = requestline = ""
        request_version = "HTTP/1.1"

        _started = 0.0

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per answer instead, from _send_raw

        def log_answer(self, status: int) -> None:
            path = urlsplit(self.path).path if self.command else "-"
            elapsed = (time.perf_counter() - self._started) * 1000 if self._started else 0.0
            logger.info("%s %s %d %.0f ms", self.command or "-", path or "-", status, elapsed)

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this each kept-alive answer waits ~40 ms
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        # ------------------------------------------------------------ framing
        def parse_request(self) -> bool:
            self._started = time.perf_counter()
            if not self.raw_requestline.strip():
                # RFC 9112 2.2: an empty line before the request line is ignored (once)
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline:
                    self.close_connection = True
                    return False
                if len(self.raw_requestline) > 65536 or not self.raw_requestline.strip():
                    self.send_error(400, "request line: expected 'METHOD /path HTTP/1.1'")
                    return False
            try:
                parsed = super().parse_request()
            except TimeoutError:
                self.send_error(408, f"headers: not complete within {server.request_timeout:g}s")
                return False
            if not parsed:
                return False
            if self.request_version == "HTTP/0.9":  # "GET /path" without a version
                self.send_error(400, "request line: expected 'METHOD /path HTTP/1.1'")
                return False
            return True

        def handle_expect_100(self) -> bool:
            try:  # answer 413/400 instead of "100 Continue" when the body cannot be taken anyway
                self._body_framing()
            except _Answer as answer:
                answer.close = True
                self._answer_error(answer)
                return False
            return super().handle_expect_100()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """Every framing error of :class:`BaseHTTPRequestHandler` as a JSON body; then close."""
            if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
                self.request_version = "HTTP/1.1"  # an HTTP/0.9 reply would carry no status line
            self.close_connection = True
            self._linger = True
            text = message or (HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "")
            self._send(code, _error(text, _category(code)), close=True)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                if self._linger:
                    self._drain()

        def _drain(self) -> None:
            """Send FIN, then read what the client still sends for a moment, so that closing does
            not reset the connection before the client has read the error answer."""
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + _LINGER_SECONDS
                while (left := deadline - time.monotonic()) > 0:
                    self.connection.settimeout(left)
                    if not self.connection.recv(65536):
                        return

        def _body_framing(self) -> int | None:
            """The announced body length; None for chunked; raises _Answer when unacceptable."""
            lengths = self.headers.get_all("Content-Length") or []
            encoding = self.headers.get("Transfer-Encoding")
            if encoding is not None:
                if lengths:
                    raise _Answer(400, "headers: send Content-Length or Transfer-Encoding, not both")
                if encoding.strip().lower() != "chunked":
                    raise _Answer(501, f"Transfer-Encoding: only chunked is supported, not '{encoding}'")
                return None
            values = {part.strip() for value in lengths for part in value.split(",")}
            if not values:
                return 0
            if len(values) > 1:
                raise _Answer(400, "Content-Length: the request gives different values")
            text = values.pop()
            if not _DIGITS.fullmatch(text):
                raise _Answer(400, f"Content-Length: '{text[:40]}' is not a number of bytes")
            length = int(text) if len(text) <= 18 else server.max_body_bytes + 1
            self._check_size(length)
            return length

        def _check_size(self, length: int) -> None:
            if length > server.max_body_bytes:
                raise _Answer(
                    413,
                    f"body: {length} bytes is over the {server.max_body_bytes} byte limit "
                    "(Lambda's 6 MB request payload; API Gateway alone would allow 10 MB)",
                )

        def _read_body(self) -> str | None:
            length = self._body_framing()
            try:
                data = self._read_chunked() if length is None else self._read_exactly(length)
            except TimeoutError:
                raise _Answer(
                    400, f"body: incomplete after {server.request_timeout:g}s (fewer bytes than announced)"
                ) from None
            if data is None:
                return None
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise _Answer(400, "body: not valid UTF-8") from None

        def _read_exactly(self, length: int) -> bytes | None:
            if length == 0:
                return None
            data = self.rfile.read(length)
            if len(data) < length:
                raise _Answer(
                    400, f"body: Content-Length is {length} but the connection ended after {len(data)} bytes"
                )
            return data

        def _read_chunked(self) -> bytes:
            data = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size_text = line.split(b";", 1)[0].strip()
                if not line.endswith(b"\n") or not _HEX.fullmatch(size_text):
                    raise _Answer(400, "body: a chunk size line is malformed or missing")
                size = int(size_text, 16)
                if size == 0:
                    break
                self._check_size(len(data) + size)
                chunk = self.rfile.read(size)
                if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    raise _Answer(400, "body: a chunk is shorter than its size or not followed by CRLF")
                data += chunk
            for _ in range(100):  # trailer fields, up to the empty line
                line = self.rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    return bytes(data)
            raise _Answer(400, "body: too many trailer fields after the last chunk")

        # ------------------------------------------------------------ requests
        def _handle(self) -> None:
            try:
                self._route()
            except _Answer as answer:
                self._answer_error(answer)
            except Exception as error:
                logger.exception("crmflow serve: %s %s failed", self.command, self.path)
                self._answer_error(_Answer(500, f"the local server failed: {error}", close=True))

        def _route(self) -> None:
            try:
                raw = self._read_body()
            except _Answer as framing:
                framing.close = True  # the rest of the stream cannot be trusted to be a request
                raise
            parts = urlsplit(self.path)
            token = _bearer(self.headers.get("Authorization", ""))
            if parts.path.startswith("/_local/"):
                server.check_admin(token)
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    raise _Answer(400, "body: not valid JSON") from None
                status, answer = server.local_route(self.command, parts.path, body)
                self._send(status, answer)
                return
            if token is None and not server.runtime.is_public(self.command, parts.path):
                raise _Answer(401, _UNAUTHENTICATED)  # answered here: the runtime may be busy with a handler
            query: dict[str, str] = {}
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                query[key] = f"{query[key]},{value}" if key in query else value
            headers = {key.lower(): value for key, value in self.headers.items()}
            with server.handlers_free():
                response = server.runtime.api(
                    self.command, parts.path, token=token, query=query, headers=headers, raw_body=raw
                )
            server.poke()
            self._send_raw(response.status, response.headers, response.body)

        def _answer_error(self, answer: _Answer) -> None:
            if answer.close:
                self.close_connection = True
                self._linger = True
            body = json.dumps(_error(answer.message, _category(answer.status)))
            headers = {"content-type": "application/json", **answer.headers}
            self._send_raw(answer.status, headers, body, close=answer.close)

        def _send(self, status: int, body: Any, close: bool = False) -> None:
            self._send_raw(status, {"content-type": "application/json"}, json.dumps(body), close=close)

        def _send_raw(self, status: int, headers: dict[str, str], body: str, close: bool = False) -> None:
            data = body.encode()
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
            self.log_answer(status)

        # every method reaches the API as on API Gateway (unknown routes and methods answer 404)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _handle

    return Handler


# ---------------------------------------------------------------- logs, for `crmflow serve`

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_MAX_FIELD = 300


class ReadableFormatter(BasePowertoolsFormatter):
    """A log record as one line of text: time, level (unless INFO), message, then the ``extra`` fields
    as ``name=value`` (each cut at 300 characters), and the traceback when there is one. Powertools'
    keys (the Lambda context, a correlation id) are kept for its API but not printed: locally they
    name the same function every time."""

    def __init__(self) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self._keys: dict[str, Any] = {}

    def append_keys(self, **additional_keys: Any) -> None:
        self._keys.update(additional_keys)

    def get_current_keys(self) -> dict[str, Any]:
        return dict(self._keys)

    def remove_keys(self, keys: Any) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def clear_state(self) -> None:
        self._keys.clear()

    thread_safe_append_keys = append_keys
    thread_safe_get_current_keys = get_current_keys
    thread_safe_remove_keys = remove_keys
    thread_safe_clear_keys = clear_state

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record, self.datefmt)} "
        if record.levelno != logging.INFO:
            line += f"{record.levelname} "
        line += record.getMessage()
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                line += f" {name}={text[:_MAX_FIELD]}{'...' if len(text) > _MAX_FIELD else ''}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


def readable_logs(stream: IO[str]) -> None:
    """``crmflow serve``'s logs as text on ``stream``: a line per request (method, path, status, ms) and
    the server's errors; and the Lambda handlers' Powertools logs, JSON lines on AWS (CloudWatch reads
    them), as the same text lines instead."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ReadableFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # not through Powertools' filter on the root logger's handlers
    # the handlers' logger: configured here (at the runtime's level) if no handler has been loaded yet
    Logger(service="crmflow", level=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    for powertools in logging.getLogger("crmflow").handlers:
        powertools.setFormatter(ReadableFormatter())
        if isinstance(powertools, logging.StreamHandler):
            powertools.setStream(stream)
    # the handlers publish no custom metrics locally (POWERTOOLS_METRICS_DISABLED): Powertools says so
    # after every invocation, which would bury the request lines
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
