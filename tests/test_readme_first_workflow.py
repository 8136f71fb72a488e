"""README's "Your first workflow" does what it says, through a real ``crmflow serve`` on 127.0.0.1: its
workflow JSON and each of its curl commands are read from README.md and sent as written (the host
swapped for the test server's)."""

import json
import re
import shlex
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from crmflow.workflow_admin.explain import MET_BEFORE
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer

README = Path(__file__).resolve().parent.parent / "README.md"
HOST = "localhost:3000"


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    data: str | None = None


def _section() -> str:
    text = README.read_text()
    start = text.index("### Your first workflow")
    end = text.index("\n#", start + 1)
    return text[start:end]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), re.DOTALL)


def _curls(workflow_json: str) -> list[Curl]:
    [commands] = _blocks("sh")
    found = []
    for line in commands.strip().splitlines():
        words = shlex.split(line)
        assert words[0] == "curl", line
        curl = Curl("GET", "")
        rest = iter(words[1:])
        for word in rest:
            if word == "-X":
                curl.method = next(rest)
            elif word == "-H":
                name, value = next(rest).split(":", 1)
                curl.headers[name.strip()] = value.strip()
            elif word == "-d":
                data = next(rest)
                curl.data = workflow_json if data == "@workflow.json" else data
                curl.method = curl.method if "-X" in words else "POST"
            else:
                assert word.startswith(HOST), f"unexpected curl argument {word!r} in {line}"
                curl.url = word
        found.append(curl)
    return found


def _send(server: LocalServer, curl: Curl) -> tuple[int, Any]:
    url = curl.url.replace(HOST, server.url.removeprefix("http://"), 1)
    data = curl.data.encode() if curl.data is not None else None
    request = urllib.request.Request(f"http://{url}", data=data, method=curl.method, headers=curl.headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with Runtime(start="2026-12-01T08:00:00Z") as runtime:
        local = LocalServer(runtime, "127.0.0.1", 0).start()
        yield local
        local.close()


def test_the_readme_workflow_is_a_delay_then_a_set_property_on_contacts() -> None:
    [workflow_json] = _blocks("json")
    definition = json.loads(workflow_json)
    assert definition["objectType"] == "contacts"
    assert [action["type"] for action in definition["actions"]] == ["DELAY", "SET_PROPERTY"]


def test_every_readme_curl_sends_json_with_the_local_admin_token() -> None:
    [workflow_json] = _blocks("json")
    curls = _curls(workflow_json)
    assert len(curls) >= 5
    for curl in curls:
        assert curl.headers["Authorization"] == "Bearer local-admin", curl
        if curl.data is not None:
            assert curl.headers["Content-Type"] == "application/json", curl
            json.loads(curl.data)
    enable = [curl for curl in curls if curl.url.endswith("/enable")]
    assert [json.loads(curl.data or "") for curl in enable] == [{"enrollExisting": True}]


def test_the_readme_curls_enroll_the_lead_and_set_its_lead_status_a_day_later(server: LocalServer) -> None:
    [workflow_json] = _blocks("json")
    answers = []
    for curl in _curls(workflow_json):
        status, body = _send(server, curl)
        assert 200 <= status < 300, (curl, status, body)
        answers.append(body)
    contact, log = answers[-2], answers[-1]
    assert contact["properties"]["hs_lead_status"] == "IN_PROGRESS"
    events = [(entry["event"], entry["actionType"]) for entry in log["results"]]
    assert events[0] == ("ENROLLED", None) and ("ACTION_EXECUTED", "SET_PROPERTY") in events


def test_without_enroll_existing_the_lead_stays_out_and_explain_says_why(server: LocalServer) -> None:
    [workflow_json] = _blocks("json")
    curls = _curls(workflow_json)
    create_contact, create_workflow, enable = curls[:3]
    assert _send(server, create_contact)[0] == 201
    settle = Curl("POST", f"{HOST}/_local/settle", {"Authorization": "Bearer local-admin"})
    assert _send(server, settle)[0] == 200  # the contact's creation has been through the records stream
    assert _send(server, create_workflow)[0] == 201
    enable.data = json.dumps({"enrollExisting": False})
    assert _send(server, enable)[0] == 200
    explain = Curl("GET", f"{HOST}/workflows/1/explain/1", {"Authorization": "Bearer local-admin"})
    status, answer = _send(server, explain)
    assert status == 200 and answer["verdict"] == MET_BEFORE and answer["wouldEnroll"] is False
