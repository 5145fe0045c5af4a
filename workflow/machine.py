"""The case state machine: one shared `transitions` definition, built from the action table
(actions.py), that decides every trigger.

`decide()` lends one of the machine's models a case snapshot, fires the trigger and takes the
snapshot back; guards leave the reason they refused on that snapshot so the person is told why, in their language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from transitions import Machine, MachineError

from workflow.actions import ACTIONS, BY_TRIGGER
from workflow.evidence import is_requirement_key, requirement_label
from workflow.guards import Attempt, CaseSnapshot, party_guard
from workflow.i18n import keys, t
from workflow.model import Outcome, Party, Refusal, State, Trigger

__all__ = ["MACHINE", "REFUSAL_CODES", "Attempt", "CaseSnapshot", "Decision", "available", "decide",
           "machine_definition", "refusal_text"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    trigger: Trigger
    from_state: State
    to_state: State  # == from_state for stay transitions and refusals
    outcome: Outcome | None = None
    refusal: Refusal | None = None


def _transitions() -> list[dict[str, Any]]:
    """One `transitions` transition per step of every machine action in the table."""
    return [
        {
            "trigger": action.trigger.value,
            "source": step.source.value,
            "dest": step.target.value if step.target else None,  # None: internal, no exit/enter
            "conditions": [party_guard(action.name, step.parties), *step.guards],
        }
        for action in ACTIONS if action.trigger is not None
        for step in action.steps
    ]


def machine_definition() -> dict[str, Any]:
    """States, transitions and options as keyword arguments for a `transitions` machine."""
    return {
        "states": [s.value for s in State],
        "initial": State.COLLECTING_EVIDENCE.value,
        "transitions": _transitions(),
        "auto_transitions": False,  # no to_<state>() shortcuts around the guards
        "send_event": True,  # guards receive EventData and find the case on event.model
    }


# The one definition every case shares. Only decide() adds models, and keeps them: attaching one
# (its trigger methods bound) costs more than the decision itself, so a model is attached once and
# reused, its snapshot and state set anew each time. Never use transitions' Timeout: timers are
# database rows.
MACHINE = Machine(model=None, ignore_invalid_triggers=False, **machine_definition())


class _Case:
    """A model of the machine, lent to one decide() at a time: the snapshot plus the guards'
    verdict."""

    state: str  # set and moved by the machine
    trigger: Callable[[str], bool]  # bound by the machine in add_model

    def __init__(self) -> None:
        self.case: CaseSnapshot | None = None
        self.attempt: Attempt | None = None
        self.refusal: Refusal | None = None


# Models attached and not lent out now (a list: popped and put back atomically, whatever thread).
_IDLE: list[_Case] = []


def _lend(case: CaseSnapshot, attempt: Attempt) -> _Case:
    try:
        model = _IDLE.pop()
    except IndexError:
        model = _Case()
        MACHINE.add_model(model, initial=case.state.value)
    model.case, model.attempt, model.refusal = case, attempt, None
    MACHINE.set_state(case.state.value, model)
    return model


def decide(case: CaseSnapshot, attempt: Attempt) -> Decision:
    """Whether `attempt` may happen to `case` now, and where the case goes if it does."""
    model = _lend(case, attempt)
    try:
        try:
            moved = model.trigger(attempt.trigger.value)
        except MachineError:  # the trigger does not exist in this state
            moved, model.refusal = False, _not_now(case.state, attempt)
        refusal, reached = model.refusal, State(model.state)
    finally:
        model.case = model.attempt = None
        _IDLE.append(model)
    if not moved:
        assert refusal is not None, "a guard refused without saying why"
        return Decision(False, attempt.trigger, case.state, case.state, refusal=refusal)
    step = BY_TRIGGER[attempt.trigger].step(case.state)
    outcome = step.outcome if step else None
    return Decision(True, attempt.trigger, case.state, reached, outcome=outcome)


def available(state: State, parties: frozenset[Party]) -> tuple[Trigger, ...]:
    """The triggers these parties may press in `state` (guards aside): the buttons to draw."""
    triggers = (Trigger(name) for name in MACHINE.get_triggers(state.value))
    return tuple(tr for tr in triggers if not parties.isdisjoint(BY_TRIGGER[tr].parties_in(state)))


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
