"""E-6 suppression lists and the ``/crm/v3/lists`` resource, through the real path: the API, the
records stream, the starter queue, the state machine on moto and the action Lambdas."""

from typing import Any

from crmflow_local.runtime import Runtime
from engine_support import (
    contact,
    create_workflow,
    define_property,
    enrollments,
    events,
    ok,
    properties,
    update,
    workflow,
)

SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
WAIT_TWO_DAYS = {"type": "DELAY", "delay": {"days": 2}}
COMPETITORS = {
    "filterGroups": [{"filters": [{"propertyName": "company", "operator": "EQ", "value": "Rival"}]}]
}


def dynamic_list(rt: Runtime, filter_groups: list[dict[str, Any]] | None = None) -> str:
    body = {
        "name": "Competitors",
        "objectType": "contacts",
        "processingType": "DYNAMIC",
        "filterGroups": filter_groups or COMPETITORS["filterGroups"],
    }
    return str(ok(rt.api("POST", "/crm/v3/lists", body), 201)["list"]["listId"])


def manual_list(rt: Runtime, *record_ids: str) -> str:
    body = {
        "name": "Do not contact",
        "objectType": "contacts",
        "processingType": "MANUAL",
        "recordIds": list(record_ids),
    }
    return str(ok(rt.api("POST", "/crm/v3/lists", body), 201)["list"]["listId"])


