"""Workflows as code (docs/workflows-as-code.md): ``crmflow workflows export``, ``plan`` and
``apply`` against a real local HTTP server on 127.0.0.1.

- export writes one readable file per workflow (ids kept, names as comments), the same bytes twice;
  an edit shows in plan as exactly that diff and changes nothing; apply makes it live, and a new
  export is the edited files byte for byte;
- a workflow changed through the API after the export is a conflict: apply refuses it (exit 1,
  naming the file) and the live workflow stays as it is;
- an invalid file gets the API's own 400 message, at the file's line;
- apply reports the live-edit consequences with the real counts of waiting records (W-12, W-13),
  and the records then do what it said.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from crmflow_local.cli import main
from crmflow_local.server import LocalServer
from crmflow_local.workflows_code import yamltext
from engine_support import http_json as call

ROOT = Path(__file__).resolve().parents[1]
LEAD_TRIGGER = {
    "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
}


def ok(server: LocalServer, method: str, path: str, body: Any = None) -> Any:
    status, answer = call(server, method, path, body)
    assert status < 300, (status, answer)
    return answer


def crmflow(server: LocalServer, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``crmflow workflows <args> --url <server>``, in process: exit code and output."""
    code = main(["workflows", *args, "--url", server.url])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def diff_lines(output: str) -> list[str]:
    return [
        line
        for line in output.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")) and not line.startswith("  - ")
    ]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new))


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    found = [n for n, line in enumerate(lines, 1) if line == text]
    assert len(found) == 1, (text, found)
    return found[0]


def nurture(email_id: str) -> dict[str, Any]:
    return {
        "name": "Trial nurture",
        "objectType": "contacts",
        "enrollment": LEAD_TRIGGER,
        "suppressionListIds": ["1"],
        "startActionId": "1",
        "actions": [
            {"id": "1", "type": "DELAY", "delay": {"days": 1}, "next": "2"},
            {"id": "2", "type": "SEND_EMAIL", "emailId": email_id, "next": "3"},
            {"id": "3", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "IN_PROGRESS"},
        ],
    }


WELCOME = {
    "name": "Customer welcome",
    "objectType": "contacts",
    "timeZone": "Europe/Oslo",
    "timeWindows": [{"days": ["MON", "TUE"], "start": "09:00", "end": "10:30"}],
    "pauseDates": ["2026-12-24"],
    "startActionId": "1",
    "actions": [{"id": "1", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "NEW"}],
}


def two_workflows(server: LocalServer) -> None:
    email = ok(
        server,
        "POST",
        "/marketing/v3/emails",
        {"name": "Trial tips", "subject": "Tips", "state": "AUTOMATED"},
    )
    ok(
        server,
        "POST",
        "/crm/v3/lists",
        {
            "name": "Competitors",
            "objectType": "contacts",
            "processingType": "DYNAMIC",
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@rival.example"}
                    ]
                }
            ],
        },
    )
    assert ok(server, "POST", "/workflows", nurture(email["id"]))["id"] == "1"
    assert ok(server, "POST", "/workflows", WELCOME)["id"] == "2"


# ---------------------------------------------------------------- export, edit, plan, apply, export


