"""The trigger index (issue 11), through the real path: workflows made through the API, record
changes through the API, the records stream delivered by the embedded runtime.

DynamoDB calls are counted by wrapping the data operations of the shared client
(``crmflow.aws.client("dynamodb")``, which every handler uses), each call attributed to the Lambda
running at the time, so the figures hold on either local path (boto3 or the direct one).
"""

import contextlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from crmflow import aws
from crmflow.workflows import store as workflow_store
from crmflow_local import fast_path
from crmflow_local.runtime import Runtime
from engine_support import (
    LEAD,
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

STREAM = "RecordsStreamFunction"
SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
WAIT_TWO_DAYS = {"type": "DELAY", "delay": {"days": 2}}
DATA_OPERATIONS = tuple(sorted(fast_path.DIRECT_OPERATIONS))  # every DynamoDB data call


class Call(NamedTuple):
    function: str  # the Lambda that made it
    operation: str
    table: str
    key: Any  # the Key, or the Item's key attributes


@contextlib.contextmanager
def dynamodb_calls(rt: Runtime) -> Iterator[list[Call]]:
    """Every DynamoDB data call the handlers make inside the block."""
    client = aws.client("dynamodb")
    calls: list[Call] = []

    def counted(operation: str) -> Any:
        original = getattr(client, operation)

        def call(*args: Any, **kwargs: Any) -> Any:
            running = rt.invocations[-1].function if rt.invocations else ""
            item = kwargs.get("Item") or {}
            key = kwargs.get("Key") or {name: item[name] for name in ("pk", "sk") if name in item}
            calls.append(Call(running, operation, kwargs.get("TableName", ""), key or None))
            return original(*args, **kwargs)

        return call

    for operation in DATA_OPERATIONS:
        setattr(client, operation, counted(operation))
    try:
        yield calls
    finally:
        for operation in DATA_OPERATIONS:
            vars(client).pop(operation, None)


def stream_calls(calls: list[Call]) -> list[tuple[str, str]]:
    """The records stream handler's calls as (operation, table)."""
    return [(c.operation, c.table) for c in calls if c.function == STREAM]


def on(name: str, value: str, operator: str = "EQ") -> dict[str, Any]:
    """Enrollment triggers with one filter."""
    condition = {"propertyName": name, "operator": operator} | ({"value": value} if value else {})
    return {"filterGroups": [{"filters": [condition]}]}


def enrolled(rt: Runtime, workflow_id: str) -> list[str]:
    return sorted(e["recordId"] for e in enrollments(rt, workflow_id))


@pytest.fixture
def tables(rt: Runtime) -> dict[str, str]:
    define_property(rt, "nurtured")
    define_property(rt, "plan")
    return {"config": rt.env("CONFIG_TABLE"), "enrollments": rt.env("ENROLLMENTS_TABLE")}


def test_a_change_evaluates_only_the_workflows_that_read_a_changed_property(
    rt: Runtime, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = create_workflow(rt, workflow(SET_NURTURED))  # lifecyclestage = lead
    by_title = [
        create_workflow(rt, workflow(SET_NURTURED, enrollment=on("jobtitle", f"title{n}"))) for n in range(8)
    ]
    record = contact(rt, lifecyclestage="subscriber")
    rt.settle()
    assert enrolled(rt, leads) == []

    update(rt, record, lifecyclestage="lead")  # a property the first workflow reads: enrolls
    rt.settle()
    assert enrolled(rt, leads) == [record]
    update(rt, record, jobtitle="title3")  # read by every title workflow; only one is met
    rt.settle()
    assert [enrolled(rt, w) for w in by_title] == [[record] if n == 3 else [] for n in range(8)]

    # The record meets the triggers of two workflows. A change to a property no workflow reads
    # evaluates none of them: the handler's only call is the workflows version, no enrollment is read.
    with dynamodb_calls(rt) as calls:
        update(rt, record, firstname="Ann")
        rt.settle()
    assert stream_calls(calls) == [("get_item", tables["config"])]
    assert [c.key for c in calls if c.function == STREAM] == [workflow_store.VERSION_KEY]

    # The same change with the index switched off reads every workflow and the enrollment of each
    # workflow the record meets (the triggers are still checked before the enrollment is read).
    monkeypatch.setenv("CRMFLOW_TRIGGER_INDEX", "off")
    with dynamodb_calls(rt) as calls:
        update(rt, record, firstname="Bob")
        rt.settle()
    assert sorted(stream_calls(calls)) == [
        ("get_item", tables["enrollments"]),
        ("get_item", tables["enrollments"]),
        ("query", tables["config"]),
    ]
    monkeypatch.delenv("CRMFLOW_TRIGGER_INDEX")

    # A change that concerns eight workflows touches the enrollments of the one whose triggers it meets
    with dynamodb_calls(rt) as calls:
        update(rt, record, jobtitle="title5")
        rt.settle()
    touched = {c.key["pk"]["S"] for c in calls if c.function == STREAM and c.table == tables["enrollments"]}
    assert touched == {f"WF#{by_title[5]}"}
    assert [enrolled(rt, w) for w in by_title] == [[record] if n in (3, 5) else [] for n in range(8)]


def test_saving_enabling_disabling_and_deleting_are_seen_by_the_very_next_change(
    rt: Runtime, tables: dict[str, str]
) -> None:
    definition = workflow(SET_NURTURED, enrollment=on("jobtitle", "ceo"))
    workflow_id = create_workflow(rt, definition, enable=False)
    first = contact(rt, "a@example.com")
    rt.settle()  # the index is built, with the workflow off
    version = workflow_store.version()

    update(rt, first, jobtitle="ceo")
    rt.settle()
    assert enrolled(rt, workflow_id) == []  # off: enrolls no one

    ok(rt.api("POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": False}))
    assert workflow_store.version() == version + 1
    second = contact(rt, "b@example.com")
    with dynamodb_calls(rt) as calls:
        update(rt, second, jobtitle="ceo")
        rt.settle()
    assert enrolled(rt, workflow_id) == [second]
    assert ("query", tables["config"]) in stream_calls(calls)  # rebuilt once at the new version
    with dynamodb_calls(rt) as calls:
        update(rt, second, firstname="Ann")
        rt.settle()
    assert stream_calls(calls) == [("get_item", tables["config"])]  # and not again

    current = ok(rt.api("GET", f"/workflows/{workflow_id}"))
    saved = {**definition, "enrollment": on("city", "Oslo"), "revision": current["revision"]}
    ok(rt.api("PUT", f"/workflows/{workflow_id}", saved))  # triggers on another property now
    third = contact(rt, "c@example.com")
    update(rt, third, jobtitle="ceo")
    rt.settle()
    assert enrolled(rt, workflow_id) == [second]
    update(rt, third, city="Oslo")
    rt.settle()
    assert enrolled(rt, workflow_id) == sorted([second, third])

    ok(rt.api("POST", f"/workflows/{workflow_id}/disable"))
    fourth = contact(rt, "d@example.com")
    update(rt, fourth, city="Oslo")
    rt.settle()
    assert enrolled(rt, workflow_id) == sorted([second, third])

    set_plan = {"type": "SET_PROPERTY", "property": "plan", "value": "bergen"}
    reenrolling = {**on("city", "Bergen"), "reEnrollment": {"enabled": True, "properties": ["city"]}}
    created = create_workflow(rt, workflow(set_plan, enrollment=reenrolling))
    update(rt, fourth, city="Bergen")
    rt.settle()
    assert enrolled(rt, created) == [fourth]
    assert properties(rt, fourth)["plan"] == "bergen"

    ok(rt.api("DELETE", f"/workflows/{created}"), 204)
    assert workflow_store.version() == version + 6  # enable, save, disable, create, enable, delete
    with dynamodb_calls(rt) as calls:
        update(rt, fourth, plan="none", city="Oslo")
        update(rt, fourth, city="Bergen")  # would re-enroll, were the workflow still there
        rt.settle()
    assert properties(rt, fourth)["plan"] == "none"
    assert ("get_item", tables["enrollments"]) not in stream_calls(calls)  # not even evaluated


def test_re_enrollment_properties_outside_the_triggers_still_re_enroll(
    rt: Runtime, tables: dict[str, str]
) -> None:
    enrollment = {**LEAD, "reEnrollment": {"enabled": True, "properties": ["plan"]}}
    workflow_id = create_workflow(rt, workflow(SET_NURTURED, enrollment=enrollment))
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    update(rt, record, firstname="Ann")  # read by nothing
    rt.settle()
    update(rt, record, plan="pro")  # a re-enrollment property, not a trigger
    rt.settle()
    update(rt, record, firstname="Bob")
    rt.settle()
    assert [e[0] for e in events(rt, workflow_id, record)].count("ENROLLED") == 2


def test_a_new_record_is_evaluated_by_every_workflow_it_could_meet(
    rt: Runtime, tables: dict[str, str]
) -> None:
    without_title = create_workflow(
        rt, workflow(SET_NURTURED, enrollment=on("jobtitle", "", "NOT_HAS_PROPERTY"))
    )
    not_ceo = create_workflow(rt, workflow(SET_NURTURED, enrollment=on("jobtitle", "ceo", "NEQ")))
    ceo = create_workflow(rt, workflow(SET_NURTURED, enrollment=on("jobtitle", "ceo")))
    plain = contact(rt, "p@example.com")
    chief = contact(rt, "c@example.com", jobtitle="CEO")
    rt.settle()
    assert enrolled(rt, without_title) == [plain]
    assert enrolled(rt, not_ceo) == [plain]
    assert enrolled(rt, ceo) == [chief]


def test_goals_criteria_and_suppression_lists_react_to_their_own_properties(
    rt: Runtime, tables: dict[str, str]
) -> None:
    paid = {"filterGroups": [{"filters": [{"propertyName": "plan", "operator": "EQ", "value": "paid"}]}]}
    rivals = {
        "name": "Competitors",
        "objectType": "contacts",
        "processingType": "DYNAMIC",
        "filterGroups": [{"filters": [{"propertyName": "company", "operator": "EQ", "value": "Rival"}]}],
    }
    list_id = str(ok(rt.api("POST", "/crm/v3/lists", rivals), 201)["list"]["listId"])
    with_goal = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, goal=paid))
    criteria = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, unenrollWhenCriteriaNotMet=True))
    suppressed = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, suppressionListIds=[list_id]))
    goal_off = create_workflow(rt, workflow(WAIT_TWO_DAYS, SET_NURTURED, goal=paid))
    records = [contact(rt, f"r{n}@example.com", lifecyclestage="lead") for n in range(3)]
    rt.settle()
    ok(rt.api("POST", f"/workflows/{goal_off}/disable"))  # an off workflow still holds its records (W-1)
    for record in records:
        update(rt, record, firstname="Ann")  # concerns none of them
    rt.settle()
    for workflow_id in (with_goal, criteria, suppressed, goal_off):
        assert {e["status"] for e in enrollments(rt, workflow_id)} == {"ACTIVE"}

    with dynamodb_calls(rt) as calls:
        update(rt, records[0], plan="free")  # read by both goals, met by neither
        update(rt, records[2], company="Friend")  # read by the dynamic list, not on it
        rt.settle()
    assert set(stream_calls(calls)) == {("get_item", tables["config"])}  # no enrollment queried

    update(rt, records[0], plan="paid")  # goal property only: G-1 at once, in both goal workflows
    update(rt, records[1], lifecyclestage="customer")  # a trigger property: criteria no longer met
    update(rt, records[2], company="Rival")  # read by the dynamic suppression list only
    rt.settle()  # no clock movement: "at once"
    assert events(rt, with_goal, records[0])[-1] == ("UNENROLLED", None, "GOAL")
    assert events(rt, goal_off, records[0])[-1] == ("UNENROLLED", None, "GOAL")
    assert events(rt, criteria, records[1])[-1] == ("UNENROLLED", None, "CRITERIA")
    assert events(rt, suppressed, records[2])[-1] == ("UNENROLLED", None, "SUPPRESSED")
    assert [e["status"] for e in enrollments(rt, criteria) if e["recordId"] != records[1]] == ["ACTIVE"] * 2


