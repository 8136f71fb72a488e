"""Cost: every state transition is billed; an executed step must cost at most 2 on average."""

import io
from collections import Counter

from crmflow_local.demo import Demo
from crmflow_local.runtime import Runtime
from rich.console import Console

PRICE_PER_TRANSITION = 0.025 / 1000


def test_reference_workflow_costs_two_transitions_per_step(rt: Runtime):
    rt.api("POST", "/crm/v3/properties/contacts", {"name": "nurtured", "label": "Nurtured", "type": "string"})
    email = rt.api(
        "POST", "/marketing/v3/emails", {"name": "Tips", "subject": "Tips", "state": "AUTOMATED"}
    ).json
    workflow = rt.api(
        "POST",
        "/workflows",
        {
            "name": "Reference",
            "objectType": "contacts",
            "enrollment": {
                "filterGroups": [
                    {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
                ]
            },
            "startActionId": "1",
            "actions": [
                {"id": "1", "type": "DELAY", "delay": {"days": 2}, "next": "2"},
                {"id": "2", "type": "SEND_EMAIL", "emailId": email["id"], "next": "3"},
                {
                    "id": "3",
                    "type": "IF_THEN",
                    "branches": [{"filterGroups": [], "next": "4"}],
                    "defaultNext": None,
                },
                {"id": "4", "type": "SET_PROPERTY", "property": "nurtured", "value": "true", "next": None},
            ],
        },
    ).json
    rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": False})
    for n in range(3):
        rt.api(
            "POST",
            "/crm/v3/objects/contacts",
            {"properties": {"email": f"r{n}@example.com", "lifecyclestage": "lead"}},
        )
    rt.advance("P2DT1M")

    executions = rt.executions()
    assert [e["status"] for e in executions] == ["SUCCEEDED"] * 3
    for execution in executions:
        entered = [
            e["type"] for e in rt.history(execution["executionArn"]) if e["type"].endswith("StateEntered")
        ]
        steps = 4  # delay, email, branch, set property
        assert len(entered) == 8, entered
        assert len(entered) / steps <= 2
    per_million = 8 * PRICE_PER_TRANSITION * 1_000_000
    assert per_million == 200.0  # list price of the transitions of one million enrollments, in USD
    assert len(rt.outbox()) == 3


def test_the_demo_account_costs_at_most_2_1_transitions_per_executed_step(tmp_path):
    """Every workflow of ``crmflow demo`` (at a small scale, two weeks): the states its executions
    entered, over the steps its log says ran. Waits for time windows and pause dates, and goals met
    while waiting, cost transitions without a step; together they stay within 5 %."""
    with Demo(scale=0.25, days=14, out_dir=tmp_path, console=Console(file=io.StringIO())) as demo:
        demo.run()
        rt = demo.rt
        transitions: Counter[str] = Counter()
        for execution in rt.executions():
            workflow_id = execution["name"].split("-")[0].removeprefix("wf")
            history = rt.history(execution["executionArn"])
            transitions[workflow_id] += sum(1 for event in history if event["type"].endswith("StateEntered"))
        steps: Counter[str] = Counter()
        for workflow in demo.workflows:
            log = rt.api("GET", f"/workflows/{workflow['id']}/log", query={"limit": "1000"}).json["results"]
            steps[workflow["id"]] = sum(1 for e in log if e["event"] in ("ACTION_EXECUTED", "DELAY_STARTED"))
    assert len(transitions) >= 5, "the workflows ran"
    for workflow in demo.workflows:  # without windows or goals, a workflow costs exactly 2 per step
        if not workflow.get("goal") and not workflow.get("timeWindows"):
            assert transitions[workflow["id"]] == 2 * steps[workflow["id"]], workflow["name"]
    per_step = sum(transitions.values()) / sum(steps.values())
    assert 2.0 <= per_step <= 2.1, per_step
