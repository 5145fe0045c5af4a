"""WorkCalendar: China working days with 调休, the unknown-year fallback, and quiet hours."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.calendar import BadArrangement, WorkCalendar, arrangement, arrangements_from_mapping

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_three_working_days_over_national_day_2025_land_on_the_make_up_saturday():
    result = CAL.add_working_days(local(2025, 9, 30), 3)
    assert result == datetime(2025, 10, 11, 2, 0, tzinfo=UTC)
    assert result.tzinfo is UTC
    assert result.astimezone(SH).strftime("%a %H:%M") == "Sat 10:00"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 9, 30), True),
        *[(date(2025, 10, d), False) for d in range(1, 9)],  # National Day + Mid-Autumn
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),
        (date(2026, 1, 4), True),  # Sunday make-up for New Year 2026
        (date(2025, 6, 2), False),  # Dragon Boat fell on Saturday, Monday off
    ],
)
def test_is_working_day_follows_the_state_council_schedule(day, working):
    assert CAL.is_working_day(day) is working


def test_negative_and_zero_working_days():
    assert CAL.add_working_days(local(2025, 10, 9), -1) == local(2025, 9, 30)
    start = local(2025, 10, 4, 15, 30)  # a holiday: n=0 does not move it
    assert CAL.add_working_days(start, 0) == start


def test_add_days_counts_calendar_days_at_the_same_local_time():
    assert CAL.add_days(local(2025, 9, 30, 22, 30), 7) == local(2025, 10, 7, 22, 30)


def test_local_date_uses_the_calendar_time_zone():
    assert CAL.local_date(datetime(2025, 9, 30, 17, 0, tzinfo=UTC)) == date(2025, 10, 1)
    assert WorkCalendar(tz="UTC").local_date(datetime(2025, 9, 30, 17, tzinfo=UTC)) == date(
        2025, 9, 30
    )


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_days(datetime(2025, 9, 30, 10), 1)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 30)),
    n=st.integers(min_value=1, max_value=25),
)
def test_add_working_days_lands_on_the_nth_working_day(start, n):
    result = CAL.local_date(CAL.add_working_days(datetime.combine(start, time(9), SH), n))
    assert CAL.is_working_day(result)
    between = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(CAL.is_working_day(d) for d in between) == n


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2025, 9, 24, 22, 30), local(2025, 9, 25, 8, 0)),
        (local(2025, 9, 24, 21, 0), local(2025, 9, 25, 8, 0)),
        (local(2025, 9, 24, 7, 59), local(2025, 9, 24, 8, 0)),
        (local(2025, 9, 24, 0, 0), local(2025, 9, 24, 8, 0)),
        (local(2025, 9, 24, 8, 0), local(2025, 9, 24, 8, 0)),
        (local(2025, 9, 24, 20, 59), local(2025, 9, 24, 20, 59)),
    ],
)
def test_out_of_quiet_hours_moves_night_instants_to_the_next_morning(at, expected):
    moved = CAL.out_of_quiet_hours(at)
    assert moved == expected
    assert moved.tzinfo is UTC


def test_quiet_hours_window_inside_one_day_and_empty_window():
    lunch = WorkCalendar(quiet_start=time(12), quiet_end=time(13, 30))
    assert lunch.out_of_quiet_hours(local(2025, 9, 24, 12, 10)) == local(2025, 9, 24, 13, 30)
    assert lunch.out_of_quiet_hours(local(2025, 9, 24, 22)) == local(2025, 9, 24, 22)
    never = WorkCalendar(quiet_start=time(8), quiet_end=time(8))
    assert never.out_of_quiet_hours(local(2025, 9, 24, 3)) == local(2025, 9, 24, 3)


def test_official_years_are_those_with_a_published_schedule():
    assert {2024, 2025, 2026} <= CAL.known_years
    assert CAL.is_official_year(2025)
    assert not CAL.is_official_year(2090)


def test_unknown_year_falls_back_to_weekdays_minus_statutory_days_and_reports_once():
    reported: list[int] = []
    cal = WorkCalendar(on_unknown_year=reported.append)
    assert not cal.is_working_day(date(2090, 10, 2))  # Monday, National Day
    assert cal.is_working_day(date(2090, 10, 5))  # Thursday: no guessed 调休 week
    assert not cal.is_working_day(date(2090, 10, 7))  # Saturday: no guessed make-up day
    assert cal.local_date(cal.add_working_days(local(2090, 9, 29), 1)) == date(2090, 10, 4)
    cal.is_working_day(date(2025, 10, 11))
    assert reported == [2090]
    cal.is_working_day(date(2091, 3, 1))
    assert reported == [2090, 2091]
    again: list[int] = []
    WorkCalendar(on_unknown_year=again.append).is_working_day(date(2090, 1, 1))
    assert again == [2090]


# --- years without the official arrangement, and loading one -----------------------------------

# A sample arrangement for the tests (not the official 2027 notice): Spring Festival 5–13 February
# with a make-up working Saturday on 20 February.
SAMPLE_2027 = {"holidays": ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 14))],
               "workdays": ["2027-02-20"], "source": "test sample"}


def test_a_year_missing_from_the_data_marks_deadlines_provisional():
    cal = WorkCalendar()
    assert not cal.is_official_year(2027) and cal.is_provisional(date(2027, 2, 9))
    due = cal.due_in_working_days(local(2027, 2, 8), 3)
    assert due.provisional and cal.local_date(due.at) == date(2027, 2, 11)
    # A deadline counted within an official year is not provisional …
    assert not cal.due_in_working_days(local(2025, 9, 30), 3).provisional
    # … but one that runs into the unknown year is.
    assert cal.due_in_working_days(local(2026, 12, 30), 5).provisional


def test_loading_the_arrangement_fixes_the_count_and_clears_the_mark():
    cal = WorkCalendar(arrangements=arrangements_from_mapping({"years": {"2027": SAMPLE_2027}}))
    assert cal.is_official_year(2027) and not cal.is_provisional(date(2027, 2, 9))
    due = cal.due_in_working_days(local(2027, 2, 8), 3)
    assert not due.provisional and cal.local_date(due.at) == date(2027, 2, 17)
    assert cal.is_working_day(date(2027, 2, 20))  # the make-up Saturday
    assert not cal.is_working_day(date(2027, 2, 21))  # an ordinary Sunday
    assert cal.is_working_day(date(2027, 3, 1))  # an ordinary Monday


@pytest.mark.parametrize(("holidays", "workdays", "reason"), [
    ([], [], "at least one holiday"),
    (["2027-02-05"], ["2027-02-08"], "weekday"),  # a Monday cannot be a make-up day
    (["2027-02-06"], ["2027-02-06"], "both"),
    (["2027-02-05", "2028-01-01"], [], "one year"),
    (["2027-02-30"], [], "not a YYYY-MM-DD date"),
])
def test_an_impossible_arrangement_is_refused_with_the_reason(holidays, workdays, reason):
    with pytest.raises(BadArrangement) as caught:
        arrangement(holidays, workdays)
    assert reason in str(caught.value)
