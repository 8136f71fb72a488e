"""The demo's support desk: two teams, a ticket pipeline with a required property, a round-robin
assignment workflow and an escalation after 4 business hours waiting on us; the report shows
tickets per status and what a team-only agent sees."""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from crmflow_local.runtime import Runtime

STAGES = [
    {"label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
    {"label": "Waiting on us", "displayOrder": 1, "metadata": {"ticketState": "OPEN"}},
    {"label": "Waiting on customer", "displayOrder": 2, "metadata": {"ticketState": "OPEN"}},
    {
        "label": "Escalated",
        "displayOrder": 3,
        "metadata": {"ticketState": "OPEN"},
        "requiredProperties": ["hs_ticket_priority"],
    },
    {"label": "Solved", "displayOrder": 4, "metadata": {"ticketState": "CLOSED"}},
]
OFFICE_HOURS = [{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}]
SUBJECTS = [
    "Cannot log in",
    "Invoice shows the wrong VAT",
    "Export to CSV times out",
    "Add a second admin",
    "Webhook retries twice",
    "Dashboard is empty after upgrade",
]


def _ok(answer: Any, what: str) -> Any:
    if answer.status >= 300:
        raise RuntimeError(f"{what}: HTTP {answer.status}: {answer.body}")
    return answer.json


def _stage_filter(name: str, stage_id: str) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": name, "operator": "EQ", "value": stage_id}]}]}


class SupportDesk:
    """The desk's ids, made by :meth:`configure` through the API."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.pipeline: dict[str, Any] = {}
        self.stage: dict[str, str] = {}
        self.agents: dict[str, dict[str, Any]] = {}
        self.tickets: list[str] = []
        self.refused: list[str] = []

    def configure(self) -> None:
        rt = self.rt
        tier1 = _ok(rt.api("POST", "/settings/teams", {"name": "Tier 1"}), "team")
        tier2 = _ok(rt.api("POST", "/settings/teams", {"name": "Tier 2"}), "team")
        for email, team, access in [
            ("siri@support.example", tier1, "TEAM_ONLY"),
            ("arne@support.example", tier1, "TEAM_ONLY"),
            ("maja@support.example", tier2, "ALL"),
            ("ivar@support.example", tier2, "OWNED_ONLY"),
        ]:
            body = {
                "email": email,
                "teamIds": [team["id"]],
                "permissions": {"tickets": {"access": access, "unassigned": True}},
            }
            self.agents[email] = _ok(rt.api("POST", "/settings/users", body), "user")
        pipeline = {"label": "Customer support", "displayOrder": 1, "stages": STAGES}
        self.pipeline = _ok(rt.api("POST", "/crm/v3/pipelines/tickets", pipeline), "pipeline")
        self.stage = {s["label"]: s["id"] for s in self.pipeline["stages"]}
        assign = {
            "name": "Assign new tickets to Tier 1",
            "objectType": "tickets",
            "timeZone": "Europe/Oslo",
            "enrollment": _stage_filter("hs_pipeline", self.pipeline["id"]),
            "startActionId": "1",
            "actions": [{"id": "1", "type": "ROTATE_OWNER", "teamId": tier1["id"], "next": None}],
        }
        still_waiting = _stage_filter("hs_pipeline_stage", self.stage["Waiting on us"])["filterGroups"]
        escalate = {
            "name": "Escalate after 4 business hours waiting on us",
            "objectType": "tickets",
            "timeZone": "Europe/Oslo",
            "timeWindows": OFFICE_HOURS,
            "enrollment": {
                **_stage_filter("hs_pipeline_stage", self.stage["Waiting on us"]),
                "reEnrollment": {"enabled": True, "properties": ["hs_pipeline_stage"]},
            },
            "startActionId": "1",
            "actions": [
                {"id": "1", "type": "DELAY", "delay": {"hours": 4, "businessHours": True}, "next": "2"},
                {
                    "id": "2",
                    "type": "IF_THEN",
                    "branches": [{"filterGroups": still_waiting, "next": "3"}],
                    "defaultNext": None,
                },
                {
                    "id": "3",
                    "type": "SET_PROPERTY",
                    "property": "hs_ticket_priority",
                    "value": "HIGH",
                    "next": "4",
                },
                {"id": "4", "type": "ROTATE_OWNER", "teamId": tier2["id"], "next": "5"},
                {
                    "id": "5",
                    "type": "CREATE_TASK",
                    "properties": {"hs_task_subject": "Escalated: call the customer"},
                    "next": "6",
                },
                {
                    "id": "6",
                    "type": "SET_PROPERTY",
                    "property": "hs_pipeline_stage",
                    "value": self.stage["Escalated"],
                    "next": None,
                },
            ],
        }
        for definition in (assign, escalate):
            workflow = _ok(rt.api("POST", "/workflows", definition), "workflow")
            _ok(rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": False}), "enable")

    def _move(self, ticket: str, stage: str) -> None:
        body = {"properties": {"hs_pipeline_stage": self.stage[stage]}}
        answer = self.rt.api("PATCH", f"/crm/v3/objects/tickets/{ticket}", body)
        if answer.status == 400:
            self.refused.append(answer.json["message"])
        else:
            _ok(answer, "move ticket")

    def on_day(self, day: int) -> None:
        if day in (1, 2, 3):  # two tickets a day
            for subject in SUBJECTS[(day - 1) * 2 : day * 2]:
                props = {"subject": subject, "hs_pipeline": self.pipeline["id"]}
                ticket = _ok(self.rt.api("POST", "/crm/v3/objects/tickets", {"properties": props}), "ticket")
                self.tickets.append(ticket["id"])
            self.rt.settle()
        if day == 1:
            self._move(self.tickets[0], "Waiting on us")  # left there: escalated after 4 business hours
            self._move(self.tickets[1], "Escalated")  # refused: Escalated requires a priority
        elif day == 3:
            self._move(self.tickets[4], "Solved")
        elif day == 4:  # Saturday: the 4 business hours start on Monday 09:00
            self._move(self.tickets[2], "Waiting on us")
            self._move(self.tickets[3], "Waiting on us")
        elif day == 6:  # Monday 09:00 Oslo: one is answered in time, the other is not
            self._move(self.tickets[2], "Waiting on customer")

    def report(self, out: TextIO) -> None:
        rt = self.rt
        label = {stage_id: name for name, stage_id in self.stage.items()}
        results = _ok(rt.api("GET", "/crm/v3/objects/tickets", query={"limit": "100"}), "tickets")["results"]
        mine = [t for t in results if t["properties"].get("hs_pipeline") == self.pipeline["id"]]
        per_stage = Counter(label.get(t["properties"]["hs_pipeline_stage"], "?") for t in mine)
        name = self.pipeline["label"]
        out.write(f"\n  support desk: pipeline '{name}', teams Tier 1 and Tier 2, {len(mine)} tickets\n")
        out.write(
            "    tickets per status: "
            + ", ".join(f"{name} {per_stage.get(name, 0)}" for name in self.stage)
            + "\n"
        )
        escalated = [t for t in mine if t["properties"].get("hs_ticket_priority") == "HIGH"]
        for ticket in escalated:
            history = rt.api(
                "GET",
                f"/crm/v3/objects/tickets/{ticket['id']}",
                query={"propertiesWithHistory": "hs_pipeline_stage"},
            ).json["propertiesWithHistory"]["hs_pipeline_stage"]
            waited = next(e["timestamp"] for e in history if e["value"] == self.stage["Waiting on us"])
            at = next(e["timestamp"] for e in history if e["value"] == self.stage["Escalated"])
            out.write(f"    ticket {ticket['id']} waited on us from {waited}, escalated at {at}\n")
        for message in self.refused:
            out.write(f"    refused: {message}\n")
        for email, agent in self.agents.items():
            seen = _ok(
                rt.api("POST", "/crm/v3/objects/tickets/search", {"limit": 1}, token=agent["token"]), "search"
            )
            access = agent["permissions"]["tickets"]["access"]
            out.write(f"    {email:<22} {access:<10} sees {seen['total']} of {len(results)} tickets\n")
