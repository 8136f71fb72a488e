"""``crmflow serve`` logs one text line per request (method, path, status, ms), and errors, its own and
the Lambda handlers' (Powertools, JSON on AWS), as readable text with their traceback."""

import io
import logging
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from crmflow import settings
from crmflow.engine import actions
from crmflow.engine.steps import Context, Outcome
from crmflow_local import server as serving
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer, readable_logs
from engine_support import contact, create_workflow, define_property, workflow

REQUEST_LINE = re.compile(
    r"^\d\d:\d\d:\d\d (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|-) (\S+) (\d{3}) (\d+) ms$"
)


def _call(url: str, method: str = "GET", token: str | None = "local-admin") -> int:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_crmflow_serve_prints_a_line_per_request() -> None:
    command = [sys.executable, "-m", "crmflow_local.cli", "serve", "--port", "0"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TZ": "UTC", "PYTHONWARNINGS": "default"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"crmflow serving on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        url = match.group(1)
        assert "/docs" in process.stdout.readline()  # where Swagger UI is
        calls = [
            ("GET", "/docs", None, 200),
            ("GET", "/crm/v3/objects/contacts", "local-admin", 200),
            ("GET", "/crm/v3/objects/contacts", None, 401),
            ("GET", "/nowhere?x=1", "local-admin", 404),
            ("POST", "/_local/settle", "local-admin", 200),
        ]
        for method, path, token, status in calls:
            assert _call(url + path, method, token) == status
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: the server closes
        _, errors = process.communicate(timeout=60)
    lines = [line for line in errors.splitlines() if line.strip()]
    requests = [REQUEST_LINE.match(line) for line in lines]
    assert all(requests), f"not request lines: {[line for line in lines if not REQUEST_LINE.match(line)]}"
    assert [(m[1], m[2], int(m[3])) for m in requests if m] == [
        (method, path.split("?")[0], status) for method, path, _, status in calls
    ]


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """``readable_logs`` into a buffer, undone afterwards (it configures process-wide loggers)."""
    ours = logging.getLogger(serving.__name__)
    powertools = logging.getLogger("crmflow")
    saved: dict[str, Any] = {
        "handlers": list(ours.handlers),
        "level": ours.level,
        "propagate": ours.propagate,
        "powertools": [(h, h.formatter, getattr(h, "stream", None)) for h in powertools.handlers],
    }
    buffer = io.StringIO()
    readable_logs(buffer)
    yield buffer
    ours.handlers[:] = saved["handlers"]
    ours.setLevel(saved["level"])
    ours.propagate = saved["propagate"]
    for handler, formatter, stream in saved["powertools"]:
        handler.setFormatter(formatter)
        if isinstance(handler, logging.StreamHandler) and stream is not None:
            handler.setStream(stream)


def test_errors_are_text_with_their_traceback_not_json(
    rt: Runtime, log_text: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalServer(rt, "127.0.0.1", 0).start()
    try:

        def broken() -> None:
            raise RuntimeError("boom: a bug in the API")

        monkeypatch.setattr(settings, "get_ownership", broken)
        assert _call(local.url + "/settings/ownership") == 500

        def failing(ctx: Context) -> Outcome:
            raise RuntimeError("boom: a bug in an action")

        monkeypatch.setitem(actions.EXECUTORS, "SET_PROPERTY", failing)
        define_property(rt, "nurtured")
        create_workflow(rt, workflow({"type": "SET_PROPERTY", "property": "nurtured", "value": "yes"}))
        contact(rt, lifecyclestage="lead")
        rt.settle()
    finally:
        local.close()
    text = log_text.getvalue()
    assert re.search(r"^\d\d:\d\d:\d\d GET /settings/ownership 500 \d+ ms$", text, re.MULTILINE), text
    assert re.search(r"^\d\d:\d\d:\d\d ERROR unhandled error\nTraceback", text, re.MULTILINE), text
    assert "RuntimeError: boom: a bug in the API" in text
    assert re.search(r"^\d\d:\d\d:\d\d ERROR enrollment failed event=", text, re.MULTILINE), text
    assert not [line for line in text.splitlines() if line.lstrip().startswith("{")], "a JSON log line"
    for line in text.splitlines():
        if " event=" in line:
            assert len(line) < 500, "an extra field is cut to 300 characters"