def test_e6_record_on_dynamic_suppression_list_never_enrolls(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    list_id = dynamic_list(rt)
    workflow_id = create_workflow(rt, workflow(SET_NURTURED, suppressionListIds=[list_id]))
    rival = contact(rt, "r@rival.com", lifecyclestage="lead", company="Rival")
    friend = contact(rt, "f@friend.com", lifecyclestage="lead", company="Friend")
    rt.settle()

    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [friend]
    assert events(rt, workflow_id, rival) == []
    assert "nurtured" not in properties(rt, rival)

    update(rt, rival, lifecyclestage="subscriber")
    update(rt, rival, lifecyclestage="lead")  # starts to meet the triggers again: still suppressed
    rt.settle()
    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [friend]

    answer = rt.api("POST", f"/workflows/{workflow_id}/enrollments", {"recordId": rival})
    assert answer.status == 400 and "suppression list" in answer.json["message"]
    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [friend]

    members = ok(rt.api("GET", f"/crm/v3/lists/{list_id}/memberships"))
    assert members["results"] == [{"recordId": rival, "membershipTimestamp": None}]


def test_e6_record_on_manual_suppression_list_never_enrolls(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    blocked = contact(rt, "b@example.com", lifecyclestage="subscriber")
    list_id = manual_list(rt, blocked)
    workflow_id = create_workflow(rt, workflow(SET_NURTURED, suppressionListIds=[list_id]))
    other = contact(rt, "o@example.com", lifecyclestage="lead")
    update(rt, blocked, lifecyclestage="lead")
    rt.settle()

    assert [e["recordId"] for e in enrollments(rt, workflow_id)] == [other]
    assert events(rt, workflow_id, blocked) == []
    assert "nurtured" not in properties(rt, blocked)

    # E-2: enrolling the existing records skips the suppressed one too
    second = create_workflow(rt, workflow(SET_NURTURED, suppressionListIds=[list_id]), existing=True)
    rt.settle()
    assert [e["recordId"] for e in enrollments(rt, second)] == [other]

    # removed from the list, it may enroll again the next time it starts to meet the triggers
    removed = ok(rt.api("PUT", f"/crm/v3/lists/{list_id}/memberships/remove", [blocked, "999"]))
    assert removed == {"recordIdsRemoved": [blocked], "recordIdsMissing": ["999"]}
    update(rt, blocked, lifecyclestage="subscriber")
    update(rt, blocked, lifecyclestage="lead")
    rt.settle()
    assert sorted(e["recordId"] for e in enrollments(rt, workflow_id)) == sorted([blocked, other])


def test_e6_joining_dynamic_list_while_waiting_in_delay_unenrolls_at_once(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    list_id = dynamic_list(rt)
    workflow_id = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, suppressionListIds=[list_id]))
    record = contact(rt, lifecyclestage="lead", company="Acme")
    other = contact(rt, "o@example.com", lifecyclestage="lead")
    rt.settle()
    assert {e["recordId"]: e["currentActionId"] for e in enrollments(rt, workflow_id, "ACTIVE")} == {
        record: "1",
        other: "1",
    }

    rt.advance("PT1H")
    update(rt, record, company="Rival")  # joins the dynamic list while waiting
    rt.settle()  # no more clock movement: "at once"
    mine = next(e for e in enrollments(rt, workflow_id) if e["recordId"] == record)
    assert mine["status"] == "UNENROLLED"
    assert events(rt, workflow_id, record)[-1] == ("UNENROLLED", None, "SUPPRESSED")
    statuses = {e["name"]: e["status"] for e in rt.executions()}
    assert statuses[f"wf{workflow_id}-r{record}-e1"] == "ABORTED"
    assert statuses[f"wf{workflow_id}-r{other}-e1"] == "RUNNING"

    rt.advance("P3D")
    assert "nurtured" not in properties(rt, record)
    assert properties(rt, other)["nurtured"] == "true"
    assert [e for e in events(rt, workflow_id, record) if e[0] == "ACTION_EXECUTED"] == []


def test_e6_added_to_manual_list_while_enrolled_is_unenrolled(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    list_id = manual_list(rt)
    workflow_id = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, suppressionListIds=[list_id]))
    record = contact(rt, lifecyclestage="lead")
    other = contact(rt, "o@example.com", lifecyclestage="lead")
    rt.settle()

    added = ok(rt.api("PUT", f"/crm/v3/lists/{list_id}/memberships/add", [int(record), "424242"]))
    assert added == {"recordIdsAdded": [record], "recordIdsMissing": ["424242"]}
    mine = next(e for e in enrollments(rt, workflow_id) if e["recordId"] == record)
    assert mine["status"] == "UNENROLLED"  # inline in the request, before any settle
    assert events(rt, workflow_id, record)[-1] == ("UNENROLLED", None, "SUPPRESSED")
    rt.settle()
    assert {e["name"]: e["status"] for e in rt.executions()}[f"wf{workflow_id}-r{record}-e1"] == "ABORTED"

    rt.advance("P3D")
    assert "nurtured" not in properties(rt, record)
    assert properties(rt, other)["nurtured"] == "true"
    members = ok(rt.api("GET", f"/crm/v3/lists/{list_id}/memberships"))["results"]
    assert [m["recordId"] for m in members] == [record]


def test_e6_gate_unenrolls_before_the_next_action_when_a_list_is_added_to_an_active_workflow(
    rt: Runtime,
) -> None:
    define_property(rt, "nurtured")
    list_id = dynamic_list(rt)
    definition = workflow(WAIT_TWO_DAYS, SET_NURTURED)
    workflow_id = create_workflow(rt, definition)
    record = contact(rt, lifecyclestage="lead", company="Rival")
    rt.settle()
    assert [e["status"] for e in enrollments(rt, workflow_id)] == ["ACTIVE"]

    revision = ok(rt.api("GET", f"/workflows/{workflow_id}"))["revision"]
    ok(
        rt.api(
            "PUT",
            f"/workflows/{workflow_id}",
            {**definition, "suppressionListIds": [list_id], "revision": revision},
        )
    )
    rt.advance("P3D")  # no record change: the step gate finds it on the list
    assert "nurtured" not in properties(rt, record)
    assert events(rt, workflow_id, record)[-1] == ("UNENROLLED", None, "SUPPRESSED")


