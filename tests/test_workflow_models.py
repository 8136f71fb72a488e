"""Workflow definitions (SPEC section 3 and the JSON of section 8)."""

import copy
import json
from datetime import date

import pytest
from crmflow.records.models import OBJECT_TYPES
from crmflow.workflows.models import (
    ACTION_TYPES,
    DelayUntilAction,
    IfThenAction,
    ObjectType,
    SendEmailAction,
    WebhookAction,
    Weekday,
    Workflow,
    WorkflowDefinition,
    action_by_id,
    check_email_states,
    check_whole_number_triggers,
    goal_properties,
    has_goal,
    successors,
    trigger_properties,
)
from pydantic import ValidationError

SPEC_EXAMPLE = {
    "name": "Trial nurture",
    "objectType": "contacts",
    "timeZone": "Europe/Oslo",
    "enrollment": {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
        ],
        "event": None,
        "reEnrollment": {"enabled": False, "properties": []},
    },
    "suppressionListIds": [],
    "unenrollWhenCriteriaNotMet": False,
    "goal": {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
        ]
    },
    "pauseDates": ["2026-12-24", "2026-12-25"],
    "timeWindows": [{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
    "startActionId": "1",
    "actions": [
        {"id": "1", "type": "DELAY", "delay": {"days": 2, "hours": 0, "minutes": 0}, "next": "2"},
        {"id": "2", "type": "SEND_EMAIL", "emailId": "123", "next": "3"},
        {"id": "3", "type": "IF_THEN", "branches": [{"filterGroups": [], "next": "4"}], "defaultNext": None},
        {"id": "4", "type": "SET_PROPERTY", "property": "nurtured", "value": "true", "next": None},
    ],
}


def spec(**changes) -> dict:
    body = copy.deepcopy(SPEC_EXAMPLE)
    body.update(changes)
    return body


def error_of(body: dict) -> str:
    with pytest.raises(ValidationError) as err:
        WorkflowDefinition.model_validate(body)
    return str(err.value)


def chain(*actions: dict, start: str = "1") -> dict:
    return spec(startActionId=start, actions=list(actions))


def sp(id_: str, next_: str | None) -> dict:
    return {"id": id_, "type": "SET_PROPERTY", "property": "p", "value": "v", "next": next_}


# --- the SPEC example -----------------------------------------------------------------------------


def test_spec_example_parses_and_round_trips():
    defn = WorkflowDefinition.model_validate(SPEC_EXAMPLE)
    assert defn.pauseDates == [date(2026, 12, 24), date(2026, 12, 25)]
    assert defn.timeWindows[0].days[0] is Weekday.MON
    assert isinstance(defn.actions[2], IfThenAction)
    dumped = defn.model_dump(mode="json")
    assert dumped["pauseDates"] == ["2026-12-24", "2026-12-25"]
    assert WorkflowDefinition.model_validate(dumped) == defn
    assert dumped["actions"][0] == SPEC_EXAMPLE["actions"][0]


def test_json_schema_is_published():
    schema = WorkflowDefinition.model_json_schema()
    json.dumps(schema)
    assert set(schema["properties"]) >= {"name", "objectType", "timeZone", "actions", "startActionId"}
    action_schema = schema["properties"]["actions"]["items"]
    assert set(action_schema["discriminator"]["mapping"]) == set(ACTION_TYPES)
    json.dumps(Workflow.model_json_schema())


def test_object_types_are_the_crm_object_types():
    assert set(ObjectType.__args__) == set(OBJECT_TYPES)
    assert WorkflowDefinition.model_validate(spec(objectType="contact")).objectType == "contacts"
    assert WorkflowDefinition.model_validate(spec(objectType="0-3")).objectType == "deals"
    assert "objectType" in error_of(spec(objectType="widgets"))


def test_minimal_definition_defaults():
    defn = WorkflowDefinition.model_validate({"name": "x", "objectType": "deals"})
    assert defn.timeZone == "UTC"
    assert defn.actions == [] and defn.startActionId is None
    assert defn.enrollment.reEnrollment.enabled is False
    assert defn.goal is None and not has_goal(defn)


def test_unknown_fields_are_ignored():
    defn = WorkflowDefinition.model_validate(spec(id="w1", revision=3, enrollExisting=True))
    assert "revision" not in defn.model_dump()


def test_numeric_ids_are_accepted_as_strings():
    body = chain(
        {"id": 1, "type": "SET_PROPERTY", "property": "p", "value": 5, "next": 2}, sp("2", None), start=1
    )
    defn = WorkflowDefinition.model_validate(body)
    assert defn.startActionId == "1" and defn.actions[0].next == "2" and defn.actions[0].value == "5"


# --- fields ---------------------------------------------------------------------------------------


def test_unknown_time_zone():
    assert "timeZone: unknown time zone 'Mars/Olympus'" in error_of(spec(timeZone="Mars/Olympus"))


@pytest.mark.parametrize(
    ("window", "needle"),
    [
        ({"days": ["MON"], "start": "17:00", "end": "09:00"}, "end: must be after start"),
        ({"days": ["MON"], "start": "09:00", "end": "09:00"}, "end: must be after start"),
        ({"days": ["MON"], "start": "9:00", "end": "17:00"}, "start"),
        ({"days": ["MON"], "start": "09:00", "end": "25:00"}, "end"),
        ({"days": [], "start": "09:00", "end": "17:00"}, "days"),
        ({"days": ["MONDAY"], "start": "09:00", "end": "17:00"}, "days"),
    ],
)
def test_invalid_time_windows(window, needle):
    message = error_of(spec(timeWindows=[window]))
    assert "timeWindows.0" in message and needle in message


def test_window_until_midnight():
    defn = WorkflowDefinition.model_validate(
        spec(timeWindows=[{"days": ["SAT"], "start": "20:00", "end": "24:00"}])
    )
    assert defn.timeWindows[0].end_minutes == 1440


def test_event_triggers_are_discriminated_on_type():
    for event in (
        {"type": "GOAL_ACHIEVED", "workflowId": "w9"},
        {"type": "FORM_SUBMITTED", "formId": "f1"},
        {"type": "EMAIL_REPLIED"},
    ):
        body = spec()
        body["enrollment"]["event"] = event
        assert WorkflowDefinition.model_validate(body).enrollment.event.type == event["type"]
    body = spec()
    body["enrollment"]["event"] = {"type": "GOAL_ACHIEVED"}
    assert "workflowId" in error_of(body)
    body["enrollment"]["event"] = {"type": "PAGE_VIEWED"}
    assert "PAGE_VIEWED" in error_of(body)


def test_pause_dates_must_be_dates():
    assert "pauseDates" in error_of(spec(pauseDates=["24.12.2026"]))


@pytest.mark.parametrize(
    "action",
    [
        {"type": "DELAY", "delay": {"days": 0, "hours": 1, "minutes": 30}},
        {"type": "DELAY_UNTIL", "untilProperty": "renewal_date"},
        {"type": "DELAY_UNTIL", "untilProperty": "renewal_date", "time": "09:00"},
        {"type": "DELAY_UNTIL", "weekdays": ["MON", "WED"], "time": "09:30"},
        {"type": "SET_PROPERTY", "property": "p", "value": "v"},
        {"type": "CLEAR_PROPERTY", "property": "p"},
        {"type": "CREATE_RECORD", "objectType": "deals", "properties": {"amount": 100}, "associate": True},
        {"type": "CREATE_TASK", "properties": {"hs_task_subject": "Call"}},
        {"type": "SEND_EMAIL", "emailId": 123},
        {"type": "ROTATE_OWNER", "ownerIds": ["u1", "u2"]},
        {
            "type": "WEBHOOK",
            "url": "https://example.com/hook",
            "method": "post",
            "responseMapping": {"a.b": "p"},
        },
        {"type": "ENROLL_IN_WORKFLOW", "workflowId": "w2"},
    ],
)
def test_every_action_type_parses(action):
    defn = WorkflowDefinition.model_validate(chain({"id": "1", "next": None, **action}))
    assert defn.actions[0].type == action["type"]


def test_action_defaults():
    defn = WorkflowDefinition.model_validate(
        chain(
            {"id": "1", "type": "WEBHOOK", "url": "http://127.0.0.1:9/x", "next": "2"},
            {"id": "2", "type": "CREATE_RECORD", "objectType": "task", "properties": {"n": 1}},
        )
    )
    hook, create = defn.actions
    assert isinstance(hook, WebhookAction)
    assert (hook.method, hook.timeoutSeconds, hook.responseMapping) == ("POST", 10, {})
    assert create.objectType == "tasks" and create.associate is True and create.properties == {"n": "1"}
    assert create.next is None


@pytest.mark.parametrize(
    ("action", "needle"),
    [
        ({"type": "DELAY", "delay": {"days": -1}}, "delay.days"),
        ({"type": "DELAY_UNTIL"}, "untilProperty: required"),
        ({"type": "DELAY_UNTIL", "weekdays": ["MON"]}, "time: required"),
        ({"type": "DELAY_UNTIL", "weekdays": ["MON"], "time": "9am"}, "time"),
        ({"type": "DELAY_UNTIL", "untilProperty": "d", "weekdays": ["MON"], "time": "09:00"}, "not both"),
        ({"type": "SET_PROPERTY", "property": "p"}, "value"),
        ({"type": "ROTATE_OWNER", "ownerIds": []}, "ownerIds"),
        ({"type": "WEBHOOK", "url": "ftp://x"}, "url"),
        ({"type": "WEBHOOK", "url": "https://x", "method": "HEAD"}, "method"),
        ({"type": "WEBHOOK", "url": "https://x", "timeoutSeconds": 0}, "timeoutSeconds"),
        ({"type": "IF_THEN", "branches": []}, "branches"),
        ({"type": "TELEPORT"}, "TELEPORT"),
        ({"type": "CREATE_RECORD", "objectType": "widgets"}, "objectType"),
    ],
)
def test_invalid_actions(action, needle):
    assert needle in error_of(chain({"id": "1", **action}))


# --- graph ----------------------------------------------------------------------------------------


def test_duplicate_ids():
    assert "actions[1].id: duplicate action id '1'" in error_of(chain(sp("1", None), sp("1", None)))


def test_start_must_exist():
    assert "startActionId: unknown action id '7'" in error_of(chain(sp("1", None), start="7"))
    assert "startActionId: required" in error_of(spec(startActionId=None))
    WorkflowDefinition.model_validate(spec(startActionId=None, actions=[]))


def test_unknown_next_is_named_with_its_field():
    body = chain(sp("1", "2"), sp("2", "3"), sp("3", "9"))
    assert "actions[2].next: unknown action id '9'" in error_of(body)
    branch = {
        "id": "1",
        "type": "IF_THEN",
        "branches": [{"filterGroups": [], "next": "x"}],
        "defaultNext": "y",
    }
    message = error_of(chain(branch))
    assert "actions[0].branches[0].next: unknown action id 'x'" in message
    assert "actions[0].defaultNext: unknown action id 'y'" in message


def test_cycles_name_their_ids():
    message = error_of(chain(sp("1", "2"), sp("2", "3"), sp("3", "2")))
    assert "cycle" in message and "'2' -> '3' -> '2'" in message
    assert "cannot lead to itself" in error_of(chain(sp("1", "1")))
    branch = {"id": "2", "type": "IF_THEN", "branches": [{"next": "3"}], "defaultNext": "1"}
    assert "'1' -> '2' -> '1'" in error_of(chain(sp("1", "2"), branch, sp("3", None)))


def test_unreachable_actions_are_listed():
    message = error_of(chain(sp("1", None), sp("2", "3"), sp("3", None)))
    assert "not reachable from startActionId: '2', '3'" in message


def test_branches_can_join_again():
    branch = {
        "id": "1",
        "type": "IF_THEN",
        "branches": [
            {
                "filterGroups": [{"filters": [{"propertyName": "a", "operator": "EQ", "value": "1"}]}],
                "next": "2",
            }
        ],
        "defaultNext": "3",
    }
    defn = WorkflowDefinition.model_validate(chain(branch, sp("2", "4"), sp("3", "4"), sp("4", None)))
    assert successors(defn.actions[0]) == ["2", "3"]
    assert successors(defn.actions[3]) == []
    assert action_by_id(defn, "3").id == "3"
    assert action_by_id(defn, "nope") is None and action_by_id(defn, None) is None
    assert defn.action("4") is defn.actions[3]


def _filters(n: int) -> list[dict]:
    return [{"propertyName": f"p{i}", "operator": "HAS_PROPERTY"} for i in range(n)]


def test_e4_at_most_250_trigger_filters():
    body = spec()
    body["enrollment"]["filterGroups"] = [{"filters": _filters(125)}, {"filters": _filters(125)}]
    WorkflowDefinition.model_validate(body)
    body["enrollment"]["filterGroups"].append({"filters": _filters(1)})
    message = error_of(body)
    assert "250" in message and "enrollment.filterGroups" in message and "251" in message


def test_filter_errors_inside_a_definition_name_their_place():
    body = spec()
    body["enrollment"]["filterGroups"] = [
        {"filters": [{"propertyName": "x", "operator": "BETWEEN", "value": 1}]}
    ]
    message = error_of(body)
    assert "enrollment.filterGroups.0.filters.0" in message and "highValue" in message


# --- stored variant -------------------------------------------------------------------------------


def test_stored_workflow_adds_id_revision_enabled_and_timestamps():
    wf = Workflow.model_validate(
        {
            **SPEC_EXAMPLE,
            "id": "w1",
            "revision": 2,
            "createdAt": "2026-12-01T08:00:00Z",
            "updatedAt": "2026-12-01T09:00:00+01:00",
        }
    )
    assert wf.enabled is False
    dumped = wf.model_dump(mode="json")
    assert dumped["createdAt"] == "2026-12-01T08:00:00.000Z"
    assert dumped["updatedAt"] == "2026-12-01T08:00:00.000Z"
    assert wf.model_dump()["createdAt"] == "2026-12-01T08:00:00.000Z"  # storable as is
    assert Workflow.model_validate(dumped) == wf
    assert wf.definition() == WorkflowDefinition.model_validate(SPEC_EXAMPLE)
    with pytest.raises(ValidationError):
        Workflow.model_validate(
            {**SPEC_EXAMPLE, "id": "w1", "revision": 1, "createdAt": "x", "updatedAt": "x"}
        )


# --- helpers and service-layer checks -------------------------------------------------------------


def test_trigger_and_goal_properties():
    defn = WorkflowDefinition.model_validate(SPEC_EXAMPLE)
    assert trigger_properties(defn) == {"lifecyclestage"}
    assert goal_properties(defn) == {"lifecyclestage"}
    assert has_goal(defn)
    assert not has_goal(WorkflowDefinition.model_validate(spec(goal={"filterGroups": []})))


def _with_triggers(filters: list[dict], object_type: str = "contacts") -> WorkflowDefinition:
    body = spec(objectType=object_type)
    body["enrollment"]["filterGroups"] = [{"filters": filters}]
    return WorkflowDefinition.model_validate(body)


def test_e5_decimal_number_trigger_in_contact_workflow_names_the_property():
    types = {"score": "number", "name": "string"}
    defn = _with_triggers(
        [
            {"propertyName": "score", "operator": "GT", "value": "2.5"},
            {"propertyName": "name", "operator": "EQ", "value": "1.5"},
        ]
    )
    problems = check_whole_number_triggers(defn, types)
    assert len(problems) == 1
    assert "'score'" in problems[0] and "2.5" in problems[0] and "filters[0].value" in problems[0]


def test_e5_whole_numbers_pass_and_other_object_types_are_not_checked():
    types = {"score": "number"}
    whole = _with_triggers(
        [
            {"propertyName": "score", "operator": "BETWEEN", "value": 1, "highValue": "5.0"},
            {"propertyName": "score", "operator": "IN", "values": ["1", "-2"]},
        ]
    )
    assert check_whole_number_triggers(whole, types) == []
    deals = _with_triggers([{"propertyName": "score", "operator": "GT", "value": "2.5"}], "deals")
    assert check_whole_number_triggers(deals, types) == []


def test_e5_checks_high_value_and_values_and_non_numbers():
    types = {"score": "number"}
    defn = _with_triggers(
        [
            {"propertyName": "score", "operator": "BETWEEN", "value": "1", "highValue": "4.5"},
            {"propertyName": "score", "operator": "IN", "values": ["1", "0.1"]},
            {"propertyName": "score", "operator": "EQ", "value": "lots"},
        ]
    )
    problems = check_whole_number_triggers(defn, types)
    assert [p.split(":")[0] for p in problems] == [
        "enrollment.filterGroups[0].filters[0].highValue",
        "enrollment.filterGroups[0].filters[1].values[1]",
        "enrollment.filterGroups[0].filters[2].value",
    ]


def test_w6_send_email_needs_an_automated_email():
    defn = WorkflowDefinition.model_validate(
        chain(
            {"id": "1", "type": "SEND_EMAIL", "emailId": "a", "next": "2"},
            {"id": "2", "type": "SEND_EMAIL", "emailId": "d", "next": "3"},
            {"id": "3", "type": "SEND_EMAIL", "emailId": "p", "next": "4"},
            {"id": "4", "type": "SEND_EMAIL", "emailId": "missing"},
        )
    )
    states = {"a": "AUTOMATED", "d": "DRAFT", "p": "PUBLISHED"}
    problems = check_email_states(defn, states.get)
    assert len(problems) == 3
    assert problems[0].startswith("actions[1].emailId:") and "draft" in problems[0]
    assert problems[1].startswith("actions[2].emailId:") and "already sent" in problems[1]
    assert problems[2].startswith("actions[3].emailId:") and "unknown" in problems[2]
    assert isinstance(defn.actions[0], SendEmailAction)
    assert check_email_states(WorkflowDefinition.model_validate(SPEC_EXAMPLE), lambda _id: "AUTOMATED") == []


def test_delay_until_modes():
    defn = WorkflowDefinition.model_validate(
        chain({"id": "1", "type": "DELAY_UNTIL", "weekdays": ["FRI"], "time": "16:00"})
    )
    action = defn.actions[0]
    assert isinstance(action, DelayUntilAction) and action.weekdays == [Weekday.FRI]
    assert Weekday.FRI.number == 4
