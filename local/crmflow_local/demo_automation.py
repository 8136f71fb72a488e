"""The demo's lifecycle and lead automation: settings on, a week of form submissions, activities and
deals through the API and the events bus, and a report read back from the property history."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from typing import Any, TextIO

from crmflow_local.runtime import Runtime

LIFECYCLE = {
    "defaultStageOnCreate": "subscriber",
    "stageOnDealCreated": "opportunity",
    "stageOnDealWon": "customer",
    "syncCompanyToContacts": True,
}
LEAD_AUTOMATION = {
    "createLeadOnLifecycleStage": {
        "enabled": True,
        "stages": ["marketingqualifiedlead", "salesqualifiedlead"],
    },
    "followUpOnDisqualification": {"enabled": True, "leadType": "RE_ATTEMPTING", "reasons": ["BAD_TIMING"]},
    "moveOnOutreach": {
        "enabled": True,
        "from": "new",
        "to": "attempting",
        "events": ["EMAIL_SENT", "LINKEDIN_MESSAGE", "CALL_LOGGED", "MEETING_BOOKED"],
    },
    "moveOnConnect": {
        "enabled": True,
        "from": "attempting",
        "to": "connected",
        "events": ["EMAIL_REPLY", "MEETING_COMPLETED", "CALL_CONNECTED"],
    },
}
# type ids of the associations the demo writes
_TO_CONTACT = {"calls": 194, "emails": 198, "meetings": 200, "communications": 82, "deals": 3}
_TO_LEAD = {"calls": 597, "emails": 599, "meetings": 601, "communications": 603}


def _ok(answer: Any, what: str) -> Any:
    if answer.status >= 300:
        raise RuntimeError(f"{what}: HTTP {answer.status}: {answer.body}")
    return answer.json


def configure(rt: Runtime) -> str:
    """Both settings documents on, and a webinar form that makes its contacts MQLs (its id)."""
    _ok(rt.api("PUT", "/settings/lifecycle", LIFECYCLE), "lifecycle settings")
    _ok(rt.api("PUT", "/settings/lead-automation", LEAD_AUTOMATION), "lead automation settings")
    form = {"name": "Webinar signup", "defaultLifecycleStage": "marketingqualifiedlead"}
    return str(_ok(rt.api("POST", "/marketing/v3/forms", form), "create form")["id"])


def _contact_ids(rt: Runtime) -> dict[str, str]:
    results = _ok(rt.api("GET", "/crm/v3/objects/contacts", query={"limit": "100"}), "contacts")["results"]
    return {r["properties"]["email"]: r["id"] for r in results}


def _open_lead(rt: Runtime, contact_id: str) -> str | None:
    answer = _ok(rt.api("GET", f"/crm/v4/objects/contacts/{contact_id}/associations/leads"), "leads")
    ids = sorted((str(r["toObjectId"]) for r in answer["results"]), key=int)
    for lead_id in reversed(ids):
        lead = _ok(rt.api("GET", f"/crm/v3/objects/leads/{lead_id}"), "lead")
        if lead["properties"]["hs_pipeline_stage"] in ("new", "attempting", "connected"):
            return lead_id
    return None


def _activity(rt: Runtime, object_type: str, contact_id: str, **props: str) -> None:
    body = {
        "properties": {"hs_timestamp": rt.now.isoformat(), **props},
        "associations": [
            {
                "to": {"id": contact_id},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": _TO_CONTACT[object_type]}
                ],
            }
        ],
    }
    _ok(rt.api("POST", f"/crm/v3/objects/{object_type}", body), f"log {object_type}")


def _call_on_the_bus(rt: Runtime, lead_id: str, disposition: str) -> None:
    """A call logged by a telephony integration: an ACTIVITY_LOGGED event on the project's bus."""
    detail = {
        "objectType": "calls",
        "properties": {"hs_call_title": "Intro call", "hs_call_disposition": disposition},
        "associations": [
            {
                "to": {"id": lead_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 597}],
            }
        ],
    }
    entry = {"Source": "crmflow.telephony", "DetailType": "ACTIVITY_LOGGED", "Detail": json.dumps(detail)}
    rt.client("events").put_events(Entries=[{**entry, "EventBusName": rt.env("EVENT_BUS_NAME")}])


