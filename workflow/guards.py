"""The workflow's guards: what the machine knows about a case and an attempt, and each rule that may
refuse it. Named for the diagram; each leaves its refusal on the model so the person is told why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from transitions import EventData

from workflow.model import Ground, Party, Refusal, State, Trigger


@dataclass(frozen=True)
class CaseSnapshot:
    """What the machine needs to know about one case, loaded by the caller."""

    state: State
    ground: Ground
    missing_evidence: tuple[str, ...] = ()  # requirement keys (or labels) still missing
    facts_confirmed: bool = False
    blocking_findings: tuple[str, ...] = ()  # article refs of blocking compliance findings
    attendance_confirmed: bool = False
    document_hash: str | None = None  # current settlement/decision document hash
    open_items: int = 0  # handover items not done
    certificate_issued: bool = False
    unilateral_allowed: bool = False  # decided by the jurisdiction for the ground (Art. 39/40/41)
    approvals: int = 0  # HR approvals recorded so far (each by a different HR member)
    second_approval_required: bool = False  # the company wants two, or a recorded approver opened/manages it
    talk_at: datetime | None = None  # the scheduled talk, in the company's time zone
    last_day: date | None = None  # the last day of employment, when known


@dataclass(frozen=True)
class Attempt:
    """Someone (or the system) pressing a trigger, with what they supplied."""

    trigger: Trigger
    parties: frozenset[Party]  # what the actor is to this case (may be several)
    now: datetime
    text: str = ""  # comment, reason or proof, depending on the trigger
    talk_at: datetime | None = None  # schedule
    talk_window: tuple[datetime, datetime] | None = None  # earliest/latest talk time by policy
    override_reason: str = ""  # record_talk without confirmed attendance
    document_hash_seen: str | None = None  # sign
    notice_served: bool = False  # proceed_unilateral
    item_owned: bool = False  # complete_item: the actor owns that item
    opened_or_manages: bool = False  # approve: the actor opened the case or is its manager
    approved_before: bool = False  # approve: the actor's approval is already recorded
    today: date | None = None  # the company's date at `now` (its time zone); else now's UTC date

    def __post_init__(self) -> None:
        # Comparing naive with aware instants fails late and obscurely; refuse them up front.
        instants = [self.now, self.talk_at, *(self.talk_window or ())]
        if any(i is not None and i.utcoffset() is None for i in instants):
            raise ValueError("Attempt needs timezone-aware datetimes")
        if self.talk_window and self.talk_window[0] > self.talk_window[1]:
            raise ValueError("talk_window must be (earliest, latest)")


Check = Callable[[CaseSnapshot, Attempt], Refusal | None]


class Guard:
    """A transition condition: named for the diagram, it leaves its refusal on the model."""

    def __init__(self, name: str, check: Check) -> None:
        self.__name__ = name  # transitions labels diagram edges with the condition's __name__
        self._check = check

    def __call__(self, event: EventData) -> bool:
        model: Any = event.model  # machine._Case
        refusal = self._check(model.case, model.attempt)
        if refusal is None:
            return True
        model.refusal = refusal
        return False


def _guard(name: str) -> Callable[[Check], Guard]:
    return lambda check: Guard(name, check)


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="minutes")


def _needs_text(code: str, name: str) -> Guard:
    return Guard(name, lambda _case, a: None if a.text.strip() else Refusal(code))


comment_given = _needs_text("machine.refuse.comment_required", "comment_given")
reason_given = _needs_text("machine.refuse.reason_required", "reason_given")
proof_given = _needs_text("machine.refuse.proof_required", "proof_given")


@_guard("evidence_complete")
def evidence_complete(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.missing_evidence:
        return Refusal("machine.refuse.evidence_missing", {"missing": list(case.missing_evidence)})
    return None


@_guard("facts_confirmed")
def facts_confirmed(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.facts_confirmed else Refusal("machine.refuse.facts_unconfirmed")


@_guard("no_blocking_finding")
def no_blocking_finding(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.blocking_findings:
        articles = list(case.blocking_findings)
        return Refusal("machine.refuse.blocking_findings", {"articles": articles})
    return None


def _approvals_needed(case: CaseSnapshot, attempt: Attempt) -> int:
    # Whoever opened or manages the case never approves it alone; a company may want two always.
    return 2 if case.second_approval_required or attempt.opened_or_manages else 1


def _other_branch(case: CaseSnapshot, attempt: Attempt) -> Refusal:
    # approve has two steps out of hr_review told apart by the two guards below; when one refuses,
    # the other step is taken, so this refusal is never the one a person reads.
    return Refusal("machine.refuse.not_now", {"state": case.state.value, "trigger": attempt.trigger.value,
                                              "available": []})


@_guard("not_approved_yet")
def not_approved_yet(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    return Refusal("machine.refuse.approved_already") if attempt.approved_before else None


@_guard("approvals_complete")
def approvals_complete(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    """This approval is the last one needed: the case moves on."""
    return None if case.approvals + 1 >= _approvals_needed(case, attempt) else _other_branch(case, attempt)


@_guard("second_approval_needed")
def second_approval_needed(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    """This approval is recorded and the case stays in review for another HR member's."""
    return None if case.approvals + 1 < _approvals_needed(case, attempt) else _other_branch(case, attempt)


