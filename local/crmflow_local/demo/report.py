"""The demo's report: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched),
drawn from the API answers the collector gathered (:mod:`crmflow_local.demo.collect`)."""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmflow_local.demo import charts
from crmflow_local.demo.account import EMAILS
from crmflow_local.demo.collect import LEAD_STAGES, STAGE_ORDER, Final, Snapshot, daily, emails_per_day

if TYPE_CHECKING:
    from crmflow_local.demo.run import Demo

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1d1f;background:#fff;margin:0;
  line-height:1.45}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:1.8rem;margin:0 0 4px}
h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{margin-top:1.4rem}
.lead{color:#444;margin-top:0}
figure{margin:1rem 0 1.6rem;padding:12px;border:1px solid #e3e3e3;border-radius:6px}
figcaption{font-size:.92rem;color:#333;margin-top:6px}
details{margin-top:6px} summary{cursor:pointer;color:#0a58ca}
table{border-collapse:collapse;margin:8px 0;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f5f5f7} td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid #e3e3e3;border-radius:6px;padding:10px}
.card b{display:block;font-size:1.5rem}
.explain{border:1px solid #e3e3e3;border-radius:6px;padding:10px 14px;margin:12px 0}
.verdict{font-weight:600}
pre{background:#f7f7f9;padding:10px;overflow:auto;font-size:.8rem}
:focus{outline:3px solid #0a58ca}
"""
KEEP = (
    "name",
    "objectType",
    "timeZone",
    "enrollment",
    "goal",
    "timeWindows",
    "pauseDates",
    "unenrollWhenCriteriaNotMet",
    "startActionId",
    "actions",
)


def action_text(action: dict[str, Any], emails: dict[str, str], names: dict[str, str]) -> str:
    """One line about an action, as the canvas labels it (``names``: "team 1", "user 4" -> names)."""
    kind = action["type"]
    if kind == "DELAY":
        delay = action["delay"]
        length = " ".join(f"{delay.get(k)} {k}" for k in ("days", "hours", "minutes") if delay.get(k))
        return f"DELAY {length}" + (" (business hours)" if delay.get("businessHours") else "")
    if kind == "SEND_EMAIL":
        return f"SEND_EMAIL '{emails.get(str(action['emailId']), action['emailId'])}'"
    if kind == "SET_PROPERTY":
        return f"SET_PROPERTY {action['property']} = {action['value']}"
    if kind == "ROTATE_OWNER":
        if action.get("teamId"):
            return f"ROTATE_OWNER over team {names.get('team ' + action['teamId'], action['teamId'])}"
        return "ROTATE_OWNER over " + ", ".join(names.get("user " + i, i) for i in action["ownerIds"])
    if kind == "CREATE_TASK":
        return f"CREATE_TASK '{action['properties'].get('hs_task_subject', '')}'"
    if kind == "WEBHOOK":
        return f"WEBHOOK {action['method']} to the billing system"
    if kind == "IF_THEN":
        branches = len(action["branches"])
        return f"IF_THEN ({branches} branch{'es' if branches > 1 else ''}, else the default)"
    return str(kind)


def log_facts(entries: list[dict[str, Any]]) -> str:
    """What a workflow's log says beyond the statistics: waits for windows and pause dates, early
    exits by reason, webhook answers, errors."""
    facts = []
    waits = Counter(e["reason"] for e in entries if e["event"] == "WAITING")
    if waits:
        what = {"TIME_WINDOW": "a time window", "PAUSE_DATE": "a pause date"}
        facts.append(
            "actions that waited: "
            + ", ".join(f"{n} for {what.get(r, r)} ({r})" for r, n in sorted(waits.items()))
        )
    exits = Counter(e["reason"] for e in entries if e["event"] == "UNENROLLED")
    if exits:
        facts.append("left early: " + ", ".join(f"{n} by {r}" for r, n in sorted(exits.items())))
    hooks = [e for e in entries if e["event"] == "ACTION_EXECUTED" and e["actionType"] == "WEBHOOK"]
    if hooks:
        statuses = Counter(str((e.get("detail") or {}).get("status")) for e in hooks)
        mapped = sum(1 for e in hooks if (e.get("detail") or {}).get("mapped"))
        answers = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
        facts.append(
            f"{len(hooks)} calls to the billing system (HTTP {answers}), "
            f"{mapped} of them copied the billing account into the deal"
        )
    errors = sum(1 for e in entries if e["event"] == "ERROR")
    if errors:
        facts.append(f"{errors} action errors")
    return "; ".join(facts)


# ---------------------------------------------------------------- sections
def _workflow_summary(final: Final) -> str:
    rows = []
    for workflow in final.workflows:
        stats = final.stats[workflow["id"]]
        goal = stats["goal"]
        conversion = f"{goal['met']} of {goal['emailed']} ({goal['conversionRate']:.0%})"
        rows.append(
            [
                f"{workflow['id']} {workflow['name']}",
                workflow["objectType"],
                stats["enrolled"],
                stats["active"],
                stats["completed"],
                stats["unenrolled"],
                stats["failed"],
                conversion if workflow.get("goal") else "no goal",
            ]
        )
    header = [
        "workflow",
        "object",
        "enrolled",
        "active",
        "completed",
        "left early",
        "failed",
        "goal conversion",
    ]
    caption = "Workflows at the end of the run (GET /workflows/{id}/stats)"
    return charts.table(caption, header, rows, table_id="workflow-summary")


def _per_day(final: Final, snapshots: list[Snapshot], labels: list[str]) -> str:
    parts = []
    for workflow in final.workflows:
        wid, name = workflow["id"], workflow["name"]
        enrolled, completed = daily(snapshots, wid, "enrolled"), daily(snapshots, wid, "completed")
        rows = [[label, e, c] for label, e, c in zip(labels, enrolled, completed, strict=True)]
        data = charts.table(f"{name}: per day", ["day", "enrolled", "completed"], rows)
        caption = (
            f"<b>{escape(name)}</b> (workflow {wid}, {escape(workflow['objectType'])}): records enrolled and "
            f"enrollments completed each day; {sum(enrolled)} enrolled and {sum(completed)} completed in all."
        )
        if facts := log_facts(final.logs[wid]):
            caption += f" From its log: {escape(facts)}."
        if not any(enrolled) and not any(completed):
            parts.append(
                f'<figure id="per-day-{wid}"><p>No enrollments in these days.</p>'
                f"<figcaption>{caption}</figcaption></figure>"
            )
            continue
        svg = charts.bars(
            f"{name}: enrolled and completed per day",
            f"Bars per simulated day: {sum(enrolled)} enrollments and {sum(completed)} completions in all.",
            labels,
            [("enrolled", enrolled), ("completed", completed)],
        )
        parts.append(charts.figure(svg, caption, data, figure_id=f"per-day-{wid}"))
    for workflow in [w for w in final.workflows if w.get("goal")]:
        parts.append(_goal(workflow, snapshots, labels))
    return "".join(parts)


def _goal(workflow: dict[str, Any], snapshots: list[Snapshot], labels: list[str]) -> str:
    wid, name = workflow["id"], workflow["name"]
    met = [s.stats[wid]["goal"]["met"] for s in snapshots]
    emailed = [s.stats[wid]["goal"]["emailed"] for s in snapshots]
    rate = [s.stats[wid]["goal"]["conversionRate"] for s in snapshots]
    rows = [[label, e, m, f"{r:.0%}"] for label, e, m, r in zip(labels, emailed, met, rate, strict=True)]
    data = charts.table(f"{name}: goal conversion", ["day", "emailed", "met the goal", "conversion"], rows)
    line = charts.lines(
        f"{name}: goal conversion by day",
        f"Share of the records this workflow emailed that met its goal, by day; {rate[-1]:.0%} at the end.",
        labels,
        [("goal conversion", rate)],
        percent=True,
    )
    counts = charts.bars(
        f"{name}: records emailed and goal met, cumulative",
        f"{emailed[-1]} records emailed, {met[-1]} of them met the goal by the end.",
        labels,
        [("emailed (cumulative)", emailed), ("met the goal (cumulative)", met)],
        height=220,
    )
    caption = (
        f"Goal conversion of <b>{escape(name)}</b> (G-3): of the records it sent a marketing email, the "
        f"share that reached its goal, {met[-1]} of {emailed[-1]} at the end. The goal is a lifecycle stage "
        f"of MQL or "
        f"later; the records that reach it leave the workflow at once (G-1)."
    )
    return charts.figure(line + counts, caption, data, figure_id=f"goal-{wid}")


def _waiting(final: Final, snapshots: list[Snapshot], emails: dict[str, str], labels: list[str]) -> str:
    parts = []
    names = {f"team {t['id']}": t["name"] for t in final.teams}
    names |= {f"user {u['id']}": u["email"].split("@")[0] for u in final.users}
    for workflow in final.workflows:
        wid, name = workflow["id"], workflow["name"]
        waiting = final.stats[wid]["waiting"]
        steps = []
        for action in workflow["actions"]:
            aid = action["id"]
            history = [s.stats[wid]["waiting"].get(aid, 0) for s in snapshots]
            most = max(history, default=0)
            note = f"most {most} ({labels[history.index(most)]})" if most else ""
            steps.append((aid, action_text(action, emails, names), int(waiting.get(aid, 0)), note))
        total = sum(w for _, _, w, _ in steps)
        svg = charts.canvas(
            f"{name}: records waiting at each action",
            f"{len(steps)} actions; {total} records are at an action now.",
            steps,
        )
        rows = [[i, t, w, n or "-"] for i, t, w, n in steps]
        header = ["action", "what it does", "waiting now", "most at the end of a day"]
        data = charts.table(f"{name}: waiting per action", header, rows)
        caption = (
            f"<b>{escape(name)}</b>: active records at each action now (the <code>waiting</code> of "
            f"GET /workflows/{wid}/stats), as HubSpot's canvas shows them, {total} in all, and the most at "
            f"the end of any day of the run."
        )
        parts.append(charts.figure(svg, caption, data, figure_id=f"waiting-{wid}"))
    return "".join(parts)


def _emails(final: Final, labels: list[str]) -> str:
    per_day = emails_per_day(final, labels)
    values = [per_day[label] for label in labels]
    total = sum(values)
    svg = charts.bars(
        "Marketing emails sent per day",
        f"{total} emails sent by workflows in all.",
        labels,
        [("emails sent", values)],
    )
    rows = [[label, v] for label, v in zip(labels, values, strict=True)]
    data = charts.table("Emails per day", ["day", "emails sent"], rows)
    caption = (
        f"Marketing emails sent per day (Europe/Oslo), counted from the <code>SEND_EMAIL</code> entries of "
        f"the workflows' logs: {total} in all. None go out on weekends and pause dates: the nurture's time "
        f"window "
        f"is Monday to Friday, 08:00 to 18:00."
    )
    return charts.figure(svg, caption, data, figure_id="emails-per-day")


def _stage_moves(final: Final) -> str:
    parts = []
    for object_type, moves in final.stage_moves.items():
        if not moves:
            parts.append(f"<p>No lifecycle stage moves of {object_type} in these days.</p>")
            continue
        flows: Counter[tuple[str, str]] = Counter()
        for (before, after, _), n in moves.items():
            flows[(before, after)] += n

        def order(item: tuple[tuple[str, str], int]) -> tuple[int, int]:
            (_, after), n = item
            return (-n, STAGE_ORDER.index(after) if after in STAGE_ORDER else 99)

        top = sorted(flows.items(), key=order)[:14]
        labels = [f"{b} → {a}" for (b, a), _ in top]
        rules = sorted({by for _, _, by in moves})
        series = [(rule, [moves.get((b, a, rule), 0) for (b, a), _ in top]) for rule in rules]
        svg = charts.hbars(
            f"Lifecycle stage moves of {object_type}",
            f"{sum(flows.values())} moves from one stage to another, by who made them; "
            f"the {len(top)} most common shown.",
            labels,
            series,
            label_width=330,
            legend=True,
        )
        rows = [[f"{b} → {a}", by, n] for (b, a, by), n in sorted(moves.items(), key=lambda i: (-i[1], i[0]))]
        data = charts.table(f"Stage moves of {object_type}", ["from → to", "by", "moves"], rows)
        caption = (
            f"Lifecycle stage moves of <b>{object_type}</b> during the run, from each record's "
            f"<code>propertiesWithHistory=lifecyclestage</code>, by source: API (the team's own writes), "
            f"LC-1 "
            f"to LC-4 (lifecycle automation), WORKFLOW. <i>(new)</i> is a record created in that stage."
        )
        parts.append(charts.figure(svg, caption, data, figure_id=f"stage-moves-{object_type}"))
    return "".join(parts)


def _leads(final: Final, snapshots: list[Snapshot], labels: list[str]) -> str:
    series = [(stage, [s.leads.get(stage, 0) for s in snapshots]) for stage in LEAD_STAGES]
    at_end = ", ".join(f"{n} {stage}" for stage, n in final.leads.items())
    svg = charts.bars(
        "Leads per stage, day by day",
        f"{sum(final.leads.values())} leads at the end: {at_end}.",
        labels,
        series,
        stacked=True,
    )
    rows = [
        [label, *(s.leads.get(st, 0) for st in LEAD_STAGES)]
        for label, s in zip(labels, snapshots, strict=True)
    ]
    data = charts.table("Leads per stage at the end of each day", ["day", *LEAD_STAGES], rows)
    caption = (
        "Leads in each stage of the lead pipeline at the end of each day (GET /crm/v3/objects/leads). LD-1 "
        "opens a lead when a contact becomes an MQL or SQL; emails, calls and meetings move it (LD-3, LD-4); "
        "a lead disqualified for bad timing gets a follow-up lead (LD-2)."
    )
    final_rows = [[stage, n] for stage, n in final.leads.items()]
    final_table = charts.table(
        "Leads per stage at the end", ["stage", "leads"], final_rows, table_id="leads-per-stage"
    )
    return charts.figure(svg, caption, data, figure_id="leads-per-stage-daily") + final_table


def _tickets(final: Final, snapshots: list[Snapshot], labels: list[str]) -> str:
    table = final.ticket_table()
    teams = sorted({team for _, _, team in table})
    parts, rows = [], []
    for pipeline in final.pipelines:
        statuses = [s["label"] for s in pipeline["stages"]]
        series = [
            (team, [table.get((pipeline["label"], status, team), 0) for status in statuses]) for team in teams
        ]
        shown = [s for s in series if any(s[1])]
        total = sum(sum(v) for _, v in series)
        svg = charts.hbars(
            f"Tickets of the {pipeline['label']} pipeline per status and team",
            f"{total} tickets by status, split by the team of their owner.",
            statuses,
            shown,
            label_width=200,
            legend=True,
        )
        mine = []
        for status in statuses:
            counts = [table.get((pipeline["label"], status, team), 0) for team in teams]
            mine.append([f"{pipeline['label']} / {status}", *counts, sum(counts)])
        rows += mine
        caption = (
            f"Tickets of the <b>{escape(pipeline['label'])}</b> pipeline by status at the end, split by the "
            f"team "
            f"of their owner (<code>hubspot_owner_id</code> and /settings/users)."
        )
        data = charts.table(
            f"{pipeline['label']}: tickets per status and team", ["status", *teams, "total"], mine
        )
        parts.append(charts.figure(svg, caption, data, figure_id=f"tickets-{pipeline['id']}"))
    stage_names = {s["id"]: f"{p['label']} / {s['label']}" for p in final.pipelines for s in p["stages"]}
    open_ids = [
        s["id"] for p in final.pipelines for s in p["stages"] if s["metadata"].get("ticketState") == "OPEN"
    ]
    daily_series = [(stage_names[i], [s.tickets.get(i, 0) for s in snapshots]) for i in open_ids]
    daily_series = [s for s in daily_series if any(s[1])]
    svg = charts.bars(
        "Open tickets per status, day by day",
        "Open tickets of both pipelines at the end of each day, stacked by status.",
        labels,
        daily_series,
        stacked=True,
    )
    data = charts.table(
        "Open tickets per status at the end of each day",
        ["day", *[name for name, _ in daily_series]],
        [[label, *(v[i] for _, v in daily_series)] for i, label in enumerate(labels)],
    )
    caption = (
        "Open tickets per status at the end of each day. Tickets left <i>Waiting on us</i> for 4 business "
        "hours (Monday to Friday 09:00 to 17:00 in Oslo, not on pause dates) are escalated by the escalation "
        "workflow."
    )
    parts.append(charts.figure(svg, caption, data, figure_id="open-tickets-daily"))
    summary = charts.table(
        "Tickets per status and team at the end",
        ["pipeline / status", *teams, "total"],
        rows,
        table_id="tickets-per-status",
    )
    return summary + "".join(parts)


def _explained(final: Final, names: dict[str, str]) -> str:
    parts = []
    for item in final.explained:
        answer = item["answer"]
        rows = []
        for g, group in enumerate(answer["triggers"]["filterGroups"]):
            for condition in group["filters"]:
                wanted = condition["value"] if condition.get("value") is not None else condition.get("values")
                trigger = f"{condition['operator']} {wanted}"
                met = "yes" if condition["met"] else "no"
                rows.append(
                    [f"group {g + 1}", condition["propertyName"], trigger, condition.get("actual"), met]
                )
        header = ["", "property", "trigger", "the record has", "met"]
        triggers = charts.table("Enrollment triggers, with the record's values", header, rows)
        workflow = f"workflow {answer['workflowId']} <b>{escape(names.get(answer['workflowId'], ''))}</b>"
        facts = [f"{workflow}, {escape(answer['objectType'])} record {escape(answer['recordId'])}"]
        if enrollment := answer.get("enrollment"):
            facts.append(
                f"enrollment {escape(enrollment['status'])} at action {enrollment.get('currentActionId')}"
            )
        if history := answer.get("history") or []:
            facts.append(f"enrolled {len(history)} time{'s' if len(history) != 1 else ''} so far")
        reasons = "".join(f"<li>{escape(r)}</li>" for r in answer.get("reasons") or [])
        would = "yes" if answer["wouldEnroll"] else "no"
        parts.append(
            f'<section class="explain" aria-label="{escape(item["question"])}">'
            f"<h3>{escape(item['question'])}</h3><p>{'; '.join(facts)}</p>"
            f'<p class="verdict">Verdict: {escape(answer["verdict"])} (would enroll now: {would})</p>'
            f"{'<ul>' + reasons + '</ul>' if reasons else ''}{triggers}</section>"
        )
    return "".join(parts)


def _definitions(final: Final) -> str:
    parts = []
    for workflow in final.workflows:
        definition = {k: workflow[k] for k in KEEP if workflow.get(k) not in (None, [], False)}
        parts.append(
            f"<details><summary>Workflow {escape(workflow['id'])}: {escape(workflow['name'])}</summary>"
            f"<pre>{escape(json.dumps(definition, indent=2))}</pre></details>"
        )
    return "".join(parts)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section aria-labelledby="h-{anchor}"><h2 id="h-{anchor}">{title}</h2>{body}</section>'


def render(demo: Demo) -> str:
    final, collector = demo.final, demo.collector
    assert final is not None and collector is not None
    charts.reset_ids()
    snapshots = collector.snapshots
    labels = [s.label for s in snapshots]
    subjects = {demo.account.emails[key]: subject for key, subject in EMAILS.items()}
    names = {w["id"]: w["name"] for w in final.workflows}
    cards = [*final.totals.items()]
    cards += [
        ("enrollments", sum(s["enrolled"] for s in final.stats.values())),
        ("emails sent", final.outbox),
    ]
    card_html = "".join(f'<div class="card"><b>{n:,}</b>{escape(label)}</div>' for label, n in cards)
    first, last = (snapshots[0].label, snapshots[-1].label) if snapshots else ("", "")
    t = demo.timings
    explain = (
        "<p>Answers of <code>GET /workflows/{id}/explain/{recordId}</code> for a few records an admin would "
        "ask about.</p>" + _explained(final, names)
    )
    definitions = "<p>As <code>GET /workflows/{id}</code> answers them.</p>" + _definitions(final)
    sections = [
        _section(
            "account",
            "The account at the end",
            f'<div class="cards">{card_html}</div>' + _workflow_summary(final),
        ),
        _section(
            "per-day",
            "Enrollments, completions and goal conversion per day",
            _per_day(final, snapshots, labels),
        ),
        _section(
            "waiting", "Waiting here: records at each action", _waiting(final, snapshots, subjects, labels)
        ),
        _section("emails", "Emails per day", _emails(final, labels)),
        _section("stages", "Lifecycle stage flow", _stage_moves(final)),
        _section("leads", "Leads per stage", _leads(final, snapshots, labels)),
        _section("tickets", "Tickets per status and team", _tickets(final, snapshots, labels)),
        _section("explain", "Why did this record (not) enroll?", explain),
        _section("definitions", "The workflows", definitions),
    ]
    intro = (
        f"A sample account on crmflow's embedded runtime, driven through {demo.days} simulated days "
        f"({escape(first)} to {escape(last)}, Europe/Oslo) through the HTTP API and the virtual clock. Every "
        f"number below is an answer of the API, read at the end of each simulated day and at the end of the "
        f"run "
        f"(clock {escape(final.at)})."
    )
    footer = (
        f"Run: seed {demo.seed}, scale {demo.scale}; wall time {t.total:.1f} s (runtime start "
        f"{t.setup:.1f} s, building the account {t.load:.1f} s, {demo.days} days {t.days:.1f} s, "
        f"reading back {t.collect:.1f} s)."
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>crmflow demo report</title><style>{CSS}</style></head>\n<body><main>"
        f'<h1>crmflow demo report</h1><p class="lead">{intro}</p>\n'
        + "\n".join(sections)
        + f"\n<footer><p>{footer}</p></footer></main></body></html>\n"
    )


def write(demo: Demo, out_dir: Path) -> Path:
    """Write ``report.html`` into ``out_dir`` (made if missing); its absolute path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    path.write_text(render(demo), encoding="utf-8")
    return path.resolve()
