"""A contact change against 20, 200 and 2,000 enabled contact workflows: the records stream handler
with the trigger index and without it (``CRMFLOW_TRIGGER_INDEX=off``), in the same run.

Each count gets a fresh embedded runtime with that many enabled workflows in a realistic mix: one or
two filters (a second group now and then) on some 70 properties, a tenth of them on the common
``lifecyclestage`` and ``hs_lead_status``; a fifth with a goal, a tenth with re-enrollment, one in
twenty suppressing with a dynamic or a manual list. They are written through the workflows store
(``save_new``: batched writes, then one bump of the version; through the API, 2,000 take minutes).

Then the same sequence of single-property changes (common properties, the others, and properties no
workflow reads) is made through the API to two identical contacts, one with the index and one
without, each change settled on its own; what is timed is the records stream handler's invocation
for that change (the runtime records each invocation's duration), nothing of the API or the other
functions. The first batch after the workflows were written builds the index (``first_batch_ms``).
"""

import os
import random
import statistics
import time
from typing import Any

from crmflow import clock
from crmflow.workflows import store
from crmflow.workflows.models import WorkflowDefinition
from crmflow.workflows.store import StoredWorkflow
from crmflow_local.runtime import Runtime

STREAM = "RecordsStreamFunction"
SWITCH = "CRMFLOW_TRIGGER_INDEX"
START = "2026-12-01T08:00:00Z"
CUSTOM = [f"attr_{n:02d}" for n in range(60)]
PROPERTIES = [*CUSTOM, "jobtitle", "city", "state", "country", "company", "website", "zip"]
COMMON = {
    "lifecyclestage": ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "customer"],
    "hs_lead_status": ["NEW", "OPEN", "IN_PROGRESS", "CONNECTED", "BAD_TIMING"],
}
UNREAD = ["firstname", "lastname", "phone"]
VALUES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
CHANGES = 30


def _filter(rng: random.Random, name: str | None = None) -> dict[str, Any]:
    if name is not None:
        return {"propertyName": name, "operator": "EQ", "value": rng.choice(COMMON[name])}
    name = rng.choice(PROPERTIES)
    operator = rng.choice(["EQ", "EQ", "EQ", "IN", "NEQ", "HAS_PROPERTY", "CONTAINS_TOKEN"])
    if operator == "IN":
        return {"propertyName": name, "operator": "IN", "values": rng.sample(VALUES, 2)}
    if operator == "HAS_PROPERTY":
        return {"propertyName": name, "operator": "HAS_PROPERTY"}
    return {"propertyName": name, "operator": operator, "value": rng.choice(VALUES)}


def _definition(rng: random.Random, n: int, list_ids: list[str]) -> WorkflowDefinition:
    common = rng.choice(list(COMMON)) if rng.random() < 0.1 else None
    filters = [_filter(rng, common)] + ([_filter(rng)] if rng.random() < 0.3 else [])
    groups = [{"filters": filters}] + ([{"filters": [_filter(rng)]}] if rng.random() < 0.2 else [])
    enrollment: dict[str, Any] = {"filterGroups": groups}
    if rng.random() < 0.1:
        enrollment["reEnrollment"] = {"enabled": True, "properties": [rng.choice(PROPERTIES)]}
    body: dict[str, Any] = {
        "name": f"Workflow {n}",
        "objectType": "contacts",
        "enrollment": enrollment,
        "startActionId": "1",
        "actions": [
            {"id": "1", "type": "DELAY", "delay": {"days": 1}, "next": "2"},
            {"id": "2", "type": "SET_PROPERTY", "property": "nurtured", "value": "true", "next": None},
        ],
    }
    if rng.random() < 0.2:
        goal = {"propertyName": rng.choice(PROPERTIES), "operator": "EQ", "value": "won"}
        body["goal"] = {"filterGroups": [{"filters": [goal]}]}
    if rng.random() < 0.05:
        body["suppressionListIds"] = [rng.choice(list_ids)]
    return WorkflowDefinition.model_validate(body)


