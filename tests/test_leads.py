"""Lead pipeline automation (SPEC LD-1..LD-6) through the real path: the HTTP API of the embedded
runtime, the records stream, the lifecycle-automation Lambda, and events on the bus and the queue."""

from __future__ import annotations

from typing import Any

import pytest
from automation_support import (
    ACTIVITY_TO_CONTACT,
    ACTIVITY_TO_LEAD,
    LEAD_TO_CONTACT,
    associate,
    associated,
    create,
    dead_letters,
    history,
    lead_settings,
    lead_stage,
    leads_of,
    lifecycle_settings,
    patch,
    props_of,
    put_event,
    queue_event,
    sources,
    to,
)
from crmflow.dynamo import serialize
from crmflow.records.pipelines import Pipeline, Stage
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer
from engine_support import create_workflow, events, ok, replay, workflow
from engine_support import http_json as _http
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.objects.calls import AssociationSpec as CallSpec
from hubspot.crm.objects.calls import PublicAssociationsForObject as CallLink
from hubspot.crm.objects.calls import PublicObjectId as CallTarget
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput
from hubspot.crm.objects.leads import AssociationSpec, PublicAssociationsForObject, PublicObjectId
from hubspot.crm.objects.leads import SimplePublicObjectInputForCreate as LeadInput

AT = "2026-12-01T08:00:00Z"
STAGE = "hs_pipeline_stage"
ON = {"enabled": True}
MOVES = {"moveOnOutreach": ON, "moveOnConnect": ON}
CHOSEN = ["marketingqualifiedlead", "salesqualifiedlead"]
AUTOMATED = "LEAD_AUTOMATION"
IN_ATTEMPTING = {
    "filterGroups": [{"filters": [{"propertyName": STAGE, "operator": "EQ", "value": "attempting"}]}]
}
WARM = {"type": "SET_PROPERTY", "property": "hs_lead_label", "value": "WARM"}


# ---------------------------------------------------------------- helpers
def contact_with_lead(rt: Runtime, email: str = "a@example.com", stage: str = "new") -> tuple[str, str]:
    """A contact and a lead of it created by hand (through the API), settled."""
    contact = create(rt, "contacts", email=email)
    lead = create(rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name=email, hs_pipeline_stage=stage)
    rt.settle()
    return contact, lead


def log_activity(
    rt: Runtime, object_type: str, *, lead: str | None = None, contact: str | None = None, **props: str
) -> str:
    """An activity created through the API, associated with ``lead`` and/or ``contact``; settled."""
    links = []
    if lead:
        links.append(to(lead, ACTIVITY_TO_LEAD[object_type]))
    if contact:
        links.append(to(contact, ACTIVITY_TO_CONTACT[object_type]))
    activity_id = create(rt, object_type, links, hs_timestamp=AT, **props)
    rt.settle()
    return activity_id


def moves(rt: Runtime, lead: str) -> list[tuple[Any, ...]]:
    """The stage history of a lead, oldest first, as (value, sourceType, sourceLabel)."""
    return sources(rt, "leads", lead, STAGE)


def automated_moves(rt: Runtime, lead: str) -> list[tuple[Any, ...]]:
    return [entry for entry in moves(rt, lead) if entry[1] == AUTOMATED]


def calls(rt: Runtime) -> list[dict[str, Any]]:
    return ok(rt.api("GET", "/crm/v3/objects/calls", query={"limit": "100"}))["results"]


def envelope(event_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "source": "crmflow.activities",
        "detail-type": "ACTIVITY_LOGGED",
        "detail": detail,
    }


def call_detail(lead: str, **props: str) -> dict[str, Any]:
    return {
        "objectType": "calls",
        "properties": {"hs_timestamp": AT, "hs_call_title": "Intro", **props},
        "associations": [to(lead, ACTIVITY_TO_LEAD["calls"])],
    }


# ---------------------------------------------------------------- settings
DEFAULTS = {
    "createLeadOnLifecycleStage": {"enabled": False, "stages": []},
    "followUpOnDisqualification": {"enabled": False, "leadType": "RE_ATTEMPTING", "reasons": []},
    "moveOnOutreach": {
        "enabled": False,
        "from": "new",
        "to": "attempting",
        "events": ["EMAIL_SENT", "LINKEDIN_MESSAGE", "CALL_LOGGED", "MEETING_BOOKED"],
    },
    "moveOnConnect": {
        "enabled": False,
        "from": "attempting",
        "to": "connected",
        "events": ["EMAIL_REPLY", "MEETING_COMPLETED", "CALL_CONNECTED"],
    },
}

