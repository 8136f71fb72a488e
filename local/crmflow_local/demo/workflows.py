"""The demo's six workflows, as a HubSpot admin would build them, and the billing system that the
won-deal workflow calls (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crmflow_local.demo.account import NORDICS, OPEN_DEAL_STAGES, SENIOR_SUPPORT, Account
from crmflow_local.demo.api import call, eq, one_of
from crmflow_local.runtime import Runtime

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
LEADER_WORDS = ["manager", "head", "chief", "director", "vp", "founder"]
ADVANCED_STAGES = ["marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"]


def pause_dates(start: datetime) -> list[str]:
    """Christmas Eve, Christmas Day and New Year's Eve of the start's year, and New Year's Day after."""
    year = start.year
    return [f"{year}-12-24", f"{year}-12-25", f"{year}-12-31", f"{year + 1}-01-01"]


def _group(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"filterGroups": [{"filters": list(filters)}]}


def definitions(account: Account, start: datetime, webhook_url: str) -> list[dict[str, Any]]:
    """The workflow definitions, in the order they are created (and enabled)."""
    support, billing = account.stages["support"], account.pipelines["billing"]
    international = [account.users[login]["id"] for login in ("liam.murphy", "chloe.dubois", "lukas.schmidt")]
    nurture = {
        "name": "Lead nurture",
        "objectType": "contacts",
        "timeZone": "Europe/Oslo",
        "enrollment": _group(eq("lifecyclestage", "lead")),
        "goal": _group(one_of("lifecyclestage", ADVANCED_STAGES)),
        "timeWindows": [{"days": WEEKDAYS, "start": "08:00", "end": "18:00"}],
        "pauseDates": pause_dates(start),
        "startActionId": "1",
        "actions": [
            {"id": "1", "type": "SEND_EMAIL", "emailId": account.emails["welcome"], "next": "2"},
            {"id": "2", "type": "DELAY", "delay": {"days": 3}, "next": "3"},
            {
                "id": "3",
                "type": "IF_THEN",
                "branches": [
                    {
                        "filterGroups": [
                            {
                                "filters": [
                                    {"propertyName": "jobtitle", "operator": "CONTAINS_TOKEN", "value": w}
                                ]
                            }
                            for w in LEADER_WORDS
                        ],
                        "next": "4",
                    }
                ],
                "defaultNext": "5",
            },
            {"id": "4", "type": "SEND_EMAIL", "emailId": account.emails["leaders"], "next": "6"},
            {"id": "5", "type": "SEND_EMAIL", "emailId": account.emails["practitioners"], "next": "6"},
            {"id": "6", "type": "DELAY", "delay": {"days": 4}, "next": "7"},
            {"id": "7", "type": "SEND_EMAIL", "emailId": account.emails["demo"], "next": "8"},
            {
                "id": "8",
                "type": "SET_PROPERTY",
                "property": "nurture_track",
                "value": "completed",
                "next": None,
            },
        ],
    }
    routing = {
        "name": "Route new MQLs to sales",
        "objectType": "contacts",
        "timeZone": "Europe/Oslo",
        "enrollment": _group(eq("lifecyclestage", "marketingqualifiedlead")),
        "startActionId": "1",
        "actions": [
            # new contacts: let contact-company owner sync settle first (W-5 would hold the rotation anyway)
            {"id": "1", "type": "DELAY", "delay": {"minutes": 10}, "next": "2"},
            {
                "id": "2",
                "type": "IF_THEN",
                "branches": [{**_group(one_of("country", NORDICS)), "next": "3"}],
                "defaultNext": "4",
            },
            {"id": "3", "type": "ROTATE_OWNER", "teamId": account.teams["Sales Nordics"], "next": "5"},
            {"id": "4", "type": "ROTATE_OWNER", "ownerIds": international, "next": "5"},
            {"id": "5", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "NEW", "next": "6"},
            {
                "id": "6",
                "type": "CREATE_TASK",
                "properties": {
                    "hs_task_subject": "Call the new MQL within a day",
                    "hs_task_priority": "HIGH",
                    "hs_task_type": "CALL",
                },
                "next": None,
            },
        ],
    }
    triage = {
        "name": "Assign new tickets to their team",
        "objectType": "tickets",
        "enrollment": _group(one_of("hs_pipeline", list(account.pipelines.values()))),
        "startActionId": "1",
        "actions": [
            {
                "id": "1",
                "type": "IF_THEN",
                "branches": [{**_group(eq("hs_pipeline", billing)), "next": "2"}],
                "defaultNext": "3",
            },
            {"id": "2", "type": "ROTATE_OWNER", "teamId": account.teams["Billing"], "next": None},
            {"id": "3", "type": "ROTATE_OWNER", "teamId": account.teams["Support"], "next": None},
        ],
    }
    waiting = eq("hs_pipeline_stage", support["Waiting on us"])
    escalation = {
        "name": "Escalate tickets waiting on us for 4 business hours",
        "objectType": "tickets",
        "timeZone": "Europe/Oslo",
        "timeWindows": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
        "pauseDates": pause_dates(start),
        "enrollment": {
            **_group(waiting),
            "reEnrollment": {"enabled": True, "properties": ["hs_pipeline_stage"]},
        },
        "startActionId": "1",
        "actions": [
            {"id": "1", "type": "DELAY", "delay": {"hours": 4, "businessHours": True}, "next": "2"},
            {
                "id": "2",
                "type": "IF_THEN",
                "branches": [{**_group(waiting), "next": "3"}],
                "defaultNext": None,
            },
            {
                "id": "3",
                "type": "SET_PROPERTY",
                "property": "hs_ticket_priority",
                "value": "HIGH",
                "next": "4",
            },
            {
                "id": "4",
                "type": "ROTATE_OWNER",
                "ownerIds": [account.users[login]["id"] for login in SENIOR_SUPPORT],
                "next": "5",
            },
            {
                "id": "5",
                "type": "CREATE_TASK",
                "properties": {
                    "hs_task_subject": "Escalated: call the customer today",
                    "hs_task_priority": "HIGH",
                },
                "next": "6",
            },
            {
                "id": "6",
                "type": "SET_PROPERTY",
                "property": "hs_pipeline_stage",
                "value": support["Escalated"],
                "next": None,
            },
        ],
    }
    follow_up = {
        "name": "Follow up on every new deal stage",
        "objectType": "deals",
        "enrollment": {
            **_group(one_of("dealstage", OPEN_DEAL_STAGES)),
            "reEnrollment": {"enabled": True, "properties": ["dealstage"]},
        },
        "unenrollWhenCriteriaNotMet": True,
        "startActionId": "1",
        "actions": [
            {"id": "1", "type": "DELAY", "delay": {"days": 3}, "next": "2"},
            {
                "id": "2",
                "type": "CREATE_TASK",
                "properties": {
                    "hs_task_subject": "Deal stage follow-up: agree the next step",
                    "hs_task_type": "CALL",
                },
                "next": None,
            },
        ],
    }
    won = {
        "name": "Send won deals to billing",
        "objectType": "deals",
        "enrollment": _group(eq("dealstage", "closedwon")),
        "startActionId": "1",
        "actions": [
            {
                "id": "1",
                "type": "WEBHOOK",
                "url": webhook_url,
                "method": "POST",
                "responseMapping": {"account.id": "billing_account_id", "account.tier": "billing_tier"},
                "timeoutSeconds": 5,
                "next": "2",
            },
            {
                "id": "2",
                "type": "CREATE_TASK",
                "properties": {"hs_task_subject": "Kick-off call with the new customer"},
                "next": None,
            },
        ],
    }
    return [nurture, routing, triage, escalation, follow_up, won]