def _changes(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Single-property changes: a quarter common properties, a fifth read by no workflow."""
    found = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.25:
            name = rng.choice(list(COMMON))
            found.append((name, rng.choice(COMMON[name])))
        elif draw < 0.45:
            found.append((rng.choice(UNREAD), f"v{rng.randrange(10**6)}"))
        else:
            found.append((rng.choice(PROPERTIES), rng.choice(VALUES)))
    return found


def _ok(response: Any) -> Any:
    assert response.status < 300, (response.status, response.body)
    return response.json


def _stream_ms(rt: Runtime) -> list[float]:
    return [i.seconds * 1000 for i in list(rt.invocations) if i.function == STREAM]


def _enrollments_made(rt: Runtime) -> int:
    """Every enrollment so far: the enrollment numbers of the records' latest enrollment items."""
    client, total, start = rt.client("dynamodb"), 0, None
    while True:
        page = client.scan(
            TableName=rt.env("ENROLLMENTS_TABLE"),
            FilterExpression="begins_with(sk, :r) AND begins_with(pk, :wf)",
            ExpressionAttributeValues={":r": {"S": "R#"}, ":wf": {"S": "WF#"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        total += sum(int(item["number"]["N"]) for item in page["Items"] if "number" in item)
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def measure(count: int, changes: int = CHANGES, seed: int = 11) -> dict[str, Any]:
    """One count: the figures of the same changes with and without the index."""
    rng = random.Random(seed)
    with Runtime(start=START) as rt:
        for name in [*CUSTOM, "nurtured"]:
            _ok(
                rt.api("POST", "/crm/v3/properties/contacts", {"name": name, "label": name, "type": "string"})
            )
        dynamic = {
            "name": "Competitors",
            "objectType": "contacts",
            "processingType": "DYNAMIC",
            "filterGroups": [{"filters": [{"propertyName": "company", "operator": "EQ", "value": "rival"}]}],
        }
        manual = {"name": "Do not contact", "objectType": "contacts", "processingType": "MANUAL"}
        list_ids = [
            str(_ok(rt.api("POST", "/crm/v3/lists", body))["list"]["listId"]) for body in (dynamic, manual)
        ]

        began = time.perf_counter()
        now = clock.iso(clock.now())
        store.save_new(
            [
                StoredWorkflow(
                    id=store.next_id(),
                    revision=1,
                    enabled=True,
                    createdAt=now,
                    updatedAt=now,
                    enabledAt=now,
                    definition=_definition(rng, n, list_ids),
                )
                for n in range(count)
            ]
        )
        load_s = time.perf_counter() - began

        body = {"properties": {"email": "x@example.com", "lifecyclestage": "subscriber"}}
        contacts = [str(_ok(rt.api("POST", "/crm/v3/objects/contacts", body))["id"]) for _ in range(2)]
        rt.invocations.clear()
        rt.settle()  # both inserts in one batch; with the index on, it builds it
        first_batch_ms = _stream_ms(rt)

        sequence = _changes(rng, changes)
        figures: dict[str, list[float]] = {}
        quiet: dict[str, list[float]] = {}  # the changes that enrolled no one
        enrolled: dict[str, int] = {}
        for mode, record_id in (("with_index", contacts[0]), ("without_index", contacts[1])):
            if mode == "without_index":
                os.environ[SWITCH] = "off"
            figures[mode], quiet[mode], enrolled[mode] = [], [], 0
            for name, value in sequence:
                _ok(rt.api("PATCH", f"/crm/v3/objects/contacts/{record_id}", {"properties": {name: value}}))
                before = _enrollments_made(rt)
                rt.invocations.clear()
                rt.settle()
                took = sum(_stream_ms(rt))
                made = _enrollments_made(rt) - before
                figures[mode].append(took)
                enrolled[mode] += made
                if made == 0:
                    quiet[mode].append(took)
            os.environ.pop(SWITCH, None)
    with_ms, without_ms = statistics.mean(figures["with_index"]), statistics.mean(figures["without_index"])
    return {
        "workflows": count,
        "with_index_ms": round(with_ms, 2),
        "without_index_ms": round(without_ms, 2),
        "speedup": round(without_ms / with_ms, 1),
        "with_index_p50_ms": round(statistics.median(figures["with_index"]), 2),
        "without_index_p50_ms": round(statistics.median(figures["without_index"]), 2),
        "no_enrollment_with_index_ms": round(statistics.mean(quiet["with_index"] or [0.0]), 2),
        "no_enrollment_without_index_ms": round(statistics.mean(quiet["without_index"] or [0.0]), 2),
        "changes": len(sequence),
        "enrollments_per_change": round(enrolled["with_index"] / len(sequence), 2),
        "same_enrollments_both_ways": enrolled["with_index"] == enrolled["without_index"],
        "first_batch_ms": round(first_batch_ms[0], 1) if first_batch_ms else None,
        "load_s": round(load_s, 2),
    }


def run(counts: tuple[int, ...] = (20, 200, 2000)) -> dict[str, Any]:
    """ms per contact change through the records stream handler, per number of workflows."""
    return {str(count): measure(count) for count in counts}


if __name__ == "__main__":
    for count, figures in run().items():
        print(f"{count} workflows: " + ", ".join(f"{key}={value}" for key, value in figures.items()))
