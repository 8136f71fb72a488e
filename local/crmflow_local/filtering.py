"""Lambda event filtering: which records of a stream or queue an event source mapping delivers.

A mapping's ``FilterCriteria`` (``{"Filters": [{"Pattern": "<json>"}, ...]}``) holds EventBridge
patterns; a record is delivered when it matches any of them, and with no criteria every record is.
Patterns are matched by moto's EventBridge matcher (``moto.events.models.EventPattern``), the one
moto's EventBridge rules use; ``tests/test_moto_seams.py`` fails loudly if moto moves or changes it.

DynamoDB patterns see the Lambda stream record (``eventName``, ``dynamodb.NewImage...``). SQS patterns
see the Lambda SQS record with ``body`` parsed when it holds a JSON object, as Lambda does; a body that
is not a JSON object is matched as the raw string.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern


@dataclass(frozen=True)
class RecordFilter:
    """The compiled ``FilterCriteria`` of one event source mapping; no patterns lets everything pass."""

    patterns: tuple[EventPattern, ...] = ()

    def passes(self, record: Mapping[str, Any]) -> bool:
        """Whether Lambda would deliver this (Lambda-shaped) stream or SQS record."""
        if not self.patterns:
            return True
        view: Any = _sqs_view(record) if record.get("eventSource") == "aws:sqs" else record
        return any(pattern.matches_event(view) for pattern in self.patterns)

    def split(self, records: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The records in order, as (delivered, dropped)."""
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for record in records:
            (kept if self.passes(record) else dropped).append(record)
        return kept, dropped


def compile_filter_criteria(criteria: Mapping[str, Any] | None) -> RecordFilter:
    """Compile a SAM/CloudFormation ``FilterCriteria``; an invalid pattern raises ``ValueError``."""
    patterns = []
    for number, entry in enumerate((criteria or {}).get("Filters") or [], start=1):
        raw = entry.get("Pattern")
        text = raw if isinstance(raw, str) else json.dumps(raw)
        try:
            pattern = EventPattern.load(text)
        except Exception as error:  # moto raises its own InvalidEventPatternException
            raise ValueError(f"FilterCriteria filter {number}: invalid pattern {text!r}: {error}") from error
        patterns.append(pattern)
    return RecordFilter(tuple(patterns))


def _sqs_view(record: Mapping[str, Any]) -> Mapping[str, Any]:
    body = record.get("body")
    if not isinstance(body, str):
        return record
    try:
        parsed = json.loads(body)
    except ValueError:
        return record
    return {**record, "body": parsed} if isinstance(parsed, dict) else record
