"""The escalation ladder: every row of WORKFLOW.md's table fires at the right instant."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar import WorkCalendar
from workflow.i18n import LOCALES, t
from workflow.model import State
from workflow.policy import (
    ItemDue,
    LadderPolicy,
    TimerAction,
    TimerContext,
    is_reminder,
    message_key,
    timers_for,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
A = TimerAction
DEFAULTS = LadderPolicy()


def local(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2025) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# Tuesday 2025-09-30 10:00, the last working day before National Day (Oct 1-8 off,
# Sun Sep 28 and Sat Oct 11 are make-up working days).
ENTERED = local(9, 30)
BASE = TimerContext(
    state=State.COLLECTING_EVIDENCE,
    state_entered_at=local(9, 29, 9),
    last_activity_at=ENTERED,
    talk_at=None,
    employee_opened=False,
    termination_date=None,
)


def ctx(state: State, **changes) -> TimerContext:
    return replace(BASE, state=state, state_entered_at=ENTERED, **changes)


def by_kind(context: TimerContext, policy: LadderPolicy = DEFAULTS) -> dict:
    specs = timers_for(context, CAL, policy)
    assert len({s.kind for s in specs}) == len(specs), "kinds must be unique"
    return {s.kind: (s.due_at.astimezone(SH), s.action) for s in specs}


LADDER = [
    pytest.param(
        replace(BASE),
        {
            "evidence_idle_remind": (local(10, 10), A.REMIND_MANAGER_EVIDENCE),
            "evidence_idle_hr": (local(10, 14), A.TELL_HR_STALLING),
        },
        id="collecting_evidence",
    ),
    pytest.param(
        ctx(State.HR_REVIEW),
        {
            "review_remind": (local(10, 9), A.REMIND_HR_REVIEW),
            "review_escalate": (local(10, 11), A.ESCALATE_HR_LEAD),  # make-up Saturday
        },
        id="hr_review",
    ),
    pytest.param(ctx(State.SCHEDULING_TALK), {}, id="scheduling_talk"),
    pytest.param(
        ctx(State.TALK_SCHEDULED, talk_at=local(9, 26, 15)),
        {
            "talk_remind": (local(9, 26, 13), A.REMIND_TALK),
            "talk_record_remind": (local(9, 28, 15), A.REMIND_HR_RECORD_TALK),  # make-up Sunday
        },
        id="talk_scheduled",
    ),
    pytest.param(
        ctx(State.TALK_SCHEDULED, talk_at=local(10, 9, 9)),
        {
            "talk_remind": (local(10, 9, 8), A.REMIND_TALK),  # 07:00 is in quiet hours
            "talk_record_remind": (local(10, 10, 9), A.REMIND_HR_RECORD_TALK),
        },
        id="talk_scheduled_early_talk",
    ),
    pytest.param(ctx(State.TALK_SCHEDULED), {}, id="talk_scheduled_without_time"),
    pytest.param(
        ctx(State.AWAITING_EMPLOYEE),
        {
            "employee_resend": (local(10, 1), A.RESEND_EMPLOYEE_CARD),
            "employee_unsigned": (local(10, 11), A.WARN_HR_UNSIGNED),
            "employee_escalate": (local(10, 7), A.ESCALATE),
        },
        id="awaiting_employee_unopened",
    ),
    pytest.param(
        ctx(State.AWAITING_EMPLOYEE, employee_opened=True),
        {
            "employee_unsigned": (local(10, 11), A.WARN_HR_UNSIGNED),
            "employee_escalate": (local(10, 7), A.ESCALATE),
        },
        id="awaiting_employee_opened",
    ),
    pytest.param(
        replace(ctx(State.AWAITING_EMPLOYEE), state_entered_at=local(9, 30, 22, 30)),
        {
            "employee_resend": (local(10, 2, 8), A.RESEND_EMPLOYEE_CARD),
            "employee_unsigned": (local(10, 12, 8), A.WARN_HR_UNSIGNED),
            "employee_escalate": (local(10, 7, 22, 30), A.ESCALATE),  # exact, not quiet-shifted
        },
        id="awaiting_employee_entered_at_night",
    ),
    pytest.param(
        ctx(State.DISPUTED),
        {"dispute_remind": (local(10, 10), A.REMIND_HR_DISPUTE)},
        id="disputed",
    ),
    pytest.param(ctx(State.ESCALATED), {}, id="escalated"),
    pytest.param(
        ctx(
            State.HANDOVER,
            termination_date=date(2025, 9, 30),
            items=(
                ItemDue(17, local(10, 9, 18), done=False),
                ItemDue(18, local(10, 9, 18), done=True),
                ItemDue(19, local(10, 10, 22, 30), done=False),
            ),
        ),
        {
            "item_due:17": (local(10, 9, 18), A.REMIND_ITEM_OWNER),
            "item_escalate:17": (local(10, 11, 18), A.ESCALATE_ITEM),
            "item_due:19": (local(10, 11, 8), A.REMIND_ITEM_OWNER),
            "item_escalate:19": (local(10, 14, 8), A.ESCALATE_ITEM),
            "certificate_due": (local(9, 30, 9), A.CERTIFICATE_DUE),
            "transfer_deadline": (local(10, 15, 9), A.TRANSFER_DEADLINE),
        },
        id="handover",
    ),
    pytest.param(
        ctx(State.HANDOVER, items=(ItemDue(17, local(10, 9, 18), done=False),)),
        {
            "item_due:17": (local(10, 9, 18), A.REMIND_ITEM_OWNER),
            "item_escalate:17": (local(10, 11, 18), A.ESCALATE_ITEM),
        },
        id="handover_termination_date_unknown",
    ),
    pytest.param(
        ctx(State.CLOSED, termination_date=date(2025, 9, 30), talk_at=ENTERED),
        {},
        id="closed",
    ),
]


@pytest.mark.parametrize(("context", "expected"), LADDER)
def test_each_rung_of_the_ladder_fires_at_the_right_instant(context, expected):
    assert by_kind(context) == expected


def test_timers_are_aware_utc_with_json_payloads():
    for param in LADDER:
        for spec in timers_for(param.values[0], CAL):
            assert spec.due_at.tzinfo is UTC
            json.dumps(spec.payload)


def test_handover_payload_names_the_item():
    context = ctx(State.HANDOVER, items=(ItemDue(17, local(10, 9, 18), done=False),))
    assert all(s.payload["item_id"] == 17 for s in timers_for(context, CAL))


def test_a_reminder_falling_at_22_30_moves_to_08_00_next_day():
    context = replace(BASE, last_activity_at=local(9, 22, 22, 30))  # Monday night
    assert by_kind(context)["evidence_idle_remind"] == (local(9, 25, 8), A.REMIND_MANAGER_EVIDENCE)


def test_rearming_after_an_unrelated_change_gives_the_same_instants():
    first = timers_for(ctx(State.HR_REVIEW), CAL)
    later = ctx(State.HR_REVIEW, employee_opened=True, talk_at=local(10, 20))
    assert timers_for(later, CAL) == first
    unopened = {s.kind: s for s in timers_for(ctx(State.AWAITING_EMPLOYEE), CAL)}
    opened = timers_for(ctx(State.AWAITING_EMPLOYEE, employee_opened=True), CAL)
    assert all(unopened[s.kind] == s for s in opened)


def test_state_changes_give_different_timers():
    kinds = {
        state: frozenset(by_kind(ctx(state, talk_at=local(10, 9, 9))))
        for state in (State.HR_REVIEW, State.TALK_SCHEDULED, State.AWAITING_EMPLOYEE)
    }
    assert len(set(kinds.values())) == len(kinds)
    assert all(kinds.values())


def test_a_company_policy_changes_the_instants():
    slow = LadderPolicy(review_remind_working_days=2, employee_escalate_days=10)
    assert by_kind(ctx(State.HR_REVIEW), slow)["review_remind"][0] == local(10, 10)
    assert by_kind(ctx(State.AWAITING_EMPLOYEE), slow)["employee_escalate"][0] == local(10, 10)
    late = LadderPolicy(deadline_reminder_time=time(6, 0))  # a reminder, so quiet-shifted
    handover = ctx(State.HANDOVER, termination_date=date(2025, 9, 30),
                   items=(ItemDue(1, local(9, 30, 18), False),))
    assert by_kind(handover, late)["certificate_due"][0] == local(9, 30, 8)


def test_a_handover_done_early_closes_at_the_end_of_the_last_day_and_reminds_nobody():
    """Every item ticked before the last day: one timer, the system's finish at close of business
    on the last day (the certificate and transfer nudges have nothing left to nudge)."""
    done = ctx(State.HANDOVER, termination_date=date(2025, 9, 30), items=(ItemDue(1, local(9, 29, 18), True),))
    assert by_kind(done) == {"finish": (local(9, 30, 18), TimerAction.FINISH)}
    open_item = ctx(State.HANDOVER, termination_date=date(2025, 9, 30), items=(ItemDue(1, local(9, 29, 18), False),))
    assert "finish" not in by_kind(open_item)


def test_negative_durations_are_refused():
    with pytest.raises(ValueError, match="review_remind_working_days"):
        LadderPolicy(review_remind_working_days=-1)


def test_only_escalate_and_finish_change_state():
    assert [a for a in TimerAction if not is_reminder(a)] == [A.ESCALATE, A.FINISH]


@pytest.mark.parametrize("action", list(TimerAction))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_action_has_a_sentence_in_each_locale(action, locale):
    params = {
        "case": "C-42",
        "missing": "PIP",
        "manager": "Li",
        "days": 3,
        "talk": "10-09 09:00",
        "read": t("policy.read.unopened", locale),
        "item": "laptop",
        "owner": "Wang",
        "due": "2025-10-09",
        "since": "2025-10-07 10:00 (UTC+8)",
    }
    text = t(message_key(action), locale, **params)
    assert "C-42" in text
    assert "{" not in text
    other = "en" if locale == "zh-CN" else "zh-CN"
    assert text != t(message_key(action), other, **params)