FULL = {
    "createLeadOnLifecycleStage": {"enabled": True, "stages": ["lead", "salesqualifiedlead"]},
    "followUpOnDisqualification": {"enabled": True, "leadType": "NURTURE", "reasons": ["BAD_TIMING"]},
    "moveOnOutreach": {"enabled": True, "from": "new", "to": "attempting", "events": ["CALL_LOGGED"]},
    "moveOnConnect": {"enabled": True, "from": "attempting", "to": "qualified", "events": ["EMAIL_REPLY"]},
}


def test_settings_default_to_every_rule_off(rt: Runtime):
    assert ok(rt.api("GET", "/settings/lead-automation")) == DEFAULTS


def test_settings_put_round_trips(rt: Runtime):
    assert ok(rt.api("PUT", "/settings/lead-automation", FULL)) == FULL
    assert ok(rt.api("GET", "/settings/lead-automation")) == FULL


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"createLeadOnLifecycleStage": {"enabled": True, "stages": ["lead", "hotlead"]}},
            "createLeadOnLifecycleStage.stages",
        ),
        ({"createLeadOnLifecycleStage": {"enabled": True, "stages": []}}, "createLeadOnLifecycleStage"),
        ({"moveOnOutreach": {"enabled": True, "from": "attempting", "to": "attempting"}}, "moveOnOutreach"),
        ({"moveOnConnect": {"enabled": True, "events": []}}, "moveOnConnect"),
        ({"moveOnOutreach": {"enabled": True, "events": ["EMAIL_REPLY"]}}, "moveOnOutreach.events"),
        ({"moveOnOutreach": {"enabled": True, "to": "sideways"}}, "moveOnOutreach.to"),
        ({"followUpOnDisqualification": {"enabled": True, "reasons": []}}, "followUpOnDisqualification"),
        ({"autoQualify": True}, "autoQualify"),
        ({"moveOnConnect": {"enabled": True, "speed": "fast"}}, "moveOnConnect.speed"),
    ],
)
def test_settings_invalid_body_is_400_naming_the_field_and_changes_nothing(
    rt: Runtime, body: dict[str, Any], field: str
):
    ok(rt.api("PUT", "/settings/lead-automation", FULL))
    answer = rt.api("PUT", "/settings/lead-automation", body)
    assert answer.status == 400, answer.body
    assert answer.json["category"] == "VALIDATION_ERROR" and field in answer.json["message"]
    assert ok(rt.api("GET", "/settings/lead-automation")) == FULL


