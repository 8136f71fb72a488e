"""The demo at a small scale, and its HTML report in a real browser (headless Chromium).

One run of ``crmflow demo`` (a quarter of the account, the full 30 days) serves every test here; its
runtime stays open so the tests can ask the API what the report should say. The report must load
without console errors, every chart must draw marks of a real size, and the numbers it shows must be
the API's answers at the end of the run."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, browser_page
from crmflow_local.demo import Demo
from crmflow_local.demo.collect import LEAD_STAGES
from crmflow_local.demo.workflows import definitions
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.25


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    out = io.StringIO()
    with Demo(
        scale=SCALE, out_dir=tmp_path_factory.mktemp("demo"), console=Console(file=out, width=140)
    ) as run:
        run.run()
        run.output = out.getvalue()  # type: ignore[attr-defined]
        yield run


@pytest.fixture(scope="module")
def page_data(demo: Demo) -> dict[str, Any]:
    """What the browser shows: errors, every chart's marks and size, and the key tables."""
    assert demo.report_path is not None
    with browser_page() as (page, errors):
        page.goto(f"file://{demo.report_path}")
        charts = page.evaluate(
            """() => [...document.querySelectorAll('figure svg')].map(svg => {
                const box = svg.getBoundingClientRect();
                const shapes = ['rect', 'path', 'circle', 'polyline'];
                const marks = [...svg.querySelectorAll('.mark')].filter(m => shapes.includes(m.tagName));
                const drawn = marks.filter(m => {
                    const b = m.getBBox();
                    return b.width > 0 && b.height > 0;
                });
                const ids = (svg.getAttribute('aria-labelledby') || '').split(' ');
                const labelled = ids.map(id => document.getElementById(id));
                return {
                    figure: svg.closest('figure').id,
                    width: box.width, height: box.height, marks: marks.length, drawn: drawn.length,
                    role: svg.getAttribute('role'),
                    labels: labelled.map(el => el ? el.textContent.trim() : ''),
                    caption: (svg.closest('figure').querySelector('figcaption') || {}).textContent || '',
                    table: !!svg.closest('figure').querySelector('details table'),
                };
            })"""
        )
        tables = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('table[id]')].map(t => [t.id, {
                header: [...t.querySelectorAll('thead th')].map(th => th.textContent.trim()),
                rows: [...t.querySelectorAll('tbody tr')].map(
                    tr => [...tr.children].map(c => c.textContent.trim())
                ),
            }]))"""
        )
        cards = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('.card')].map(c =>
                [c.childNodes[1].textContent.trim(), c.querySelector('b').textContent.replace(/,/g, '')]))"""
        )
        explained = page.evaluate(
            "() => [...document.querySelectorAll('section.explain .verdict')].map(v => v.textContent)"
        )
        figures = page.evaluate("() => document.querySelectorAll('figure').length")
        return {
            "errors": list(errors),
            "charts": charts,
            "tables": tables,
            "cards": cards,
            "explained": explained,
            "figures": figures,
        }


def api(demo: Demo, method: str, path: str, body: Any = None, **query: str) -> Any:
    answer = demo.rt.api(method, path, body, query=query or None)
    assert answer.status < 300, answer.body
    return answer.json


def total(demo: Demo, object_type: str, **equal: str) -> int:
    """How many records of a type the API counts (``search``), with ``property=value`` filters."""
    filters = [{"propertyName": name, "operator": "EQ", "value": value} for name, value in equal.items()]
    body = {"filterGroups": [{"filters": filters}] if filters else [], "limit": 1}
    return int(api(demo, "POST", f"/crm/v3/objects/{object_type}/search", body)["total"])


def log(demo: Demo, workflow_id: str) -> list[dict[str, Any]]:
    return api(demo, "GET", f"/workflows/{workflow_id}/log", limit="1000")["results"]


def rows(page_data: dict[str, Any], table_id: str) -> list[dict[str, str]]:
    table = page_data["tables"][table_id]
    return [dict(zip(table["header"], row, strict=True)) for row in table["rows"]]


# ---------------------------------------------------------------- the run itself
def test_the_demo_drives_six_workflows_through_thirty_days_and_prints_progress_and_a_table(demo: Demo):
    assert demo.collector is not None and len(demo.collector.snapshots) == 30
    assert [w["name"] for w in demo.workflows] == [
        "Lead nurture",
        "Route new MQLs to sales",
        "Assign new tickets to their team",
        "Escalate tickets waiting on us for 4 business hours",
        "Follow up on every new deal stage",
        "Send won deals to billing",
    ]
    output = demo.output  # type: ignore[attr-defined]
    assert "day 30" in output and "30/30" in output
    assert "Workflows after 30 simulated days" in output
    assert f"report: {demo.report_path}" in output
    for workflow in demo.workflows:  # every workflow did something
        stats = api(demo, "GET", f"/workflows/{workflow['id']}/stats")
        assert stats["enrolled"] > 0, workflow["name"]
        assert stats["failed"] == 0, workflow["name"]


