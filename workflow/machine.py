"""The case state machine: one shared `transitions` definition that decides every trigger.

`decide()` attaches one case snapshot to the machine, fires the trigger and detaches it again;
guards leave the reason they refused on that snapshot so the person is told why, in their language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from transitions import EventData, Machine, MachineError

from workflow.evidence import is_requirement_key, requirement_label
from workflow.i18n import keys, t
from workflow.model import Ground, Outcome, Party, Refusal, State, Trigger


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

    def __post_init__(self) -> None:
        # Comparing naive with aware instants fails late and obscurely; refuse them up front.
        instants = [self.now, self.talk_at, *(self.talk_window or ())]
        if any(i is not None and i.utcoffset() is None for i in instants):
            raise ValueError("Attempt needs timezone-aware datetimes")
        if self.talk_window and self.talk_window[0] > self.talk_window[1]:
            raise ValueError("talk_window must be (earliest, latest)")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    trigger: Trigger
    from_state: State
    to_state: State  # == from_state for stay transitions and refusals
    outcome: Outcome | None = None
    refusal: Refusal | None = None


Check = Callable[[CaseSnapshot, Attempt], Refusal | None]


class _Guard:
    """A transition condition: named for the diagram, it leaves its refusal on the model."""

    def __init__(self, name: str, check: Check) -> None:
        self.__name__ = name  # transitions labels diagram edges with the condition's __name__
        self._check = check

    def __call__(self, event: EventData) -> bool:
        model: _Case = event.model
        refusal = self._check(model.case, model.attempt)
        if refusal is None:
            return True
        model.refusal = refusal
        return False


def _guard(name: str) -> Callable[[Check], _Guard]:
    return lambda check: _Guard(name, check)


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="minutes")


def _needs_text(code: str, name: str) -> _Guard:
    return _Guard(name, lambda _case, a: None if a.text.strip() else Refusal(code))


_comment_given = _needs_text("machine.refuse.comment_required", "comment_given")
_reason_given = _needs_text("machine.refuse.reason_required", "reason_given")
_proof_given = _needs_text("machine.refuse.proof_required", "proof_given")


@_guard("evidence_complete")
def _evidence_complete(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.missing_evidence:
        return Refusal("machine.refuse.evidence_missing", {"missing": list(case.missing_evidence)})
    return None


@_guard("facts_confirmed")
def _facts_confirmed(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.facts_confirmed else Refusal("machine.refuse.facts_unconfirmed")


@_guard("no_blocking_finding")
def _no_blocking_finding(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.blocking_findings:
        articles = list(case.blocking_findings)
        return Refusal("machine.refuse.blocking_findings", {"articles": articles})
    return None


@_guard("talk_time_in_policy")
def _talk_time_in_policy(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
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


@_guard("attendance_or_override")
def _attendance_or_override(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    if case.attendance_confirmed or attempt.override_reason.strip():
        return None
    return Refusal("machine.refuse.attendance_unconfirmed")


@_guard("current_document_seen")
def _current_document_seen(case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    if case.document_hash is not None and attempt.document_hash_seen == case.document_hash:
        return None
    return Refusal("machine.refuse.document_stale")


@_guard("unilateral_allowed")
def _unilateral_allowed(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.unilateral_allowed else Refusal("machine.refuse.unilateral_not_allowed")


@_guard("notice_served")
def _notice_served(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    return None if attempt.notice_served else Refusal("machine.refuse.notice_not_served")


@_guard("item_owned")
def _item_owned(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
    return None if attempt.item_owned else Refusal("machine.refuse.item_not_owned")


@_guard("items_done")
def _items_done(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    if case.open_items:
        return Refusal("machine.refuse.items_open", {"count": case.open_items})
    return None


@_guard("certificate_issued")
def _certificate_issued(case: CaseSnapshot, _attempt: Attempt) -> Refusal | None:
    return None if case.certificate_issued else Refusal("machine.refuse.certificate_missing")


def _party_guard(trigger: Trigger, parties: tuple[Party, ...]) -> _Guard:
    def check(_case: CaseSnapshot, attempt: Attempt) -> Refusal | None:
        if attempt.parties.isdisjoint(parties):
            allowed = [p.value for p in parties]
            return Refusal("machine.refuse.party", {"trigger": trigger.value, "allowed": allowed})
        return None

    return _Guard("by_" + "_or_".join(parties), check)


@dataclass(frozen=True)
class _Row:
    """One row of the WORKFLOW.md table: who may fire `trigger` in `source`, and what it needs."""

    trigger: Trigger
    source: State
    dest: State | None  # None: the case stays where it is (an internal transition)
    parties: tuple[Party, ...]
    guards: tuple[_Guard, ...] = ()
    outcome: Outcome | None = None

    def as_transition(self) -> dict[str, Any]:
        # Who acts is checked first, so a wrong party never learns about the other guards.
        return {
            "trigger": self.trigger.value,
            "source": self.source.value,
            "dest": self.dest.value if self.dest else None,
            "conditions": [_party_guard(self.trigger, self.parties), *self.guards],
        }


S, T, P = State, Trigger, Party
_ROWS = (
    _Row(T.SUBMIT, S.COLLECTING_EVIDENCE, S.HR_REVIEW, (P.MANAGER,), (_evidence_complete,)),
    _Row(T.WITHDRAW, S.COLLECTING_EVIDENCE, S.CLOSED, (P.MANAGER, P.HR), outcome=Outcome.WITHDRAWN),
    _Row(
        T.APPROVE,
        S.HR_REVIEW,
        S.SCHEDULING_TALK,
        (P.HR,),
        (_facts_confirmed, _no_blocking_finding),
    ),
    _Row(T.REQUEST_CHANGES, S.HR_REVIEW, S.COLLECTING_EVIDENCE, (P.HR,), (_comment_given,)),
    _Row(T.REJECT, S.HR_REVIEW, S.CLOSED, (P.HR,), (_reason_given,), Outcome.REJECTED),
    _Row(T.SCHEDULE, S.SCHEDULING_TALK, S.TALK_SCHEDULED, (P.HR,), (_talk_time_in_policy,)),
    _Row(T.CONFIRM_ATTENDANCE, S.TALK_SCHEDULED, None, (P.MANAGER,)),
    _Row(T.RECORD_TALK, S.TALK_SCHEDULED, S.AWAITING_EMPLOYEE, (P.HR,), (_attendance_or_override,)),
    _Row(T.ACKNOWLEDGE, S.AWAITING_EMPLOYEE, None, (P.EMPLOYEE,)),
    _Row(T.SIGN, S.AWAITING_EMPLOYEE, S.HANDOVER, (P.EMPLOYEE,), (_current_document_seen,)),
    _Row(T.DISPUTE, S.AWAITING_EMPLOYEE, S.DISPUTED, (P.EMPLOYEE,), (_reason_given,)),
    _Row(T.ESCALATE, S.AWAITING_EMPLOYEE, S.ESCALATED, (P.SYSTEM,)),
    _Row(T.REVISE, S.DISPUTED, S.AWAITING_EMPLOYEE, (P.HR,)),
    _Row(T.WITHDRAW, S.DISPUTED, S.CLOSED, (P.HR,), outcome=Outcome.WITHDRAWN),
    _Row(
        T.PROCEED_UNILATERAL,
        S.DISPUTED,
        S.HANDOVER,
        (P.HR,),
        (_unilateral_allowed, _notice_served),
    ),
    _Row(T.RECORD_NOTICE_SERVED, S.ESCALATED, S.HANDOVER, (P.HR,), (_proof_given,)),
    _Row(T.SIGN, S.ESCALATED, S.HANDOVER, (P.EMPLOYEE,), (_current_document_seen,)),
    _Row(T.COMPLETE_ITEM, S.HANDOVER, None, (P.ASSIGNEE,), (_item_owned,)),
    _Row(
        T.FINISH,
        S.HANDOVER,
        S.CLOSED,
        (P.SYSTEM, P.HR),
        (_items_done, _certificate_issued),
        Outcome.COMPLETED,
    ),
)
_ROW = {(row.trigger, row.source): row for row in _ROWS}


def machine_definition() -> dict[str, Any]:
    """States, transitions and options as keyword arguments for a `transitions` machine."""
    return {
        "states": [s.value for s in State],
        "initial": State.COLLECTING_EVIDENCE.value,
        "transitions": [row.as_transition() for row in _ROWS],
        "auto_transitions": False,  # no to_<state>() shortcuts around the guards
        "send_event": True,  # guards receive EventData and find the case on event.model
    }


# The one definition every case shares. decide() adds a model, fires, and removes it again;
# nothing else may add models. Never use transitions' Timeout: timers are database rows.
MACHINE = Machine(model=None, ignore_invalid_triggers=False, **machine_definition())


class _Case:
    """The model attached during one decide(): the snapshot plus the guards' verdict."""

    state: str  # set and moved by the machine
    trigger: Callable[[str], bool]  # bound by the machine in add_model

    def __init__(self, case: CaseSnapshot, attempt: Attempt) -> None:
        self.case = case
        self.attempt = attempt
        self.refusal: Refusal | None = None


