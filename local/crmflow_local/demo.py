"""``crmflow demo`` (``make demo``): a sample account driven through simulated days, and a report.

Everything goes through the same API, streams, queues, state machine and action Lambdas as the
deployed stack; only the clock is simulated.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, TextIO

from crmflow_local import demo_automation as automation
from crmflow_local.demo_tickets import SupportDesk
from crmflow_local.runtime import Runtime

COMPANIES = [
    {"name": "Fjord Analytics", "domain": "fjord.example", "industry": "COMPUTER_SOFTWARE"},
    {"name": "Nordlys Energy", "domain": "nordlys.example", "industry": "UTILITIES"},
    {"name": "Bergen Bikes", "domain": "bergenbikes.example", "industry": "RETAIL"},
]
CONTACTS = [
    ("Ingrid", "Hansen", "Marketing Manager", "lead", 0),
    ("Ola", "Nordmann", "Developer", "lead", 0),
    ("Kari", "Berg", "Sales Manager", "lead", 1),
    ("Lars", "Johansen", "Engineer", "subscriber", 1),
    ("Sofie", "Larsen", "Product Manager", "lead", 2),
    ("Emil", "Olsen", "Designer", "lead", 2),
    ("Nora", "Pedersen", "Operations Manager", "customer", 0),
    ("Jonas", "Nilsen", "Analyst", "lead", 1),
]


def _check(answer: Any, status: int, what: str) -> dict[str, Any]:
    if answer.status != status:
        raise RuntimeError(f"{what}: expected HTTP {status}, got {answer.status}: {answer.body}")
    return answer.json or {}


def build_account(rt: Runtime) -> dict[str, Any]:
    """Companies, contacts (with primary companies), a deal, a property, an email and a workflow."""
    _check(
        rt.api(
            "POST",
            "/crm/v3/properties/contacts",
            {"name": "nurture_track", "label": "Nurture track", "type": "string"},
        ),
        201,
        "create property",
    )
    companies = [
        _check(rt.api("POST", "/crm/v3/objects/companies", {"properties": company}), 201, "create company")
        for company in COMPANIES
    ]
    email = _check(
        rt.api(
            "POST",
            "/marketing/v3/emails",
            {"name": "Trial tips", "subject": "Three tips for your trial", "state": "AUTOMATED"},
        ),
        201,
        "create email",
    )
    workflow = _check(
        rt.api(
            "POST",
            "/workflows",
            {
                "name": "Trial nurture",
                "objectType": "contacts",
                "timeZone": "Europe/Oslo",
                "enrollment": {
                    "filterGroups": [
                        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
                    ]
                },
                "pauseDates": ["2026-12-24", "2026-12-25"],
                "timeWindows": [
                    {"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}
                ],
                "startActionId": "1",
                "actions": [
                    {"id": "1", "type": "DELAY", "delay": {"days": 2, "hours": 0, "minutes": 0}, "next": "2"},
                    {"id": "2", "type": "SEND_EMAIL", "emailId": email["id"], "next": "3"},
                    {
                        "id": "3",
                        "type": "IF_THEN",
                        "branches": [
                            {
                                "filterGroups": [
                                    {
                                        "filters": [
                                            {
                                                "propertyName": "jobtitle",
                                                "operator": "CONTAINS_TOKEN",
                                                "value": "manager",
                                            }
                                        ]
                                    }
                                ],
                                "next": "4",
                            }
                        ],
                        "defaultNext": "5",
                    },
                    {
                        "id": "4",
                        "type": "SET_PROPERTY",
                        "property": "nurture_track",
                        "value": "managers",
                        "next": None,
                    },
                    {
                        "id": "5",
                        "type": "SET_PROPERTY",
                        "property": "nurture_track",
                        "value": "practitioners",
                        "next": None,
                    },
                ],
            },
        ),
        201,
        "create workflow",
    )
    _check(
        rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": True}),
        200,
        "enable workflow",
    )
    contacts = []
    for first, last, title, stage, company in CONTACTS:
        body = {
            "properties": {
                "firstname": first,
                "lastname": last,
                "email": f"{first.lower()}.{last.lower()}@{COMPANIES[company]['domain']}",
                "jobtitle": title,
                "lifecyclestage": stage,
            },
            "associations": [
                {
                    "to": {"id": companies[company]["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ],
        }
        contacts.append(_check(rt.api("POST", "/crm/v3/objects/contacts", body), 201, "create contact"))
    _check(
        rt.api(
            "POST",
            "/crm/v3/objects/deals",
            {"properties": {"dealname": "Fjord Analytics - annual", "amount": "24000"}},
        ),
        201,
        "create deal",
    )
    return {"workflow": workflow, "contacts": contacts, "companies": companies, "email": email}


def run_demo(start: str, out: TextIO) -> int:
    began = time.perf_counter()
    with Runtime(start=start) as rt:
        form_id = automation.configure(rt)
        desk = SupportDesk(rt)
        desk.configure()
        account = build_account(rt)
        rt.settle()
        workflow_id = account["workflow"]["id"]
        out.write(f"crmflow demo on the embedded runtime - clock starts {start}\n")
        out.write(
            f"  loaded {len(account['companies'])} companies, {len(account['contacts'])} contacts, 1 deal; "
            f"workflow {workflow_id} 'Trial nurture' is on\n"
        )
        out.write(
            "  2-day delay -> marketing email -> branch on job title -> set nurture track;"
            " Mon-Fri 09-17 Oslo\n\n"
        )
        for day in range(1, 8):
            rt.advance("P1D")
            automation.on_day(rt, day, form_id)
            desk.on_day(day)
            if day == 2:  # a lead arriving on Thursday reaches its email on Saturday: it waits for Monday
                late = {
                    "firstname": "Mia",
                    "lastname": "Haugen",
                    "email": "mia@haugen.example",
                    "lifecyclestage": "lead",
                }
                _check(
                    rt.api("POST", "/crm/v3/objects/contacts", {"properties": late}), 201, "create contact"
                )
            stats = rt.api("GET", f"/workflows/{workflow_id}/stats").json
            out.write(
                f"  day {day} ({rt.now:%a %Y-%m-%d %H:%M} UTC): enrolled {stats['enrolled']}, "
                f"active {stats['active']}, completed {stats['completed']}, emails sent {len(rt.outbox())}\n"
            )
        log = rt.api("GET", f"/workflows/{workflow_id}/log", query={"limit": "1000"}).json["results"]
        counts = Counter(
            (entry["actionId"], entry["actionType"], entry["event"]) for entry in log if entry["actionId"]
        )
        out.write("\n  per action:\n")
        for (action_id, action_type, event), count in sorted(counts.items()):
            out.write(f"    action {action_id} {action_type:<12} {event:<16} {count}\n")
        tracks = Counter(
            contact["properties"].get("nurture_track")
            for contact in rt.api("GET", "/crm/v3/objects/contacts", query={"limit": "100"}).json["results"]
        )
        out.write(f"\n  nurture tracks set: {dict((k or 'none', v) for k, v in tracks.items())}\n")
        executions = [e for e in rt.executions() if e["name"].startswith(f"wf{workflow_id}-")]
        transitions = sum(
            1
            for e in executions
            for event in rt.history(e["executionArn"])
            if event["type"].endswith("StateEntered")
        )
        executed = sum(1 for entry in log if entry["event"] in ("ACTION_EXECUTED", "DELAY_STARTED"))
        waits = [entry for entry in log if entry["event"] == "WAITING"]
        for entry in waits:
            out.write(
                f"  record {entry['recordId']} waited at action {entry['actionId']} ({entry['reason']})\n"
            )
        out.write(
            f"  Step Functions: {len(executions)} executions, {transitions} state transitions "
            f"for {executed} steps ({transitions / max(executed, 1):.2f} per step)\n"
        )
        automation.report(rt, out)
        desk.report(out)
        out.write(f"\n  done in {time.perf_counter() - began:.1f}s wall time\n")
    return 0
