"""The HR report's figures over case histories: counts, stage durations, rates, channel response
times and overdue handover items. Pure: it takes plain values (storage/reports.py reads them).

Rules the figures follow (the README repeats them):
- A stage's time for one case is the sum of its completed stays in the stage's states (a stay
  still running is not a duration yet); median and p90 are over the cases that completed a stay.
- p90 is the nearest-rank percentile: the value at rank ceil(0.9 · n) of the sorted times.
- Rates count cases that reached the employee (were asked to sign): disputed, escalated (the
  employee did not answer in time), served by registered mail (`record_notice_served`).
- A channel's response time is from the case reaching the employee to the employee's answer
  (sign or dispute), by the channel that answer came through (slack, wecom, page, console).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from workflow.model import State

# The stages HR measures, each the states a case sits in during it, in process order.
STAGES: dict[str, frozenset[str]] = {
    "evidence": frozenset({State.COLLECTING_EVIDENCE}),
    "hr_review": frozenset({State.HR_REVIEW}),
    "talk": frozenset({State.SCHEDULING_TALK, State.TALK_SCHEDULED}),
    "employee_response": frozenset({State.AWAITING_EMPLOYEE, State.DISPUTED, State.ESCALATED}),
    "handover": frozenset({State.HANDOVER}),
}
# The employee's answers a channel's response time ends at.
ANSWERS = frozenset({"sign", "dispute"})
HOUR = 3600.0


@dataclass(frozen=True)
class Transition:
    """One audit event that moved (or acted on) a case: when, the action, the states, the channel
    it came through ("slack", "wecom", "page", "console", "system")."""

    at: datetime
    action: str
    from_state: str
    to_state: str
    channel: str


@dataclass(frozen=True)
class ItemHistory:
    kind: str
    owner: str  # the owner's name, as HR reads it
    due_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class CaseHistory:
    ref: str
    ground: str
    outcome: str | None  # None while open
    state: str
    department: str
    opened_at: datetime
    closed_at: datetime | None
    transitions: tuple[Transition, ...]  # in audit order
    items: tuple[ItemHistory, ...] = ()


@dataclass(frozen=True)
class Durations:
    """Hours: how many cases, their median and p90."""

    cases: int
    median_hours: float
    p90_hours: float


@dataclass(frozen=True)
class Rate:
    cases: int
    of: int
    rate: float  # cases / of, 0 when of is 0


@dataclass(frozen=True)
class Report:
    period_from: str  # ISO dates, "" when open-ended
    period_to: str
    department: str
    cases: int
    open: int
    closed: int
    by_ground: dict[str, int]
    by_outcome: dict[str, int]  # "open" for cases not closed yet
    stages: dict[str, Durations]
    slowest_stage: str | None
    disputed: Rate
    escalated: Rate
    notice_served: Rate
    response_by_channel: dict[str, Durations]
    overdue_by_owner: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def nearest_rank(values: Sequence[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1]


def durations(hours: Sequence[float]) -> Durations:
    if not hours:
        return Durations(0, 0.0, 0.0)
    return Durations(len(hours), round(statistics.median(hours), 2), round(nearest_rank(hours, 90), 2))


def _rate(cases: int, of: int) -> Rate:
    return Rate(cases, of, round(cases / of, 4) if of else 0.0)


def stage_of(state: str) -> str | None:
    return next((stage for stage, states in STAGES.items() if state in states), None)


def stage_hours(history: CaseHistory, ended: tuple[datetime, datetime] | None = None) -> dict[str, float]:
    """Hours the case spent in each stage, over its completed stays (only those that ended in
    [ended[0], ended[1]) when `ended` is given: the weekly digest's week)."""
    spent: dict[str, float] = defaultdict(float)
    entered = (stage_of(State.COLLECTING_EVIDENCE) or "", history.opened_at)  # (stage, since)
    for move in history.transitions:
        if not move.to_state or move.to_state == move.from_state:
            continue
        stage = stage_of(move.to_state) or ""
        if stage != entered[0]:
            if entered[0] and (ended is None or ended[0] <= move.at < ended[1]):
                spent[entered[0]] += (move.at - entered[1]).total_seconds() / HOUR
            entered = (stage, move.at)
    return dict(spent)


def response_hours(history: CaseHistory) -> list[tuple[str, float]]:
    """(channel, hours) for each employee answer, from the case reaching the employee."""
    asked: datetime | None = None
    answers = []
    for move in history.transitions:
        if move.action in ANSWERS and asked is not None:
            answers.append((move.channel, (move.at - asked).total_seconds() / HOUR))
            asked = None
        if move.to_state == State.AWAITING_EMPLOYEE and move.from_state != State.AWAITING_EMPLOYEE:
            asked = move.at
    return answers


def build(histories: Iterable[CaseHistory], now: datetime, *, period_from: str = "", period_to: str = "",
          department: str = "") -> Report:
    """The report over `histories` (already chosen for the period and department) at `now`."""
    cases = list(histories)
    by_stage: dict[str, list[float]] = {stage: [] for stage in STAGES}
    by_channel: dict[str, list[float]] = defaultdict(list)
    reached = disputed = escalated = served = 0
    overdue: Counter[str] = Counter()
    for case in cases:
        for stage, hours in stage_hours(case).items():
            by_stage[stage].append(hours)
        for channel, hours in response_hours(case):
            by_channel[channel].append(hours)
        states = {move.to_state for move in case.transitions}
        actions = {move.action for move in case.transitions}
        reached += State.AWAITING_EMPLOYEE in states
        disputed += State.DISPUTED in states
        escalated += State.ESCALATED in states
        served += "record_notice_served" in actions
        overdue.update(item.owner for item in case.items if item.done_at is None and item.due_at <= now)
    stages = {stage: durations(hours) for stage, hours in by_stage.items()}
    measured = [stage for stage in STAGES if stages[stage].cases]
    slowest = max(measured, key=lambda s: (stages[s].median_hours, stages[s].p90_hours), default=None)
    closed = sum(case.closed_at is not None for case in cases)
    return Report(
        period_from=period_from, period_to=period_to, department=department,
        cases=len(cases), open=len(cases) - closed, closed=closed,
        by_ground=dict(sorted(Counter(case.ground for case in cases).items())),
        by_outcome=dict(sorted(Counter(case.outcome or "open" for case in cases).items())),
        stages=stages, slowest_stage=slowest,
        disputed=_rate(disputed, reached), escalated=_rate(escalated, reached),
        notice_served=_rate(served, reached),
        response_by_channel={channel: durations(hours) for channel, hours in sorted(by_channel.items())},
        overdue_by_owner=dict(sorted(overdue.items(), key=lambda pair: (-pair[1], pair[0]))),
    )


def csv_rows(report: Report) -> list[list[str]]:
    """The report as (section, key, figure, value) rows for a spreadsheet."""
    rows = [["section", "key", "figure", "value"]]
    rows += [["cases", key, "count", str(getattr(report, key))] for key in ("cases", "open", "closed")]
    rows += [["ground", ground, "count", str(n)] for ground, n in report.by_ground.items()]
    rows += [["outcome", outcome, "count", str(n)] for outcome, n in report.by_outcome.items()]
    for section, table in (("stage", report.stages), ("channel", report.response_by_channel)):
        for key, d in table.items():
            rows += [[section, key, name, str(getattr(d, name))] for name in ("cases", "median_hours", "p90_hours")]
    rows.append(["stage", report.slowest_stage or "", "slowest", "1"])
    for name in ("disputed", "escalated", "notice_served"):
        rate: Rate = getattr(report, name)
        rows += [["rate", name, "cases", str(rate.cases)], ["rate", name, "of", str(rate.of)],
                 ["rate", name, "rate", str(rate.rate)]]
    rows += [["overdue", owner, "items", str(n)] for owner, n in report.overdue_by_owner.items()]
    return rows
