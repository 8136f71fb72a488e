"""What the report shows, read from the API: a snapshot at the end of every simulated day, and the
final answers (workflows, logs, property history, tickets, leads, explain). Nothing here counts what
the demo did itself; every figure is an API answer or a count of API answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from crmflow_local.demo.account import Account, Pools
from crmflow_local.demo.api import call, pages, read_many
from crmflow_local.runtime import Runtime

OSLO = ZoneInfo("Europe/Oslo")
LEAD_STAGES = ["new", "attempting", "connected", "qualified", "disqualified"]
STAGE_ORDER = [
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
    "evangelist", "other",
]  # fmt: skip


@dataclass
class Snapshot:
    """The account at the end of one simulated day."""

    day: int
    at: str  # the clock (UTC, ISO 8601)
    label: str  # the day's local date, e.g. "Tue 1 Dec"
    stats: dict[str, dict[str, Any]]  # workflow id -> GET /workflows/{id}/stats (without timeLeft)
    leads: dict[str, int]  # lead stage -> leads
    tickets: dict[str, int]  # ticket stage id -> tickets
    emails: int  # emails in the outbox so far

    @property
    def enrolled(self) -> int:
        return sum(s["enrolled"] for s in self.stats.values())

    @property
    def ticket_count(self) -> int:
        return sum(self.tickets.values())


@dataclass
class Final:
    """The answers at the end of the run that the report draws from."""

    at: str
    workflows: list[dict[str, Any]]  # GET /workflows/{id}
    stats: dict[str, dict[str, Any]]  # GET /workflows/{id}/stats
    logs: dict[str, list[dict[str, Any]]]  # GET /workflows/{id}/log, every page
    totals: dict[str, int]  # object type -> search total
    pipelines: list[dict[str, Any]]  # GET /crm/v3/pipelines/tickets
    tickets: list[dict[str, Any]]  # every ticket: id, pipeline, stage, owner
    users: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    leads: dict[str, int]
    stage_moves: dict[str, Counter[tuple[str, str, str]]]  # object type -> (from, to, by) -> moves
    explained: list[dict[str, Any]] = field(default_factory=list)  # {"question", "answer"}
    outbox: int = 0

    def ticket_table(self) -> Counter[tuple[str, str, str]]:
        """(pipeline label, status label, team name) -> tickets; "unassigned" for tickets without owner."""
        team_names = {t["id"]: t["name"] for t in self.teams}
        team_of = {u["id"]: team_names.get((u.get("teamIds") or [""])[0], "no team") for u in self.users}
        labels = {(p["id"], s["id"]): (p["label"], s["label"]) for p in self.pipelines for s in p["stages"]}
        table: Counter[tuple[str, str, str]] = Counter()
        for ticket in self.tickets:
            pipeline, stage = labels.get((ticket["hs_pipeline"], ticket["hs_pipeline_stage"]), ("?", "?"))
            owner = ticket.get("hubspot_owner_id")
            table[(pipeline, stage, team_of.get(owner, "other owner") if owner else "unassigned")] += 1
        return table


def day_label(moment: datetime) -> str:
    local = moment.astimezone(OSLO)
    return f"{local:%a} {local.day} {local:%b}"


class Collector:
    """Reads the account through the API, day by day and at the end."""

    def __init__(self, rt: Runtime, account: Account, workflows: list[dict[str, Any]]) -> None:
        self.rt = rt
        self.account = account
        self.workflow_ids = [w["id"] for w in workflows]
        self.snapshots: list[Snapshot] = []

    def _leads(self) -> dict[str, int]:
        found = Counter(
            r["properties"].get("hs_pipeline_stage")
            for r in pages(
                self.rt, "GET", "/crm/v3/objects/leads", limit="100", properties="hs_pipeline_stage"
            )
        )
        return {stage: found.get(stage, 0) for stage in LEAD_STAGES}

    def _tickets(self) -> list[dict[str, Any]]:
        names = "hs_pipeline,hs_pipeline_stage,hubspot_owner_id,hs_ticket_priority"
        return [
            {"id": r["id"], **r["properties"]}
            for r in pages(self.rt, "GET", "/crm/v3/objects/tickets", limit="100", properties=names)
        ]

    def snapshot(self, day: int, activity_day: datetime) -> Snapshot:
        stats = {}
        for workflow_id in self.workflow_ids:
            answer = call(self.rt, "GET", f"/workflows/{workflow_id}/stats")
            answer.pop("timeLeft", None)
            stats[workflow_id] = answer
        tickets = Counter(t["hs_pipeline_stage"] for t in self._tickets())
        snap = Snapshot(
            day=day,
            at=self.rt.now.isoformat(),
            label=day_label(activity_day),
            stats=stats,
            leads=self._leads(),
            tickets=dict(tickets),
            emails=len(self.rt.outbox()),
        )
        self.snapshots.append(snap)
        return snap

    # ------------------------------------------------------------ the end of the run
    def final(self, start: datetime, pools: Pools) -> Final:
        rt = self.rt
        workflows = [call(rt, "GET", f"/workflows/{i}") for i in self.workflow_ids]
        stats = {i: call(rt, "GET", f"/workflows/{i}/stats") for i in self.workflow_ids}
        logs = {i: list(pages(rt, "GET", f"/workflows/{i}/log", limit="1000")) for i in self.workflow_ids}
        totals = {
            object_type: int(call(rt, "POST", f"/crm/v3/objects/{object_type}/search", {"limit": 1})["total"])
            for object_type in ("companies", "contacts", "deals", "tickets", "leads", "tasks")
        }
        final = Final(
            at=rt.now.isoformat(),
            workflows=workflows,
            stats=stats,
            logs=logs,
            totals=totals,
            pipelines=[
                p
                for p in call(rt, "GET", "/crm/v3/pipelines/tickets")["results"]
                if p["id"] in self.account.pipelines.values()
            ],
            tickets=self._tickets(),
            users=call(rt, "GET", "/settings/users")["results"],
            teams=call(rt, "GET", "/settings/teams")["results"],
            leads=self._leads(),
            stage_moves={t: self.stage_moves(t, start) for t in ("contacts", "companies")},
            outbox=len(rt.outbox()),
        )
        final.explained = self.explain_samples(pools)
        return final

    def stage_moves(self, object_type: str, since: datetime) -> Counter[tuple[str, str, str]]:
        """Lifecycle stage moves after ``since``, (from, to, by) -> count, from the property history
        of every record changed since then (a search on ``hs_lastmodifieddate``)."""
        after = since.isoformat().replace("+00:00", "Z")
        modified = {"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": after}
        search = {"filterGroups": [{"filters": [modified]}], "properties": ["lifecyclestage"], "limit": 200}
        changed = [r["id"] for r in pages(self.rt, "POST", f"/crm/v3/objects/{object_type}/search", search)]
        moves: Counter[tuple[str, str, str]] = Counter()
        for record_id in changed:
            answer = call(
                self.rt,
                "GET",
                f"/crm/v3/objects/{object_type}/{record_id}",
                query={"propertiesWithHistory": "lifecyclestage", "properties": "lifecyclestage"},
            )
            entries = list(reversed(answer["propertiesWithHistory"].get("lifecyclestage") or []))
            for earlier, later in pairwise([None, *entries]):
                if later is None or later["timestamp"] <= after:
                    continue
                before = (earlier or {}).get("value") or "(new)"
                by = later.get("sourceLabel") or later.get("sourceType") or "?"
                moves[(before, later.get("value") or "(none)", by)] += 1
        return moves

    def explain_samples(self, pools: Pools) -> list[dict[str, Any]]:
        """Explain answers for a few records a HubSpot admin would ask about."""
        rt = self.rt
        by_name = {call(rt, "GET", f"/workflows/{i}")["name"]: i for i in self.workflow_ids}
        questions: list[tuple[str, str, str]] = []  # (question, workflow id, record id)

        def first(workflow: str, status: str) -> str | None:
            answer = call(
                rt,
                "GET",
                f"/workflows/{by_name[workflow]}/enrollments",
                query={"status": status, "limit": "1"},
            )
            return answer["results"][0]["recordId"] if answer["results"] else None

        nurture = "Lead nurture"
        stages = read_many(rt, "contacts", pools.contacts[:400], ["lifecyclestage"])
        subscriber = next((i for i, p in stages.items() if p.get("lifecyclestage") == "subscriber"), None)
        old_lead = next(
            (i for i in pools.leads[:200] if stages.get(i, {}).get("lifecyclestage") == "lead"), None
        )
        if subscriber:
            questions.append(("Why did this subscriber not enter the nurture?", by_name[nurture], subscriber))
        if old_lead:
            questions.append(
                (
                    "Why is this lead, imported before the nurture was on, not in it?",
                    by_name[nurture],
                    old_lead,
                )
            )
        if converted := first(nurture, "UNENROLLED"):
            questions.append(("Why did this contact leave the nurture early?", by_name[nurture], converted))
        if done := first("Route new MQLs to sales", "COMPLETED"):
            questions.append(
                ("Would this routed MQL be routed again?", by_name["Route new MQLs to sales"], done)
            )
        escalation = "Escalate tickets waiting on us for 4 business hours"
        if waiting := first(escalation, "ACTIVE"):
            questions.append(("Why is this ticket in the escalation workflow?", by_name[escalation], waiting))
        if pools.tickets["billing"]:
            questions.append(
                (
                    "Why is this billing ticket never escalated?",
                    by_name[escalation],
                    pools.tickets["billing"][0],
                )
            )
        return [
            {
                "question": question,
                "workflowId": workflow_id,
                "answer": call(rt, "GET", f"/workflows/{workflow_id}/explain/{record_id}"),
            }
            for question, workflow_id, record_id in questions
        ]


def emails_per_day(final: Final, days: list[str]) -> dict[str, int]:
    """Emails sent per local day (Europe/Oslo), from the SEND_EMAIL entries of the workflows' logs."""
    counts: Counter[str] = Counter()
    for entries in final.logs.values():
        for entry in entries:
            if entry["event"] == "ACTION_EXECUTED" and entry["actionType"] == "SEND_EMAIL":
                counts[day_label(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")))] += 1
    return {day: counts.get(day, 0) for day in days}


def daily(snapshots: list[Snapshot], workflow_id: str, key: str) -> list[int]:
    """A per-day increase of a cumulative statistic (enrolled, completed...) of one workflow."""
    values = [0] + [s.stats[workflow_id][key] for s in snapshots]
    return [b - a for a, b in pairwise(values)]