@_guard("talk_time_in_policy")
def talk_time_in_policy(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    talk_at = attempt.talk_at
    if talk_at is None:
        return Refusal("machine.refuse.talk_time_required")
    if attempt.talk_window is None:
        # The window comes from the calendar policy; without it the rule cannot be applied.
        raise ValueError("schedule needs Attempt.talk_window from the calendar policy")
    if talk_at <= attempt.now:
        return Refusal("machine.refuse.talk_in_past", {"talk_at": _iso(talk_at)})
    earliest, latest = attempt.talk_window
    if not earliest <= talk_at <= latest:
        params = {"talk_at": _iso(talk_at), "earliest": _iso(earliest), "latest": _iso(latest)}
        return Refusal("machine.refuse.talk_outside_window", params)
    return None


@_guard("talk_time_reached")
def talk_time_reached(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    """A talk is recorded only once its time has come (not as held before it happened)."""
    if case.talk_at is not None and attempt.now < case.talk_at:
        return Refusal("machine.refuse.talk_not_yet", {"talk_at": _iso(case.talk_at)})
    return None


@_guard("attendance_or_override")
def attendance_or_override(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    if case.attendance_confirmed or attempt.override_reason.strip():
        return None
    return Refusal("machine.refuse.attendance_unconfirmed")


@_guard("current_document_seen")
def current_document_seen(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    if case.document_hash is not None and attempt.document_hash_seen == case.document_hash:
        return None
    return Refusal("machine.refuse.document_stale")


@_guard("unilateral_allowed")
def unilateral_allowed(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.unilateral_allowed else Refusal("machine.refuse.unilateral_not_allowed")


@_guard("notice_served")
def notice_served(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    return None if attempt.notice_served else Refusal("machine.refuse.notice_not_served")


@_guard("item_owned")
def item_owned(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    return None if attempt.item_owned else Refusal("machine.refuse.item_not_owned")


@_guard("items_done")
def items_done(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.open_items:
        return Refusal("machine.refuse.items_open", {"count": case.open_items})
    return None


@_guard("certificate_issued")
def certificate_issued(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.certificate_issued else Refusal("machine.refuse.certificate_missing")


@_guard("last_day_reached")
def last_day_reached(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    """A case closes no earlier than the last day: until then the employee is still employed."""
    today = attempt.today or attempt.now.date()
    if case.last_day is not None and today < case.last_day:
        return Refusal("machine.refuse.before_last_day", {"last_day": case.last_day.isoformat()})
    return None


def party_refusal(action: str, parties: tuple[Party, ...]) -> Refusal:
    """Only `parties` may do `action` (rendered with the action's and the parties' labels)."""
    return Refusal("machine.refuse.party", {"trigger": action, "allowed": [p.value for p in parties]})


def party_guard(action: str, parties: tuple[Party, ...]) -> Guard:
    """Who acts is checked first, so a wrong party never learns about the other guards."""
    def check(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
        if attempt.parties.isdisjoint(parties):
            return party_refusal(action, parties)
        return None

    return Guard("by_" + "_or_".join(parties), check)