def test_the_webhook_reached_the_local_billing_system_and_its_answer_was_mapped(demo: Demo):
    won = next(w for w in demo.workflows if w["name"] == "Send won deals to billing")
    calls = [
        e for e in log(demo, won["id"]) if e["actionType"] == "WEBHOOK" and e["event"] == "ACTION_EXECUTED"
    ]
    assert calls and all(e["detail"]["status"] == 201 for e in calls)
    deal = api(demo, "GET", f"/crm/v3/objects/deals/{calls[0]['recordId']}", properties="billing_account_id")
    assert re.fullmatch(r"ACC-\d{5}", deal["properties"]["billing_account_id"])


# ---------------------------------------------------------------- the report in the browser
def test_the_report_loads_without_console_errors(page_data: dict[str, Any]):
    assert page_data["errors"] == []
    assert page_data["figures"] >= 15


def test_every_chart_draws_marks_and_is_labelled_with_a_caption_and_a_table(page_data: dict[str, Any]):
    charts = page_data["charts"]
    assert len(charts) >= 15
    for chart in charts:
        where = chart["figure"]
        assert chart["width"] > 100 and chart["height"] > 50, where
        assert chart["marks"] > 0 and chart["drawn"] > 0, where
        assert chart["role"] == "img" and len(chart["labels"]) == 2 and all(chart["labels"]), where
        assert chart["caption"].strip() and chart["table"], where


def test_workflow_numbers_on_the_page_are_the_api_answers(demo: Demo, page_data: dict[str, Any]):
    shown = {row["workflow"].split(" ", 1)[0]: row for row in rows(page_data, "workflow-summary")}
    assert set(shown) == {w["id"] for w in demo.workflows}
    for workflow_id, row in shown.items():
        stats = api(demo, "GET", f"/workflows/{workflow_id}/stats")
        assert int(row["enrolled"]) == stats["enrolled"]
        assert int(row["active"]) == stats["active"]
        assert int(row["completed"]) == stats["completed"]
        assert int(row["left early"]) == stats["unenrolled"]
        goal = stats["goal"]
        if goal["emailed"]:
            assert row["goal conversion"].startswith(f"{goal['met']} of {goal['emailed']}")


def test_tickets_per_status_on_the_page_are_the_api_answers(demo: Demo, page_data: dict[str, Any]):
    shown = {row["pipeline / status"]: int(row["total"]) for row in rows(page_data, "tickets-per-status")}
    answer = api(demo, "GET", "/crm/v3/pipelines/tickets")["results"]
    pipelines = [p for p in answer if p["id"] in demo.account.pipelines.values()]
    assert len(pipelines) == 2
    for pipeline in pipelines:
        for stage in pipeline["stages"]:
            counted = total(demo, "tickets", hs_pipeline_stage=stage["id"])
            assert shown[f"{pipeline['label']} / {stage['label']}"] == counted, stage["label"]
    assert sum(shown.values()) == total(demo, "tickets") - total(demo, "tickets", hs_pipeline="0")


def test_leads_records_and_emails_on_the_page_are_the_api_answers(demo: Demo, page_data: dict[str, Any]):
    leads = {row["stage"]: int(row["leads"]) for row in rows(page_data, "leads-per-stage")}
    assert list(leads) == LEAD_STAGES
    for stage, shown in leads.items():
        assert shown == total(demo, "leads", hs_pipeline_stage=stage)
    cards = page_data["cards"]
    for object_type in ("companies", "contacts", "deals", "tickets", "leads", "tasks"):
        assert int(cards[object_type]) == total(demo, object_type), object_type
    sent = sum(
        1
        for workflow in demo.workflows
        for entry in log(demo, workflow["id"])
        if entry["actionType"] == "SEND_EMAIL" and entry["event"] == "ACTION_EXECUTED"
    )
    assert int(cards["emails sent"]) == len(demo.rt.outbox()) == sent > 0


def test_the_report_shows_explain_answers(page_data: dict[str, Any]):
    verdicts = page_data["explained"]
    assert len(verdicts) >= 4
    assert any("does not meet the triggers" in v for v in verdicts)
    assert any("enrollExisting" in v for v in verdicts)


def test_the_report_is_self_contained(demo: Demo):
    assert demo.report_path is not None
    html = demo.report_path.read_text()
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
    assert html.count("<figcaption>") == html.count("<figure")


def test_docs_demo_md_shows_each_workflow_as_the_demo_sends_it(demo: Demo):
    page = (ROOT / "docs" / "demo.md").read_text()
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", page, re.DOTALL)]
    url = "http://127.0.0.1:<port>/billing/accounts"
    assert blocks == definitions(demo.account, demo.start, url)