def decide(case: CaseSnapshot, attempt: Attempt) -> Decision:
    """Whether `attempt` may happen to `case` now, and where the case goes if it does."""
    model = _Case(case, attempt)
    MACHINE.add_model(model, initial=case.state.value)
    try:
        moved = model.trigger(attempt.trigger.value)
    except MachineError:  # the trigger does not exist in this state
        moved, model.refusal = False, _not_now(case.state, attempt)
    finally:
        MACHINE.remove_model(model)
    if not moved:
        assert model.refusal is not None, "a guard refused without saying why"
        return Decision(False, attempt.trigger, case.state, case.state, refusal=model.refusal)
    outcome = _ROW[(attempt.trigger, case.state)].outcome
    return Decision(True, attempt.trigger, case.state, State(model.state), outcome=outcome)


def available(state: State, parties: frozenset[Party]) -> tuple[Trigger, ...]:
    """The triggers these parties may press in `state` (guards aside): the buttons to draw."""
    triggers = (Trigger(name) for name in MACHINE.get_triggers(state.value))
    return tuple(tr for tr in triggers if not parties.isdisjoint(_ROW[(tr, state)].parties))


def _not_now(state: State, attempt: Attempt) -> Refusal:
    can = [tr.value for tr in available(state, attempt.parties)]
    params = {"state": state.value, "trigger": attempt.trigger.value, "available": can}
    return Refusal("machine.refuse.not_now", params)