def test_lists_api_validation_answers_400_naming_the_field_and_stores_nothing(rt: Runtime) -> None:
    record = contact(rt)
    bad_bodies = [
        ({"objectType": "contacts", "processingType": "MANUAL"}, "name"),
        ({"name": "x", "processingType": "MANUAL"}, "objectType"),
        ({"name": "x", "objectType": "widgets", "processingType": "MANUAL"}, "widgets"),
        ({"name": "x", "objectType": "contacts", "processingType": "SNAPSHOT"}, "processingType"),
        ({"name": "x", "objectType": "contacts", "processingType": "DYNAMIC"}, "filterGroups"),
        (
            {
                "name": "x",
                "objectType": "contacts",
                "processingType": "DYNAMIC",
                "recordIds": [record],
                **COMPETITORS,
            },
            "recordIds",
        ),
        ({"name": "x", "objectType": "contacts", "processingType": "MANUAL", **COMPETITORS}, "filterGroups"),
        (
            {"name": "x", "objectType": "contacts", "processingType": "MANUAL", "recordIds": [record, "77"]},
            "recordIds",
        ),
        (
            {
                "name": "x",
                "objectType": "contacts",
                "processingType": "DYNAMIC",
                "filterGroups": [{"filters": [{"propertyName": "a", "operator": "EQ"}]}],
            },
            "value",
        ),
    ]
    for body, field in bad_bodies:
        answer = rt.api("POST", "/crm/v3/lists", body)
        assert answer.status == 400, (body, answer.body)
        assert answer.json["category"] == "VALIDATION_ERROR"
        assert field in answer.json["message"], (field, answer.json["message"])
    assert rt.api("GET", "/crm/v3/lists/1").status == 404  # nothing was stored, no id was used

    dynamic = dynamic_list(rt)
    assert dynamic == "1"
    created = ok(rt.api("GET", f"/crm/v3/lists/{dynamic}"))["list"]
    assert created["processingType"] == "DYNAMIC" and created["objectTypeId"] == "0-1"
    answer = rt.api("PUT", f"/crm/v3/lists/{dynamic}/memberships/add", [record])
    assert answer.status == 400 and "processingType" in answer.json["message"]
    assert rt.api("GET", "/crm/v3/lists/99/memberships").status == 404

    # workflows: an unknown list, or a list of another object type, is a 400 naming suppressionListIds
    companies = ok(
        rt.api("POST", "/crm/v3/lists", {"name": "c", "objectTypeId": "0-2", "processingType": "MANUAL"}), 201
    )["list"]["listId"]
    for list_ids in (["42"], [companies]):
        answer = rt.api("POST", "/workflows", workflow(SET_NURTURED, suppressionListIds=list_ids))
        assert answer.status == 400 and "suppressionListIds[0]" in answer.json["message"], answer.body
    assert ok(rt.api("GET", "/workflows"))["results"] == []

    # a list in use cannot be deleted; an unused one can
    create_workflow(rt, workflow(suppressionListIds=[dynamic]), enable=False)
    assert rt.api("DELETE", f"/crm/v3/lists/{dynamic}").status == 409
    ok(rt.api("DELETE", f"/crm/v3/lists/{companies}"), 204)
    assert rt.api("GET", f"/crm/v3/lists/{companies}").status == 404


def test_list_memberships_page_in_record_id_order(rt: Runtime) -> None:
    rivals = [contact(rt, f"r{i}@rival.com", company="Rival") for i in range(5)]
    contact(rt, "f@friend.com", company="Friend")
    list_id = dynamic_list(rt)
    manual = manual_list(rt, *reversed(rivals))
    for listed in (list_id, manual):
        seen: list[str] = []
        after = None
        while True:
            query = {"limit": "2"} | ({"after": after} if after else {})
            page = ok(rt.api("GET", f"/crm/v3/lists/{listed}/memberships", query=query))
            seen += [m["recordId"] for m in page["results"]]
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                break
        assert seen == rivals