# ---------------------------------------------------------------- LD-1
def test_ld1_contact_moved_into_a_chosen_stage_gets_one_new_lead(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    contact = create(rt, "contacts", email="ada@example.com", firstname="Ada", lastname="Lovelace")
    rt.settle()
    assert leads_of(rt, contact) == []

    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    [lead] = leads_of(rt, contact)
    props = props_of(rt, "leads", lead)
    assert props["hs_pipeline"] == "default" and props[STAGE] == "new"
    assert props["hs_lead_name"] == "Ada Lovelace"
    assert associated(rt, "leads", lead, "contacts") == [contact]
    assert moves(rt, lead) == [("new", AUTOMATED, "LD-1")]

    rt.settle()
    assert leads_of(rt, contact) == [lead]


def test_ld1_stage_not_chosen_creates_no_lead(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    contact = create(rt, "contacts", email="a@example.com")
    patch(rt, "contacts", contact, lifecyclestage="lead")
    rt.settle()
    patch(rt, "contacts", contact, lifecyclestage="opportunity")
    rt.settle()
    assert leads_of(rt, contact) == []


def test_ld1_rule_off_creates_no_lead(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": False, "stages": CHOSEN})
    contact = create(rt, "contacts", email="a@example.com")
    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    assert leads_of(rt, contact) == []


def test_ld1_no_second_open_lead_when_the_contact_moves_into_another_chosen_stage(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    contact = create(rt, "contacts", email="a@example.com", lifecyclestage="lead")
    rt.settle()
    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    first = leads_of(rt, contact)
    assert len(first) == 1

    patch(rt, "contacts", contact, lifecyclestage="salesqualifiedlead")
    rt.settle()
    assert leads_of(rt, contact) == first


def test_ld1_contact_with_an_open_lead_made_by_hand_gets_no_second_one(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    contact, lead = contact_with_lead(rt, stage="attempting")
    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    assert leads_of(rt, contact) == [lead]


def test_ld1_contact_whose_lead_was_closed_gets_a_new_one_on_the_next_chosen_move(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    contact = create(rt, "contacts", email="a@example.com")
    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    [first] = leads_of(rt, contact)
    patch(rt, "leads", first, hs_pipeline_stage="qualified")
    rt.settle()

    patch(rt, "contacts", contact, lifecyclestage="salesqualifiedlead")
    rt.settle()
    found = leads_of(rt, contact)
    assert len(found) == 2 and found[0] == first
    assert lead_stage(rt, first) == "qualified"
    assert moves(rt, found[1]) == [("new", AUTOMATED, "LD-1")]


def test_ld1_no_lead_when_company_sync_moved_the_contact_but_a_direct_move_creates_one(rt: Runtime):
    lifecycle_settings(rt, syncCompanyToContacts=True)
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    synced = create(rt, "contacts", email="synced@example.com", lifecyclestage="lead")
    direct = create(rt, "contacts", email="direct@example.com", lifecyclestage="lead")
    company = create(rt, "companies", name="Acme", lifecyclestage="lead")
    associate(rt, "contacts", synced, "companies", company, 1)
    rt.settle()

    patch(rt, "companies", company, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    assert props_of(rt, "contacts", synced)["lifecyclestage"] == "marketingqualifiedlead"
    assert sources(rt, "contacts", synced, "lifecyclestage")[-1][1:] == ("COMPANY_SYNC", "LC-4")
    assert leads_of(rt, synced) == []

    patch(rt, "contacts", direct, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    [lead] = leads_of(rt, direct)
    assert moves(rt, lead) == [("new", AUTOMATED, "LD-1")]
    assert leads_of(rt, synced) == []


def test_ld1_no_lead_when_a_company_in_a_chosen_stage_is_made_primary(rt: Runtime):
    lifecycle_settings(rt, syncCompanyToContacts=True)
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    company = create(rt, "companies", name="Acme", lifecyclestage="salesqualifiedlead")
    contact = create(rt, "contacts", email="a@example.com", lifecyclestage="lead")
    rt.settle()
    associate(rt, "contacts", contact, "companies", company, 1)
    rt.settle()
    assert sources(rt, "contacts", contact, "lifecyclestage")[-1] == (
        "salesqualifiedlead",
        "COMPANY_SYNC",
        "LC-4",
    )
    assert leads_of(rt, contact) == []


# ---------------------------------------------------------------- LD-2
DISQUALIFY = {"enabled": True, "leadType": "UPSELL", "reasons": ["BAD_TIMING", "NO_BUDGET"]}


def test_ld2_disqualified_with_a_chosen_reason_gets_exactly_one_follow_up(rt: Runtime):
    lead_settings(rt, followUpOnDisqualification=DISQUALIFY)
    contact, lead = contact_with_lead(rt, stage="connected")

    patch(rt, "leads", lead, hs_pipeline_stage="disqualified", hs_lead_disqualification_reason="BAD_TIMING")
    rt.settle()
    found = leads_of(rt, contact)
    assert len(found) == 2 and found[0] == lead
    follow_up = found[1]
    props = props_of(rt, "leads", follow_up)
    assert props[STAGE] == "new" and props["hs_pipeline"] == "default"
    assert props["hs_lead_type"] == "UPSELL"
    assert props["hs_lead_follow_up_of"] == lead
    assert moves(rt, follow_up) == [("new", AUTOMATED, "LD-2")]

    rt.settle()
    patch(rt, "leads", lead, hs_lead_disqualification_reason="NO_BUDGET")
    rt.settle()
    patch(rt, "leads", lead, hs_lead_disqualification_note="called twice")
    rt.settle()
    assert leads_of(rt, contact) == found
    assert lead_stage(rt, lead) == "disqualified"


def test_ld2_another_reason_gets_no_follow_up(rt: Runtime):
    lead_settings(rt, followUpOnDisqualification=DISQUALIFY)
    contact, lead = contact_with_lead(rt)
    patch(rt, "leads", lead, hs_pipeline_stage="disqualified", hs_lead_disqualification_reason="WRONG_PERSON")
    rt.settle()
    assert leads_of(rt, contact) == [lead]


def test_ld2_rule_off_creates_no_follow_up(rt: Runtime):
    lead_settings(rt, followUpOnDisqualification={**DISQUALIFY, "enabled": False})
    contact, lead = contact_with_lead(rt)
    patch(rt, "leads", lead, hs_pipeline_stage="disqualified", hs_lead_disqualification_reason="BAD_TIMING")
    rt.settle()
    assert leads_of(rt, contact) == [lead]


def test_ld2_reason_set_after_the_stage_also_follows_up(rt: Runtime):
    lead_settings(rt, followUpOnDisqualification=DISQUALIFY)
    contact, lead = contact_with_lead(rt, stage="attempting")
    patch(rt, "leads", lead, hs_pipeline_stage="disqualified")
    rt.settle()
    assert leads_of(rt, contact) == [lead]

    patch(rt, "leads", lead, hs_lead_disqualification_reason="NO_BUDGET")
    rt.settle()
    [_, follow_up] = leads_of(rt, contact)
    assert props_of(rt, "leads", follow_up)["hs_lead_follow_up_of"] == lead
    assert lead_stage(rt, follow_up) == "new"


# ---------------------------------------------------------------- LD-3
@pytest.mark.parametrize(
    ("object_type", "props", "via"),
    [
        ("calls", {"hs_call_title": "Intro", "hs_call_disposition": "no-answer"}, "lead"),
        ("emails", {"hs_email_direction": "EMAIL", "hs_email_subject": "Hello"}, "contact"),
        ("meetings", {"hs_meeting_title": "Demo", "hs_meeting_outcome": "SCHEDULED"}, "lead"),
        ("communications", {"hs_communication_channel_type": "LINKEDIN_MESSAGE"}, "contact"),
    ],
)
def test_ld3_outreach_moves_new_to_attempting(rt: Runtime, object_type: str, props: dict[str, str], via: str):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    target = {"lead": lead} if via == "lead" else {"contact": contact}
    activity = log_activity(rt, object_type, **target, **props)
    assert lead_stage(rt, lead) == "attempting"
    assert moves(rt, lead) == [("new", "API", None), ("attempting", AUTOMATED, "LD-3")]
    assert history(rt, "leads", lead, STAGE)[0]["sourceId"] == f"{object_type}:{activity}"


def test_ld3_activity_of_a_contact_moves_only_its_open_leads(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    other_contact, other_lead = contact_with_lead(rt, "b@example.com")
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    assert lead_stage(rt, lead) == "attempting"
    assert lead_stage(rt, other_lead) == "new"
    assert leads_of(rt, other_contact) == [other_lead]


def test_ld3_activity_of_a_contact_moves_each_of_its_open_leads(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact, first = contact_with_lead(rt)
    second = create(rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name="second")
    closed = create(
        rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name="closed", hs_pipeline_stage="qualified"
    )
    rt.settle()
    log_activity(rt, "meetings", contact=contact, hs_meeting_outcome="SCHEDULED")
    assert [lead_stage(rt, lead) for lead in (first, second, closed)] == [
        "attempting",
        "attempting",
        "qualified",
    ]


def test_ld3_activity_before_the_lead_existed_does_not_move_it(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact = create(rt, "contacts", email="a@example.com")
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    lead = create(rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name="late")
    rt.settle()
    assert lead_stage(rt, lead) == "new"


def test_ld3_editing_an_old_activity_does_not_move_a_newer_lead(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact = create(rt, "contacts", email="a@example.com")
    email = log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL", hs_email_subject="Hi")
    lead = create(rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name="late")
    rt.settle()
    patch(rt, "emails", email, hs_email_subject="Hi again")
    rt.settle()
    assert lead_stage(rt, lead) == "new"


def test_ld3_event_not_selected_does_not_move(rt: Runtime):
    lead_settings(rt, moveOnOutreach={"enabled": True, "events": ["EMAIL_SENT"]}, moveOnConnect=ON)
    contact, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead, hs_call_title="Intro")
    log_activity(rt, "communications", contact=contact, hs_communication_channel_type="LINKEDIN_MESSAGE")
    log_activity(rt, "communications", contact=contact, hs_communication_channel_type="SMS")
    assert lead_stage(rt, lead) == "new"
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    assert lead_stage(rt, lead) == "attempting"


def test_ld3_rules_off_move_nothing(rt: Runtime):
    contact, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead, contact=contact, hs_call_disposition="connected")
    assert moves(rt, lead) == [("new", "API", None)]


def test_ld3_cancelled_meeting_moves_nothing(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    log_activity(rt, "meetings", lead=lead, hs_meeting_outcome="CANCELED")
    assert lead_stage(rt, lead) == "new"


@pytest.mark.parametrize("side", ["activity", "lead"])
def test_ld3_association_added_after_the_activity_moves(rt: Runtime, side: str):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    call = log_activity(rt, "calls", hs_call_title="Intro")
    assert lead_stage(rt, lead) == "new"

    if side == "activity":
        associate(rt, "calls", call, "leads", lead, ACTIVITY_TO_LEAD["calls"])
    else:
        associate(rt, "leads", lead, "calls", call)
    rt.settle()
    assert lead_stage(rt, lead) == "attempting"
    assert automated_moves(rt, lead) == [("attempting", AUTOMATED, "LD-3")]


@pytest.mark.parametrize("side", ["activity", "contact"])
def test_ld3_contact_associated_after_the_activity_moves_its_open_lead(rt: Runtime, side: str):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    email = log_activity(rt, "emails", hs_email_direction="EMAIL")
    assert lead_stage(rt, lead) == "new"
    if side == "activity":
        associate(rt, "emails", email, "contacts", contact, ACTIVITY_TO_CONTACT["emails"])
    else:
        associate(rt, "contacts", contact, "emails", email)
    rt.settle()
    assert lead_stage(rt, lead) == "attempting"


# ---------------------------------------------------------------- LD-4
@pytest.mark.parametrize(
    ("object_type", "props"),
    [
        ("emails", {"hs_email_direction": "INCOMING_EMAIL", "hs_email_subject": "Re: Hello"}),
        ("meetings", {"hs_meeting_title": "Demo", "hs_meeting_outcome": "COMPLETED"}),
        ("calls", {"hs_call_title": "Intro", "hs_call_disposition": "connected"}),
        ("calls", {"hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7"}),
    ],
)
def test_ld4_connection_moves_attempting_to_connected(rt: Runtime, object_type: str, props: dict[str, str]):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt, stage="attempting")
    log_activity(rt, object_type, lead=lead, contact=contact, **props)
    assert lead_stage(rt, lead) == "connected"
    assert automated_moves(rt, lead) == [("connected", AUTOMATED, "LD-4")]


def test_ld4_reply_does_not_count_as_outreach(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    log_activity(rt, "emails", contact=contact, hs_email_direction="INCOMING_EMAIL")
    assert lead_stage(rt, lead) == "new"


def test_ld4_connected_call_on_a_new_lead_goes_through_attempting_to_connected(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    assert lead_stage(rt, lead) == "connected"
    assert automated_moves(rt, lead) == [
        ("attempting", AUTOMATED, "LD-3"),
        ("connected", AUTOMATED, "LD-4"),
    ]


def test_ld4_meeting_booked_then_completed_moves_twice(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    meeting = log_activity(rt, "meetings", lead=lead, hs_meeting_outcome="SCHEDULED")
    assert lead_stage(rt, lead) == "attempting"
    patch(rt, "meetings", meeting, hs_meeting_outcome="COMPLETED")
    rt.settle()
    assert automated_moves(rt, lead) == [
        ("attempting", AUTOMATED, "LD-3"),
        ("connected", AUTOMATED, "LD-4"),
    ]


def test_ld4_connect_alone_does_not_move_a_new_lead(rt: Runtime):
    lead_settings(rt, moveOnConnect=ON)
    _, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    assert lead_stage(rt, lead) == "new"


# ---------------------------------------------------------------- LD-5
@pytest.mark.parametrize("back_from", ["connected", "attempting"])
def test_ld5_lead_moved_back_by_hand_is_never_moved_by_automation_again(rt: Runtime, back_from: str):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    disposition = "connected" if back_from == "connected" else "busy"
    log_activity(rt, "calls", lead=lead, hs_call_disposition=disposition)
    assert lead_stage(rt, lead) == back_from

    patch(rt, "leads", lead, hs_pipeline_stage="new")
    rt.settle()
    before = moves(rt, lead)
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    log_activity(rt, "meetings", lead=lead, hs_meeting_outcome="COMPLETED")
    rt.advance("P1D")
    log_activity(rt, "communications", contact=contact, hs_communication_channel_type="LINKEDIN_MESSAGE")
    assert lead_stage(rt, lead) == "new"
    assert moves(rt, lead) == before


def test_ld5_lead_moved_back_by_hand_stays_out_of_automation_after_a_hand_move_forward(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead)
    patch(rt, "leads", lead, hs_pipeline_stage="new")
    patch(rt, "leads", lead, hs_pipeline_stage="attempting")
    rt.settle()
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    assert lead_stage(rt, lead) == "attempting"


def test_ld5_lead_moved_forward_by_hand_is_still_automated(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact, lead = contact_with_lead(rt)
    patch(rt, "leads", lead, hs_pipeline_stage="attempting")
    rt.settle()
    log_activity(rt, "emails", contact=contact, hs_email_direction="INCOMING_EMAIL")
    assert lead_stage(rt, lead) == "connected"
    assert moves(rt, lead) == [
        ("new", "API", None),
        ("attempting", "API", None),
        ("connected", AUTOMATED, "LD-4"),
    ]


def test_ld5_moving_back_one_lead_by_hand_leaves_other_leads_automated(rt: Runtime):
    lead_settings(rt, **MOVES)
    contact, first = contact_with_lead(rt)
    log_activity(rt, "calls", lead=first)
    patch(rt, "leads", first, hs_pipeline_stage="new")
    second = create(rt, "leads", [to(contact, LEAD_TO_CONTACT)], hs_lead_name="second")
    rt.settle()
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    assert lead_stage(rt, first) == "new"
    assert lead_stage(rt, second) == "attempting"


def test_ld5_lead_moved_back_by_a_workflow_is_not_automated_again(rt: Runtime):
    lead_settings(rt, **MOVES)
    back = {"type": "SET_PROPERTY", "property": STAGE, "value": "new"}
    workflow_id = create_workflow(rt, workflow(back, objectType="leads", enrollment=IN_ATTEMPTING))
    _, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead)
    assert events(rt, workflow_id, lead)[0][0] == "ENROLLED"
    assert moves(rt, lead)[-2:] == [("attempting", AUTOMATED, "LD-3"), ("new", "WORKFLOW", None)]

    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    assert lead_stage(rt, lead) == "new"
    assert len(moves(rt, lead)) == 3


# ---------------------------------------------------------------- other pipelines
def store_lead_pipeline(rt: Runtime, pipeline_id: str = "partners") -> None:
    """A custom lead pipeline in the Config table, with the same stage ids as the default one."""
    stages = [
        Stage(id=stage_id, label=stage_id.title(), displayOrder=i, metadata={"isClosed": closed})
        for i, (stage_id, closed) in enumerate(
            [("new", "false"), ("attempting", "false"), ("connected", "false"), ("disqualified", "true")]
        )
    ]
    pipeline = Pipeline(id=pipeline_id, label="Partner leads", displayOrder=1, stages=stages)
    item = {"pk": "PIPELINE#leads", "sk": pipeline_id, "pipeline": pipeline.model_dump(mode="json")}
    rt.client("dynamodb").put_item(TableName=rt.env("CONFIG_TABLE"), Item=serialize(item))


def test_ld3_lead_in_another_pipeline_is_untouched(rt: Runtime):
    store_lead_pipeline(rt)
    lead_settings(rt, followUpOnDisqualification=DISQUALIFY, **MOVES)
    contact = create(rt, "contacts", email="a@example.com")
    lead = create(
        rt,
        "leads",
        [to(contact, LEAD_TO_CONTACT)],
        hs_lead_name="P",
        hs_pipeline="partners",
        hs_pipeline_stage="new",
    )
    rt.settle()
    log_activity(rt, "calls", lead=lead, contact=contact, hs_call_disposition="connected")
    log_activity(rt, "emails", contact=contact, hs_email_direction="EMAIL")
    props = props_of(rt, "leads", lead)
    assert (props["hs_pipeline"], props[STAGE]) == ("partners", "new")
    assert automated_moves(rt, lead) == []

    patch(rt, "leads", lead, hs_pipeline_stage="disqualified", hs_lead_disqualification_reason="BAD_TIMING")
    rt.settle()
    assert leads_of(rt, contact) == [lead]


# ---------------------------------------------------------------- replay
def lead_picture(rt: Runtime, *contacts: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every lead of the contacts with its stage and full stage history."""
    return {c: [(lead, lead_stage(rt, lead), moves(rt, lead)) for lead in leads_of(rt, c)] for c in contacts}


def test_replaying_every_automation_batch_changes_nothing_even_after_user_changes(rt: Runtime):
    lead_settings(
        rt,
        createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN},
        followUpOnDisqualification=DISQUALIFY,
        **MOVES,
    )
    contact = create(rt, "contacts", email="a@example.com")
    patch(rt, "contacts", contact, lifecyclestage="marketingqualifiedlead")
    rt.settle()
    [lead] = leads_of(rt, contact)
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    other_contact, other_lead = contact_with_lead(rt, "b@example.com")
    patch(
        rt,
        "leads",
        other_lead,
        hs_pipeline_stage="disqualified",
        hs_lead_disqualification_reason="BAD_TIMING",
    )
    rt.settle()
    third_contact, third_lead = contact_with_lead(rt, "c@example.com")
    log_activity(rt, "emails", contact=third_contact, hs_email_direction="EMAIL")
    # users change things after automation acted: the replayed changes are older than the records
    patch(rt, "leads", lead, hs_pipeline_stage="qualified")
    patch(rt, "leads", third_lead, hs_pipeline_stage="new")
    rt.settle()
    before = lead_picture(rt, contact, other_contact, third_contact)
    assert [len(found) for found in before.values()] == [1, 2, 1]

    assert replay(rt, lambda f: f == "LifecycleAutomationFunction") > 0
    rt.settle()
    assert lead_picture(rt, contact, other_contact, third_contact) == before
    assert lead_stage(rt, lead) == "qualified" and lead_stage(rt, third_lead) == "new"


# ---------------------------------------------------------------- LD-6
def test_ld6_lead_workflow_enrolls_a_lead_moved_by_automation(rt: Runtime):
    lead_settings(rt, **MOVES)
    workflow_id = create_workflow(rt, workflow(WARM, objectType="leads", enrollment=IN_ATTEMPTING))
    _, lead = contact_with_lead(rt)
    _, untouched = contact_with_lead(rt, "b@example.com")
    assert events(rt, workflow_id, lead) == []

    log_activity(rt, "calls", lead=lead)
    assert moves(rt, lead)[-1] == ("attempting", AUTOMATED, "LD-3")
    assert props_of(rt, "leads", lead).get("hs_lead_label") == "WARM"
    assert events(rt, workflow_id, lead)[0][0] == "ENROLLED"
    assert props_of(rt, "leads", untouched).get("hs_lead_label") is None
    assert events(rt, workflow_id, untouched) == []


def test_ld6_lead_workflow_sees_the_stage_a_lead_passed_through(rt: Runtime):
    lead_settings(rt, **MOVES)
    workflow_id = create_workflow(rt, workflow(WARM, objectType="leads", enrollment=IN_ATTEMPTING))
    _, lead = contact_with_lead(rt)
    log_activity(rt, "calls", lead=lead, hs_call_disposition="connected")
    assert lead_stage(rt, lead) == "connected"
    assert props_of(rt, "leads", lead).get("hs_lead_label") == "WARM"
    assert [event for event, _, _ in events(rt, workflow_id, lead)].count("ENROLLED") == 1


def test_ld6_lead_workflow_enrolls_a_lead_created_by_ld1(rt: Runtime):
    lead_settings(rt, createLeadOnLifecycleStage={"enabled": True, "stages": CHOSEN})
    in_new = {"filterGroups": [{"filters": [{"propertyName": STAGE, "operator": "EQ", "value": "new"}]}]}
    workflow_id = create_workflow(rt, workflow(WARM, objectType="leads", enrollment=in_new))
    contact = create(rt, "contacts", email="a@example.com")
    patch(rt, "contacts", contact, lifecyclestage="salesqualifiedlead")
    rt.settle()
    [lead] = leads_of(rt, contact)
    assert events(rt, workflow_id, lead)[0][0] == "ENROLLED"
    assert props_of(rt, "leads", lead).get("hs_lead_label") == "WARM"


# ---------------------------------------------------------------- activities from events
def test_activity_from_rest_bus_and_queue_each_moves_its_own_lead(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, by_rest = contact_with_lead(rt, "rest@example.com")
    _, by_bus = contact_with_lead(rt, "bus@example.com")
    _, by_queue = contact_with_lead(rt, "queue@example.com")
    _, untouched = contact_with_lead(rt, "none@example.com")

    log_activity(rt, "calls", lead=by_rest, hs_call_title="Intro")
    put_event(rt, "ACTIVITY_LOGGED", call_detail(by_bus), source="crmflow.activities")
    queue_event(rt, envelope("evt-queue-1", call_detail(by_queue)))
    rt.settle()

    for lead in (by_rest, by_bus, by_queue):
        assert automated_moves(rt, lead) == [("attempting", AUTOMATED, "LD-3")], lead
        [call] = associated(rt, "leads", lead, "calls")
        assert props_of(rt, "calls", call)["hs_call_title"] == "Intro"
    assert lead_stage(rt, untouched) == "new"
    assert len(calls(rt)) == 3
    assert dead_letters(rt) == []


def test_queue_message_delivered_twice_creates_one_call(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    message = envelope("evt-dup-1", call_detail(lead, hs_call_disposition="connected"))
    queue_event(rt, message)
    queue_event(rt, message)
    rt.settle()
    queue_event(rt, message)
    rt.settle()
    assert len(calls(rt)) == 1
    assert automated_moves(rt, lead) == [
        ("attempting", AUTOMATED, "LD-3"),
        ("connected", AUTOMATED, "LD-4"),
    ]
    assert dead_letters(rt) == []


def test_bus_event_redelivered_creates_one_call(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    put_event(rt, "ACTIVITY_LOGGED", call_detail(lead), source="crmflow.activities")
    rt.settle()
    assert replay(rt, lambda f: f == "EventsFunction") == 1
    rt.settle()
    assert len(calls(rt)) == 1
    assert automated_moves(rt, lead) == [("attempting", AUTOMATED, "LD-3")]


def test_malformed_events_are_dead_lettered_with_a_reason_and_a_valid_one_in_the_batch_still_moves(
    rt: Runtime,
):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    bad = {
        "bad-type": {**call_detail(lead), "objectType": "tasks"},
        "bad-property": call_detail(lead, hs_call_mood="happy"),
        "bad-lead": call_detail("999999"),
    }
    for event_id, detail in bad.items():
        queue_event(rt, envelope(event_id, detail))
    queue_event(rt, "{not json")
    queue_event(rt, envelope("good", call_detail(lead)))
    rt.settle()

    queue_batches = [
        len(call.event["Records"])
        for call in rt.invocations
        if call.function == "EventsFunction" and "Records" in call.event
    ]
    assert queue_batches == [5]  # one batch: the bad messages did not hold up the good one
    assert automated_moves(rt, lead) == [("attempting", AUTOMATED, "LD-3")]
    assert len(calls(rt)) == 1
    letters = dead_letters(rt)
    assert len(letters) == 4
    reasons = {
        (letter["event"].get("id") if isinstance(letter["event"], dict) else "raw"): letter["reason"]
        for letter in letters
    }
    assert set(reasons) == {"bad-type", "bad-property", "bad-lead", "raw"}
    assert "objectType" in reasons["bad-type"]
    assert "hs_call_mood" in reasons["bad-property"]
    assert "999999" in reasons["bad-lead"] and "associations[0]" in reasons["bad-lead"]
    assert "not JSON" in reasons["raw"]
    raw = next(letter for letter in letters if not isinstance(letter["event"], dict))
    assert raw["event"] == "{not json"

    # the sender mends the event and sends it again under the same id: it is taken this time
    _, other = contact_with_lead(rt, "b@example.com")
    queue_event(rt, envelope("bad-lead", call_detail(other)))
    rt.settle()
    assert lead_stage(rt, other) == "attempting"
    assert len(calls(rt)) == 2


def test_malformed_bus_event_is_dead_lettered_with_a_reason(rt: Runtime):
    lead_settings(rt, **MOVES)
    _, lead = contact_with_lead(rt)
    put_event(rt, "ACTIVITY_LOGGED", {**call_detail(lead), "objectType": "notes"})
    put_event(rt, "ACTIVITY_LOGGED", call_detail(lead))
    rt.settle()
    [letter] = dead_letters(rt)
    assert "objectType" in letter["reason"]
    assert lead_stage(rt, lead) == "attempting"
    assert len(calls(rt)) == 1


# ---------------------------------------------------------------- HubSpot's official client


def test_ld3_hubspot_client_lead_and_call_move_the_lead(server: LocalServer):
    assert _http(server, "PUT", "/settings/lead-automation", MOVES)[0] == 200
    client = HubSpot(access_token="local-admin", host=server.url)
    contact = client.crm.contacts.basic_api.create(ContactInput(properties={"email": "h@example.com"}))

    lead = client.crm.objects.leads.basic_api.create(
        LeadInput(
            properties={"hs_lead_name": "Hub Spot", "hs_pipeline_stage": "new"},
            associations=[
                PublicAssociationsForObject(
                    to=PublicObjectId(id=contact.id),
                    types=[
                        AssociationSpec(
                            association_category="HUBSPOT_DEFINED", association_type_id=LEAD_TO_CONTACT
                        )
                    ],
                )
            ],
        )
    )
    assert lead.properties["hs_pipeline_stage"] == "new"
    client.crm.objects.calls.basic_api.create(
        CallInput(
            properties={"hs_timestamp": AT, "hs_call_title": "Intro"},
            associations=[
                CallLink(
                    to=CallTarget(id=lead.id),
                    types=[
                        CallSpec(
                            association_category="HUBSPOT_DEFINED",
                            association_type_id=ACTIVITY_TO_LEAD["calls"],
                        )
                    ],
                )
            ],
        )
    )
    assert _http(server, "POST", "/_local/settle")[0] == 200

    read = client.crm.objects.leads.basic_api.get_by_id(lead.id, properties=["hs_pipeline_stage"])
    assert read.properties["hs_pipeline_stage"] == "attempting"
    status, answer = _http(
        server, "GET", f"/crm/v3/objects/leads/{lead.id}?propertiesWithHistory=hs_pipeline_stage"
    )
    assert status == 200
    newest = answer["propertiesWithHistory"]["hs_pipeline_stage"][0]
    assert (newest["value"], newest["sourceType"], newest["sourceLabel"]) == ("attempting", AUTOMATED, "LD-3")
