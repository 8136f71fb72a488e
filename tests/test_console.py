"""The web console (``/console``) in a real browser, against a real ``crmflow serve`` on 127.0.0.1.

Everything is set up through the HTTP API, as a user would (a workflow with a DELAY then a
SET_PROPERTY, contacts that enroll, users, teams and tickets); then Chromium, driven by Playwright
(``browser_support.py``), signs in and reads the pages: the canvas with its "waiting here" counts, the
clock moved from the console and the counts following it, explain, test mode, the log's filters, the
revision diff, a record's workflows and history, turning a workflow off and the revision check, and a
team-only user who never sees another team's ticket. No console errors, on any page.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import browser_page
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer

ADMIN = "local-admin"
NAME = "Welcome new leads"
WELCOME = {
    "name": NAME,
    "objectType": "contacts",
    "enrollment": {
        "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
    },
    "startActionId": "1",
    "actions": [
        {"id": "1", "type": "DELAY", "delay": {"days": 1}, "next": "2"},
        {"id": "2", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "IN_PROGRESS"},
    ],
}


@pytest.fixture
def server(rt: Runtime) -> Iterator[LocalServer]:
    local = LocalServer(rt, "127.0.0.1", 0).start()
    yield local
    local.close()


def call(server: LocalServer, method: str, path: str, body: Any = None, token: str = ADMIN) -> Any:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: {error.code} {error.read()!r}") from None


def sign_in(page: Any, server: LocalServer, token: str) -> None:
    page.goto(server.url + "/console")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Workflows", level=2).wait_for()


def waiting(page: Any, action_id: str) -> Any:
    return page.locator(f'svg.graph g[data-action-id="{action_id}"] text.waiting')


def test_an_admin_watches_records_wait_and_move_on_through_the_canvas(server: LocalServer) -> None:
    from playwright.sync_api import expect

    workflow = call(server, "POST", "/workflows", WELCOME)
    workflow_id = workflow["id"]
    call(server, "POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": False})
    leads = [
        call(
            server,
            "POST",
            "/crm/v3/objects/contacts",
            {
                "properties": {
                    "email": f"lead{n}@example.com",
                    "firstname": f"Lead{n}",
                    "lifecyclestage": "lead",
                }
            },
        )["id"]
        for n in range(3)
    ]
    subscriber = call(
        server,
        "POST",
        "/crm/v3/objects/contacts",
        {"properties": {"email": "sub@example.com", "lifecyclestage": "subscriber"}},
    )["id"]
    call(server, "POST", "/_local/settle")

    with browser_page() as (page, errors):
        page.set_viewport_size({"width": 1366, "height": 768})
        sign_in(page, server, ADMIN)

        # the list: counts from /workflows and /stats
        row = page.get_by_role("row", name=re.compile(NAME))
        expect(row.get_by_role("cell").nth(1)).to_have_text("On")
        expect(row.get_by_role("cell").nth(2)).to_have_text("3")  # enrolled
        row.get_by_role("link", name=NAME).click()

        # the canvas: triggers as a sentence, a box per action with its live count
        expect(page.get_by_role("complementary").get_by_text("Lifecycle stage is Lead")).to_be_visible()
        expect(waiting(page, "1")).to_have_text("3 waiting here")
        expect(waiting(page, "2")).to_have_text("0 waiting here")
        delay_box = page.get_by_role(
            "button", name=re.compile(r"^Action 1, Delay: Wait 1 day\. 3 waiting here")
        )
        expect(delay_box).to_be_visible()
        expect(
            page.get_by_role(
                "button", name=re.compile(r"^Action 2, Set property: Set Lead status to In progress")
            )
        ).to_be_visible()
        delay_box.click()  # the records waiting there, with when they go on
        panel = page.get_by_role("region", name="Records waiting at the selected action")
        expect(panel.get_by_role("row")).to_have_count(4)
        expect(panel).to_contain_text("Wed, 2 Dec 2026, 08:00 UTC")

        # the local clock, from the console: an hour changes nothing, a day releases the delay
        expect(page.locator(".clock-time")).to_have_text("Tue, 1 Dec 2026, 08:00 UTC")
        page.get_by_role("button", name="Advance the clock by 1 hour").click()
        expect(page.locator(".clock-time")).to_have_text("Tue, 1 Dec 2026, 09:00 UTC")
        expect(waiting(page, "1")).to_have_text("3 waiting here")
        page.get_by_role("button", name="Advance the clock by 1 day").click()
        expect(page.locator(".clock-time")).to_have_text("Wed, 2 Dec 2026, 09:00 UTC")
        expect(waiting(page, "1")).to_have_text("0 waiting here")
        expect(page.locator('dd[data-stat="completed"]')).to_have_text("3")
        expect(page.locator('dd[data-stat="active"]')).to_have_text("0")
        for lead in leads:
            record = call(server, "GET", f"/crm/v3/objects/contacts/{lead}")
            assert record["properties"]["hs_lead_status"] == "IN_PROGRESS"

        # explain (why the subscriber never enrolled) and test mode, from the existing endpoints
        page.get_by_role("link", name="Explain and test").click()
        page.get_by_label("Contact id").fill(subscriber)
        page.get_by_role("button", name="Explain").click()
        expect(page.locator(".verdict")).to_contain_text("does not meet the triggers")
        expect(page.get_by_text("Lifecycle stage is Lead:")).to_contain_text("not met")
        expect(page.get_by_text("(its value: Subscriber)")).to_be_visible()
        page.get_by_label("Contact id").fill(leads[0])
        page.get_by_role("button", name="Explain").click()
        expect(page.locator(".verdict")).to_contain_text("enrolled before and re-enrollment is off")
        page.get_by_role("button", name="Test the path").click()
        expect(page.locator(".verdict")).to_contain_text("it would go through to the end")
        expect(page.get_by_role("table", name=re.compile("The steps the record would take"))).to_contain_text(
            "DELAY_STARTED"
        )

        # the log, filtered by event
        page.get_by_role("link", name="Log", exact=True).click()
        expect(page.get_by_role("table", name=re.compile("Log of"))).to_be_visible()
        page.get_by_label("Event").select_option("COMPLETED")
        page.get_by_role("button", name="Apply filters").click()
        log = page.get_by_role("table", name=re.compile("Log of"))
        expect(log.locator("tbody tr")).to_have_count(3)
        expect(log.locator("tbody")).not_to_contain_text("ENROLLED")
        # paging: 15 entries (each of 3 records: enrolled, delay started and ended, set property, completed)
        page.get_by_label("Event").select_option("")
        page.get_by_label("Entries per page").select_option("10")
        page.get_by_role("button", name="Apply filters").click()
        expect(log.locator("tbody tr")).to_have_count(10)
        expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
        page.get_by_role("button", name="Next page").click()
        expect(page.get_by_role("table", name=re.compile("page 2"))).to_be_visible()
        expect(log.locator("tbody tr")).to_have_count(5)
        expect(log.locator("tbody tr").last).to_contain_text("COMPLETED")
        expect(page.get_by_role("button", name="Next page")).to_be_disabled()
        page.get_by_role("button", name="Previous page").click()
        expect(log.locator("tbody tr").first).to_contain_text("ENROLLED")

        # a second revision, saved elsewhere, read as a diff
        current = call(server, "GET", f"/workflows/{workflow_id}")
        longer = [dict(current["actions"][0], delay={"days": 2}), current["actions"][1]]
        call(server, "PUT", f"/workflows/{workflow_id}", {**current, "actions": longer})
        page.get_by_role("link", name="Revisions").click()
        changes = page.locator("ul.changes")
        expect(changes).to_contain_text("Action 1 (Delay): was Wait 1 day → , now Wait 2 days")

        # the record: its workflows (the new read-only route), its stage history with sources
        page.goto(f"{server.url}/console#/records/contacts/{leads[0]}")
        workflows = page.get_by_role("table", name=re.compile("The workflows this contact is in"))
        expect(workflows).to_contain_text(NAME)
        expect(workflows).to_contain_text("COMPLETED")
        history = page.get_by_role("table", name=re.compile("Lifecycle stage, newest first"))
        expect(history).to_contain_text("An API call")

        # turning off asks first; the revision check refuses a change made behind the page's back
        page.get_by_role("link", name="Workflows", exact=True).click()
        page.get_by_role("button", name=f"Turn off {NAME}").click()
        page.get_by_role("dialog").get_by_role("button", name="Turn off").click()
        expect(page.get_by_role("status").filter(has_text="is off")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile(NAME)).get_by_role("cell").nth(1)).to_have_text("Off")
        saved = call(server, "GET", f"/workflows/{workflow_id}")
        call(server, "PUT", f"/workflows/{workflow_id}", {**saved, "name": NAME})  # revision 3, elsewhere
        page.get_by_role("button", name=f"Turn on {NAME}").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label(re.compile("Enroll them now")).check()
        dialog.get_by_role("button", name="Turn on").click()
        expect(page.get_by_role("alert")).to_contain_text("changed since this page was loaded")
        assert call(server, "GET", f"/workflows/{workflow_id}")["enabled"] is False
        expect(page.get_by_role("row", name=re.compile(NAME))).to_contain_text("revision 3")

        assert errors == []


def test_a_team_only_user_sees_only_the_tickets_the_api_lets_it_see(server: LocalServer) -> None:
    from playwright.sync_api import expect

    tier1 = call(server, "POST", "/settings/teams", {"name": "Tier 1"})["id"]
    tier2 = call(server, "POST", "/settings/teams", {"name": "Tier 2"})["id"]
    team_only = {"tickets": {"access": "TEAM_ONLY", "unassigned": False}}
    siri = call(
        server,
        "POST",
        "/settings/users",
        {"email": "siri@example.com", "teamIds": [tier1], "permissions": team_only},
    )
    maja = call(server, "POST", "/settings/users", {"email": "maja@example.com", "teamIds": [tier2]})
    visible = call(
        server,
        "POST",
        "/crm/v3/objects/tickets",
        {"properties": {"subject": "Printer on fire", "hubspot_owner_id": siri["id"]}},
    )["id"]
    hidden = call(
        server,
        "POST",
        "/crm/v3/objects/tickets",
        {"properties": {"subject": "Key account escalation", "hubspot_owner_id": maja["id"]}},
    )["id"]
    call(server, "POST", "/_local/settle")
    assert call(server, "POST", "/crm/v3/objects/tickets/search", {})["total"] == 2  # the admin sees both

    with browser_page() as (page, errors):
        page.set_viewport_size({"width": 1366, "height": 768})
        sign_in(page, server, siri["token"])
        expect(page.locator("form.clock")).to_have_count(0)  # /_local/* is for the local admin only

        page.get_by_role("link", name="Records").click()
        page.get_by_label("Object type").select_option("tickets")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("status").filter(has_text="Found")).to_have_text("Found 1 ticket.")
        results = page.get_by_role("table", name=re.compile("^Tickets"))
        expect(results).to_contain_text("Printer on fire")
        expect(results).not_to_contain_text("Key account escalation")

        page.get_by_role("link", name="Pipelines").click()
        page.get_by_role("link", name="Tickets").click()
        board = page.get_by_role("region", name=re.compile("board"))
        expect(board.get_by_role("link")).to_have_text(["Printer on fire"])

        page.get_by_role("link", name="Printer on fire").click()
        expect(page.get_by_role("heading", name="Printer on fire", level=2)).to_be_visible()
        assert errors == []

        # the other team's ticket by its address: the API's 404, as for a ticket that does not exist
        page.goto(f"{server.url}/console#/records/tickets/{hidden}")
        expect(page.get_by_role("alert")).to_contain_text("Not found")
        expect(page.get_by_text("Key account escalation")).to_have_count(0)
        assert all("404" in error for error in errors), errors  # only the browser's note of that 404
        assert visible != hidden
