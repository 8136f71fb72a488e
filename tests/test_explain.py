"""L-4: ``GET /workflows/{id}/explain/{recordId}`` says why a record did or did not enroll, through
the real path (records stream, state machine on moto, action Lambdas)."""

from typing import Any

from crmflow_local.runtime import Runtime
from engine_support import contact, create_workflow, define_property, ok, update, workflow

SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
WAIT_ONE_DAY = {"type": "DELAY", "delay": {"days": 1}}
SCORED_LEADS = [
    {
        "filters": [
            {"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
            {"propertyName": "score", "operator": "GTE", "value": "50"},
        ]
    }
]
CUSTOMER_GOAL = {
    "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}]
}


def explain(rt: Runtime, workflow_id: str, record_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"/workflows/{workflow_id}/explain/{record_id}"))


def scored_workflow(rt: Runtime, **fields: Any) -> str:
    define_property(rt, "nurtured")
    define_property(rt, "score", "number")
    definition = workflow(WAIT_ONE_DAY, SET_NURTURED, goal=CUSTOMER_GOAL, **fields)
    definition["enrollment"] = {"filterGroups": SCORED_LEADS}
    return create_workflow(rt, definition)


def test_l4_explains_a_record_that_enrolled_with_its_history(rt: Runtime) -> None:
    workflow_id = scored_workflow(rt)
    record = contact(rt, lifecyclestage="lead", score="75")
    rt.settle()

    answer = explain(rt, workflow_id, record)
    assert answer["verdict"] == "already enrolled" and answer["wouldEnroll"] is False
    assert answer["triggers"]["met"] is True
    assert [
        (f["propertyName"], f["actual"], f["met"]) for f in answer["triggers"]["filterGroups"][0]["filters"]
    ] == [
        ("lifecyclestage", "lead", True),
        ("score", "75", True),
    ]
    assert answer["goal"]["met"] is False
    assert answer["goal"]["filterGroups"][0]["filters"][0]["actual"] == "lead"
    assert answer["enrollment"]["status"] == "ACTIVE" and answer["enrollment"]["currentActionId"] == "1"
    assert [(h["enrollmentId"], h["status"]) for h in answer["history"]] == [
        (f"wf{workflow_id}-r{record}-e1", "ACTIVE")
    ]

    rt.advance("P1D")
    answer = explain(rt, workflow_id, record)
    assert answer["verdict"] == "enrolled before and re-enrollment is off"
    [entry] = answer["history"]
    assert entry["status"] == "COMPLETED" and entry["enrolledAt"] == "2026-12-01T08:00:00.000Z"
    assert entry["endedAt"] is not None


def test_l4_explains_a_record_that_did_not_enroll_with_the_failing_filter_and_its_value(rt: Runtime) -> None:
    workflow_id = scored_workflow(rt)
    record = contact(rt, lifecyclestage="lead", score="49.5")
    rt.settle()

    answer = explain(rt, workflow_id, record)
    assert answer["wouldEnroll"] is False
    assert answer["verdict"] == "does not meet the triggers"
    assert answer["triggers"]["met"] is False
    [group] = answer["triggers"]["filterGroups"]
    assert group["met"] is False
    failing = [f for f in group["filters"] if not f["met"]]
    assert failing == [
        {
            "propertyName": "score",
            "operator": "GTE",
            "value": "50",
            "values": None,
            "highValue": None,
            "actual": "49.5",
            "met": False,
        }
    ]
    assert answer["enrollment"] is None and answer["history"] == []

    update(rt, record, lifecyclestage="customer", score="80")  # meets the goal: G-2 keeps it out
    rt.settle()
    answer = explain(rt, workflow_id, record)
    assert "already meets the goal" in answer["reasons"]
    assert answer["goal"]["met"] is True

    other = contact(rt, "o@example.com", lifecyclestage="lead", score="10")
    ok(rt.api("POST", f"/workflows/{workflow_id}/disable"))
    update(rt, other, score="90")
    rt.settle()
    assert explain(rt, workflow_id, other)["verdict"] == "workflow is off"
    ok(rt.api("POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": False}))
    # it started to meet them while the workflow was off: no change will enroll it now (E-1)
    assert explain(rt, workflow_id, other)["verdict"] == (
        "met the triggers before it was turned on; turn on with enrollExisting to enroll it"
    )
    assert explain(rt, workflow_id, other)["wouldEnroll"] is False


def test_l4_explains_a_suppressed_record(rt: Runtime) -> None:
    define_property(rt, "segment")
    lists = [
        {"name": "Partners", "objectType": "contacts", "processingType": "MANUAL"},
        {
            "name": "Competitors",
            "objectType": "contacts",
            "processingType": "DYNAMIC",
            "filterGroups": [
                {"filters": [{"propertyName": "segment", "operator": "IN", "values": ["rival", "press"]}]}
            ],
        },
    ]
    partners, competitors = (
        str(ok(rt.api("POST", "/crm/v3/lists", body), 201)["list"]["listId"]) for body in lists
    )
    workflow_id = scored_workflow(rt, suppressionListIds=[partners, competitors])
    suppressed = contact(rt, lifecyclestage="lead", score="90", segment="Rival")
    rt.settle()

    answer = explain(rt, workflow_id, suppressed)
    assert answer["wouldEnroll"] is False
    assert answer["verdict"] == f"on suppression list {competitors} (Competitors)"
    assert answer["triggers"]["met"] is True
    assert answer["suppressionLists"] == [
        {"listId": partners, "name": "Partners", "processingType": "MANUAL", "member": False},
        {
            "listId": competitors,
            "name": "Competitors",
            "processingType": "DYNAMIC",
            "member": True,
            "filterGroups": [
                {
                    "met": True,
                    "filters": [
                        {
                            "propertyName": "segment",
                            "operator": "IN",
                            "value": None,
                            "values": ["rival", "press"],
                            "highValue": None,
                            "actual": "Rival",
                            "met": True,
                        }
                    ],
                }
            ],
        },
    ]
    assert answer["enrollment"] is None and answer["history"] == []

    # suppressed while enrolled: the history shows the enrollment ending for SUPPRESSED
    enrolled = contact(rt, "e@example.com", lifecyclestage="lead", score="90")
    rt.settle()
    ok(rt.api("PUT", f"/crm/v3/lists/{partners}/memberships/add", [enrolled]))
    answer = explain(rt, workflow_id, enrolled)
    assert answer["verdict"] == f"on suppression list {partners} (Partners)"
    assert answer["reasons"] == [
        f"on suppression list {partners} (Partners)",
        "enrolled before and re-enrollment is off",
    ]
    assert answer["suppressionLists"][0]["member"] is True
    assert [(h["status"], h["reason"]) for h in answer["history"]] == [("UNENROLLED", "SUPPRESSED")]


def test_l4_unknown_workflow_or_record_is_404(rt: Runtime) -> None:
    workflow_id = scored_workflow(rt)
    record = contact(rt)
    assert rt.api("GET", f"/workflows/999/explain/{record}").status == 404
    assert rt.api("GET", f"/workflows/{workflow_id}/explain/999").status == 404
