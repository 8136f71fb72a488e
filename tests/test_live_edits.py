"""W-10 to W-13: editing an active workflow applies at once to the records inside it."""

from typing import Any

import pytest
from crmflow_local.runtime import Runtime

from tests.engine_support import (
    contact,
    create_workflow,
    define_property,
    enrollments,
    executed_at,
    log,
    ok,
    properties,
    workflow,
)


def _edit(rt: Runtime, workflow_id: str, change) -> dict[str, Any]:
    current = ok(rt.api("GET", f"/workflows/{workflow_id}"))
    body = {
        key: value for key, value in current.items() if key not in ("id", "enabled", "createdAt", "updatedAt")
    }
    change(body)
    return ok(rt.api("PUT", f"/workflows/{workflow_id}", body))


def _delay_then_tag(rt: Runtime, hours: int) -> str:
    define_property(rt, "tag")
    return create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"hours": hours}},
            {"type": "SET_PROPERTY", "property": "tag", "value": "done"},
            timeZone="UTC",
        ),
    )


def _set_delay(hours: int):
    def change(body: dict[str, Any]) -> None:
        body["actions"][0]["delay"] = {"days": 0, "hours": hours, "minutes": 0}

    return change


def test_w13_lengthened_delay_counts_the_time_already_waited(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 1)
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT30M")
    _edit(rt, workflow_id, _set_delay(2))  # 1 h -> 2 h after 30 min: 1 h 30 min left
    rt.settle()
    [enrollment] = enrollments(rt, workflow_id)
    assert enrollment["waitingUntil"] == "2026-12-01T10:00:00.000Z"
    rt.advance("PT1H29M")
    assert properties(rt, record).get("tag") is None
    rt.advance("PT1M")
    assert properties(rt, record)["tag"] == "done"
    assert executed_at(rt, workflow_id, "2") == ["2026-12-01T10:00:00.000Z"]


def test_w13_shortened_delay_leaves_the_rest_of_the_new_length(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 2)
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT30M")
    _edit(rt, workflow_id, _set_delay(1))  # 2 h -> 1 h after 30 min: 30 min left
    rt.advance("PT29M")
    assert properties(rt, record).get("tag") is None
    rt.advance("PT1M")
    assert executed_at(rt, workflow_id, "2") == ["2026-12-01T09:00:00.000Z"]


def test_w13_shortened_delay_after_longer_wait_ends_at_once(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 2)
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT1H30M")
    _edit(rt, workflow_id, _set_delay(1))  # already waited 1 h 30 min > 1 h: ends now
    rt.settle()
    assert properties(rt, record)["tag"] == "done"
    assert executed_at(rt, workflow_id, "2") == ["2026-12-01T09:30:00.000Z"]
    entries = [e["event"] for e in log(rt, workflow_id, record)]
    assert entries.count("DELAY_ENDED") == 1 and entries.count("ACTION_EXECUTED") == 1


def test_w12_deleted_delay_releases_waiting_records_at_once(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 48)
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT3H")

    def drop_delay(body: dict[str, Any]) -> None:
        body["actions"] = body["actions"][1:]
        body["startActionId"] = "2"

    _edit(rt, workflow_id, drop_delay)
    rt.settle()
    assert properties(rt, record)["tag"] == "done"
    assert executed_at(rt, workflow_id, "2") == ["2026-12-01T11:00:00.000Z"]
    statuses = sorted(e["status"] for e in rt.executions())
    assert statuses == ["ABORTED", "SUCCEEDED"]


def test_w10_added_action_runs_for_records_that_have_not_reached_it_only(rt: Runtime):
    define_property(rt, "tag")
    define_property(rt, "extra")
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "SET_PROPERTY", "property": "tag", "value": "first"},
            {"type": "DELAY", "delay": {"hours": 2}},
            {"type": "SET_PROPERTY", "property": "tag", "value": "done"},
            timeZone="UTC",
        ),
    )
    early = contact(rt, "early@example.com", lifecyclestage="lead")
    rt.advance("PT1H")

    def insert_after_first_and_delay(body: dict[str, Any]) -> None:
        body["actions"][0]["next"] = "10"
        body["actions"][1]["next"] = "11"
        body["actions"].append(
            {"id": "10", "type": "SET_PROPERTY", "property": "extra", "value": "before-delay", "next": "2"}
        )
        body["actions"].append(
            {"id": "11", "type": "SET_PROPERTY", "property": "extra", "value": "after", "next": "3"}
        )

    _edit(rt, workflow_id, insert_after_first_and_delay)
    rt.advance("PT2H")
    # The early record was already past action 10 (waiting in the delay) but not past 11.
    assert properties(rt, early)["extra"] == "after"
    assert executed_at(rt, workflow_id, "10", early) == []
    late = contact(rt, "late@example.com", lifecyclestage="lead")
    rt.advance("PT3H")
    assert executed_at(rt, workflow_id, "10", late) and executed_at(rt, workflow_id, "11", late)
    assert properties(rt, late)["tag"] == "done"


