"""The limits of a delegation and a snooze, and the next instant a person can be reached."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflow.availability import (
    DELEGATION_MAX_DAYS,
    SNOOZE_MAX,
    Reach,
    WorkHours,
    delegation_end,
    delegation_fault,
    next_reachable,
    parse_hours,
    snooze_end,
    zone,
)
from workflow.calendar import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday
CAL = WorkCalendar()


def test_snooze_is_what_was_asked_within_the_limits() -> None:
    end = snooze_end(NOW, timedelta(days=2), [NOW + timedelta(days=5)])
    assert end is not None and (end.until, end.capped_by) == (NOW + timedelta(days=2), None)


def test_snooze_never_lasts_longer_than_the_limit() -> None:
    end = snooze_end(NOW, timedelta(days=30), [])
    assert end is not None and (end.until, end.capped_by) == (NOW + SNOOZE_MAX, "limit")


def test_snooze_ends_at_the_next_deadline_never_after_it() -> None:
    deadline = NOW + timedelta(hours=20)
    end = snooze_end(NOW, timedelta(days=3), [NOW - timedelta(hours=1), NOW + timedelta(days=2), deadline])
    assert end is not None and (end.until, end.capped_by) == (deadline, "deadline")


def test_no_snooze_when_the_deadline_is_minutes_away() -> None:
    assert snooze_end(NOW, timedelta(days=1), [NOW + timedelta(minutes=10)]) is None


def test_delegation_dates() -> None:
    today = NOW.date()
    assert delegation_fault(today, today) == "past"
    assert delegation_fault(today + timedelta(days=1), today) is None
    assert delegation_fault(today + timedelta(days=DELEGATION_MAX_DAYS), today) is None
    assert delegation_fault(today + timedelta(days=DELEGATION_MAX_DAYS + 1), today) == "too_long"
    # "until the 10th" covers the whole local day.
    assert delegation_end(date(2027, 1, 10), SHANGHAI) == datetime(2027, 1, 10, 16, 0, tzinfo=UTC)


def test_working_hours_are_read_or_ignored() -> None:
    assert parse_hours("09:00-18:00") == WorkHours(time(9), time(18))
    for bad in ("", "9-18", "18:00-09:00", "25:00-26:00", "09:00-09:00", None):
        assert parse_hours(bad) is None
    assert zone("Europe/Berlin", "Asia/Shanghai").key == "Europe/Berlin"
    assert zone("Mars/Olympus", "Asia/Shanghai").key == "Asia/Shanghai"
    assert zone("", "Asia/Shanghai").key == "Asia/Shanghai"


def _reach(hours: WorkHours | None, tz: str = "Asia/Shanghai", quiet: tuple[time, time] = (time(8), time(8))) -> Reach:
    return Reach(ZoneInfo(tz), hours, *quiet)


def test_next_reachable_moves_into_working_hours_on_a_working_day() -> None:
    nine_to_six = WorkHours(time(9), time(18))
    assert next_reachable(NOW, _reach(nine_to_six), CAL.is_working_day) == NOW
    early = NOW.replace(hour=7)
    assert next_reachable(early, _reach(nine_to_six), CAL.is_working_day) == NOW
    friday_evening = datetime(2024, 6, 7, 19, 0, tzinfo=SHANGHAI)
    # Saturday, Sunday and the Dragon Boat holiday (Monday 10 June) are skipped.
    assert next_reachable(friday_evening, _reach(nine_to_six), CAL.is_working_day) == datetime(
        2024, 6, 11, 9, 0, tzinfo=SHANGHAI)


def test_next_reachable_reads_the_persons_own_time_zone_and_the_quiet_hours() -> None:
    berlin = _reach(WorkHours(time(9), time(17)), "Europe/Berlin")
    assert next_reachable(NOW, berlin, CAL.is_working_day) == datetime(2024, 6, 3, 15, 0, tzinfo=SHANGHAI)
    quiet = _reach(None, "Europe/Berlin", (time(21), time(8)))
    # 09:00 in Shanghai is 03:00 in Berlin: quiet there until 08:00 (14:00 in Shanghai).
    assert next_reachable(NOW, quiet, CAL.is_working_day) == datetime(2024, 6, 3, 14, 0, tzinfo=SHANGHAI)
    assert next_reachable(NOW, _reach(None), CAL.is_working_day) == NOW
