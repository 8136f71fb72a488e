"""Search: ``POST /crm/v3/objects/{type}/search`` with filterGroups, a text query, sorts and paging.

One filter engine (:mod:`crmflow.filters`) serves search, triggers, goals, branches and lists.
"""

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmflow.errors import ValidationFailed
from crmflow.filters import FilterGroup, matches, parse_bool, parse_instant, parse_number
from crmflow.records import properties, service, store
from crmflow.records.models import Record, resolve_object_type
from crmflow.records.service import Page

MAX_SEARCH_PAGE = 200


class Sort(BaseModel):
    propertyName: str
    direction: Literal["ASCENDING", "DESCENDING"] = "ASCENDING"


class SearchRequest(BaseModel):
    """``POST /crm/v3/objects/{type}/search`` (HubSpot's PublicObjectSearchRequest)."""

    model_config = ConfigDict(extra="ignore")

    filterGroups: list[FilterGroup] = Field(default_factory=list, max_length=5)
    sorts: list[Sort] = Field(default_factory=list)
    properties: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=MAX_SEARCH_PAGE)
    after: str | None = None
    query: str | None = None

    @field_validator("sorts", mode="before")
    @classmethod
    def _sort_names(cls, value: Any) -> Any:
        """HubSpot's client sends sorts as names (``"-createdate"`` descending), the docs as objects."""
        if not isinstance(value, list):
            return value
        return [
            {"propertyName": s.lstrip("-"), "direction": "DESCENDING" if s.startswith("-") else "ASCENDING"}
            if isinstance(s, str)
            else s
            for s in value
        ]

    @field_validator("after", mode="before")
    @classmethod
    def _after_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18


def _sort_key(value: str | None, kind: str | None, descending: bool) -> tuple[int, int, Any]:
    """Typed sort key; records without a value sort last in either direction."""
    if value is None or value == "":
        return (0 if descending else 1, 0, 0)
    present = 1 if descending else 0
    if kind == "number" and (number := parse_number(value)) is not None:
        return (present, 0, number)
    if kind in ("date", "datetime") and (instant := parse_instant(value)) is not None:
        return (present, 0, instant.timestamp())
    if kind == "bool" and (flag := parse_bool(value)) is not None:
        return (present, 0, int(flag))
    return (present, 1, value.casefold())


def _matches_query(record: Record, query: str) -> bool:
    words = query.casefold().split()
    text = " ".join(v for v in record.properties.values() if v).casefold()
    return all(word in text for word in words)


def search(object_type: str, request: SearchRequest) -> Page:
    """Records meeting ``filterGroups`` (and ``query``), sorted, one page; ``total`` counts all matches."""
    object_type = resolve_object_type(object_type)
    groups = request.filterGroups
    if len(groups) > MAX_FILTER_GROUPS:
        raise ValidationFailed(f"filterGroups: at most {MAX_FILTER_GROUPS} filter groups")
    for i, group in enumerate(groups):
        if len(group.filters) > MAX_FILTERS_PER_GROUP:
            raise ValidationFailed(
                f"filterGroups[{i}].filters: at most {MAX_FILTERS_PER_GROUP} filters per group"
            )
    if sum(len(g.filters) for g in groups) > MAX_FILTERS:
        raise ValidationFailed(f"filterGroups: at most {MAX_FILTERS} filters in all")
    offset = 0
    if request.after:
        if not (request.after.isascii() and request.after.isdigit()):
            raise ValidationFailed(f"after: '{request.after}' is not a valid paging cursor")
        offset = int(request.after)
    types = properties.property_types(properties.definitions(object_type))
    for i, group in enumerate(groups):
        for j, condition in enumerate(group.filters):
            if condition.propertyName not in types:
                raise ValidationFailed(
                    f"filterGroups[{i}].filters[{j}].propertyName: property '{condition.propertyName}' "
                    f"does not exist on {object_type}",
                    context={"propertyName": [condition.propertyName]},
                )
    for sort in request.sorts:
        if sort.propertyName not in types:
            raise ValidationFailed(f"sorts: property '{sort.propertyName}' does not exist on {object_type}")

    def hits() -> Iterator[Record]:
        for record in filter(service.visible(object_type), store.scan_type(object_type)):
            if matches(groups, record.properties, types) and (
                not request.query or _matches_query(record, request.query)
            ):
                yield record

    if request.sorts:
        found = list(hits())
        for sort in reversed(request.sorts):
            name, kind, descending = (
                sort.propertyName,
                types.get(sort.propertyName),
                sort.direction == "DESCENDING",
            )

            def key(
                record: Record, name: str = name, kind: str | None = kind, descending: bool = descending
            ) -> Any:
                return _sort_key(record.properties.get(name), kind, descending)

            found.sort(key=key, reverse=descending)
        total = len(found)
        results = found[offset : offset + request.limit]
    else:
        # Stream the partition: keep only the requested page, count the rest.
        results, total = [], 0
        for record in hits():
            if offset <= total < offset + request.limit:
                results.append(record)
            total += 1
    more = offset + len(results) < total
    return Page(results=results, total=total, after=str(offset + len(results)) if more else None)