def test_export_edit_plan_apply_and_export_again_gives_the_edited_files(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    two_workflows(server)
    first = tmp_path / "workflows"
    code, out = crmflow(server, capsys, "export", "--dir", str(first))
    assert code == 0, out
    assert sorted(p.name for p in first.iterdir()) == ["customer-welcome-2.yaml", "trial-nurture-1.yaml"]
    nurture_file = first / "trial-nurture-1.yaml"
    text = nurture_file.read_text()
    assert "\nid: '1'\nrevision: 1\nname: Trial nurture\nobjectType: contacts\ntimeZone: UTC\n" in text
    assert "  emailId: '1'  # email \"Trial tips\"\n" in text
    assert "suppressionListIds:\n- '1'  # list \"Competitors\"\n" in text
    assert "start: 09:00" in (first / "customer-welcome-2.yaml").read_text()
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    code, out = crmflow(server, capsys, "export", "--dir", str(first))
    assert code == 0 and out.count("(unchanged)") == 2, out
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before

    edit(nurture_file, "    days: 1\n", "    days: 2\n")
    edit(nurture_file, "  value: IN_PROGRESS\n", "  value: OPEN\n")
    code, out = crmflow(server, capsys, "plan", "--dir", str(first))
    assert code == 0, out
    assert diff_lines(out) == ["-    days: 1", "+    days: 2", "-  value: IN_PROGRESS", "+  value: OPEN"], out
    assert f'{nurture_file}: update workflow 1 "Trial nurture" (revision 1)' in out
    assert f"--- live workflow 1 (revision 1)\n+++ {nurture_file}\n" in out
    assert f"{first / 'customer-welcome-2.yaml'}: no changes to workflow 2" in out
    assert "a delay changes from 1 day to 2 days: 0 waiting records are rescheduled" in out
    assert out.splitlines()[-1] == "plan: 1 to update, 1 unchanged"
    assert [ok(server, "GET", f"/workflows/{i}")["revision"] for i in ("1", "2")] == [
        1,
        1,
    ]  # plan changed nothing

    code, out = crmflow(server, capsys, "apply", "--dir", str(first))
    assert code == 0, out
    assert f'{nurture_file}: updated workflow 1 "Trial nurture" to revision 2' in out
    live = ok(server, "GET", "/workflows/1")
    assert (
        live["revision"] == 2
        and live["actions"][0]["delay"]["days"] == 2
        and live["actions"][2]["value"] == "OPEN"
    )
    assert ok(server, "GET", "/workflows/2")["revision"] == 1

    second = tmp_path / "again"
    code, out = crmflow(server, capsys, "export", "--dir", str(second))
    assert code == 0, out
    assert {p.name: p.read_bytes() for p in second.iterdir()} == {
        p.name: p.read_bytes() for p in first.iterdir()
    }
    assert "revision: 2\n" in nurture_file.read_text()  # apply wrote the new revision into the file

    code, out = crmflow(server, capsys, "plan", "--dir", str(first))
    assert code == 0 and diff_lines(out) == [] and out.splitlines()[-1] == "plan: 2 unchanged", out


def test_a_new_file_is_a_creation_and_gets_its_id_and_revision(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    ok(server, "POST", "/workflows", WELCOME)
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    new = folder / "lead-status.yaml"
    new.write_text(
        "name: Lead status\nobjectType: contacts\nenrollment:\n  filterGroups:\n  - filters:\n"
        "    - {propertyName: lifecyclestage, operator: EQ, value: lead}\n"
        "startActionId: 1\nactions:\n- {id: 1, type: SET_PROPERTY, property: hs_lead_status, value: OPEN}\n"
    )
    code, out = crmflow(server, capsys, "plan", "--dir", str(folder))
    assert code == 0, out
    assert f'{new}: create a workflow "Lead status"' in out and f"--- /dev/null\n+++ {new}\n" in out
    assert "+timeZone: UTC" in out  # the diff shows the definition as the API will store it
    assert call(server, "GET", "/workflows/2")[0] == 404

    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert code == 0, out
    assert f'{new}: created workflow 2 "Lead status" at revision 1' in out
    assert ok(server, "GET", "/workflows/2")["enabled"] is False
    assert "\nid: '2'\nrevision: 1\nname: Lead status\n" in new.read_text()
    again = tmp_path / "again"
    assert crmflow(server, capsys, "export", "--dir", str(again))[0] == 0
    assert (again / "lead-status-2.yaml").read_bytes() == new.read_bytes()
    code, out = crmflow(server, capsys, "export", "--dir", str(folder))  # its file keeps its name
    assert code == 0 and out.count("(unchanged)") == 2 and not (folder / "lead-status-2.yaml").exists(), out
    (folder / "customer-welcome-1.yaml").unlink()
    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert (
        code == 0 and f'workflow 1 "Customer welcome" has no file in {folder}: apply leaves it alone' in out
    )
    assert ok(server, "GET", "/workflows/1")["revision"] == 1


# ---------------------------------------------------------------- conflicts


def test_a_workflow_changed_since_the_export_is_a_conflict_and_is_not_applied(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    two_workflows(server)
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    changed = {**ok(server, "GET", "/workflows/2"), "name": "Customer welcome (by hand)"}
    assert ok(server, "PUT", "/workflows/2", changed)["revision"] == 2
    welcome_file = folder / "customer-welcome-2.yaml"
    edit(welcome_file, "  value: NEW\n", "  value: OPEN\n")
    nurture_file = folder / "trial-nurture-1.yaml"
    edit(nurture_file, "  value: IN_PROGRESS\n", "  value: OPEN\n")

    code, out = crmflow(server, capsys, "plan", "--dir", str(folder))
    assert code == 1, out
    assert (
        f"{welcome_file}: conflict: workflow 2 is at revision 2, and this file was exported at revision 1"
        in out
    )

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmflow_local.cli",
            "workflows",
            "apply",
            "--dir",
            str(folder),
            "--url",
            server.url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{welcome_file}: conflict" in result.stdout and "Nothing is applied for it" in result.stdout
    assert "1 updated, 1 in conflict (not applied)" in result.stdout
    live = ok(server, "GET", "/workflows/2")
    assert live["revision"] == 2 and live["name"] == "Customer welcome (by hand)"
    assert live["actions"][0]["value"] == "NEW"
    assert "  value: OPEN\n" in welcome_file.read_text() and "revision: 1\n" in welcome_file.read_text()
    assert ok(server, "GET", "/workflows/1")["actions"][2]["value"] == "OPEN"  # the other file went through


def test_a_file_of_a_deleted_workflow_is_a_conflict(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    ok(server, "POST", "/workflows", WELCOME)
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    assert call(server, "DELETE", "/workflows/1")[0] == 204
    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert code == 1 and f"{folder / 'customer-welcome-1.yaml'}: conflict: workflow 1 was deleted" in out, out
    assert ok(server, "GET", "/workflows")["results"] == []


# ---------------------------------------------------------------- invalid files


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("  type: SEND_EMAIL\n", "  type: SEND_SMS\n", "- id: '2'"),
        ("    days: 1\n", "    days: 999\n", "    days: 999"),
        ("  next: '3'\n", "  next: '9'\n", "  next: '9'"),
    ],
    ids=["unknown action type", "delay too long", "unknown next"],
)
def test_an_invalid_file_gets_the_api_message_at_its_line(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, line: str
):
    two_workflows(server)
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    path = folder / "trial-nurture-1.yaml"
    edit(path, old, new)
    definition = {k: v for k, v in yaml.safe_load(path.read_text()).items() if k not in ("id", "revision")}
    status, answer = call(server, "POST", "/workflows", definition)  # what the API itself says
    assert status == 400
    expected = f"{path}:{line_of(path, line)}: {answer['message']}"

    for command in ("plan", "apply"):
        code, out = crmflow(server, capsys, command, "--dir", str(folder))
        assert code == 1, out
        assert expected in out.splitlines(), (expected, out)
    assert ok(server, "GET", "/workflows/1")["revision"] == 1
    assert [w["id"] for w in ok(server, "GET", "/workflows")["results"]] == ["1", "2"]


def test_checks_that_need_the_account_data_come_at_apply_with_the_line(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    folder = tmp_path / "workflows"
    folder.mkdir()
    new = folder / "typo.yaml"
    body = {
        **WELCOME,
        "enrollment": {
            "filterGroups": [
                {"filters": [{"propertyName": "lifecylestage", "operator": "EQ", "value": "lead"}]}
            ]
        },
    }
    new.write_text(yamltext.dump(body))
    assert crmflow(server, capsys, "plan", "--dir", str(folder))[0] == 0
    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert code == 1, out
    field = "enrollment.filterGroups[0].filters[0].propertyName"
    message = f"{field}: property 'lifecylestage' does not exist on contacts"
    assert f"{new}:{line_of(new, '    - propertyName: lifecylestage')}: {message}" in out.splitlines(), out
    assert ok(server, "GET", "/workflows")["results"] == []
    assert not [line for line in new.read_text().splitlines() if line.startswith(("id:", "revision:"))]


def test_yaml_errors_duplicate_keys_and_ignored_keys_are_reported_with_their_lines(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "a.yaml").write_text("name: A\nobjectType: contacts\nactions: [\n")
    (folder / "b.yaml").write_text("name: B\nobjectType: contacts\nname: C\n")
    (folder / "c.yaml").write_text(
        "name: C\nobjectType: contacts\nstartActionId: '1'\nactions:\n"
        "- id: '1'\n  type: DELAY\n  delay:\n    day: 2\n"
    )
    code, out = crmflow(server, capsys, "plan", "--dir", str(folder))
    assert code == 1, out
    assert f"{folder / 'a.yaml'}:4: not valid YAML" in out
    assert f"{folder / 'b.yaml'}:3: duplicate key 'name' (also on line 1)" in out
    assert (
        f"{folder / 'c.yaml'}:8: warning: 'actions[0].delay.day' is not a field of a workflow definition"
        in out
    )


# ---------------------------------------------------------------- consequences


def enroll_leads(server: LocalServer, count: int, start: int = 0) -> list[str]:
    ids = [
        ok(
            server,
            "POST",
            "/crm/v3/objects/contacts",
            {"properties": {"email": f"lead{n}@example.com", "lifecyclestage": "lead"}},
        )["id"]
        for n in range(start, start + count)
    ]
    ok(server, "POST", "/_local/settle")
    return ids


def lead_status(server: LocalServer, record_id: str) -> str | None:
    answer = ok(server, "GET", f"/crm/v3/objects/contacts/{record_id}?properties=hs_lead_status")
    return answer["properties"].get("hs_lead_status")


DELAYED = {
    "name": "Delayed status",
    "objectType": "contacts",
    "enrollment": LEAD_TRIGGER,
    "startActionId": "1",
    "actions": [
        {"id": "1", "type": "DELAY", "delay": {"days": 2}, "next": "2"},
        {"id": "2", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "OPEN"},
    ],
}


def test_removing_a_delay_reports_how_many_waiting_records_move_on_w12(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    ok(server, "POST", "/workflows", DELAYED)
    ok(server, "POST", "/workflows/1/enable", {"enrollExisting": False})
    records = enroll_leads(server, 3)
    assert ok(server, "GET", "/workflows/1/stats")["waiting"] == {"1": 3}
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    path = folder / "delayed-status-1.yaml"
    data = yaml.safe_load(path.read_text())
    data["startActionId"] = "2"
    data["actions"] = data["actions"][1:]
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    code, out = crmflow(server, capsys, "plan", "--dir", str(folder))
    assert code == 0 and "action 1 (DELAY): a delay is removed: 3 waiting records move on (W-12)" in out, out
    assert [lead_status(server, r) for r in records] == [None, None, None]
    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert code == 0, out
    lines = out.splitlines()
    updated = lines.index(f'{path}: updated workflow 1 "Delayed status" to revision 2')
    assert lines[updated + 1 : updated + 3] == [
        "consequences for the records in the workflow:",
        "  - action 1 (DELAY): a delay is removed: 3 waiting records move on (W-12)",
    ]
    ok(server, "POST", "/_local/settle")
    assert [lead_status(server, r) for r in records] == ["OPEN", "OPEN", "OPEN"]


def test_shortening_a_delay_reports_who_is_rescheduled_and_who_moves_on_at_once_w13(
    server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    ok(server, "POST", "/workflows", DELAYED)
    ok(server, "POST", "/workflows/1/enable", {"enrollExisting": False})
    early = enroll_leads(server, 2)
    ok(server, "POST", "/_local/clock", {"advance": "P1D"})
    late = enroll_leads(server, 1, start=2)
    folder = tmp_path / "workflows"
    assert crmflow(server, capsys, "export", "--dir", str(folder))[0] == 0
    edit(folder / "delayed-status-1.yaml", "    days: 2\n", "    days: 1\n")

    code, out = crmflow(server, capsys, "apply", "--dir", str(folder))
    assert code == 0, out
    assert (
        "action 1 (DELAY): a delay changes from 2 days to 1 day: 3 waiting records are rescheduled, counting "
        "the time already waited; 2 of them already waited that long and move on at once (W-13)"
    ) in out
    ok(server, "POST", "/_local/settle")
    assert [lead_status(server, r) for r in early + late] == ["OPEN", "OPEN", None]


# ---------------------------------------------------------------- the YAML layer on its own


def test_line_of_follows_the_api_field_paths():
    text = (
        "name: A\n"  # 1
        "actions:\n"  # 2
        "- id: '1'\n"  # 3
        "  type: DELAY\n"  # 4
        "  delay:\n"  # 5
        "    days: 999\n"  # 6
        "- id: '2'\n"  # 7
        "  type: SET_PROPERTY\n"  # 8
    )
    _, root = yamltext.parse(text)
    assert yamltext.line_of(root, "actions[0].DELAY.delay.days") == 6
    assert yamltext.line_of(root, "actions[0].delay") == 5
    assert yamltext.line_of(root, "actions[1].SET_PROPERTY.property") == 7  # missing: where its action is
    assert yamltext.line_of(root, "actions[1]") == 7
    assert yamltext.line_of(root, "actions") == 2
    assert yamltext.line_of(root, "timeZone") == 1


def test_split_problems_keeps_the_semicolons_inside_a_problem():
    message = (
        "actions[1].emailId: marketing email '2' is a draft; only emails saved for automation (AUTOMATED) "
        "can be sent by a workflow; actions[3].teamId: no team with id 4"
    )
    problems = yamltext.split_problems(message)
    assert [path for path, _ in problems] == ["actions[1].emailId", "actions[3].teamId"]
    assert "; ".join(text for _, text in problems) == message
    assert yamltext.split_problems("body: actions[0].next: unknown action id '9'") == [
        ("actions[0].next", "body: actions[0].next: unknown action id '9'")
    ]


def test_the_loader_keeps_times_dates_and_yes_as_strings_and_round_trips_what_dump_writes():
    data, _ = yamltext.parse("time: 10:30\nday: 2026-12-24\nvalue: yes\nflag: true\ndays: 2\nscore: 2.5\n")
    assert data == {
        "time": "10:30",
        "day": "2026-12-24",
        "value": "yes",
        "flag": True,
        "days": 2,
        "score": 2.5,
    }
    tricky = {
        "a": "10:30",
        "b": "yes",
        "c": "1e3",
        "d": "0x1F",
        "e": "null",
        "f": "2026-12-24",
        "g": "007",
        "h": "1_000",
    }
    assert yamltext.parse(yamltext.dump(tricky))[0] == tricky
