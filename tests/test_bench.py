"""`make bench` keeps working: every benchmark at a tiny size, the table and the docs block it writes.

Benchmarks are not timed tests: nothing here asserts a speed, only that the figures are produced and
consistent (every contact completed, calls counted, costs priced)."""

from __future__ import annotations

from rich.console import Console

from benchmarks import cold_import, enrollment_1000, triggers
from benchmarks import run as bench


def test_every_benchmark_runs_at_a_tiny_size_and_prints_one_table():
    figures = {
        "fast": enrollment_1000.run(6, fast=True),
        "plain": enrollment_1000.run(3, fast=False),
        "reference": enrollment_1000.run(3, fast=True, kind="reference"),
        "triggers": triggers.run((3,)),
        "cold_import": cold_import.run(repeat=1, names=["action_delay"]),
    }
    fast, reference = figures["fast"], figures["reference"]
    assert fast["completed"] == 6 and figures["plain"]["completed"] == 3 and reference["completed"] == 3
    assert fast["calls_per_enrollment"]["ses SendRawEmail"] == 1.0  # one email each, counted once
    assert fast["transitions_per_step"] == 2.0
    assert fast["cost_per_million"]["Step Functions"] == 100.0  # 4 transitions at $0.025 per 1,000
    assert reference["cost_per_million"]["total"] > fast["cost_per_million"]["total"]
    console = Console(record=True, width=160)
    console.print(bench.table(figures))
    text = console.export_text()
    assert "enrollments/s, fast path" in text and "record change vs 3 workflows" in text

    docs = "before\n<!-- bench:cost -->\nafter\n"
    written = bench.MARK.sub(lambda _: bench.cost_markdown(figures), docs, count=1)
    assert written.startswith("before\n<!-- bench:cost -->") and written.endswith(
        "<!-- /bench:cost -->\nafter\n"
    )
    again = bench.MARK.sub(lambda _: bench.cost_markdown(figures), written, count=1)
    assert again == written  # the block is replaced, not repeated
