"""Route one change of the records table to the lifecycle (LC-1..LC-4) and lead (LD-1..LD-4) rules.

Every rule decides for itself whether the change concerns it; the order below only matters for a
record created with everything at once (a default stage before anything reads it).
"""

from dataclasses import dataclass

from crmflow.leads import rules as leads
from crmflow.leads import settings as lead_settings
from crmflow.leads.activities import ACTIVITY_TYPES, events_of
from crmflow.lifecycle import rules as lifecycle
from crmflow.lifecycle import settings as lifecycle_settings
from crmflow.records.changes import AssociationChange, RecordChange


@dataclass(frozen=True)
class Settings:
    """Both settings documents, read once per stream batch."""

    lifecycle: lifecycle_settings.LifecycleSettings
    leads: lead_settings.LeadAutomationSettings

    @classmethod
    def read(cls) -> "Settings":
        return cls(lifecycle_settings.get(), lead_settings.get())

    def every_rule_off(self) -> bool:
        lifecycle_on = self.lifecycle.model_dump(exclude_defaults=True)
        leads_on = [part for part in dict(self.leads).values() if getattr(part, "enabled", False)]
        return not lifecycle_on and not leads_on


def needs(change: RecordChange | AssociationChange, settings: Settings) -> bool:
    """Whether a change can concern a rule: with every rule off only a deal association does
    (LC-2 remembers the first deal even then), so nothing else costs an idempotency record."""
    return isinstance(change, AssociationChange) or not settings.every_rule_off()


def on_change(change: RecordChange | AssociationChange, settings: Settings) -> None:
    if isinstance(change, RecordChange):
        on_record_change(change, settings)
    else:
        on_association_change(change, settings)


def on_record_change(change: RecordChange, settings: Settings) -> None:
    if change.live is None:  # archived records take part in nothing
        return
    lifecycle.lc1_default_stage_on_create(change, settings.lifecycle)
    lifecycle.lc3_stage_on_deal_won(change, settings.lifecycle)
    lifecycle.lc4_sync_when_company_stage_changes(change, settings.lifecycle)
    leads.ld1_lead_on_lifecycle_stage(change, settings.leads)
    leads.ld2_follow_up_on_disqualification(change, settings.leads)
    if change.object_type in ACTIVITY_TYPES and _counts_anew(change):
        leads.on_activity(change.object_type, change.live.id, settings.leads)


def _counts_anew(change: RecordChange) -> bool:
    """A new activity counts; an edited one only when the edit changes what it counts as (a call
    whose outcome becomes connected), so editing an old email never moves a newer lead."""
    if change.old is None or change.new is None:
        return True
    before = events_of(change.object_type, change.old.properties)
    return events_of(change.object_type, change.new.properties) != before


def on_association_change(change: AssociationChange, settings: Settings) -> None:
    link = change.new
    if link is None:  # a removed association moves nothing
        return
    lifecycle.lc2_stage_on_first_deal(change, settings.lifecycle)
    lifecycle.lc4_sync_when_made_primary(change, settings.lifecycle)
    if link.fromType in ACTIVITY_TYPES and link.toType in ("leads", "contacts"):
        leads.on_activity(link.fromType, link.fromId, settings.leads)