def test_w11_removed_action_is_skipped_with_an_error_and_the_record_goes_on(rt: Runtime):
    define_property(rt, "tag")
    define_property(rt, "extra")
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"hours": 1}},
            {"type": "SET_PROPERTY", "property": "extra", "value": "removed", "next": "3"},
            {"type": "SET_PROPERTY", "property": "tag", "value": "done"},
            timeZone="UTC",
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT10M")

    def remove_second(body: dict[str, Any]) -> None:
        body["actions"] = [body["actions"][0], body["actions"][2]]
        body["actions"][0]["next"] = "3"

    _edit(rt, workflow_id, remove_second)
    rt.advance("PT1H")
    assert properties(rt, record).get("extra") is None
    assert properties(rt, record)["tag"] == "done"
    errors = [e for e in log(rt, workflow_id, record) if e["event"] == "ERROR"]
    assert [(e["actionId"], e["reason"]) for e in errors] == [("2", "ACTION_REMOVED")]


@pytest.mark.slow
def test_edit_while_500_records_wait_in_one_delay_reschedules_every_one(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 4)
    for first in range(0, 500, 100):
        inputs = [
            {"properties": {"email": f"w{n}@example.com", "lifecyclestage": "lead"}}
            for n in range(first, first + 100)
        ]
        ok(rt.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs}), 201)
    rt.advance("PT1H")
    assert ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))["waiting"] == {"1": 500}
    edited = _edit(rt, workflow_id, _set_delay(2))  # 4 h -> 2 h after 1 h: 1 h left for everyone
    assert edited["revision"] == 2
    rt.settle()
    waiting = {e["waitingUntil"] for e in enrollments(rt, workflow_id)}
    assert waiting == {"2026-12-01T10:00:00.000Z"}
    rt.advance("PT1H")
    stats = ok(rt.api("GET", f"/workflows/{workflow_id}/stats"))
    assert stats["completed"] == 500 and stats["active"] == 0
    tagged = rt.api(
        "POST",
        "/crm/v3/objects/contacts/search",
        {"filterGroups": [{"filters": [{"propertyName": "tag", "operator": "EQ", "value": "done"}]}]},
    ).json
    assert tagged["total"] == 500


def test_revisions_are_kept_and_the_log_names_the_revision_each_action_ran_under(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 1)
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    _edit(rt, workflow_id, _set_delay(2))
    rt.advance("PT3H")
    revisions = ok(rt.api("GET", f"/workflows/{workflow_id}/revisions"))["results"]
    assert [r["revision"] for r in revisions] == [1, 2]
    first = ok(rt.api("GET", f"/workflows/{workflow_id}/revisions/1"))
    assert first["actions"][0]["delay"]["hours"] == 1
    assert ok(rt.api("GET", f"/workflows/{workflow_id}/revisions/2"))["actions"][0]["delay"]["hours"] == 2
    assert rt.api("GET", f"/workflows/{workflow_id}/revisions/9").status == 404
    ran = {e["event"]: e["revision"] for e in log(rt, workflow_id, record)}
    assert ran["DELAY_STARTED"] == 1 and ran["ACTION_EXECUTED"] == 2


def test_a_stale_revision_is_409_and_changes_nothing(rt: Runtime):
    workflow_id = _delay_then_tag(rt, 1)
    current = ok(rt.api("GET", f"/workflows/{workflow_id}"))
    body = {
        key: value for key, value in current.items() if key not in ("id", "enabled", "createdAt", "updatedAt")
    }
    body["revision"] = 7
    body["name"] = "Renamed"
    answer = rt.api("PUT", f"/workflows/{workflow_id}", body)
    assert answer.status == 409 and "revision" in answer.json["message"]
    assert ok(rt.api("GET", f"/workflows/{workflow_id}"))["name"] == "Test workflow"
