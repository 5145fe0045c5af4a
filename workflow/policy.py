"""The timer / escalation ladder: which timers each case state arms, and when they fall due.

Pure: instants are computed from the case's own facts, so re-arming after an unrelated change
yields the same instants (and the timers table's unique key makes arming twice harmless).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from workflow.calendar import WorkCalendar
from workflow.model import State


class TimerAction(StrEnum):
    REMIND_MANAGER_EVIDENCE = "remind_manager_evidence"
    TELL_HR_STALLING = "tell_hr_stalling"
    REMIND_HR_REVIEW = "remind_hr_review"
    ESCALATE_HR_LEAD = "escalate_hr_lead"
    REMIND_TALK = "remind_talk"
    REMIND_HR_RECORD_TALK = "remind_hr_record_talk"
    RESEND_EMPLOYEE_CARD = "resend_employee_card"
    WARN_HR_UNSIGNED = "warn_hr_unsigned"
    ESCALATE = "escalate"  # fires Trigger.ESCALATE
    FINISH = "finish"  # fires Trigger.FINISH: on the last day, once every handover item is done
    REMIND_HR_DISPUTE = "remind_hr_dispute"
    REMIND_ITEM_OWNER = "remind_item_owner"
    ESCALATE_ITEM = "escalate_item"
    CERTIFICATE_DUE = "certificate_due"
    TRANSFER_DEADLINE = "transfer_deadline"


def is_reminder(action: TimerAction) -> bool:
    """Reminders only send messages; ESCALATE and FINISH move the case."""
    return action not in (TimerAction.ESCALATE, TimerAction.FINISH)


# The timers that mark a deadline (a legal period running out, an escalation, the talk): a snooze
# of a reminder ends before the next of them, and never moves them.
DEADLINES = frozenset({
    TimerAction.TELL_HR_STALLING, TimerAction.ESCALATE_HR_LEAD, TimerAction.WARN_HR_UNSIGNED,
    TimerAction.ESCALATE, TimerAction.ESCALATE_ITEM, TimerAction.CERTIFICATE_DUE,
    TimerAction.TRANSFER_DEADLINE,
})


def message_key(action: TimerAction) -> str:
    """The catalogue key of the sentence a reminder shows."""
    return f"policy.{action.value}"


@dataclass(frozen=True)
class LadderPolicy:
    """The ladder's durations (WORKFLOW.md defaults); a company may configure each one."""

    evidence_remind_working_days: int = 2
    evidence_stalling_working_days: int = 5
    review_remind_working_days: int = 1
    review_escalate_working_days: int = 3
    talk_remind_before_hours: int = 2
    talk_record_remind_working_days: int = 1
    employee_resend_hours: int = 24
    employee_unsigned_working_days: int = 3
    employee_escalate_days: int = 7
    dispute_remind_working_days: int = 2
    item_escalate_working_days: int = 2
    transfer_deadline_days: int = 15  # LCL Art. 50: file and social insurance within 15 days
    deadline_reminder_time: time = time(9, 0)  # local time of the certificate/transfer nudges
    close_time: time = time(18, 0)  # a case whose items are all done closes then on the last day

    def waited(self, action: TimerAction) -> int | None:
        """How many days the ladder waited before `action`, as its sentence states them
        (working days unless the sentence says days); None for a sentence without a count."""
        return {
            TimerAction.ESCALATE_HR_LEAD: self.review_escalate_working_days,
            TimerAction.WARN_HR_UNSIGNED: self.employee_unsigned_working_days,
            TimerAction.ESCALATE: self.employee_escalate_days,
        }.get(action)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and value < 0:
                raise ValueError(f"{f.name} must not be negative")


@dataclass(frozen=True)
class ItemDue:
    item_id: int
    due_at: datetime
    done: bool


@dataclass(frozen=True)
class TimerContext:
    """The facts of one case version that timers depend on."""

    state: State
    state_entered_at: datetime
    last_activity_at: datetime  # last evidence added, or state entry
    talk_at: datetime | None
    employee_opened: bool
    termination_date: date | None
    items: tuple[ItemDue, ...] = ()


@dataclass(frozen=True)
class TimerSpec:
    kind: str  # unique within one case version
    due_at: datetime  # aware UTC
    action: TimerAction
    payload: dict[str, Any]


# A reminder names the moment its step is finally due: when the ladder's next rung acts.
DEADLINE_OF = {
    TimerAction.REMIND_MANAGER_EVIDENCE: TimerAction.TELL_HR_STALLING,
    TimerAction.REMIND_HR_REVIEW: TimerAction.ESCALATE_HR_LEAD,
    TimerAction.RESEND_EMPLOYEE_CARD: TimerAction.ESCALATE,
    TimerAction.WARN_HR_UNSIGNED: TimerAction.ESCALATE,
}


