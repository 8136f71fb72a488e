"""LD-1..LD-5, one function each. Like the lifecycle rules they read afresh, write through the
records service with the rule as the source (so lead workflows, LD-6, see every automated move) and
are idempotent: a replayed change finds its lead already created or moved."""

from crmflow.leads.activities import events_of
from crmflow.leads.pipeline import (
    FOLLOW_UP_OF,
    REASON,
    STAGE,
    create_lead,
    in_default_pipeline,
    leads_of,
    moved_back_by_hand,
    open_leads_of,
)
from crmflow.leads.settings import LeadAutomationSettings, MoveOnConnect, MoveOnOutreach
from crmflow.lifecycle.stages import PROPERTY as LIFECYCLE_STAGE
from crmflow.records import history
from crmflow.records import service as records
from crmflow.records.changes import RecordChange
from crmflow.records.models import Record, Source, SourceType

NEW_LEAD_TYPE = "NEW_BUSINESS"


def ld1_lead_on_lifecycle_stage(change: RecordChange, config: LeadAutomationSettings) -> None:
    """A contact that moves into a chosen lifecycle stage gets a lead, unless company sync (LC-4) moved
    it (told by the source of the change in the contact's history) or it already has an open lead."""
    rule = config.createLeadOnLifecycleStage
    contact = change.live
    if not rule.enabled or change.object_type != "contacts" or contact is None:
        return
    if not change.changed(LIFECYCLE_STAGE) or change.value(LIFECYCLE_STAGE) not in rule.stages:
        return
    entry = history.latest(contact, LIFECYCLE_STAGE)
    if entry is not None and entry.sourceType == SourceType.COMPANY_SYNC:
        return
    fresh = records.get_record("contacts", contact.id)
    if fresh is None or open_leads_of(contact.id):
        return
    create_lead(fresh, NEW_LEAD_TYPE, Source(type=SourceType.LEAD_AUTOMATION, id=contact.id, label="LD-1"))


def ld2_follow_up_on_disqualification(change: RecordChange, config: LeadAutomationSettings) -> None:
    """A lead disqualified with a chosen reason gets a follow-up lead of the chosen type for its
    contact (once: the follow-up names the lead it follows up in ``hs_lead_follow_up_of``)."""
    rule = config.followUpOnDisqualification
    lead = change.live
    if not rule.enabled or change.object_type != "leads" or lead is None or not in_default_pipeline(lead):
        return
    if change.value(STAGE) != "disqualified" or not (change.changed(STAGE) or change.changed(REASON)):
        return
    if change.value(REASON) not in rule.reasons:
        return
    contacts = sorted(
        (link.toId for link in records.list_associations("leads", lead.id, "contacts")), key=int
    )
    contact = records.get_record("contacts", contacts[0]) if contacts else None
    if contact is None or any(
        other.properties.get(FOLLOW_UP_OF) == lead.id for other in leads_of("contacts", contact.id)
    ):
        return
    source = Source(type=SourceType.LEAD_AUTOMATION, id=lead.id, label="LD-2")
    create_lead(contact, rule.leadType, source, **{FOLLOW_UP_OF: lead.id})


def leads_of_activity(activity_type: str, activity_id: str) -> list[Record]:
    """The leads an activity counts for: those associated with it, and the open leads of the contacts
    associated with it; in the default pipeline only."""
    found = {lead.id: lead for lead in leads_of(activity_type, activity_id)}
    for link in records.list_associations(activity_type, activity_id, "contacts"):
        found.update({lead.id: lead for lead in open_leads_of(link.toId)})
    return [
        lead for _, lead in sorted(found.items(), key=lambda item: int(item[0])) if in_default_pipeline(lead)
    ]


def on_activity(activity_type: str, activity_id: str, config: LeadAutomationSettings) -> None:
    """An activity was logged, changed or associated: outreach (LD-3), then connect (LD-4)."""
    if not (config.moveOnOutreach.enabled or config.moveOnConnect.enabled):
        return
    activity = records.get_record(activity_type, activity_id)
    events = events_of(activity_type, activity.properties) if activity else set()
    if activity is None or not events:
        return
    reference = f"{activity_type}:{activity_id}"
    for lead in leads_of_activity(activity_type, activity_id):
        lead = ld3_move_on_outreach(lead, events, reference, config.moveOnOutreach)
        ld4_move_on_connect(lead, events, reference, config.moveOnConnect)


def ld3_move_on_outreach(lead: Record, events: set[str], activity: str, rule: MoveOnOutreach) -> Record:
    return _move(lead, events, activity, rule, "LD-3")


def ld4_move_on_connect(lead: Record, events: set[str], activity: str, rule: MoveOnConnect) -> Record:
    return _move(lead, events, activity, rule, "LD-4")


def _move(
    lead: Record, events: set[str], activity: str, rule: MoveOnOutreach | MoveOnConnect, rule_id: str
) -> Record:
    """Move ``lead`` from the rule's stage to its target when the activity is one of its events and no
    one moved the lead back by hand (LD-5); the lead as it is afterwards."""
    if not rule.enabled or not events & set(rule.events) or lead.properties.get(STAGE) != rule.from_:
        return lead
    if moved_back_by_hand(lead):
        return lead
    source = Source(type=SourceType.LEAD_AUTOMATION, id=activity, label=rule_id)
    return records.update_record("leads", lead.id, {STAGE: rule.to}, system=True, source=source)