def on_day(rt: Runtime, day: int, form_id: str) -> None:
    """What the sales and marketing teams do on each day of the demo week."""
    people = _contact_ids(rt)
    if day == 1:  # a webinar: two new people and two known contacts sign up
        for email in (
            "ane@fjord.example",
            "tor@nordlys.example",
            "ola.nordmann@fjord.example",
            "kari.berg@nordlys.example",
        ):
            fields = [{"name": "email", "value": email}]
            submit = f"/submissions/v3/integration/submit/1/{form_id}"
            _ok(rt.api("POST", submit, {"fields": fields}), "form submission")
    elif day == 2:  # outreach: calls, an email, a LinkedIn message
        for email in ("ane@fjord.example", "ola.nordmann@fjord.example"):
            _activity(
                rt, "emails", people[email], hs_email_direction="EMAIL", hs_email_subject="Webinar follow-up"
            )
        lead = _open_lead(rt, people["tor@nordlys.example"])
        if lead:
            _call_on_the_bus(rt, lead, "no answer")
        _activity(
            rt,
            "communications",
            people["kari.berg@nordlys.example"],
            hs_communication_channel_type="LINKEDIN_MESSAGE",
        )
    elif day == 3:  # connections: a reply, a connected call, a completed meeting
        _activity(rt, "emails", people["ane@fjord.example"], hs_email_direction="INCOMING_EMAIL")
        lead = _open_lead(rt, people["tor@nordlys.example"])
        if lead:
            _call_on_the_bus(rt, lead, "connected")
        _activity(rt, "meetings", people["kari.berg@nordlys.example"], hs_meeting_outcome="COMPLETED")
    elif day == 4:  # one lead is not ready: disqualified, a follow-up lead is created
        lead = _open_lead(rt, people["ola.nordmann@fjord.example"])
        if lead:
            disqualify = {
                "hs_pipeline_stage": "disqualified",
                "hs_lead_disqualification_reason": "BAD_TIMING",
            }
            _ok(rt.api("PATCH", f"/crm/v3/objects/leads/{lead}", {"properties": disqualify}), "disqualify")
    elif day == 5:  # Fjord's deal is won: its contacts and Fjord itself become customers
        deals = _ok(rt.api("GET", "/crm/v3/objects/deals"), "deals")["results"]
        for deal in deals:
            contact = people["ingrid.hansen@fjord.example"]
            rt.api("PUT", f"/crm/v4/objects/deals/{deal['id']}/associations/default/contacts/{contact}")
            companies = _ok(rt.api("GET", "/crm/v3/objects/companies"), "companies")["results"]
            fjord = next(c["id"] for c in companies if c["properties"].get("domain") == "fjord.example")
            rt.api("PUT", f"/crm/v4/objects/deals/{deal['id']}/associations/default/companies/{fjord}")
            rt.settle()
            _ok(
                rt.api(
                    "PATCH", f"/crm/v3/objects/deals/{deal['id']}", {"properties": {"dealstage": "closedwon"}}
                ),
                "win",
            )


def _history(rt: Runtime, object_type: str, name: str) -> list[list[dict[str, Any]]]:
    records = _ok(rt.api("GET", f"/crm/v3/objects/{object_type}", query={"limit": "100"}), object_type)[
        "results"
    ]
    found = []
    for record in records:
        answer = rt.api(
            "GET", f"/crm/v3/objects/{object_type}/{record['id']}", query={"propertiesWithHistory": name}
        )
        found.append(list(reversed(_ok(answer, "history")["propertiesWithHistory"][name])))
    return found


def report(rt: Runtime, out: TextIO) -> None:
    """Stage moves of contacts and companies, and leads created and moved, each by the rule that did it."""
    out.write("\n  lifecycle stages: default subscriber, deal created -> opportunity, deal won -> customer,")
    out.write(" company sync on\n")
    for object_type in ("contacts", "companies"):
        moves: Counter[tuple[str, str, str]] = Counter()
        for entries in _history(rt, object_type, "lifecyclestage"):
            before = "(none)"
            for entry in entries:
                moves[(before, entry["value"] or "(none)", entry["sourceLabel"] or entry["sourceType"])] += 1
                before = entry["value"] or "(none)"
        for (before, after, by), count in sorted(moves.items(), key=lambda item: (item[0][2], item[0][0])):
            out.write(f"    {object_type:<9} {before:>22} -> {after:<22} by {by:<16} {count}\n")
    created: Counter[str] = Counter()
    moved: Counter[tuple[str, str, str]] = Counter()
    for entries in _history(rt, "leads", "hs_pipeline_stage"):
        if entries:
            created[entries[0]["sourceLabel"] or entries[0]["sourceType"]] += 1
        for earlier, later in pairwise(entries):
            moved[(earlier["value"], later["value"], later["sourceLabel"] or later["sourceType"])] += 1
    by_rule = ", ".join(f"{n} by {rule}" for rule, n in sorted(created.items()))
    out.write(f"\n  leads created: {sum(created.values())} ({by_rule})\n")
    for (before, after, by), count in sorted(moved.items(), key=lambda item: item[0][2]):
        out.write(f"    lead {before:>12} -> {after:<12} by {by:<16} {count}\n")