def timers_for(
    ctx: TimerContext, cal: WorkCalendar, policy: LadderPolicy = LadderPolicy()
) -> list[TimerSpec]:
    """Every timer the case's current state wants, due at absolute UTC instants. A reminder whose
    step the ladder later acts on carries that instant as payload["deadline"] (ISO, UTC)."""
    specs = []
    for kind, due_at, action, payload in _ladder(ctx, cal, policy):
        if is_reminder(action):
            due_at = cal.out_of_quiet_hours(due_at)
        specs.append(TimerSpec(kind, due_at, action, payload))
    due = {spec.action: spec.due_at for spec in specs}
    return [
        TimerSpec(s.kind, s.due_at, s.action, {**s.payload, "deadline": due[DEADLINE_OF[s.action]].isoformat()})
        if DEADLINE_OF.get(s.action) in due else s
        for s in specs
    ]


_Row = tuple[str, datetime, TimerAction, dict[str, Any]]


def _ladder(ctx: TimerContext, cal: WorkCalendar, p: LadderPolicy) -> Iterator[_Row]:
    wd = cal.add_working_days
    if ctx.state is State.COLLECTING_EVIDENCE:
        idle = ctx.last_activity_at
        remind = wd(idle, p.evidence_remind_working_days)
        yield "evidence_idle_remind", remind, TimerAction.REMIND_MANAGER_EVIDENCE, {}
        stalling = wd(idle, p.evidence_stalling_working_days)
        yield "evidence_idle_hr", stalling, TimerAction.TELL_HR_STALLING, {}
    elif ctx.state is State.HR_REVIEW:
        entered = ctx.state_entered_at
        remind = wd(entered, p.review_remind_working_days)
        yield "review_remind", remind, TimerAction.REMIND_HR_REVIEW, {}
        escalate = wd(entered, p.review_escalate_working_days)
        yield "review_escalate", escalate, TimerAction.ESCALATE_HR_LEAD, {}
    elif ctx.state is State.TALK_SCHEDULED and ctx.talk_at is not None:
        talk = {"talk_at": ctx.talk_at.isoformat()}
        before = ctx.talk_at - timedelta(hours=p.talk_remind_before_hours)
        yield "talk_remind", before, TimerAction.REMIND_TALK, talk
        after = wd(ctx.talk_at, p.talk_record_remind_working_days)
        yield "talk_record_remind", after, TimerAction.REMIND_HR_RECORD_TALK, talk
    elif ctx.state is State.AWAITING_EMPLOYEE:
        entered = ctx.state_entered_at
        if not ctx.employee_opened:
            resend = entered + timedelta(hours=p.employee_resend_hours)
            yield "employee_resend", resend, TimerAction.RESEND_EMPLOYEE_CARD, {}
        unsigned = wd(entered, p.employee_unsigned_working_days)
        yield "employee_unsigned", unsigned, TimerAction.WARN_HR_UNSIGNED, {}
        escalate = cal.add_days(entered, p.employee_escalate_days)
        yield "employee_escalate", escalate, TimerAction.ESCALATE, {}
    elif ctx.state is State.DISPUTED:
        remind = wd(ctx.state_entered_at, p.dispute_remind_working_days)
        yield "dispute_remind", remind, TimerAction.REMIND_HR_DISPUTE, {}
    elif ctx.state is State.HANDOVER:
        yield from _handover(ctx, cal, p)


def _handover(ctx: TimerContext, cal: WorkCalendar, p: LadderPolicy) -> Iterator[_Row]:
    if ctx.termination_date is not None and all(item.done for item in ctx.items):
        # Everything was done before the last day: the case closes by itself at its close of business.
        close = cal.local_instant(ctx.termination_date, p.close_time)
        yield "finish", close, TimerAction.FINISH, {"termination_date": ctx.termination_date.isoformat()}
        return  # nothing is left to remind anyone of: the certificate and the transfers are done
    for item in ctx.items:
        if item.done:
            continue
        payload = {"item_id": item.item_id, "due_at": item.due_at.isoformat()}
        yield f"item_due:{item.item_id}", item.due_at, TimerAction.REMIND_ITEM_OWNER, payload
        escalate = cal.add_working_days(item.due_at, p.item_escalate_working_days)
        yield f"item_escalate:{item.item_id}", escalate, TimerAction.ESCALATE_ITEM, payload
    if ctx.termination_date is not None:
        end = ctx.termination_date
        payload = {"termination_date": end.isoformat()}
        certificate = cal.local_instant(end, p.deadline_reminder_time)
        yield "certificate_due", certificate, TimerAction.CERTIFICATE_DUE, payload
        transfer_day = end + timedelta(days=p.transfer_deadline_days)
        transfer = cal.local_instant(transfer_day, p.deadline_reminder_time)
        # The sentence names the deadline itself, 15 days after the last day, not the last day.
        yield ("transfer_deadline", transfer, TimerAction.TRANSFER_DEADLINE,
               {**payload, "due": transfer_day.isoformat()})
