"""Leads as automation sees them: the default lead pipeline, a contact's open leads, LD-5's memory,
and creating a lead associated with its contact."""

from itertools import pairwise

from crmflow.records import pipelines
from crmflow.records import service as records
from crmflow.records.associations import default_type_id
from crmflow.records.models import Record, Source, SourceType

PIPELINE = "default"  # automation acts on the default lead pipeline only
PIPELINE_PROPERTY, STAGE = pipelines.PIPELINE_PROPERTIES["leads"]
REASON = "hs_lead_disqualification_reason"
FOLLOW_UP_OF = "hs_lead_follow_up_of"
# LD-5's "by hand": a user's write (the API, a form) or a workflow a user built; not automation,
# and not crmflow moving records out of a deleted stage (T-3)
BY_HAND = {SourceType.API, SourceType.FORM, SourceType.WORKFLOW}


def in_default_pipeline(lead: Record) -> bool:
    return lead.properties.get(PIPELINE_PROPERTY) == PIPELINE


def is_open(lead: Record) -> bool:
    stage = pipelines.stage_of("leads", lead.properties)
    return stage is not None and stage.metadata.get("isClosed") != "true"


def leads_of(object_type: str, record_id: str) -> list[Record]:
    """The live leads associated with a record, in id order."""
    ids = [link.toId for link in records.list_associations(object_type, record_id, "leads")]
    found, _ = records.batch_read("leads", ids) if ids else ([], [])
    return sorted(found, key=lambda lead: int(lead.id))


def open_leads_of(contact_id: str) -> list[Record]:
    return [lead for lead in leads_of("contacts", contact_id) if is_open(lead)]


def _ranks() -> dict[str, int]:
    """Stage → place in the pipeline; the closed stages (qualified, disqualified) share the last place,
    so going from one closed stage to another is not a move back, and reopening a lead is."""
    stages = pipelines.get_pipeline("leads", PIPELINE).stages
    last = max(stage.displayOrder for stage in stages)
    return {s.id: last if s.metadata.get("isClosed") == "true" else s.displayOrder for s in stages}


def moved_back_by_hand(lead: Record) -> bool:
    """LD-5: has a user (the API, a form) or a workflow ever moved this lead to an earlier stage? Read
    from the lead's own stage history, so it holds across restarts and needs no flag of its own."""
    order = _ranks()
    entries = lead.history.get(STAGE) or []
    for before, after in pairwise(entries):
        if after.sourceType not in BY_HAND:
            continue
        if order.get(after.value or "", -1) < order.get(before.value or "", -1):
            return True
    return False


def create_lead(contact: Record, lead_type: str, source: Source, **extra: str) -> Record:
    """A new lead in the default pipeline's first stage, associated with ``contact``."""
    props = contact.properties
    name = " ".join(filter(None, [props.get("firstname"), props.get("lastname")])) or props.get("email")
    values = {
        "hs_lead_name": name or f"Contact {contact.id}",
        PIPELINE_PROPERTY: PIPELINE,
        STAGE: pipelines.get_pipeline("leads", PIPELINE).live_stages()[0].id,
        "hs_lead_type": lead_type,
        **extra,
    }
    association = {
        "to": {"id": contact.id},
        "types": [
            {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": default_type_id("leads", "contacts"),
            }
        ],
    }
    return records.create_record("leads", values, [association], system=True, source=source)