def test_a_start_lost_after_enrolling_is_sent_again_by_the_retried_delivery(
    rt: Runtime, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unrelated later change no longer re-sends a lost start: the delivery that enrolled does."""
    from crmflow.engine import enroll as enrolling

    real_send = enrolling._send_start
    lost: list[str] = []

    def send_start(enrollment: Any) -> None:
        if enrollment.recordId not in lost:  # the first start of each record is lost
            lost.append(enrollment.recordId)
            raise RuntimeError("SQS unavailable")
        real_send(enrollment)

    monkeypatch.setattr(enrolling, "_send_start", send_start)
    by_stream = create_workflow(rt, workflow(SET_NURTURED))
    record = contact(rt, "s@example.com", lifecyclestage="lead")
    rt.settle()  # the stream batch fails after the enrollment was written, and is delivered again
    assert [e["status"] for e in enrollments(rt, by_stream)] == ["COMPLETED"]
    assert properties(rt, record)["nurtured"] == "true"

    existing = create_workflow(rt, workflow(SET_NURTURED, enrollment=on("city", "Oslo")), enable=False)
    oslo = contact(rt, "o@example.com", city="Oslo")
    rt.settle()
    ok(rt.api("POST", f"/workflows/{existing}/enable", {"enrollExisting": True}))
    rt.settle()  # the enroll-existing page fails the same way, and is delivered again
    assert [e["status"] for e in enrollments(rt, existing)] == ["COMPLETED"]
    assert lost == [record, oslo]
