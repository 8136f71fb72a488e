"""W-2 (pause dates) and W-3 (execution time windows) in one place, plus the delay arithmetic.

:func:`next_allowed_run` answers "when may an action that is due at ``at`` run?". The state
machine's gate, the test mode and the explainer all call it.

Rules and the choices made where the SPEC is silent:

* Everything is judged in the workflow's time zone; instants go in and come out UTC-aware.
* W-2 first: an action due on a pause date runs on the next day that is not a pause date, at the
  same local wall-clock time (so 10:00 CET before a DST change is 10:00 CEST after it).
* W-3 next: when windows are set and that moment is outside every window, the action waits for the
  next opening: the start of the next window on a day that is not a pause date. A window is
  ``[start, end)`` in local time; windows may overlap and may differ per day.
* DST: a local time that does not exist (02:30 on Europe/Oslo's spring-forward day) resolves to
  the first valid instant after the gap (03:00 local). A local time that occurs twice (fall back)
  resolves to its first occurrence.
* Fixed delays (:func:`add_delay`) are elapsed time: a day is 24 hours, as in HubSpot, and delays
  keep counting through pause dates. The gate is applied to the moment the delay ends, by the caller.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from crmflow.filters import is_date_only, parse_instant
from crmflow.workflows.models import DelaySpec, DelayUntilAction, TimeWindow, WorkflowDefinition, minutes_of

# How far ahead to look for an opening before deciding there is none (pause dates are finite, so
# only a calendar that pauses every day a window is open for this long has no opening).
_SEARCH_DAYS = 3 * 366


class Reason(StrEnum):
    """Why an action waits (the log's ``reason`` values)."""

    PAUSE_DATE = "PAUSE_DATE"
    TIME_WINDOW = "TIME_WINDOW"


class Calendar(BaseModel):
    """A workflow's time zone, pause dates and execution time windows."""

    model_config = ConfigDict(frozen=True)

    timeZone: str = "UTC"
    pauseDates: frozenset[date] = Field(default_factory=frozenset)
    timeWindows: tuple[TimeWindow, ...] = ()

    _tz: ZoneInfo = PrivateAttr()

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timeZone: unknown time zone '{v}'") from None
        return v

    def model_post_init(self, __context: Any) -> None:
        self._tz = ZoneInfo(self.timeZone)

    @classmethod
    def from_definition(cls, defn: WorkflowDefinition) -> "Calendar":
        return cls(
            timeZone=defn.timeZone,
            pauseDates=frozenset(defn.pauseDates),
            timeWindows=tuple(defn.timeWindows),
        )

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def local(self, at: datetime) -> datetime:
        """``at`` as local wall-clock time in the workflow's zone (aware)."""
        return _utc(at).astimezone(self._tz)

    def is_pause_date(self, at: datetime) -> bool:
        return self.local(at).date() in self.pauseDates

    def in_window(self, at: datetime) -> bool:
        """True when no windows are set, or ``at``'s local weekday and time are inside one."""
        if not self.timeWindows:
            return True
        local = self.local(at)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        weekday = local.weekday()
        return any(
            weekday in {d.number for d in w.days} and w.start_minutes <= minute < w.end_minutes
            for w in self.timeWindows
        )

    def is_allowed(self, at: datetime) -> bool:
        return not self.is_pause_date(at) and self.in_window(at)

    def resolve(self, day: date, wall: time) -> datetime:
        """The UTC instant of local ``day`` at ``wall`` (DST: gap → first instant after, fold → first)."""
        return resolve_local(day, wall, self._tz)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return at.astimezone(UTC)


def resolve_local(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which local ``day`` ``wall`` happens in ``tz``.

    A wall time inside a DST gap resolves to the first valid instant after the gap; an ambiguous
    one (DST ends) to its first occurrence.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0)
    candidate = first.astimezone(UTC)
    if candidate.astimezone(tz).replace(tzinfo=None) == naive:
        return candidate
    # In a gap: fold=1 uses the offset after the change (an instant before the gap), fold=0 the
    # offset before it (an instant after). The change lies between; find it to the second.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = candidate
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def _wall(minutes: int) -> tuple[int, time]:
    """(day offset, time) for minutes since local midnight; 1440 is the next day's 00:00."""
    return minutes // 1440, time((minutes % 1440) // 60, minutes % 60)


def _next_opening(candidate: datetime, cal: Calendar) -> datetime:
    """The earliest instant ≥ ``candidate`` inside a window on a day that is not a pause date."""
    start_day = cal.local(candidate).date()
    for offset in range(_SEARCH_DAYS):
        day = start_day + timedelta(days=offset)
        if day in cal.pauseDates:
            continue
        best: datetime | None = None
        for w in cal.timeWindows:
            if day.weekday() not in {d.number for d in w.days}:
                continue
            opens = cal.resolve(day, _wall(w.start_minutes)[1])
            end_offset, end_wall = _wall(w.end_minutes)
            closes = cal.resolve(day + timedelta(days=end_offset), end_wall)
            if closes <= candidate:
                continue
            run = max(opens, candidate)
            if best is None or run < best:
                best = run
        if best is not None:
            return best
    raise ValueError(f"no execution time window opens within {_SEARCH_DAYS} days of {candidate.isoformat()}")


def _after_pause_dates(at: datetime, cal: Calendar) -> datetime:
    """W-2: the same local wall-clock time on the next day that is not a pause date."""
    local = cal.local(at)
    day = local.date() + timedelta(days=1)
    while day in cal.pauseDates:
        day += timedelta(days=1)
    return cal.resolve(day, local.time())


def next_allowed_run_with_reason(at: datetime, cal: Calendar) -> tuple[datetime, Reason | None]:
    """The moment an action due at ``at`` may run, and why it waits (None when it need not)."""
    at = _utc(at)
    if cal.is_allowed(at):
        return at, None
    reason = Reason.PAUSE_DATE if cal.is_pause_date(at) else Reason.TIME_WINDOW
    candidate = _after_pause_dates(at, cal) if reason is Reason.PAUSE_DATE else at
    if not cal.in_window(candidate):
        candidate = _next_opening(candidate, cal)
    return candidate, reason


def next_allowed_run(at: datetime, cal: Calendar) -> datetime:
    """The moment an action due at ``at`` may run (``at`` itself when it is allowed). UTC in and out."""
    return next_allowed_run_with_reason(at, cal)[0]


def add_delay(at: datetime, days: int = 0, hours: int = 0, minutes: int = 0) -> datetime:
    """A fixed DELAY: elapsed time, a day being 24 hours (not "same time tomorrow" across DST)."""
    return _utc(at) + timedelta(days=days, hours=hours, minutes=minutes)


def delay_end(at: datetime, spec: DelaySpec, cal: Calendar) -> datetime:
    """When a DELAY that starts at ``at`` ends: elapsed time, or with ``businessHours`` only the time
    inside the workflow's execution windows on days that are not pause dates (4 business hours from
    Friday 15:00 with Mon-Fri 09-17 windows end Monday 11:00)."""
    if not spec.businessHours:
        return add_delay(at, spec.days, spec.hours, spec.minutes)
    remaining = timedelta(days=spec.days, hours=spec.hours, minutes=spec.minutes)
    moment = _utc(at)
    while True:
        moment = next_allowed_run(moment, cal)
        closes = _window_close(moment, cal)
        if closes is None or moment + remaining <= closes:
            return moment + remaining
        remaining -= closes - moment
        moment = closes


def _window_close(at: datetime, cal: Calendar) -> datetime | None:
    """When the allowed stretch containing ``at`` ends: the close of its window; without windows the
    next local midnight when pause dates exist (checked day by day); ``None`` when it never ends."""
    day = cal.local(at).date()
    if not cal.timeWindows:
        return cal.resolve(day + timedelta(days=1), time(0, 0)) if cal.pauseDates else None
    ends = []
    for w in cal.timeWindows:
        if day.weekday() in {d.number for d in w.days}:
            end_offset, end_wall = _wall(w.end_minutes)
            closes = cal.resolve(day + timedelta(days=end_offset), end_wall)
            if cal.resolve(day, _wall(w.start_minutes)[1]) <= at < closes:
                ends.append(closes)
    return min(ends) if ends else None


def delay_until(
    at: datetime,
    action: DelayUntilAction,
    record_properties: Mapping[str, Any],
    cal: Calendar,
    property_type: str | None = None,
) -> datetime:
    """When a DELAY_UNTIL that starts at ``at`` ends (never before ``at``).

    * ``untilProperty``: the property's value, ISO 8601 or epoch milliseconds. A date without a time
      (an ISO ``YYYY-MM-DD``, or any value when ``property_type`` is ``"date"``, taking its UTC day)
      means that day at the action's ``time`` (default 00:00, local midnight) in the workflow's time
      zone. A missing or unreadable value, or one in the past, ends the delay at once (``at``).
    * ``weekdays`` + ``time``: the next of those weekdays at that local time, at or after ``at``.

    Pause dates and windows are not applied here: the caller gates the next action as usual.
    """
    at = _utc(at)
    if action.untilProperty:
        raw = record_properties.get(action.untilProperty)
        if raw is None or str(raw).strip() == "":
            return at
        text = str(raw).strip()
        instant = parse_instant(text)
        if instant is None:
            return at
        if property_type == "date" or is_date_only(text):
            wall = _wall(minutes_of(action.time))[1] if action.time else time(0, 0)
            instant = cal.resolve(instant.date(), wall)
        return max(instant, at)

    assert action.weekdays and action.time  # guaranteed by the model
    wanted = {d.number for d in action.weekdays}
    wall = _wall(minutes_of(action.time))[1]
    today = cal.local(at).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() in wanted:
            run = cal.resolve(day, wall)
            if run >= at:
                return run
    raise AssertionError("unreachable: every weekday recurs within 8 days")
