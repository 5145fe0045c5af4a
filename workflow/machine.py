"""The case state machine: one shared `transitions` definition, built from the action table
(actions.py), that decides every trigger.

`decide()` attaches one case snapshot to the machine, fires the trigger and detaches it again;
guards leave the reason they refused on that snapshot so the person is told why, in their language.
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
from workflow.i18n import register, t
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
    step = BY_TRIGGER[attempt.trigger].step(case.state)
    outcome = step.outcome if step else None
    return Decision(True, attempt.trigger, case.state, State(model.state), outcome=outcome)


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


_REFUSALS: dict[str, tuple[str, str]] = {
    "machine.refuse.not_now": (
        "案件目前处于“{state}”阶段，现在不能“{trigger}”。{available}",
        "The case is at “{state}”; “{trigger}” is not possible now. {available}",
    ),
    "machine.refuse.party": (
        "只有{allowed}可以“{trigger}”。",
        "Only {allowed} may “{trigger}”.",
    ),
    "machine.refuse.evidence_missing": (
        "还缺少以下证据：{missing}。补齐后再提交。",
        "Evidence still missing: {missing}. Add it, then submit again.",
    ),
    "machine.refuse.facts_unconfirmed": (
        "请先确认案件事实（入职日期、工资、特殊保护情形等），再同意。",
        "Confirm the case facts (hire date, wages, protected statuses …) before approving.",
    ),
    "machine.refuse.blocking_findings": (
        "存在阻断性合规问题（{articles}），须先处理才能同意。",
        "Blocking compliance findings ({articles}) must be resolved before approval.",
    ),
    "machine.refuse.comment_required": (
        "请写明需要修改的内容。",
        "Say what needs to change: a comment is required.",
    ),
    "machine.refuse.reason_required": ("请填写理由。", "A reason is required."),
    "machine.refuse.talk_time_required": ("请选择面谈时间。", "Choose a time for the talk."),
    "machine.refuse.talk_in_past": (
        "面谈时间 {talk_at} 已过，请选择将来的时间。",
        "The talk time {talk_at} has passed; choose a future time.",
    ),
    "machine.refuse.talk_outside_window": (
        "面谈时间 {talk_at} 不符合公司面谈通知规定，须在 {earliest} 至 {latest} 之间。",
        "The talk time {talk_at} breaks the notice policy: choose between {earliest} and {latest}.",
    ),
    "machine.refuse.attendance_unconfirmed": (
        "经理尚未确认出席面谈；如仍要记录面谈，请填写原因。",
        "The manager has not confirmed attendance; give a reason to record the talk anyway.",
    ),
    "machine.refuse.document_stale": (
        "文件已更新，请先阅读最新版本再签署。",
        "The document has changed since you opened it: read the current version, then sign.",
    ),
    "machine.refuse.unilateral_not_allowed": (
        "本案的解除理由不允许用人单位单方解除（劳动合同法第三十九、四十、四十一条）。",
        "This case's ground does not allow unilateral termination "
        "(Labor Contract Law Art. 39/40/41).",
    ),
    "machine.refuse.notice_not_served": (
        "单方解除前须先送达解除通知并记录送达。",
        "Serve the termination notice, and record it, before proceeding unilaterally.",
    ),
    "machine.refuse.proof_required": (
        "请提供送达证明（如挂号信单号或文件）。",
        "Give proof of service (e.g. a registered-mail tracking number or a file).",
    ),
    "machine.refuse.item_not_owned": (
        "这项交接事项不由你负责。",
        "This handover item is not yours.",
    ),
    "machine.refuse.items_open": (
        "还有 {count} 项交接事项未完成。",
        "{count} handover item(s) are still open.",
    ),
    "machine.refuse.certificate_missing": (
        "尚未出具解除或终止劳动合同的证明（劳动合同法第五十条）。",
        "The termination certificate (Labor Contract Law Art. 50) has not been issued yet.",
    ),
}
REFUSAL_CODES = frozenset(_REFUSALS)

_FRAGMENTS: dict[str, tuple[str, str]] = {
    "machine.can_now": ("你现在可以：{actions}。", "You can now: {actions}."),
    "machine.nothing_now": ("你现在没有可做的操作。", "There is nothing for you to do now."),
    "machine.sep.list": ("、", ", "),
    "machine.sep.items": ("；", "; "),
    "machine.sep.or": ("或", " or "),
    "machine.party.manager": ("直属经理", "the manager"),
    "machine.party.hr": ("人事（HR）", "HR"),
    "machine.party.employee": ("员工本人", "the employee"),
    "machine.party.assignee": ("事项负责人", "the item's owner"),
    "machine.party.system": ("系统", "the system"),
}

S, T = State, Trigger
_STATE_LABELS: dict[State, tuple[str, str]] = {
    S.COLLECTING_EVIDENCE: ("收集证据", "Collecting evidence"),
    S.HR_REVIEW: ("人事审核", "HR review"),
    S.SCHEDULING_TALK: ("安排面谈", "Scheduling the talk"),
    S.TALK_SCHEDULED: ("面谈已安排", "Talk scheduled"),
    S.AWAITING_EMPLOYEE: ("等待员工回应", "Awaiting the employee"),
    S.DISPUTED: ("员工有异议", "Disputed"),
    S.ESCALATED: ("已升级（备用送达）", "Escalated (fallback service)"),
    S.HANDOVER: ("工作交接", "Handover"),
    S.CLOSED: ("已结案", "Closed"),
}

_ACTION_LABELS: dict[str, tuple[str, str]] = {
    T.SUBMIT: ("提交人事", "Submit to HR"),
    T.WITHDRAW: ("撤回", "Withdraw"),
    T.APPROVE: ("同意", "Approve"),
    T.REQUEST_CHANGES: ("退回修改", "Request changes"),
    T.REJECT: ("驳回", "Reject"),
    T.SCHEDULE: ("安排面谈", "Schedule the talk"),
    T.CONFIRM_ATTENDANCE: ("确认出席", "Confirm attendance"),
    T.RECORD_TALK: ("记录面谈", "Record the talk"),
    T.ACKNOWLEDGE: ("已阅", "Mark as read"),
    T.SIGN: ("签署", "Sign"),
    T.DISPUTE: ("异议", "Dispute"),
    T.ESCALATE: ("升级", "Escalate"),
    T.REVISE: ("修订文件", "Revise the document"),
    T.PROCEED_UNILATERAL: ("单方解除", "Proceed unilaterally"),
    T.RECORD_NOTICE_SERVED: ("记录送达", "Record notice served"),
    T.COMPLETE_ITEM: ("完成事项", "Mark item done"),
    T.FINISH: ("结案", "Finish"),
    # Card actions that are not machine triggers.
    "ask_meeting": ("申请面谈", "Ask for a meeting"),
    "confirm_facts": ("确认事实", "Confirm the facts"),
    "open_case": ("发起案件", "Open a case"),
}

_OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.WITHDRAWN: ("已撤回", "Withdrawn"),
    Outcome.REJECTED: ("已驳回", "Rejected"),
    Outcome.COMPLETED: ("已完成", "Completed"),
}


def _catalogue() -> dict[str, dict[str, str]]:
    groups: list[tuple[str, dict[Any, tuple[str, str]]]] = [
        ("", _REFUSALS),
        ("", _FRAGMENTS),
        ("state.", _STATE_LABELS),
        ("action.", _ACTION_LABELS),
        ("outcome.", _OUTCOME_LABELS),
    ]
    return {
        f"{prefix}{key}": {"zh-CN": zh, "en": en}
        for prefix, texts in groups
        for key, (zh, en) in texts.items()
    }


register(_catalogue())
