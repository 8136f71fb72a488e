"""`crmflow demo --serve`: after its run the demo account stays served, so its workflows can be
looked at in the console (a real process and a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.read()


def test_demo_serve_keeps_the_account_served_for_the_console(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "crmflow_local.cli", "demo", "--scale", "0.05", "--serve"]
    command += ["--port", str(port), "--out", str(tmp_path)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={"TZ": "UTC", **_env()},
    )
    try:
        deadline = time.monotonic() + 240
        line = ""
        while "served on" not in line:
            assert process.poll() is None and time.monotonic() < deadline, "the demo did not start serving"
            line = process.stdout.readline() if process.stdout else ""
        base = f"http://127.0.0.1:{port}"
        status, page = _get(f"{base}/console")
        assert status == 200 and b"<html" in page.lower()
        status, body = _get(f"{base}/workflows", "local-admin")
        names = {workflow["name"] for workflow in json.loads(body)["results"]}
        assert status == 200 and "Lead nurture" in names and len(names) == 6
        assert (tmp_path / "report.html").exists()
    finally:
        process.terminate()
        process.wait(timeout=30)


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "TZ"}
