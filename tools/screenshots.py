"""Screenshots of the web console (``/console``) for docs/console.md, taken by a real browser.

    make screenshots                       # or: python tools/screenshots.py [--out docs/screenshots]

The demo account of ``make demo`` (``crmflow_local.demo``, at 0.3 of its size: six workflows,
two ticket pipelines with teams, lifecycle and lead automation) is loaded into an embedded runtime,
moved four simulated days on, and the nurture workflow is saved once more (so there is a second
revision to compare). ``crmflow serve``'s server then serves it on 127.0.0.1, and the system's
Chromium, driven by Playwright as the browser tests drive it (``tests/browser_support.py``), signs
in with ``local-admin`` at 1366x768 and saves one PNG per page. Nothing is drawn by hand: run it
again after changing the console.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for folder in ("layers/common", "local", "tests"):
    if str(ROOT / folder) not in sys.path:
        sys.path.insert(0, str(ROOT / folder))

from browser_support import CHROMIUM  # noqa: E402  (the same browser the tests use)
from crmflow_local.demo.run import Demo  # noqa: E402
from crmflow_local.server import LocalServer  # noqa: E402

START = "2026-12-01T08:00:00Z"
VIEWPORT = {"width": 1366, "height": 768}
OUT = ROOT / "docs" / "screenshots"


def _ok(answer: Any, what: str) -> Any:
    if answer.status >= 300:
        raise RuntimeError(f"{what}: HTTP {answer.status}: {answer.body}")
    return answer.json


def load_account(demo: Demo) -> dict[str, str]:
    """The demo account a few simulated days on, with a second revision of the nurture workflow;
    the ids to show."""
    rt = demo.rt
    demo.run()
    workflows = {w["name"]: w for w in _ok(rt.api("GET", "/workflows"), "workflows")["results"]}
    nurture = workflows["Lead nurture"]
    escalation = next(w for name, w in workflows.items() if name.startswith("Escalate"))
    current = _ok(rt.api("GET", f"/workflows/{nurture['id']}"), "read workflow")
    actions = [dict(action) for action in current["actions"]]
    for action in actions:  # a second revision to compare: the first delay an hour longer
        if action["type"] == "DELAY":
            action["delay"] = {**action["delay"], "hours": action["delay"].get("hours", 0) + 1}
            break
    body = {**current, "actions": actions, "revision": current["revision"], "enrollExisting": False}
    _ok(rt.api("PUT", f"/workflows/{nurture['id']}", body), "edit workflow")  # a second revision
    enrolled = _ok(
        rt.api("GET", f"/workflows/{nurture['id']}/enrollments", query={"limit": "1"}), "enrollments"
    )
    waiting = _ok(rt.api("GET", f"/workflows/{nurture['id']}/stats"), "stats")["waiting"]
    return {
        "waiting_action": max(waiting, key=lambda action: waiting[action]) if waiting else "1",
        "nurture": nurture["id"],
        "escalation": escalation["id"],
        "contact": enrolled["results"][0]["recordId"],
        "ticket_pipeline": demo.account.pipelines["support"],
    }


def shoot(url: str, ids: dict[str, str], out: Path) -> list[Path]:
    """Sign in and save each page; answers the files written."""
    from playwright.sync_api import expect, sync_playwright

    written: list[Path] = []
    nurture, escalation = ids["nurture"], ids["escalation"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            def save(name: str, ready: Callable[[], None], *, full_page: bool = False) -> None:
                ready()
                page.wait_for_load_state("networkidle")
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=full_page)
                written.append(target)

            def visit(hash_: str, selector: str) -> Callable[[], None]:
                def ready() -> None:
                    page.goto(f"{url}/console#{hash_}")
                    page.locator(selector).first.wait_for()

                return ready

            page.goto(f"{url}/console")
            save("sign-in", lambda: page.get_by_label("API token").wait_for())
            page.get_by_label("API token").fill("local-admin")
            page.get_by_role("button", name="Sign in").click()
            save("workflows", lambda: page.locator("table.workflows").wait_for())
            save("workflow-canvas", visit(f"/workflows/{nurture}", "svg.graph g[data-action-id]"))

            def zoomed_out() -> None:
                visit(f"/workflows/{escalation}", "svg.graph g[data-action-id]")()
                for _ in range(3):  # 70%: the whole graph, still readable
                    page.get_by_role("button", name="Zoom out").click()

            save("workflow-branches", zoomed_out)

            def waiting_panel() -> None:
                visit(f"/workflows/{nurture}", "svg.graph g[data-action-id]")()
                page.locator(f'svg.graph g[data-action-id="{ids["waiting_action"]}"]').click()
                page.locator(".panel").first.wait_for()
                page.locator(".panel").scroll_into_view_if_needed()

            save("workflow-waiting", waiting_panel)
            save("workflow-log", visit(f"/workflows/{nurture}/log", "table.log"))

            def explained() -> None:
                visit(f"/workflows/{nurture}/record?record={ids['contact']}", ".verdict")()

            save("workflow-explain", explained)

            def tested() -> None:
                visit(f"/workflows/{nurture}/record", "form.filters")()
                page.get_by_label("Contact id").fill(ids["contact"])
                page.get_by_role("button", name="Test the path").click()
                expect(page.locator(".answer h4")).to_contain_text("Test of record")

            save("workflow-test", tested)
            save("workflow-revisions", visit(f"/workflows/{nurture}/revisions", "ul.changes"))
            save("records", visit("/records/contacts", "table.records"))
            save(
                "record",
                visit(f"/records/contacts/{ids['contact']}", "section[aria-label='Workflows'] table"),
            )
            save(
                "pipeline-tickets",
                visit(f"/pipelines/tickets?pipeline={ids['ticket_pipeline']}", ".board-column"),
            )
            save("pipeline-deals", visit("/pipelines/deals", ".board-column"))
            if errors:
                raise RuntimeError(f"the console raised errors: {errors}")
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the PNG files")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)",
            file=sys.stderr,
        )
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with Demo(START, scale=0.3, days=4, out_dir=ROOT / "out" / "screenshots") as demo:
        ids = load_account(demo)
        server = LocalServer(demo.rt, "127.0.0.1", 0).start()
        try:
            written = shoot(server.url, ids, args.out)
        finally:
            server.close()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
