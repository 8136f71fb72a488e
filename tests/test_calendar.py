"""W-2 pause dates, W-3 execution time windows, delays: exact instants, Europe/Oslo DST included.

Oslo is UTC+1 in winter (CET) and UTC+2 in summer (CEST); in 2026 summer time starts
2026-03-29 02:00 → 03:00 and ends 2026-10-25 03:00 → 02:00.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from crmflow.workflows.calendar import (
    Calendar,
    Reason,
    add_delay,
    delay_end,
    delay_until,
    next_allowed_run,
    next_allowed_run_with_reason,
)
from crmflow.workflows.models import DelaySpec, DelayUntilAction, WorkflowDefinition
from pydantic import ValidationError

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
OFFICE = {"days": WEEKDAYS, "start": "09:00", "end": "17:00"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cal(pause=(), windows=(), tz="Europe/Oslo") -> Calendar:
    return Calendar(timeZone=tz, pauseDates=list(pause), timeWindows=list(windows))


def run(at: str, calendar: Calendar) -> tuple[datetime, Reason | None]:
    return next_allowed_run_with_reason(utc(at), calendar)


# --- no constraints -------------------------------------------------------------------------------


def test_without_pause_dates_or_windows_an_action_runs_when_due():
    assert run("2026-12-24T10:00", cal()) == (utc("2026-12-24T10:00"), None)


def test_calendar_from_definition():
    defn = WorkflowDefinition.model_validate(
        {
            "name": "x",
            "objectType": "contacts",
            "timeZone": "Europe/Oslo",
            "pauseDates": ["2026-12-24"],
            "timeWindows": [OFFICE],
        }
    )
    calendar = Calendar.from_definition(defn)
    assert calendar.timeZone == "Europe/Oslo" and len(calendar.timeWindows) == 1
    assert run("2026-12-24T10:00", calendar)[1] is Reason.PAUSE_DATE


def test_unknown_time_zone_and_bad_window_are_rejected():
    with pytest.raises(ValidationError, match="unknown time zone"):
        cal(tz="Nowhere/City")
    with pytest.raises(ValidationError, match="end: must be after start"):
        cal(windows=[{"days": ["MON"], "start": "17:00", "end": "09:00"}])


def test_utc_in_utc_out_and_naive_rejected():
    oslo_noon = datetime(2026, 12, 7, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    result = next_allowed_run(oslo_noon, cal(windows=[OFFICE]))
    assert result == utc("2026-12-07T11:00") and result.tzinfo == UTC
    with pytest.raises(ValueError, match="aware"):
        next_allowed_run(datetime(2026, 12, 7, 12), cal())


# --- W-2 pause dates ------------------------------------------------------------------------------


def test_w2_action_due_on_a_pause_date_runs_next_day_same_local_time():
    # 2026-12-24 10:00 CET → 2026-12-25 10:00 CET
    assert run("2026-12-24T09:00", cal(pause=["2026-12-24"])) == (utc("2026-12-25T09:00"), Reason.PAUSE_DATE)


def test_w2_consecutive_pause_dates_are_all_skipped():
    calendar = cal(pause=["2026-12-24", "2026-12-25", "2026-12-26"])
    assert run("2026-12-24T09:00", calendar) == (utc("2026-12-27T09:00"), Reason.PAUSE_DATE)


def test_w2_pause_date_is_judged_in_the_workflow_time_zone():
    # 2026-12-23T23:30Z is already the 24th in Oslo (00:30 CET)
    assert run("2026-12-23T23:30", cal(pause=["2026-12-24"])) == (utc("2026-12-24T23:30"), Reason.PAUSE_DATE)
    # ...and 2026-12-24T23:30Z is the 25th in Oslo: not paused
    assert run("2026-12-24T23:30", cal(pause=["2026-12-24"])) == (utc("2026-12-24T23:30"), None)
    # in UTC the same instant is on the 23rd: not paused
    assert run("2026-12-23T23:30", cal(pause=["2026-12-24"], tz="UTC"))[1] is None


def test_w2_same_local_time_across_spring_forward():
    # Saturday 2026-03-28 10:00 CET (09:00Z) → Sunday 10:00 CEST (08:00Z)
    assert run("2026-03-28T09:00", cal(pause=["2026-03-28"])) == (utc("2026-03-29T08:00"), Reason.PAUSE_DATE)


def test_w2_same_local_time_across_fall_back():
    # Saturday 2026-10-24 10:00 CEST (08:00Z) → Sunday 10:00 CET (09:00Z)
    assert run("2026-10-24T08:00", cal(pause=["2026-10-24"])) == (utc("2026-10-25T09:00"), Reason.PAUSE_DATE)


def test_w2_local_time_that_does_not_exist_on_the_next_day_moves_to_the_end_of_the_gap():
    # 02:30 CET on the 28th; 02:30 does not exist on the 29th → 03:00 CEST = 01:00Z
    assert run("2026-03-28T01:30", cal(pause=["2026-03-28"])) == (utc("2026-03-29T01:00"), Reason.PAUSE_DATE)


def test_w2_local_time_that_occurs_twice_on_the_next_day_takes_the_first():
    # 02:30 CEST on the 24th → 02:30 CEST (first occurrence) on the 25th = 00:30Z
    assert run("2026-10-24T00:30", cal(pause=["2026-10-24"])) == (utc("2026-10-25T00:30"), Reason.PAUSE_DATE)


# --- W-3 time windows -----------------------------------------------------------------------------


def test_w3_inside_the_window_runs_at_once():
    assert run("2026-12-07T10:00", cal(windows=[OFFICE])) == (utc("2026-12-07T10:00"), None)
    assert run("2026-12-07T08:00", cal(windows=[OFFICE])) == (utc("2026-12-07T08:00"), None)  # 09:00 sharp


def test_w3_before_opening_waits_for_todays_start():
    # Monday 08:00 CET → 09:00 CET
    assert run("2026-12-07T07:00", cal(windows=[OFFICE])) == (utc("2026-12-07T08:00"), Reason.TIME_WINDOW)


def test_w3_after_closing_waits_for_tomorrows_start():
    assert run("2026-12-07T16:30", cal(windows=[OFFICE])) == (utc("2026-12-08T08:00"), Reason.TIME_WINDOW)


def test_w3_window_end_is_exclusive_and_weekends_are_skipped():
    # Friday 17:00 CET sharp → Monday 09:00 CET
    assert run("2026-12-04T16:00", cal(windows=[OFFICE])) == (utc("2026-12-07T08:00"), Reason.TIME_WINDOW)
    assert run("2026-12-04T15:59", cal(windows=[OFFICE]))[1] is None


def test_w3_several_windows_take_the_next_opening():
    windows = [
        {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
        {"days": WEEKDAYS, "start": "13:00", "end": "17:00"},
        {"days": ["SAT"], "start": "10:00", "end": "14:00"},
    ]
    calendar = cal(windows=windows)
    assert run("2026-12-07T11:30", calendar) == (utc("2026-12-07T12:00"), Reason.TIME_WINDOW)  # lunch
    assert run("2026-12-04T17:00", calendar) == (utc("2026-12-05T09:00"), Reason.TIME_WINDOW)  # Fri → Sat
    assert run("2026-12-05T13:00", calendar) == (utc("2026-12-07T08:00"), Reason.TIME_WINDOW)  # Sat → Mon


def test_w3_window_until_midnight():
    calendar = cal(windows=[{"days": ["SAT"], "start": "20:00", "end": "24:00"}])
    assert run("2026-12-05T22:59", calendar)[1] is None  # 23:59 CET Saturday
    assert run("2026-12-05T23:00", calendar) == (utc("2026-12-12T19:00"), Reason.TIME_WINDOW)


def test_w3_opening_after_spring_forward():
    # Friday 2026-03-27 18:00 CET → Monday 09:00 CEST = 07:00Z
    assert run("2026-03-27T17:00", cal(windows=[OFFICE])) == (utc("2026-03-30T07:00"), Reason.TIME_WINDOW)


def test_w3_window_start_inside_the_spring_forward_gap_opens_at_the_first_valid_instant():
    calendar = cal(windows=[{"days": ["SUN"], "start": "02:30", "end": "05:00"}])
    # Sunday 01:00 CET; 02:30 does not exist that day → 03:00 CEST = 01:00Z
    assert run("2026-03-29T00:00", calendar) == (utc("2026-03-29T01:00"), Reason.TIME_WINDOW)
    assert run("2026-03-29T01:00", calendar)[1] is None


def test_w3_opening_on_fall_back_day():
    calendar = cal(windows=[{"days": ["SUN"], "start": "09:00", "end": "17:00"}])
    # Sunday 02:00 CEST (00:00Z) → 09:00 CET = 08:00Z
    assert run("2026-10-25T00:00", calendar) == (utc("2026-10-25T08:00"), Reason.TIME_WINDOW)
    # repeated hour: 02:15 CET (the second 02:15) is inside a 02:00-03:00 window too
    hour = cal(windows=[{"days": ["SUN"], "start": "02:00", "end": "03:00"}])
    assert run("2026-10-25T00:15", hour)[1] is None
    assert run("2026-10-25T01:15", hour)[1] is None


# --- W-2 and W-3 together -------------------------------------------------------------------------


def test_pause_date_on_a_friday_before_a_weekend_with_weekday_window():
    # Friday 2026-12-04 11:00 CET is paused → Saturday 11:00 is outside the window → Monday 09:00
    calendar = cal(pause=["2026-12-04"], windows=[OFFICE])
    assert run("2026-12-04T10:00", calendar) == (utc("2026-12-07T08:00"), Reason.PAUSE_DATE)


def test_pause_date_shift_that_stays_inside_the_window_keeps_the_local_time():
    # Thursday 2026-12-03 11:00 CET paused → Friday 11:00 CET, inside the window
    calendar = cal(pause=["2026-12-03"], windows=[OFFICE])
    assert run("2026-12-03T10:00", calendar) == (utc("2026-12-04T10:00"), Reason.PAUSE_DATE)


def test_christmas_pause_dates_with_weekday_window():
    calendar = cal(pause=["2026-12-24", "2026-12-25"], windows=[OFFICE])
    # Thursday 24th 11:00 → (25th paused) → Saturday 26th 11:00 outside → Monday 28th 09:00 CET
    assert run("2026-12-24T10:00", calendar) == (utc("2026-12-28T08:00"), Reason.PAUSE_DATE)
    # before the window on the 24th: same answer
    assert run("2026-12-24T06:00", calendar) == (utc("2026-12-28T08:00"), Reason.PAUSE_DATE)
    # Wednesday 23rd after closing: the next opening skips the pause dates and the weekend
    assert run("2026-12-23T17:00", calendar) == (utc("2026-12-28T08:00"), Reason.TIME_WINDOW)
    # Wednesday 23rd inside the window runs at once
    assert run("2026-12-23T12:00", calendar) == (utc("2026-12-23T12:00"), None)


def test_christmas_pause_dates_with_every_day_window():
    every_day = {"days": [*WEEKDAYS, "SAT", "SUN"], "start": "09:00", "end": "17:00"}
    calendar = cal(pause=["2026-12-24", "2026-12-25"], windows=[every_day])
    assert run("2026-12-24T10:00", calendar) == (utc("2026-12-26T10:00"), Reason.PAUSE_DATE)
    assert run("2026-12-23T17:30", calendar) == (utc("2026-12-26T08:00"), Reason.TIME_WINDOW)


def test_result_is_always_allowed_and_never_earlier():
    calendar = cal(pause=["2026-12-24", "2026-12-25", "2026-03-30"], windows=[OFFICE])
    start = utc("2026-03-26T00:00")
    for step in range(0, 24 * 14, 5):
        at = start + timedelta(hours=step)
        result = next_allowed_run(at, calendar)
        assert result >= at and calendar.is_allowed(result)
        assert next_allowed_run(result, calendar) == result


# --- delays ---------------------------------------------------------------------------------------


def test_fixed_delay_is_elapsed_time_even_across_dst():
    # 2026-03-28 13:00 CET + 1 day = 2026-03-29 14:00 CEST: 24 hours, not "same time tomorrow"
    assert add_delay(utc("2026-03-28T12:00"), days=1) == utc("2026-03-29T12:00")
    assert add_delay(utc("2026-12-01T08:00"), days=2, hours=3, minutes=30) == utc("2026-12-03T11:30")
    assert add_delay(utc("2026-12-01T08:00")) == utc("2026-12-01T08:00")


def until(**fields) -> DelayUntilAction:
    return DelayUntilAction.model_validate({"id": "1", "type": "DELAY_UNTIL", **fields})


OSLO = cal()


def test_delay_until_datetime_property():
    action = until(untilProperty="renewal")
    at = utc("2026-12-01T08:00")
    assert delay_until(at, action, {"renewal": "2026-12-10T12:34:00Z"}, OSLO) == utc("2026-12-10T12:34")
    ms = str(int(utc("2026-12-10T12:34").timestamp() * 1000))
    assert delay_until(at, action, {"renewal": ms}, OSLO) == utc("2026-12-10T12:34")


def test_delay_until_date_means_local_midnight_or_the_given_time():
    at = utc("2026-12-01T08:00")
    assert delay_until(at, until(untilProperty="d"), {"d": "2026-12-28"}, OSLO) == utc("2026-12-27T23:00")
    with_time = until(untilProperty="d", time="09:00")
    assert delay_until(at, with_time, {"d": "2026-12-28"}, OSLO) == utc("2026-12-28T08:00")
    # a date property sent as epoch ms (midnight UTC) is that calendar day
    assert delay_until(at, with_time, {"d": "1798070400000"}, OSLO, property_type="date") == utc(
        "2026-12-24T08:00"
    )
    # summer date: midnight CEST
    assert delay_until(utc("2026-06-01T00:00"), until(untilProperty="d"), {"d": "2026-07-01"}, OSLO) == utc(
        "2026-06-30T22:00"
    )


def test_delay_until_past_missing_or_unreadable_value_continues_at_once():
    at = utc("2026-12-01T08:00")
    action = until(untilProperty="d")
    assert delay_until(at, action, {"d": "2026-11-30T00:00:00Z"}, OSLO) == at
    assert delay_until(at, action, {"d": "2026-12-01"}, OSLO) == at  # midnight today is past
    assert delay_until(at, action, {}, OSLO) == at
    assert delay_until(at, action, {"d": ""}, OSLO) == at
    assert delay_until(at, action, {"d": "soon"}, OSLO) == at


def test_delay_until_next_weekday_and_time():
    at = utc("2026-12-02T10:00")  # Wednesday 11:00 CET
    assert delay_until(at, until(weekdays=["MON"], time="09:00"), {}, OSLO) == utc("2026-12-07T08:00")
    assert delay_until(at, until(weekdays=["WED"], time="12:00"), {}, OSLO) == utc("2026-12-02T11:00")
    assert delay_until(at, until(weekdays=["WED"], time="10:00"), {}, OSLO) == utc("2026-12-09T09:00")
    assert delay_until(at, until(weekdays=["WED"], time="11:00"), {}, OSLO) == at  # at or after
    assert delay_until(at, until(weekdays=["FRI", "MON"], time="09:00"), {}, OSLO) == utc("2026-12-04T08:00")


def test_delay_until_weekday_across_dst():
    at = utc("2026-03-27T12:00")  # Friday 13:00 CET
    assert delay_until(at, until(weekdays=["MON"], time="09:00"), {}, OSLO) == utc("2026-03-30T07:00")
    # Sunday 02:30 does not exist on 2026-03-29 → 03:00 CEST
    assert delay_until(at, until(weekdays=["SUN"], time="02:30"), {}, OSLO) == utc("2026-03-29T01:00")
    # fall back: Sunday 2026-10-25 09:00 CET
    fall = utc("2026-10-23T12:00")
    assert delay_until(fall, until(weekdays=["SUN"], time="09:00"), {}, OSLO) == utc("2026-10-25T08:00")


# ---------------------------------------------------------------- business-hours delays
BUSINESS_4H = DelaySpec(hours=4, businessHours=True)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-01T08:00:00Z", "2026-12-01T12:00:00Z"),  # Tue 09:00 Oslo: inside one day
        ("2026-12-04T14:00:00Z", "2026-12-07T10:00:00Z"),  # Fri 15:00: 2 h Friday, 2 h Monday
        ("2026-12-05T10:00:00Z", "2026-12-07T12:00:00Z"),  # Saturday: from Monday 09:00
        ("2026-12-01T20:00:00Z", "2026-12-02T12:00:00Z"),  # Tue 21:00: from Wednesday 09:00
    ],
)
def test_business_hours_delay_counts_only_time_inside_the_windows(start: str, end: str) -> None:
    assert delay_end(utc(start), BUSINESS_4H, cal(windows=[OFFICE])) == utc(end)


def test_business_hours_delay_skips_pause_dates() -> None:
    # Thu 2026-12-24 15:00 Oslo, the 25th paused: 2 h on Thursday, then Monday the 28th (26th-27th weekend)
    calendar = cal(pause=["2026-12-25"], windows=[OFFICE])
    assert delay_end(utc("2026-12-24T14:00:00Z"), BUSINESS_4H, calendar) == utc("2026-12-28T10:00:00Z")


def test_business_hours_without_windows_is_elapsed_time_except_pause_dates() -> None:
    spec = DelaySpec(hours=30, businessHours=True)
    assert delay_end(utc("2026-12-01T08:00:00Z"), spec, cal()) == utc("2026-12-02T14:00:00Z")
    # Tue 09:00 Oslo, Wednesday paused: 15 h on Tuesday, 15 h on Thursday from midnight
    paused = cal(pause=["2026-12-02"])
    assert delay_end(utc("2026-12-01T08:00:00Z"), spec, paused) == utc("2026-12-03T14:00:00Z")


def test_plain_delay_is_elapsed_time_through_windows() -> None:
    spec = DelaySpec(hours=4)
    assert delay_end(utc("2026-12-04T14:00:00Z"), spec, cal(windows=[OFFICE])) == utc("2026-12-04T18:00:00Z")