def refusal_text(refusal: Refusal, locale: str) -> str:
    """The refusal as a sentence for the reader, its parameters rendered in their language."""
    params = {name: _render(name, value, locale) for name, value in refusal.params.items()}
    return t(refusal.code, locale, **params)


def _render(name: str, value: Any, locale: str) -> Any:
    match name:
        case "state":
            return t(f"state.{value}", locale)
        case "trigger":
            return t(f"action.{value}", locale)
        case "available":
            if not value:
                return t("machine.nothing_now", locale)
            actions = _join((t(f"action.{v}", locale) for v in value), "machine.sep.list", locale)
            return t("machine.can_now", locale, actions=actions)
        case "allowed":
            return _join((t(f"machine.party.{p}", locale) for p in value), "machine.sep.or", locale)
        case "missing":
            # Callers may pass requirement keys or labels they already rendered.
            labels = (requirement_label(m, locale) if is_requirement_key(m) else m for m in value)
            return _join(labels, "machine.sep.items", locale)
        case "articles":
            return _join(value, "machine.sep.list", locale)
        case "talk_at" | "earliest" | "latest":
            return _when(datetime.fromisoformat(value))
    return value


def _join(items: Iterable[str], separator_key: str, locale: str) -> str:
    return t(separator_key, locale).join(items)


def _when(instant: datetime) -> str:
    # Keep the caller's offset: the window was computed in the tenant's local time.
    offset = instant.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    zone = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}" if minutes else "UTC"
    return f"{instant:%Y-%m-%d %H:%M} ({zone})"


# The refusals the guards give, as the catalogue words them (machine.refuse.*).
REFUSAL_CODES = keys("machine.refuse.")
