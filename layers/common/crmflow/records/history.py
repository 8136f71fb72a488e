"""Property history with provenance (``propertiesWithHistory``), kept on the record item.

Only the properties whose changes automation and users need to explain are kept (:data:`KEPT`):
every write that changes one of them appends ``{value, timestamp, sourceType, sourceId,
sourceLabel}`` in the same DynamoDB write as the change itself, so the stream's new image always
carries the source of the change it shows. A write that leaves the value as it was adds nothing
(a replayed automation adds no second entry).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from crmflow.errors import ValidationFailed
from crmflow.records.models import HistoryEntry, Record, Source

KEPT = ("lifecyclestage", "hs_pipeline_stage", "hs_pipeline", "dealstage", "pipeline", "hubspot_owner_id")


def entries_for(
    current: Mapping[str, str | None], changes: Mapping[str, str | None], source: Source, at: str
) -> dict[str, HistoryEntry]:
    """The history entries a write of ``changes`` over ``current`` adds, by property."""
    return {
        name: HistoryEntry(
            value=value, timestamp=at, sourceType=source.type, sourceId=source.id, sourceLabel=source.label
        )
        for name, value in changes.items()
        if name in KEPT and (value or None) != (current.get(name) or None)
    }


def latest(record: Record, name: str) -> HistoryEntry | None:
    """The newest entry of ``name`` when it describes the record's current value, else ``None``."""
    entries = record.history.get(name) or []
    if entries and (entries[-1].value or None) == (record.properties.get(name) or None):
        return entries[-1]
    return None


def present(record: Record, names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """HubSpot's ``propertiesWithHistory`` block, newest first; 400 for a property without history."""
    unknown = [name for name in names if name not in KEPT]
    if unknown:
        raise ValidationFailed(
            f"propertiesWithHistory: no history is kept for {', '.join(unknown)}; "
            f"it is kept for {', '.join(KEPT)}",
            context={"propertiesWithHistory": unknown},
        )
    return {
        name: [entry.model_dump() for entry in reversed(record.history.get(name) or [])] for name in names
    }
