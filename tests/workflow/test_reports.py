"""The report's arithmetic on hand-made histories: percentiles, stays summed over revisits, the stay
still running left out, answers timed from the last time the employee was asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflow.reports import CaseHistory, Transition, build, durations, nearest_rank, response_hours, stage_hours

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def move(hours: float, action: str, before: str, after: str, via: str = "slack") -> Transition:
    return Transition(T0 + timedelta(hours=hours), action, before, after, via)


def history(*moves: Transition, closed: bool = False) -> CaseHistory:
    return CaseHistory(ref="C-1", ground="incompetent", outcome="completed" if closed else None,
                       state=moves[-1].to_state if moves else "collecting_evidence", department="",
                       opened_at=T0, closed_at=T0 if closed else None, transitions=moves)


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([5, 1, 3, 2, 4], 90) == 5
    assert nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank([7], 90) == 7
    assert durations([]).cases == 0 and durations([1, 2, 3, 4]).median_hours == 2.5


def test_a_revisited_stage_is_summed_and_a_running_stay_is_not_counted() -> None:
    case = history(
        move(2, "submit", "collecting_evidence", "hr_review"),
        move(3, "request_changes", "hr_review", "collecting_evidence"),
        move(6, "submit", "collecting_evidence", "hr_review"),
        move(7, "approve", "hr_review", "scheduling_talk"),
        move(8, "schedule", "scheduling_talk", "talk_scheduled"),  # same stage: the talk goes on
    )
    assert stage_hours(case) == {"evidence": 5.0, "hr_review": 2.0}


def test_an_answer_is_timed_from_the_last_request_and_by_its_channel() -> None:
    case = history(
        move(10, "record_talk", "talk_scheduled", "awaiting_employee"),
        move(14, "dispute", "awaiting_employee", "disputed", via="wecom"),
        move(20, "revise", "disputed", "awaiting_employee"),
        move(21, "sign", "awaiting_employee", "handover", via="page"),
    )
    assert response_hours(case) == [("wecom", 4.0), ("page", 1.0)]
    report = build([case, history()], T0)
    assert report.disputed.cases == 1 and report.disputed.of == 1 and report.escalated.rate == 0.0
    assert report.by_outcome == {"open": 2} and report.slowest_stage == "employee_response"
