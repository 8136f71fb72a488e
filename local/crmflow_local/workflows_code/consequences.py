"""What saving a new definition does to the records already in a workflow (docs/workflows.md,
"Editing a workflow that records are running through"), in words, with the counts of
``GET /workflows/{id}/stats``.

The delays whose records are restarted are the engine's own choice
(:func:`crmflow.engine.live_edits.changed_delays`): a delay removed or turned into another type
releases its records at once (W-12); a delay whose settings changed reschedules them, counting the
time they already waited (W-13). Removed and added actions follow W-11 and W-10.
"""

from __future__ import annotations

from typing import Any

from crmflow.engine.live_edits import changed_delays
from crmflow.workflows.models import DelayAction, DelaySpec, WorkflowDefinition, has_goal


def _records(count: int, verb_one: str, verb_many: str) -> str:
    return f"{count} waiting record {verb_one}" if count == 1 else f"{count} waiting records {verb_many}"


def _amount(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def describe(spec: DelaySpec) -> str:
    """``2 days``, ``1 hour 30 minutes``, ``4 hours of business hours``."""
    parts = [
        _amount(value, unit)
        for value, unit in ((spec.days, "day"), (spec.hours, "hour"), (spec.minutes, "minute"))
        if value
    ]
    text = " ".join(parts) or "0 minutes"
    return f"{text} of business hours" if spec.businessHours else text


def _seconds(spec: DelaySpec) -> int:
    return ((spec.days * 24 + spec.hours) * 60 + spec.minutes) * 60


def _moving_on_at_once(old: DelaySpec, new: DelaySpec, time_left: list[dict[str, Any]], waiting: int) -> str:
    """W-13 for a shortened elapsed-time delay: the records that already waited the new length."""
    if old.businessHours or new.businessHours or _seconds(new) >= _seconds(old):
        return ""
    shorter = _seconds(old) - _seconds(new)
    done = sum(1 for entry in time_left if int(entry.get("secondsLeft", 0)) <= shorter)
    if not done:
        return ""
    prefix = "at least " if len(time_left) < waiting else ""
    return f"; {prefix}{done} of them already waited that long and move on at once"


def consequences(
    old: WorkflowDefinition, new: WorkflowDefinition, stats: dict[str, Any], enabled: bool
) -> list[str]:
    """One sentence per consequence of replacing ``old`` by ``new``; empty when nothing in the
    workflow is affected beyond its definition."""
    waiting: dict[str, int] = {str(k): int(v) for k, v in (stats.get("waiting") or {}).items()}
    time_left: dict[str, list[dict[str, Any]]] = stats.get("timeLeft") or {}
    active = int(stats.get("active") or 0)
    said: list[str] = []
    restarted = set(changed_delays(old, new))
    for action in old.actions:
        now = new.action(action.id)
        n = waiting.get(action.id, 0)
        label = f"action {action.id} ({action.type})"
        if action.id in restarted:
            if now is None:
                said.append(f"{label}: a delay is removed: {_records(n, 'moves on', 'move on')} (W-12)")
            elif now.type != action.type:
                said.append(
                    f"{label}: a delay becomes a {now.type}: {_records(n, 'moves on', 'move on')} (W-12)"
                )
            elif isinstance(action, DelayAction) and isinstance(now, DelayAction):
                at_once = _moving_on_at_once(action.delay, now.delay, time_left.get(action.id, []), n)
                said.append(
                    f"{label}: a delay changes from {describe(action.delay)} to {describe(now.delay)}: "
                    f"{_records(n, 'is', 'are')} rescheduled, counting the time already waited"
                    f"{at_once} (W-13)"
                )
            else:
                said.append(
                    f"{label}: a delay's settings change: {_records(n, 'is', 'are')} rescheduled from "
                    "its new settings, from when they reached it (W-13)"
                )
        elif now is None:
            said.append(
                f"{label}: an action is removed: {_records(n, 'skips', 'skip')} it, going on to the "
                "action it led to, logged as ERROR with reason ACTION_REMOVED (W-11)"
            )
        elif now.type != action.type or now.model_dump(exclude={"next"}) != action.model_dump(
            exclude={"next"}
        ):
            what = f"becomes a {now.type}" if now.type != action.type else "changes"
            said.append(
                f"{label}: the action {what}: records that reach it from now on run the new one "
                f"({n} waiting at it)"
            )
    for action in new.actions:
        if old.action(action.id) is None:
            said.append(
                f"action {action.id} ({action.type}): an action is added: of the {active} active records, "
                "those that have not reached its place yet run it, those past it do not (W-10)"
            )
    calendar = ("timeZone", "timeWindows", "pauseDates")
    if any(getattr(old, field) != getattr(new, field) for field in calendar):
        said.append(
            "the time zone, time windows or pause dates change: delays keep their ends; the new calendar "
            "applies to actions that become due from now on"
        )
    if has_goal(old) and not has_goal(new):
        said.append(
            "every goal criterion is removed: the goal counts (met, emailed, conversion) start again "
            "at zero (G-4)"
        )
    if enabled and old.enrollment != new.enrollment:
        said.append(
            "the enrollment triggers change: records that come to meet them enroll from now on; "
            "records that already meet them are not enrolled (apply does not send enrollExisting, E-2)"
        )
    return said
