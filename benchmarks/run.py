"""``make bench``: every benchmark in one run, printed as one table; each ratio's two sides are
measured in this same run.

    python -m benchmarks.run                      # 1,000 contacts
    python -m benchmarks.run --contacts 10000     # time per enrollment must stay flat
    python -m benchmarks.run --quick              # a small run (the tests use it to keep this working)
    python -m benchmarks.run --write-docs         # also write the figures into docs/operations.md
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import cold_import, enrollment_1000, triggers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "operations.md"
MARK = re.compile(r"<!-- bench:cost -->(.*?<!-- /bench:cost -->)?", re.S)


def measure(
    contacts: int, plain_contacts: int, reference_contacts: int, workflow_counts: tuple[int, ...]
) -> dict[str, Any]:
    fast = enrollment_1000.run(contacts, fast=True)
    plain = enrollment_1000.run(plain_contacts, fast=False)
    reference = enrollment_1000.run(reference_contacts, fast=True, kind="reference")
    return {
        "fast": fast,
        "plain": plain,
        "reference": reference,
        "triggers": triggers.run(workflow_counts),
        "cold_import": cold_import.run(repeat=3),
    }


def table(figures: dict[str, Any]) -> Table:
    fast, plain, reference = figures["fast"], figures["plain"], figures["reference"]
    out = Table(title="crmflow benchmarks (embedded runtime, this machine, one run)", show_lines=False)
    out.add_column("what", style="bold")
    out.add_column("figure", justify="right")
    out.add_column("note")

    def row(what: str, figure: Any, note: str = "") -> None:
        out.add_row(what, str(figure), note)

    row(
        "enrollments/s, fast path",
        fast["enrollments_per_s"],
        f"{fast['contacts']:,} contacts, 2-day delay + email, {fast['wall_s']} s wall",
    )
    row(
        "enrollments/s, plain boto3 path",
        plain["enrollments_per_s"],
        f"{plain['contacts']:,} contacts, {plain['wall_s']} s wall",
    )
    row(
        "speed-up of the fast path",
        f"{fast['enrollments_per_s'] / max(plain['enrollments_per_s'], 1e-9):.1f}x",
        "enrollments/s, fast / plain",
    )
    row(
        "ms per enrollment, last tenth / first tenth",
        f"{fast['ms_per_enrollment_last_tenth'] / max(fast['ms_per_enrollment_first_tenth'], 1e-9):.2f}",
        f"{fast['ms_per_enrollment_first_tenth']} ms, then {fast['ms_per_enrollment_last_tenth']} ms",
    )
    row("completed", f"{fast['completed']:,} / {fast['contacts']:,}")
    out.add_section()
    row(
        "AWS calls per enrollment (handlers)",
        round(sum(fast["calls_per_enrollment"].values()), 2),
        "benchmark workflow",
    )
    for name, per in fast["calls_per_enrollment"].items():
        row(f"  {name}", per)
    row("Step Functions transitions per step", fast["transitions_per_step"])
    out.add_section()
    for label, run in (
        ("benchmark (delay, email)", fast),
        ("reference (delay, email, branch, set)", reference),
    ):
        cost = run["cost_per_million"]
        parts = ", ".join(f"{name} {value:,.2f}" for name, value in cost.items() if name != "total")
        row(f"$ per 1M enrollments, {label}", f"{cost['total']:,.2f}", parts)
    out.add_section()
    for count, result in figures["triggers"].items():
        row(
            f"record change vs {int(count):,} workflows (ms)",
            result["with_index_ms"],
            f"{result['without_index_ms']} ms without the trigger index: {result['speedup']}x",
        )
    out.add_section()
    cold = figures["cold_import"]
    row(
        "cold import, worst action handler / import boto3",
        f"{cold['worst_action_ratio']}x",
        f"{cold['worst_action']}; boto3 {cold['boto3_ms']} ms",
    )
    return out


def cost_markdown(figures: dict[str, Any]) -> str:
    lines = [
        "<!-- bench:cost -->",
        f"Measured by `python -m benchmarks.run --write-docs` ({figures['fast']['contacts']:,} contacts on"
        " the embedded runtime); dollars per 1,000,000 enrollments at us-east-1 list prices:",
        "",
        "| workflow | Step Functions | Lambda | DynamoDB | SQS | SES | EventBridge | total |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, key in (
        ("benchmark: 2-day delay, email", "fast"),
        ("reference: delay, email, branch, set property", "reference"),
    ):
        cost = figures[key]["cost_per_million"]
        cells = " | ".join(
            f"{cost[name]:,.2f}"
            for name in ("Step Functions", "Lambda", "DynamoDB", "SQS", "SES", "EventBridge", "total")
        )
        lines.append(f"| {label} | {cells} |")
    calls = figures["fast"]["calls_per_enrollment"]
    lines += [
        "",
        f"AWS calls per enrollment of the benchmark workflow: {round(sum(calls.values()), 2)} "
        f"({', '.join(f'{name} {per}' for name, per in calls.items())}); "
        f"{figures['fast']['transitions_per_step']} state transitions per executed step.",
        "<!-- /bench:cost -->",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000, help="contacts through the benchmark workflow")
    parser.add_argument("--quick", action="store_true", help="a small run: 30 contacts, 5 and 20 workflows")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the cost table into docs/operations.md"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        figures = measure(30, 30, 20, (5, 20))
    else:
        figures = measure(args.contacts, min(args.contacts, 1000), 200, (20, 200, 2000))
    Console().print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if args.write_docs:
        text = DOCS.read_text()
        DOCS.write_text(MARK.sub(lambda _: cost_markdown(figures), text, count=1))
    return figures


if __name__ == "__main__":
    main()
