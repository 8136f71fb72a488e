"""The one way the demo talks to crmflow: HTTP API requests through the embedded runtime, checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crmflow_local.runtime import Runtime


class DemoError(RuntimeError):
    """An API answer the demo did not expect (the message has the request and the answer)."""


def call(rt: Runtime, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    """The JSON answer of one API request; anything but 2xx is a :class:`DemoError`."""
    answer = rt.api(method, path, body, **kwargs)
    if answer.status >= 300:
        raise DemoError(f"{method} {path}: HTTP {answer.status}: {answer.body[:2000]}")
    return answer.json if answer.body else None


def pages(
    rt: Runtime, method: str, path: str, body: dict[str, Any] | None = None, **query: str
) -> Iterator[Any]:
    """Every result of a paged list (GET, ``after`` in the query) or search (POST, ``after`` in the body)."""
    after: str | None = None
    while True:
        if method == "GET":
            page = call(rt, "GET", path, query={**query, **({"after": after} if after else {})})
        else:
            page = call(rt, "POST", path, {**(body or {}), **({"after": after} if after else {})})
        yield from page["results"]
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def batches(items: list[Any], size: int = 100) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def create_many(rt: Runtime, object_type: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``batch/create`` in batches of 100; the created records, in input order."""
    created: list[dict[str, Any]] = []
    for batch in batches(inputs):
        answer = call(rt, "POST", f"/crm/v3/objects/{object_type}/batch/create", {"inputs": batch})
        created += answer["results"]
    return created


def update_many(rt: Runtime, object_type: str, changes: list[tuple[str, dict[str, str]]]) -> None:
    """``batch/update`` in batches of 100: ``(id, properties)`` pairs."""
    for batch in batches(changes):
        inputs = [{"id": record_id, "properties": properties} for record_id, properties in batch]
        call(rt, "POST", f"/crm/v3/objects/{object_type}/batch/update", {"inputs": inputs})


def read_many(rt: Runtime, object_type: str, ids: list[str], names: list[str]) -> dict[str, dict[str, str]]:
    """The current values of ``names`` by record id (``batch/read``; archived records left out)."""
    found: dict[str, dict[str, str]] = {}
    for batch in batches(ids):
        body = {"inputs": [{"id": i} for i in batch], "properties": names}
        answer = rt.api("POST", f"/crm/v3/objects/{object_type}/batch/read", body)
        if answer.status not in (200, 207):
            raise DemoError(f"batch read {object_type}: HTTP {answer.status}: {answer.body[:2000]}")
        found |= {r["id"]: r["properties"] for r in answer.json["results"]}
    return found


def eq(name: str, value: str) -> dict[str, Any]:
    return {"propertyName": name, "operator": "EQ", "value": value}


def one_of(name: str, values: list[str]) -> dict[str, Any]:
    return {"propertyName": name, "operator": "IN", "values": values}


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """One entry of a create body's ``associations``."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }
