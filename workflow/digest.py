"""The weekly HR digest's rules: when it is due (a company setting: day and hour in the company's
time zone) and the week's figures (opened, closed, open by state, stage times of the stays that
ended in the week, disputes and escalations, overdue items, the cases that need attention).
Pure: it takes the report's histories (workflow.reports) and plain values.

A case needs attention while it is open and disputed, escalated, has a handover item past its
due time, or has not moved for STALLED_DAYS days. Nothing here carries pay or protected status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflow.model import State
from workflow.reports import STAGES, CaseHistory, Durations, durations, stage_hours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = timedelta(days=7)
# An open case that has not moved for this long is named in the digest.
STALLED_DAYS = 7
# The order reasons are named in.
REASONS = ("disputed", "escalated", "overdue_item", "stalled")


@dataclass(frozen=True)
class Schedule:
    """When the digest goes: `day` 0 = Monday … 6 = Sunday, `hour` 0–23, company time."""

    day: int = 0
    hour: int = 9
    enabled: bool = True

    def as_setting(self) -> dict[str, Any]:
        return {"day": DAYS[self.day], "hour": self.hour, "enabled": self.enabled}

    @property
    def day_name(self) -> str:
        return DAYS[self.day]


DEFAULT = Schedule()


def parse_day(text: str) -> int:
    """"mon" / "monday" / "1" (ISO: Monday = 1) → 0; ValueError otherwise."""
    word = str(text).strip().lower()
    if word.isdigit() and 1 <= int(word) <= 7:
        return int(word) - 1
    for n, day in enumerate(DAYS):
        if len(word) >= 3 and (day.startswith(word) or word.startswith(day)):
            return n
    raise ValueError(f"{text!r} is not a day of the week (mon … sun)")


def parse_hour(text: str | int) -> int:
    """0–23 (also "09" or "9:00"); ValueError otherwise."""
    raw = str(text).strip()
    if raw.endswith(":00"):
        raw = raw[:-3]
    if not raw.isdigit() or not 0 <= int(raw) <= 23:
        raise ValueError(f"{text!r} is not an hour from 0 to 23")
    return int(raw)


def schedule_from(setting: Any) -> Schedule:
    """The schedule a tenant's stored setting says; the default for none or a damaged one."""
    if not isinstance(setting, Mapping):
        return DEFAULT
    try:
        return Schedule(parse_day(setting.get("day", DAYS[DEFAULT.day])), parse_hour(setting.get("hour", DEFAULT.hour)),
                        bool(setting.get("enabled", True)))
    except ValueError:
        return DEFAULT


def next_due(after: datetime, schedule: Schedule, zone: ZoneInfo) -> datetime:
    """The first instant strictly after `after` that is the schedule's day and hour in `zone`."""
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(schedule.day - local.weekday()) % 7)
    for week in range(3):
        due = datetime.combine(day + timedelta(weeks=week), time(schedule.hour), zone)
        if due > after:
            return due
    raise AssertionError("unreachable: a week later is always after")


@dataclass(frozen=True)
class Attention:
    ref: str
    state: str
    reasons: tuple[str, ...]  # of REASONS, in that order


@dataclass(frozen=True)
class WeekFigures:
    """The digest's figures for the week [start, end), as of `now`."""

    start: datetime
    end: datetime
    opened: int
    closed: int
    closed_by_outcome: dict[str, int]
    open_by_state: dict[str, int]  # in process order
    stages: dict[str, Durations]  # over the stays that ended in the week
    disputed: int  # cases disputed in the week
    escalated: int  # cases escalated in the week
    overdue_items: int  # open cases' handover items past due now
    attention: tuple[Attention, ...]


def week_figures(histories: Iterable[CaseHistory], end: datetime, now: datetime) -> WeekFigures:
    """The figures of the week that ends at `end` (the digest's due time), read at `now`."""
    start = end - WEEK
    cases = list(histories)
    by_stage: dict[str, list[float]] = {stage: [] for stage in STAGES}
    disputed = escalated = overdue_items = 0
    attention = []
    for case in cases:
        for stage, hours in stage_hours(case, (start, end)).items():
            by_stage[stage].append(hours)
        entered = {move.to_state for move in case.transitions if start <= move.at < end}
        disputed += State.DISPUTED in entered
        escalated += State.ESCALATED in entered
        if case.closed_at is not None:
            continue
        overdue = sum(item.done_at is None and item.due_at <= now for item in case.items)
        overdue_items += overdue
        moved = max([case.opened_at, *(move.at for move in case.transitions)])
        reasons = {"disputed": case.state == State.DISPUTED, "escalated": case.state == State.ESCALATED,
                   "overdue_item": overdue > 0, "stalled": now - moved >= timedelta(days=STALLED_DAYS)}
        named = tuple(reason for reason in REASONS if reasons[reason])
        if named:
            attention.append(Attention(case.ref, case.state, named))
    closed_now = [case for case in cases if case.closed_at is not None and start <= case.closed_at < end]
    open_states = Counter(case.state for case in cases if case.closed_at is None)
    return WeekFigures(
        start=start, end=end,
        opened=sum(start <= case.opened_at < end for case in cases),
        closed=len(closed_now),
        closed_by_outcome=dict(sorted(Counter(case.outcome or "" for case in closed_now).items())),
        open_by_state={state.value: open_states[state.value] for state in State if open_states[state.value]},
        stages={stage: durations(hours) for stage, hours in by_stage.items()},
        disputed=disputed, escalated=escalated, overdue_items=overdue_items,
        attention=tuple(sorted(attention, key=lambda a: (REASONS.index(a.reasons[0]), a.ref))),
    )