ENROLL_EXISTING = {"Follow up on every new deal stage"}
"""Workflows turned on with ``enrollExisting`` (the deals already open enroll at once, E-2)."""


def create(rt: Runtime, account: Account, start: datetime, webhook_url: str) -> list[dict[str, Any]]:
    """Create and turn on every workflow; the stored workflows (as the API answers them)."""
    created = []
    for definition in definitions(account, start, webhook_url):
        workflow = call(rt, "POST", "/workflows", definition)
        existing = definition["name"] in ENROLL_EXISTING
        created.append(call(rt, "POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": existing}))
    return created


# ---------------------------------------------------------------- the billing system
@contextlib.contextmanager
def billing_system() -> Iterator[str]:
    """A billing system on 127.0.0.1 (any free port) that opens an account for each won deal it is
    sent: ``{"account": {"id": "ACC-00001", "tier": "enterprise"}}``. Yields its URL."""
    lock = threading.Lock()
    opened: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            amount = float((body.get("properties") or {}).get("amount") or 0)
            with lock:
                opened.append(str(body.get("objectId")))
                account_id = f"ACC-{len(opened):05d}"
            tier = "enterprise" if amount >= 50000 else "growth" if amount >= 15000 else "starter"
            payload = json.dumps({"account": {"id": account_id, "tier": tier}}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/billing/accounts"
    finally:
        server.shutdown()
        server.server_close()
