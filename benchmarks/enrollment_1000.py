"""Contacts through a workflow on the embedded runtime, with what each enrollment costs.

``run(contacts=1000)`` creates the contacts in batches of 100 through the API (each batch settled:
stream, enrollment, starter, first step), then moves the clock past the delay so every enrollment
runs to its end. It answers the wall time, enrollments per second, the time per enrollment of the
first and the last tenth of the contacts (it must stay flat as the tables grow), the AWS calls the
handlers made per enrollment by operation, Step Functions transitions per executed step, and the
cost per 1,000,000 enrollments (benchmarks/cost.py).

Two workflows: ``benchmark`` (a 2-day delay, then an email) and ``reference`` (the same, then a
branch and a property set: the cost test's reference workflow).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from crmflow_local.runtime import Runtime

from benchmarks import cost

CONTACTS = 1000
BATCH = 100
LEAD = {
    "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
}


def definition(kind: str, email_id: str) -> dict[str, Any]:
    actions: list[dict[str, Any]] = [
        {"id": "1", "type": "DELAY", "delay": {"days": 2}, "next": "2"},
        {"id": "2", "type": "SEND_EMAIL", "emailId": email_id, "next": None},
    ]
    if kind == "reference":
        actions[1]["next"] = "3"
        actions += [
            {
                "id": "3",
                "type": "IF_THEN",
                "branches": [{"filterGroups": [], "next": "4"}],
                "defaultNext": None,
            },
            {"id": "4", "type": "SET_PROPERTY", "property": "nurtured", "value": "true", "next": None},
        ]
    return {
        "name": f"{kind.title()} nurture",
        "objectType": "contacts",
        "enrollment": LEAD,
        "startActionId": "1",
        "actions": actions,
    }


def run(contacts: int = CONTACTS, *, fast: bool = True, kind: str = "benchmark") -> dict[str, Any]:
    with Runtime(start="2026-12-01T08:00:00Z", fast=fast) as rt:
        if kind == "reference":
            prop = {"name": "nurtured", "label": "Nurtured", "type": "string"}
            rt.api("POST", "/crm/v3/properties/contacts", prop)
        email = rt.api(
            "POST", "/marketing/v3/emails", {"name": "Nurture", "subject": "Hello", "state": "AUTOMATED"}
        )
        workflow = rt.api("POST", "/workflows", definition(kind, email.json["id"])).json
        rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": False})
        rt.settle()
        rt.calls.counts.clear()
        rt.calls.items_written.clear()
        before = Counter(rt.invocation_counts), Counter(rt.invocation_ms)
        chunks: list[float] = []
        began = time.perf_counter()
        for first in range(0, contacts, BATCH):
            started = time.perf_counter()
            inputs = [
                {"properties": {"email": f"c{n}@example.com", "lifecyclestage": "lead"}}
                for n in range(first, min(contacts, first + BATCH))
            ]
            answer = rt.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
            assert answer.status == 201, answer.body
            rt.settle()
            chunks.append((time.perf_counter() - started) / len(inputs))
        enrolled = time.perf_counter()
        rt.advance("P2DT1H")
        finished = time.perf_counter()
        calls = Counter(rt.calls.counts)
        invocations = {
            fn.logical_id: (
                rt.invocation_counts[fn.logical_id] - before[0][fn.logical_id],
                rt.invocation_ms[fn.logical_id] - before[1][fn.logical_id],
                fn.memory,
            )
            for fn in rt.functions.values()
        }
        ddb = rt.client("dynamodb")
        indexes = {
            table: len(ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", []))
            for table in rt.calls.items_written
        }
        write_units = sum(n * (1 + indexes[table]) for table, n in rt.calls.items_written.items())
        stats = rt.api("GET", f"/workflows/{workflow['id']}/stats").json
        sample = [e for e in rt.executions() if e["name"].startswith(f"wf{workflow['id']}-")]
        transitions_per_enrollment = _transitions(rt, sample[:20])
        steps = len(definition(kind, "x")["actions"])
    tenth = max(1, len(chunks) // 10)
    total = finished - began
    usage = cost.Usage(
        enrollments=contacts,
        transitions=round(transitions_per_enrollment * contacts),
        invocations=invocations,
        calls=calls,
        write_units=write_units,
        queue_batches=invocations.get("StarterFunction", (0, 0, 0))[0],
    )
    return {
        "kind": kind,
        "path": "fast" if fast else "boto3",
        "contacts": contacts,
        "completed": stats["completed"],
        "wall_s": round(total, 2),
        "enrollments_per_s": round(contacts / total, 1),
        "enroll_s": round(enrolled - began, 2),
        "run_to_end_s": round(finished - enrolled, 2),
        "ms_per_enrollment_first_tenth": round(1000 * sum(chunks[:tenth]) / tenth, 1),
        "ms_per_enrollment_last_tenth": round(1000 * sum(chunks[-tenth:]) / tenth, 1),
        "calls_per_enrollment": {
            f"{service} {op}": round(n / contacts, 2) for (service, op), n in calls.most_common()
        },
        "dynamodb_calls_per_enrollment": round(
            sum(n for (service, _), n in calls.items() if service == "dynamodb") / contacts, 2
        ),
        "transitions_per_step": round(transitions_per_enrollment / steps, 2),
        "cost_per_million": cost.per_million(usage),
    }


def _transitions(rt: Runtime, executions: list[dict[str, Any]]) -> float:
    """State transitions per execution (states entered), averaged over a sample."""
    if not executions:
        return 0.0
    entered = sum(
        1
        for e in executions
        for event in rt.history(e["executionArn"])
        if event["type"].endswith("StateEntered")
    )
    return entered / len(executions)


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:>32}: {value}")
