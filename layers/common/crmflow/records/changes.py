"""Changes of the records table as the stream shows them: a record's or an association's old and new
image, parsed into the domain's models (the automation rules never see a stream event)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmflow.records.models import AssociatedType, Association, Record
from crmflow.records.store import record_from_image


@dataclass(frozen=True)
class RecordChange:
    """A record was created (``old`` is None), changed, or archived."""

    object_type: str
    old: Record | None
    new: Record | None

    def value(self, name: str) -> str | None:
        return (self.new.properties.get(name) if self.new else None) or None

    def changed(self, name: str) -> bool:
        before = (self.old.properties.get(name) if self.old else None) or None
        return before != self.value(name)

    @property
    def live(self) -> Record | None:
        """The new image of a record that is not archived."""
        return self.new if self.new is not None and not self.new.archived else None


@dataclass(frozen=True)
class AssociationChange:
    """An association was written (``old`` is None when it is new) or removed (``new`` is None)."""

    old: Association | None
    new: Association | None

    def gained(self, type_id: int) -> bool:
        """The association has ``type_id`` now and did not before (a new label such as "Primary")."""
        return _has(self.new, type_id) and not _has(self.old, type_id)


def _has(association: Association | None, type_id: int) -> bool:
    return association is not None and any(t.typeId == type_id for t in association.types)


def _association(image: Mapping[str, Any] | None) -> Association | None:
    if not image:
        return None
    return Association(
        fromType=image["fromType"],
        fromId=str(image["fromId"]),
        toType=image["toType"],
        toId=str(image["toId"]),
        types=[
            AssociatedType(
                category=t["associationCategory"], typeId=int(t["associationTypeId"]), label=t.get("label")
            )
            for t in image.get("types", [])
        ],
    )


def from_images(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> RecordChange | AssociationChange | None:
    """The change two stream images (deserialised) describe; ``None`` for items of other kinds."""
    kind = (new or old or {}).get("kind")
    if kind == "record":
        object_type = str((new or old or {})["objectType"])
        return RecordChange(
            object_type,
            record_from_image(old) if old else None,
            record_from_image(new) if new else None,
        )
    if kind == "association":
        return AssociationChange(_association(old), _association(new))
    return None
