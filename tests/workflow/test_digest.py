"""The weekly digest's rules: when it is due (day and hour in the company's zone) and the week's
figures over hand-built histories, checked against hand-counted expectations."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.digest import DEFAULT, Schedule, next_due, parse_day, parse_hour, schedule_from, week_figures
from workflow.reports import CaseHistory, ItemHistory, Transition

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 9) -> datetime:
    """June 2024 in Shanghai: the 3rd, 10th and 17th are Mondays."""
    return datetime(2024, 6, day, hour, tzinfo=SH)


def test_next_due_is_strictly_after_and_in_the_company_zone() -> None:
    monday_nine = Schedule(0, 9)
    assert next_due(at(3, 9), monday_nine, SH) == at(10, 9)  # exactly at the hour: next week
    assert next_due(at(3, 8), monday_nine, SH) == at(3, 9)
    assert next_due(at(9, 23), monday_nine, SH) == at(10, 9)  # Sunday night
    assert next_due(at(10, 9) - timedelta(microseconds=1), monday_nine, SH) == at(10, 9)
    friday_five = Schedule(4, 17)
    assert next_due(at(3, 9), friday_five, SH) == at(7, 17)
    # 09:00 in Shanghai is 01:00 UTC, whatever zone `after` is written in.
    assert next_due(at(3, 8).astimezone(ZoneInfo("UTC")), monday_nine, SH).astimezone(ZoneInfo("UTC")).hour == 1
    # Across a DST change the hour stays the local hour.
    berlin = ZoneInfo("Europe/Berlin")
    due = next_due(datetime(2024, 3, 26, 12, tzinfo=berlin), Schedule(0, 9), berlin)
    assert (due.date().isoformat(), due.hour, due.utcoffset()) == ("2024-04-01", 9, timedelta(hours=2))


@pytest.mark.parametrize(("text", "day"), [("mon", 0), ("Monday", 0), ("1", 0), ("fri", 4), ("SUN", 6), ("7", 6)])
def test_days_are_read_by_name_or_iso_number(text: str, day: int) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["", "mo", "funday", "0", "8", "-1"])
def test_a_day_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a day"):
        parse_day(text)


def test_hours_are_0_to_23() -> None:
    assert [parse_hour(h) for h in ("0", "09", "9:00", "23", 17)] == [0, 9, 9, 23, 17]
    for bad in ("24", "-1", "9.5", "nine", ""):
        with pytest.raises(ValueError, match="not an hour"):
            parse_hour(bad)


def test_a_stored_setting_is_read_and_a_damaged_one_falls_back() -> None:
    assert schedule_from({"day": "wed", "hour": 18, "enabled": True}) == Schedule(2, 18)
    assert schedule_from({"day": "wed", "hour": 18, "enabled": False}).enabled is False
    assert schedule_from(Schedule(3, 7).as_setting()) == Schedule(3, 7)
    for damaged in (None, "mon", {"day": "xx", "hour": 9}, {"day": "mon", "hour": 99}):
        assert schedule_from(damaged) == DEFAULT == Schedule(0, 9, True)


def move(when: datetime, action: str, source: str, target: str) -> Transition:
    return Transition(when, action, source, target, "console")


def test_week_figures_by_hand() -> None:
    end = at(10, 9)  # the week is [06-03 09:00, 06-10 09:00)
    now = end + timedelta(minutes=5)
    histories = [
        # Opened last week; evidence 24 h (ended this week), HR review 5 h, now awaiting the talk.
        CaseHistory("C-0001", "incompetent", None, "scheduling_talk", "R&D", at(2, 9), None, (
            move(at(3, 9), "submit", "collecting_evidence", "hr_review"),
            move(at(3, 14), "approve", "hr_review", "scheduling_talk"),
        )),
        # Opened and withdrawn this week: 10 h of evidence.
        CaseHistory("C-0002", "misconduct", "withdrawn", "closed", "R&D", at(4, 9), at(4, 19), (
            move(at(4, 19), "withdraw", "collecting_evidence", "closed"),
        )),
        # Disputed this week, and a handover item past due: needs attention twice over.
        CaseHistory("C-0003", "incompetent", None, "disputed", "Sales", at(1, 9), None, (
            move(at(1, 12), "submit", "collecting_evidence", "hr_review"),  # stays that ended last week
            move(at(2, 9), "approve", "hr_review", "scheduling_talk"),
            move(at(2, 10), "schedule", "scheduling_talk", "talk_scheduled"),
            move(at(2, 11), "record_talk", "talk_scheduled", "awaiting_employee"),
            move(at(5, 9), "dispute", "awaiting_employee", "disputed"),  # the same stage goes on
        ), items=(ItemHistory("account_revocation", "Sun", at(8, 9), None),
                  ItemHistory("work_handover", "Sun", at(12, 9), None))),
        # Opened a month ago, untouched since: stalled.
        CaseHistory("C-0004", "mutual", None, "collecting_evidence", "Sales", datetime(2024, 5, 6, 9, tzinfo=SH),
                    None, ()),
        # Closed last week: in no weekly count.
        CaseHistory("C-0005", "mutual", "completed", "closed", "Sales", datetime(2024, 5, 1, tzinfo=SH),
                    at(1, 9), (move(at(1, 9), "finish", "handover", "closed"),)),
    ]
    week = week_figures(histories, end, now)
    assert (week.start, week.end) == (at(3, 9), end)
    assert (week.opened, week.closed, week.closed_by_outcome) == (1, 1, {"withdrawn": 1})
    assert week.open_by_state == {"collecting_evidence": 1, "scheduling_talk": 1, "disputed": 1}
    assert list(week.open_by_state) == ["collecting_evidence", "scheduling_talk", "disputed"]  # process order
    assert (week.stages["evidence"].cases, week.stages["evidence"].median_hours) == (2, 17.0)  # 24 h and 10 h
    assert (week.stages["hr_review"].cases, week.stages["hr_review"].p90_hours) == (1, 5.0)
    assert week.stages["talk"].cases == week.stages["employee_response"].cases == 0
    assert (week.disputed, week.escalated, week.overdue_items) == (1, 0, 1)
    assert [(a.ref, a.reasons) for a in week.attention] == [
        ("C-0003", ("disputed", "overdue_item")), ("C-0004", ("stalled",))]
