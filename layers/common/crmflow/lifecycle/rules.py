"""LC-1..LC-4, one function each; every move goes through :func:`set_stage`, which is LC-5.

Each rule takes a change seen on the records stream and the settings, reads the records it needs
afresh (a stream image can be older than the table), and writes through the records service with
the rule as the source, so the change lands in the property history and on the stream again
(workflows triggered on ``lifecyclestage`` see automated moves). Every rule is idempotent: a
replayed change finds the record already moved and writes nothing.
"""

from collections.abc import Mapping
from datetime import timedelta

from crmflow import clock
from crmflow.lifecycle.settings import LifecycleSettings
from crmflow.lifecycle.stages import PROPERTY, moves_forward
from crmflow.records import service as records
from crmflow.records.associations import PRIMARY_CONTACT_TO_COMPANY
from crmflow.records.changes import AssociationChange, RecordChange
from crmflow.records.models import Record, Source, SourceType

STAGED = ("contacts", "companies")  # the object types with a lifecycle stage
FIRST_DEAL = "first_deal_created_date"  # set with the first associated deal (LC-2 fires once)
PRIMARY_COMPANY_OF_CONTACT = 2  # the company→contact side of "Primary" (contact→company is 1)


def set_stage(
    object_type: str,
    record: Record,
    target: str | None,
    source: Source,
    extra: Mapping[str, str] | None = None,
) -> bool:
    """Move ``record`` to ``target`` when that is forward (LC-5), writing ``extra`` properties along;
    only values that differ are written. True when something was written."""
    changes = {name: value for name, value in (extra or {}).items() if record.properties.get(name) != value}
    if (
        target
        and record.properties.get(PROPERTY) != target
        and moves_forward(record.properties.get(PROPERTY), target)
    ):
        changes[PROPERTY] = target
    if not changes:
        return False
    records.update_record(object_type, record.id, changes, system=True, source=source)
    return True


def lc1_default_stage_on_create(change: RecordChange, config: LifecycleSettings) -> None:
    """A new contact or company without a stage gets the default stage (a stage given at creation,
    or by a form submission, stays)."""
    if change.object_type not in STAGED or change.old is not None or change.live is None:
        return
    if not config.defaultStageOnCreate or change.value(PROPERTY):
        return
    record = records.get_record(change.object_type, change.live.id)
    if record is not None and not record.properties.get(PROPERTY):
        source = Source(type=SourceType.LIFECYCLE_DEFAULT, label="LC-1")
        set_stage(change.object_type, record, config.defaultStageOnCreate, source)


def lc2_stage_on_first_deal(change: AssociationChange, config: LifecycleSettings) -> None:
    """A contact or company that gets its first associated deal moves to the chosen stage.

    The first deal is remembered in ``first_deal_created_date`` (kept even while the rule is off),
    so a second deal, a replay or a deal associated again never counts as a first one.
    """
    link = change.new
    if link is None or change.old is not None or link.fromType not in STAGED or link.toType != "deals":
        return
    record = records.get_record(link.fromType, link.fromId)
    deal = records.get_record("deals", link.toId)
    if record is None or deal is None or record.properties.get(FIRST_DEAL):
        return
    source = Source(type=SourceType.DEAL_CREATED, id=deal.id, label="LC-2")
    set_stage(link.fromType, record, config.stageOnDealCreated, source, {FIRST_DEAL: deal.createdAt})


def _won(record: Record | None) -> bool:
    return record is not None and record.properties.get("hs_is_closed_won") == "true"


def lc3_stage_on_deal_won(change: RecordChange, config: LifecycleSettings) -> None:
    """A deal moved into a won stage (any pipeline): its contacts and companies move to the chosen
    stage, and get ``closedate`` (when the deal was won) and ``days_to_close`` if they have none."""
    deal = change.live
    if change.object_type != "deals" or deal is None or not _won(deal) or _won(change.old):
        return
    if not config.stageOnDealWon:
        return
    won_at = deal.properties.get("hs_lastmodifieddate") or deal.updatedAt
    source = Source(type=SourceType.DEAL_WON, id=deal.id, label="LC-3")
    for object_type in STAGED:
        for link in records.list_associations("deals", deal.id, object_type):
            record = records.get_record(object_type, link.toId)
            if record is None:
                continue
            extra = {}
            if not record.properties.get("closedate"):
                extra = {"closedate": won_at, "days_to_close": str(_whole_days(record.createdAt, won_at))}
            set_stage(object_type, record, config.stageOnDealWon, source, extra)


def _whole_days(start: str, end: str) -> int:
    return max(0, (clock.parse_iso(end) - clock.parse_iso(start)) // timedelta(days=1))


def lc4_sync_when_made_primary(change: AssociationChange, config: LifecycleSettings) -> None:
    """A contact takes the stage of a company when that company is made its primary company."""
    link = change.new
    if (
        not config.syncCompanyToContacts
        or link is None
        or (link.fromType, link.toType) != ("contacts", "companies")
    ):
        return
    if not change.gained(PRIMARY_CONTACT_TO_COMPANY):
        return
    contact, company = records.get_record("contacts", link.fromId), records.get_record("companies", link.toId)
    if contact is not None and company is not None:
        _sync(contact, company)


def lc4_sync_when_company_stage_changes(change: RecordChange, config: LifecycleSettings) -> None:
    """Every stage change of a company moves the contacts whose primary company it is (never the
    other way round: a contact's change does not touch its company)."""
    if not config.syncCompanyToContacts or change.object_type != "companies" or change.live is None:
        return
    if not change.changed(PROPERTY):
        return
    company = records.get_record("companies", change.live.id)
    if company is None:
        return
    for link in records.list_associations("companies", company.id, "contacts"):
        if any(t.typeId == PRIMARY_COMPANY_OF_CONTACT for t in link.types):
            contact = records.get_record("contacts", link.toId)
            if contact is not None:
                _sync(contact, company)


def _sync(contact: Record, company: Record) -> None:
    source = Source(type=SourceType.COMPANY_SYNC, id=company.id, label="LC-4")
    set_stage("contacts", contact, company.properties.get(PROPERTY), source)
