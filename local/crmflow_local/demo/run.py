"""The demo's run: build the account, turn the workflows on, drive the simulated days with a progress
bar, read everything back from the API, print a short table and write the HTML report."""

from __future__ import annotations

import random
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crmflow_local import moto_seams
from crmflow_local.demo import account as building
from crmflow_local.demo import report
from crmflow_local.demo import workflows as building_workflows
from crmflow_local.demo.activity import Day
from crmflow_local.demo.collect import OSLO, Collector, Final
from crmflow_local.runtime import DEFAULT_START, Runtime, to_datetime

DAYS = 30
SEED = 12
MORNING = timedelta(hours=1)  # the day's first batch of work: one hour after the clock's start time
AFTERNOON = timedelta(hours=7)


@dataclass
class Timings:
    """Wall time of each part of the run, in seconds."""

    setup: float = 0.0
    load: float = 0.0
    days: float = 0.0
    collect: float = 0.0
    report: float = 0.0
    total: float = 0.0


class Demo:
    """One run of the demo. Use as a context manager: the runtime stays open until the block ends, so
    a caller (a test) can ask the API about the account after :meth:`run`.

    ``scale`` multiplies the account and the daily activity (1.0 is ``make demo``); ``days`` is the
    number of simulated days."""

    def __init__(
        self,
        start: str = DEFAULT_START,
        *,
        scale: float = 1.0,
        days: int = DAYS,
        seed: int = SEED,
        out_dir: str | Path = "out/demo",
        console: Console | None = None,
    ) -> None:
        self.start = to_datetime(start)
        self.size = building.Size().scaled(scale)
        self.scale = scale
        self.seed = seed
        self.days = days
        self.rnd = random.Random(seed)
        self.out_dir = Path(out_dir)
        self.console = console or Console()
        self.timings = Timings()
        self._stack = ExitStack()
        self.account = building.Account()
        self.workflows: list[dict[str, Any]] = []
        self.collector: Collector | None = None
        self.final: Final | None = None
        self.report_path: Path | None = None

    def __enter__(self) -> Demo:
        began = time.perf_counter()
        self._began = began
        try:
            self.webhook_url = self._stack.enter_context(building_workflows.billing_system())
            self._stack.enter_context(moto_seams.installed())
            self.rt: Runtime = self._stack.enter_context(Runtime(start=self.start))
        except BaseException:
            self._stack.close()
            raise
        self.timings.setup = time.perf_counter() - began
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    # ------------------------------------------------------------ the run
    def run(self) -> Path:
        rt, console = self.rt, self.console
        mark = time.perf_counter()
        building.configure(rt, self.account)
        pools = building.load(rt, self.account, self.size, self.rnd)
        building.automate(rt)
        self.workflows = building_workflows.create(rt, self.account, self.start, self.webhook_url)
        rt.settle()
        self.timings.load = time.perf_counter() - mark
        console.print(
            f"crmflow demo on the embedded runtime: {len(self.account.companies)} companies, "
            f"{self.account.contacts} contacts, {self.account.deals} deals, {self.account.tickets} tickets, "
            f"{len(self.workflows)} workflows on (built in {self.timings.load:.1f}s); "
            f"{self.days} days from {self.start:%Y-%m-%d %H:%M} UTC"
        )
        self.collector = collector = Collector(rt, self.account, self.workflows)
        day = Day(rt, self.account, self.size, self.rnd, pools)
        holidays = building_workflows.pause_dates(self.start)
        mark = time.perf_counter()
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "enrolled {task.fields[enrolled]:>5}  emails {task.fields[emails]:>5}  "
                "tickets {task.fields[tickets]:>4}"
            ),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(
                "day 0", total=self.days, enrolled=0, emails=0, tickets=self.account.tickets
            )
            for number in range(1, self.days + 1):
                begins = self.start + timedelta(days=number - 1)
                local = (begins + MORNING).astimezone(OSLO)
                progress.update(task, description=f"day {number:>2} {local:%a %d %b}")
                day.start_day(local, holidays)
                rt.advance(to=begins + MORNING)
                day.morning()
                rt.advance(to=begins + AFTERNOON)
                day.afternoon()
                rt.advance(to=begins + timedelta(days=1))
                snap = collector.snapshot(number, begins + MORNING)
                progress.update(
                    task, advance=1, enrolled=snap.enrolled, emails=snap.emails, tickets=snap.ticket_count
                )
        self.timings.days = time.perf_counter() - mark
        mark = time.perf_counter()
        self.final = collector.final(self.start, pools)
        self.timings.collect = time.perf_counter() - mark
        mark = time.perf_counter()
        self.timings.total = time.perf_counter() - self._began
        self.report_path = report.write(self, self.out_dir)
        self.timings.report = time.perf_counter() - mark
        self.print_summary()
        return self.report_path

    def print_summary(self) -> None:
        assert self.final is not None
        final = self.final
        table = Table(title=f"Workflows after {self.days} simulated days (GET /workflows/{{id}}/stats)")
        table.add_column("workflow", min_width=24)
        for heading in ("enrolled", "active", "completed", "left early", "goal met"):
            table.add_column(heading, justify="right")
        for workflow in final.workflows:
            stats = final.stats[workflow["id"]]
            goal = stats["goal"]
            table.add_row(
                f"{workflow['id']} {workflow['name']}",
                str(stats["enrolled"]),
                str(stats["active"]),
                str(stats["completed"]),
                str(stats["unenrolled"]),
                f"{goal['met']}/{goal['emailed']}" if workflow.get("goal") else "-",
            )
        self.console.print(table)
        totals = ", ".join(f"{n} {t}" for t, n in final.totals.items())
        self.console.print(f"account now: {totals}; {final.outbox} emails sent")
        t = self.timings
        self.console.print(
            f"report: {self.report_path}  (wall time {t.total:.1f}s: build {t.load:.1f}s, "
            f"{self.days} days {t.days:.1f}s, read back {t.collect:.1f}s)"
        )


def run_demo(
    start: str = DEFAULT_START,
    out: TextIO | None = None,
    *,
    scale: float = 1.0,
    days: int = DAYS,
    out_dir: str | Path = "out/demo",
) -> int:
    """``crmflow demo``: the whole run, printing to ``out`` (the terminal by default)."""
    console = Console(file=out) if out is not None else Console()
    with Demo(start, scale=scale, days=days, out_dir=out_dir, console=console) as demo:
        demo.run()
    return 0
