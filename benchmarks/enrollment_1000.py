"""1,000 contacts enroll in a workflow with a 2-day delay and an email, run to completion locally.

Prints the wall time of each phase and the ratio of simulated to wall time.
"""

import time
from typing import Any

from crmflow_local.runtime import Runtime

CONTACTS = 1000


def run(contacts: int = CONTACTS) -> dict[str, Any]:
    with Runtime(start="2026-12-01T08:00:00Z") as rt:
        email = rt.api(
            "POST", "/marketing/v3/emails", {"name": "Nurture", "subject": "Hello", "state": "AUTOMATED"}
        )
        workflow = rt.api(
            "POST",
            "/workflows",
            {
                "name": "Two-day nurture",
                "objectType": "contacts",
                "enrollment": {
                    "filterGroups": [
                        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
                    ]
                },
                "startActionId": "1",
                "actions": [
                    {"id": "1", "type": "DELAY", "delay": {"days": 2}, "next": "2"},
                    {"id": "2", "type": "SEND_EMAIL", "emailId": email.json["id"], "next": None},
                ],
            },
        ).json
        rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": False})
        began = time.perf_counter()
        for first in range(0, contacts, 100):
            inputs = [
                {"properties": {"email": f"c{n}@example.com", "lifecyclestage": "lead"}}
                for n in range(first, min(contacts, first + 100))
            ]
            assert rt.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs}).status == 201
        created = time.perf_counter()
        rt.settle()
        enrolled = time.perf_counter()
        rt.advance("P2DT1H")
        finished = time.perf_counter()
        stats = rt.api("GET", f"/workflows/{workflow['id']}/stats").json
        sent = len(rt.outbox())
        transitions = sum(
            1
            for execution in rt.executions()[:20]
            for event in rt.history(execution["executionArn"])
            if event["type"].endswith("StateEntered")
        )
    return {
        "contacts": contacts,
        "completed": stats["completed"],
        "emails": sent,
        "create_s": round(created - began, 2),
        "enroll_and_start_s": round(enrolled - created, 2),
        "two_days_s": round(finished - enrolled, 2),
        "total_s": round(finished - began, 2),
        "simulated_to_wall": round((49 * 3600) / max(finished - began, 1e-9)),
        "transitions_per_enrollment": transitions / 20,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:>28}: {value}")
