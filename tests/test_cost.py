"""Cost: every state transition is billed; an executed step must cost at most 2 on average."""

import io

from crmflow_local.demo import run_demo
from crmflow_local.runtime import Runtime

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


def test_demo_runs_a_workflow_across_simulated_days_and_reports_per_action_counts():
    out = io.StringIO()
    assert run_demo("2026-12-01T08:00:00Z", out) == 0
    report = out.getvalue()
    assert "action 2 SEND_EMAIL   ACTION_EXECUTED  7" in report
    assert "action 3 IF_THEN      ACTION_EXECUTED  7" in report
    assert "waited at action 2 (TIME_WINDOW)" in report
    assert "(2.07 per step)" in report
    # the lifecycle and lead automation part of the week, read back from the property history
    assert "companies             subscriber -> opportunity            by LC-2             1" in report
    assert "contacts             opportunity -> customer               by LC-3             1" in report
    assert "contacts  marketingqualifiedlead -> opportunity            by LC-4             1" in report
    assert "leads created: 5 (4 by LD-1, 1 by LD-2)" in report
    assert "lead          new -> attempting   by LD-3             4" in report
    assert "lead   attempting -> connected    by LD-4             3" in report
    # the support desk: a required property refused, escalations after 4 business hours, team access
    per_status = "New 2, Waiting on us 0, Waiting on customer 1, Escalated 2, Solved 1"
    assert f"tickets per status: {per_status}" in report
    waited = "ticket 4 waited on us from 2026-12-05T08:00:00.000Z"
    assert f"{waited}, escalated at 2026-12-07T12:00:00.000Z" in report
    assert "refused: Stage 'Escalated' (1004) requires values for: hs_ticket_priority" in report
    assert "siri@support.example   TEAM_ONLY  sees 4 of 6 tickets" in report
    assert "ivar@support.example   OWNED_ONLY sees 1 of 6 tickets" in report
