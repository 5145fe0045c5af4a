"""The case state machine against the WORKFLOW.md table: every transition, guard and party check."""

from __future__ import annotations

import gc
import itertools
import weakref
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import State as MachineState

from workflow import machine
from workflow.i18n import has, t
from workflow.machine import (
    MACHINE,
    REFUSAL_CODES,
    Attempt,
    CaseSnapshot,
    Decision,
    available,
    decide,
    refusal_text,
)
from workflow.model import Ground, Outcome, Party, Refusal, State, Trigger

S, T, P = State, Trigger, Party
NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
WINDOW = (NOW + timedelta(days=1), NOW + timedelta(days=2))
SHANGHAI = timezone(timedelta(hours=8))


def snapshot(state: State, **changes: Any) -> CaseSnapshot:
    """A case on which every guard passes, unless `changes` say otherwise."""
    passing = CaseSnapshot(
        state=state,
        ground=Ground.INCOMPETENT,
        facts_confirmed=True,
        attendance_confirmed=True,
        document_hash="doc-v2",
        certificate_issued=True,
        unilateral_allowed=True,
    )
    return replace(passing, **changes)


def attempt(trigger: Trigger, *parties: Party, **changes: Any) -> Attempt:
    """An attempt that satisfies every guard, unless `changes` say otherwise."""
    passing = Attempt(
        trigger=trigger,
        parties=frozenset(parties),
        now=NOW,
        text="the reason",
        talk_at=NOW + timedelta(days=1, hours=2),
        talk_window=WINDOW,
        document_hash_seen="doc-v2",
        notice_served=True,
        item_owned=True,
    )
    return replace(passing, **changes)


# (state, trigger) -> (parties that may act, next state, outcome): WORKFLOW.md, written out again.
SPEC: dict[tuple[State, Trigger], tuple[frozenset[Party], State, Outcome | None]] = {
    (S.COLLECTING_EVIDENCE, T.SUBMIT): (frozenset({P.MANAGER}), S.HR_REVIEW, None),
    (S.COLLECTING_EVIDENCE, T.WITHDRAW): (
        frozenset({P.MANAGER, P.HR}),
        S.CLOSED,
        Outcome.WITHDRAWN,
    ),
    (S.HR_REVIEW, T.APPROVE): (frozenset({P.HR}), S.SCHEDULING_TALK, None),
    (S.HR_REVIEW, T.REQUEST_CHANGES): (frozenset({P.HR}), S.COLLECTING_EVIDENCE, None),
    (S.HR_REVIEW, T.REJECT): (frozenset({P.HR}), S.CLOSED, Outcome.REJECTED),
    (S.SCHEDULING_TALK, T.SCHEDULE): (frozenset({P.HR}), S.TALK_SCHEDULED, None),
    (S.TALK_SCHEDULED, T.SCHEDULE): (frozenset({P.HR}), S.TALK_SCHEDULED, None),  # the talk moves
    (S.TALK_SCHEDULED, T.CONFIRM_ATTENDANCE): (frozenset({P.MANAGER}), S.TALK_SCHEDULED, None),
    (S.TALK_SCHEDULED, T.RECORD_TALK): (frozenset({P.HR}), S.AWAITING_EMPLOYEE, None),
    (S.AWAITING_EMPLOYEE, T.ACKNOWLEDGE): (frozenset({P.EMPLOYEE}), S.AWAITING_EMPLOYEE, None),
    (S.AWAITING_EMPLOYEE, T.SIGN): (frozenset({P.EMPLOYEE}), S.HANDOVER, None),
    (S.AWAITING_EMPLOYEE, T.DISPUTE): (frozenset({P.EMPLOYEE}), S.DISPUTED, None),
    (S.AWAITING_EMPLOYEE, T.ESCALATE): (frozenset({P.SYSTEM}), S.ESCALATED, None),
    (S.DISPUTED, T.REVISE): (frozenset({P.HR}), S.AWAITING_EMPLOYEE, None),
    (S.DISPUTED, T.WITHDRAW): (frozenset({P.HR}), S.CLOSED, Outcome.WITHDRAWN),
    (S.DISPUTED, T.PROCEED_UNILATERAL): (frozenset({P.HR}), S.HANDOVER, None),
    (S.ESCALATED, T.RECORD_NOTICE_SERVED): (frozenset({P.HR}), S.HANDOVER, None),
    (S.ESCALATED, T.SIGN): (frozenset({P.EMPLOYEE}), S.HANDOVER, None),
    (S.HANDOVER, T.COMPLETE_ITEM): (frozenset({P.ASSIGNEE}), S.HANDOVER, None),
    (S.HANDOVER, T.FINISH): (frozenset({P.SYSTEM, P.HR}), S.CLOSED, Outcome.COMPLETED),
}
STAYS = {T.CONFIRM_ATTENDANCE, T.ACKNOWLEDGE, T.COMPLETE_ITEM, T.SCHEDULE}  # schedule: moving the talk

ALLOWED = [
    (state, trigger, party, dest, outcome)
    for (state, trigger), (parties, dest, outcome) in SPEC.items()
    for party in sorted(parties)
]
WRONG_PARTY = [
    (state, trigger, party, parties)
    for (state, trigger), (parties, _dest, _outcome) in SPEC.items()
    for party in sorted(set(Party) - parties)
]
INVALID = [(s, tr) for s, tr in itertools.product(State, Trigger) if (s, tr) not in SPEC]


def refused(decision: Decision, code: str) -> Refusal:
    assert not decision.allowed
    assert decision.refusal is not None and decision.refusal.code == code, decision.refusal
    assert decision.to_state == decision.from_state
    assert decision.outcome is None
    return decision.refusal


@pytest.mark.parametrize(("state", "trigger", "party", "dest", "outcome"), ALLOWED)
def test_each_allowed_transition(
    state: State, trigger: Trigger, party: Party, dest: State, outcome: Outcome | None
) -> None:
    decision = decide(snapshot(state), attempt(trigger, party))
    assert decision == Decision(True, trigger, state, dest, outcome=outcome)


def test_stay_transitions_keep_the_state() -> None:
    stays = {tr for (s, tr), (_p, dest, _o) in SPEC.items() if dest == s}
    assert stays == STAYS


@pytest.mark.parametrize(("state", "trigger", "party", "parties"), WRONG_PARTY)
def test_wrong_party_is_told_who_may_act(
    state: State, trigger: Trigger, party: Party, parties: frozenset[Party]
) -> None:
    refusal = refused(decide(snapshot(state), attempt(trigger, party)), "machine.refuse.party")
    assert refusal.params["trigger"] == trigger.value
    assert set(refusal.params["allowed"]) == {p.value for p in parties}


def test_nobody_is_told_who_may_act() -> None:
    decision = decide(snapshot(S.HR_REVIEW), attempt(T.APPROVE))
    assert refused(decision, "machine.refuse.party").params["allowed"] == ["hr"]


def test_party_is_checked_before_the_guards() -> None:
    case = snapshot(S.HR_REVIEW, facts_confirmed=False, blocking_findings=("Art. 42(4)",))
    refused(decide(case, attempt(T.APPROVE, P.MANAGER)), "machine.refuse.party")
    refused(decide(case, attempt(T.APPROVE, P.HR)), "machine.refuse.facts_unconfirmed")


def test_one_fitting_party_among_several_is_enough() -> None:
    # An HR member who is also the case's manager may both submit and approve.
    both = (P.MANAGER, P.HR)
    assert decide(snapshot(S.COLLECTING_EVIDENCE), attempt(T.SUBMIT, *both)).allowed
    assert decide(snapshot(S.HR_REVIEW), attempt(T.APPROVE, *both)).allowed


@pytest.mark.parametrize(("state", "trigger"), INVALID)
def test_trigger_not_valid_in_state_is_not_now(state: State, trigger: Trigger) -> None:
    everyone = tuple(Party)
    refusal = refused(decide(snapshot(state), attempt(trigger, *everyone)), "machine.refuse.not_now")
    assert refusal.params["state"] == state.value
    assert refusal.params["trigger"] == trigger.value
    assert refusal.params["available"] == [tr.value for tr in available(state, frozenset(Party))]


def test_not_now_says_what_the_viewer_can_do() -> None:
    refusal = refused(decide(snapshot(S.HR_REVIEW), attempt(T.SUBMIT, P.MANAGER)), "machine.refuse.not_now")
    assert refusal.params["available"] == []
    refusal = refused(decide(snapshot(S.HR_REVIEW), attempt(T.SIGN, P.HR)), "machine.refuse.not_now")
    assert refusal.params["available"] == ["approve", "request_changes", "reject"]
    assert "同意、退回修改、驳回" in refusal_text(refusal, "zh-CN")
    assert "Approve, Request changes, Reject" in refusal_text(refusal, "en")


def test_stale_trigger_after_the_case_moved_on() -> None:
    # Two HR members approve from the same card: the second finds the case already moved.
    first = decide(snapshot(S.HR_REVIEW), attempt(T.APPROVE, P.HR))
    second = decide(snapshot(first.to_state), attempt(T.APPROVE, P.HR))
    assert first.allowed
    assert refused(second, "machine.refuse.not_now").params["available"] == ["schedule"]


def test_closed_case_accepts_nothing() -> None:
    for trigger in Trigger:
        decision = decide(snapshot(S.CLOSED), attempt(trigger, *Party))
        assert refused(decision, "machine.refuse.not_now").params["available"] == []


# (state, trigger, party, case changes, attempt changes, code, expected params)
GUARDS: list[tuple[State, Trigger, Party, dict[str, Any], dict[str, Any], str, dict[str, Any]]] = [
    (
        S.COLLECTING_EVIDENCE,
        T.SUBMIT,
        P.MANAGER,
        {"missing_evidence": ("performance_records", "remedy")},
        {},
        "machine.refuse.evidence_missing",
        {"missing": ["performance_records", "remedy"]},
    ),
    (
        S.HR_REVIEW,
        T.APPROVE,
        P.HR,
        {"facts_confirmed": False},
        {},
        "machine.refuse.facts_unconfirmed",
        {},
    ),
    (
        S.HR_REVIEW,
        T.APPROVE,
        P.HR,
        {"blocking_findings": ("Art. 42(4)", "Art. 42(3)")},
        {},
        "machine.refuse.blocking_findings",
        {"articles": ["Art. 42(4)", "Art. 42(3)"]},
    ),
    (S.HR_REVIEW, T.REQUEST_CHANGES, P.HR, {}, {"text": ""}, "machine.refuse.comment_required", {}),
    (
        S.HR_REVIEW,
        T.REQUEST_CHANGES,
        P.HR,
        {},
        {"text": "  "},
        "machine.refuse.comment_required",
        {},
    ),
    (S.HR_REVIEW, T.REJECT, P.HR, {}, {"text": ""}, "machine.refuse.reason_required", {}),
    (
        S.SCHEDULING_TALK,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": None},
        "machine.refuse.talk_time_required",
        {},
    ),
    (
        S.SCHEDULING_TALK,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": NOW - timedelta(hours=1)},
        "machine.refuse.talk_in_past",
        {"talk_at": "2025-03-03T01:00+00:00"},
    ),
    (
        S.SCHEDULING_TALK,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": NOW},  # now is not in the future
        "machine.refuse.talk_in_past",
        {"talk_at": "2025-03-03T02:00+00:00"},
    ),
    (
        S.SCHEDULING_TALK,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": NOW + timedelta(hours=3)},  # future, but earlier than policy allows
        "machine.refuse.talk_outside_window",
        {
            "talk_at": "2025-03-03T05:00+00:00",
            "earliest": "2025-03-04T02:00+00:00",
            "latest": "2025-03-05T02:00+00:00",
        },
    ),
    (
        S.SCHEDULING_TALK,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": WINDOW[1] + timedelta(minutes=1)},
        "machine.refuse.talk_outside_window",
        {"talk_at": "2025-03-05T02:01+00:00"},
    ),
    (
        S.TALK_SCHEDULED,
        T.SCHEDULE,
        P.HR,
        {},
        {"talk_at": NOW - timedelta(hours=1)},  # moving the talk: again only into the future
        "machine.refuse.talk_in_past",
        {"talk_at": "2025-03-03T01:00+00:00"},
    ),
    (
        S.TALK_SCHEDULED,
        T.RECORD_TALK,
        P.HR,
        {"talk_at": NOW + timedelta(minutes=1)},  # not held yet
        {},
        "machine.refuse.talk_not_yet",
        {"talk_at": "2025-03-03T02:01+00:00"},
    ),
    (
        S.TALK_SCHEDULED,
        T.RECORD_TALK,
        P.HR,
        {"attendance_confirmed": False},
        {"override_reason": " "},
        "machine.refuse.attendance_unconfirmed",
        {},
    ),
    (
        S.AWAITING_EMPLOYEE,
        T.SIGN,
        P.EMPLOYEE,
        {},
        {"document_hash_seen": "doc-v1"},
        "machine.refuse.document_stale",
        {},
    ),
    (
        S.AWAITING_EMPLOYEE,
        T.SIGN,
        P.EMPLOYEE,
        {"document_hash": None},
        {"document_hash_seen": None},
        "machine.refuse.document_stale",
        {},
    ),
    (
        S.ESCALATED,
        T.SIGN,
        P.EMPLOYEE,
        {},
        {"document_hash_seen": None},
        "machine.refuse.document_stale",
        {},
    ),
    (
        S.AWAITING_EMPLOYEE,
        T.DISPUTE,
        P.EMPLOYEE,
        {},
        {"text": ""},
        "machine.refuse.reason_required",
        {},
    ),
    (
        S.DISPUTED,
        T.PROCEED_UNILATERAL,
        P.HR,
        {"unilateral_allowed": False},
        {},
        "machine.refuse.unilateral_not_allowed",
        {},
    ),
    (
        S.DISPUTED,
        T.PROCEED_UNILATERAL,
        P.HR,
        {},
        {"notice_served": False},
        "machine.refuse.notice_not_served",
        {},
    ),
    (
        S.ESCALATED,
        T.RECORD_NOTICE_SERVED,
        P.HR,
        {},
        {"text": ""},
        "machine.refuse.proof_required",
        {},
    ),
    (
        S.HR_REVIEW,
        T.APPROVE,
        P.HR,
        {"approvals": 1, "second_approval_required": True},
        {"approved_before": True},
        "machine.refuse.approved_already",
        {},
    ),
    (
        S.HANDOVER,
        T.COMPLETE_ITEM,
        P.ASSIGNEE,
        {},
        {"item_owned": False},
        "machine.refuse.item_not_owned",
        {},
    ),
    (
        S.HANDOVER,
        T.FINISH,
        P.SYSTEM,
        {"open_items": 2},
        {},
        "machine.refuse.items_open",
        {"count": 2},
    ),
    (
        S.HANDOVER,
        T.FINISH,
        P.HR,
        {"certificate_issued": False},
        {},
        "machine.refuse.certificate_missing",
        {},
    ),
    (
        S.HANDOVER,
        T.FINISH,
        P.SYSTEM,
        {"last_day": date(2025, 3, 10)},
        {"today": date(2025, 3, 9)},
        "machine.refuse.before_last_day",
        {"last_day": "2025-03-10"},
    ),
]


@pytest.mark.parametrize(("state", "trigger", "party", "case_changes", "attempt_changes", "code", "params"), GUARDS)
def test_each_guard_refuses_with_its_reason(
    state: State,
    trigger: Trigger,
    party: Party,
    case_changes: dict[str, Any],
    attempt_changes: dict[str, Any],
    code: str,
    params: dict[str, Any],
) -> None:
    decision = decide(snapshot(state, **case_changes), attempt(trigger, party, **attempt_changes))
    refusal = refused(decision, code)
    assert params.items() <= refusal.params.items()


def test_every_guarded_row_has_a_refusal_case() -> None:
    guarded = {(s, tr) for s, tr, *_ in GUARDS}
    unguarded = {
        (S.COLLECTING_EVIDENCE, T.WITHDRAW),
        (S.TALK_SCHEDULED, T.CONFIRM_ATTENDANCE),
        (S.AWAITING_EMPLOYEE, T.ACKNOWLEDGE),
        (S.AWAITING_EMPLOYEE, T.ESCALATE),
        (S.DISPUTED, T.REVISE),
        (S.DISPUTED, T.WITHDRAW),
    }
    assert guarded | unguarded == set(SPEC)


def test_withdraw_needs_no_reason() -> None:
    # WORKFLOW.md puts no guard on withdraw; the reason is recorded by the handler if given.
    for state, party in ((S.COLLECTING_EVIDENCE, P.MANAGER), (S.DISPUTED, P.HR)):
        assert decide(snapshot(state), attempt(T.WITHDRAW, party, text="")).allowed


def test_talk_window_edges_are_inside() -> None:
    for talk_at in WINDOW:
        case, tried = snapshot(S.SCHEDULING_TALK), attempt(T.SCHEDULE, P.HR, talk_at=talk_at)
        assert decide(case, tried).to_state == S.TALK_SCHEDULED


def test_talk_window_in_local_time_is_compared_as_instants() -> None:
    local_window = (WINDOW[0].astimezone(SHANGHAI), WINDOW[1].astimezone(SHANGHAI))
    tried = attempt(T.SCHEDULE, P.HR, talk_window=local_window)
    assert decide(snapshot(S.SCHEDULING_TALK), tried).allowed


def test_record_talk_with_override_reason_without_attendance() -> None:
    case = snapshot(S.TALK_SCHEDULED, attendance_confirmed=False)
    tried = attempt(T.RECORD_TALK, P.HR, override_reason="manager on sick leave")
    assert decide(case, tried).to_state == S.AWAITING_EMPLOYEE


def test_guards_report_the_first_failure_in_table_order() -> None:
    case = snapshot(S.HANDOVER, open_items=1, certificate_issued=False)
    refused(decide(case, attempt(T.FINISH, P.HR)), "machine.refuse.items_open")
    case = snapshot(S.DISPUTED, unilateral_allowed=False)
    tried = attempt(T.PROCEED_UNILATERAL, P.HR, notice_served=False)
    refused(decide(case, tried), "machine.refuse.unilateral_not_allowed")


def test_a_case_closes_on_its_last_day_or_later() -> None:
    case = snapshot(S.HANDOVER, last_day=date(2025, 3, 10))
    assert decide(case, attempt(T.FINISH, P.SYSTEM, today=date(2025, 3, 10))).to_state == S.CLOSED
    assert decide(case, attempt(T.FINISH, P.HR, today=date(2025, 4, 1))).to_state == S.CLOSED
    assert decide(snapshot(S.HANDOVER), attempt(T.FINISH, P.HR)).allowed  # no last day: nothing to wait for


def test_schedule_without_policy_window_is_a_caller_error() -> None:
    models = len(MACHINE.models)
    with pytest.raises(ValueError, match="talk_window"):
        decide(snapshot(S.SCHEDULING_TALK), attempt(T.SCHEDULE, P.HR, talk_window=None))
    assert len(MACHINE.models) == models


@pytest.mark.parametrize(
    "changes",
    [
        {"now": datetime(2025, 3, 3, 10, 0)},
        {"talk_at": datetime(2025, 3, 4, 10, 0)},
        {"talk_window": (datetime(2025, 3, 4), WINDOW[1])},
        {"talk_window": (WINDOW[1], WINDOW[0])},
    ],
)
def test_attempt_rejects_naive_times_and_backwards_windows(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        attempt(T.SCHEDULE, P.HR, **changes)


AVAILABLE = [
    (S.COLLECTING_EVIDENCE, P.MANAGER, (T.SUBMIT, T.WITHDRAW)),
    (S.COLLECTING_EVIDENCE, P.HR, (T.WITHDRAW,)),
    (S.COLLECTING_EVIDENCE, P.EMPLOYEE, ()),
    (S.HR_REVIEW, P.HR, (T.APPROVE, T.REQUEST_CHANGES, T.REJECT)),
    (S.HR_REVIEW, P.MANAGER, ()),
    (S.SCHEDULING_TALK, P.HR, (T.SCHEDULE,)),
    (S.TALK_SCHEDULED, P.MANAGER, (T.CONFIRM_ATTENDANCE,)),
    (S.TALK_SCHEDULED, P.HR, (T.SCHEDULE, T.RECORD_TALK)),
    (S.AWAITING_EMPLOYEE, P.EMPLOYEE, (T.ACKNOWLEDGE, T.SIGN, T.DISPUTE)),
    (S.AWAITING_EMPLOYEE, P.SYSTEM, (T.ESCALATE,)),
    (S.AWAITING_EMPLOYEE, P.HR, ()),
    (S.DISPUTED, P.HR, (T.WITHDRAW, T.REVISE, T.PROCEED_UNILATERAL)),
    (S.DISPUTED, P.EMPLOYEE, ()),
    (S.ESCALATED, P.HR, (T.RECORD_NOTICE_SERVED,)),
    (S.ESCALATED, P.EMPLOYEE, (T.SIGN,)),
    (S.HANDOVER, P.ASSIGNEE, (T.COMPLETE_ITEM,)),
    (S.HANDOVER, P.HR, (T.FINISH,)),
    (S.HANDOVER, P.SYSTEM, (T.FINISH,)),
    (S.CLOSED, P.HR, ()),
]


@pytest.mark.parametrize(("state", "party", "expected"), AVAILABLE)
def test_available_buttons(state: State, party: Party, expected: tuple[Trigger, ...]) -> None:
    assert available(state, frozenset({party})) == expected


@pytest.mark.parametrize("state", list(State))
def test_available_is_the_union_over_parties_and_matches_the_spec(state: State) -> None:
    everything = set(available(state, frozenset(Party)))
    assert everything == {tr for (s, tr) in SPEC if s == state}
    for party in Party:
        mine = available(state, frozenset({party}))
        assert set(mine) == {tr for (s, tr), (ps, _d, _o) in SPEC.items() if s == state and party in ps}
    assert available(state, frozenset()) == ()


def test_models_do_not_pile_up_over_decides() -> None:
    cases = [
        (snapshot(S.HR_REVIEW), attempt(T.APPROVE, P.HR)),  # moves
        (snapshot(S.HR_REVIEW), attempt(T.APPROVE, P.EMPLOYEE)),  # wrong party
        (snapshot(S.HR_REVIEW, facts_confirmed=False), attempt(T.APPROVE, P.HR)),  # guard
        (snapshot(S.CLOSED), attempt(T.SUBMIT, P.MANAGER)),  # invalid in state
        (snapshot(S.HANDOVER), attempt(T.COMPLETE_ITEM, P.ASSIGNEE)),  # stays
    ]
    decide(*cases[0])
    before = len(MACHINE.models)
    for case, tried in itertools.islice(itertools.cycle(cases), 1000):
        decide(case, tried)
    # One after another, the same model is lent each time.
    assert len(MACHINE.models) == before == 1


def test_no_snapshot_survives_decide() -> None:
    case, tried = snapshot(S.HR_REVIEW), attempt(T.APPROVE, P.HR)
    seen = [weakref.ref(case), weakref.ref(tried)]
    decide(case, tried)
    del case, tried
    gc.collect()
    assert [ref() for ref in seen] == [None, None]


def test_decisions_are_independent_of_earlier_ones() -> None:
    # A refusal left on one model must not leak into the next decision.
    refused(
        decide(snapshot(S.HR_REVIEW), attempt(T.REJECT, P.HR, text="")),
        "machine.refuse.reason_required",
    )
    assert decide(snapshot(S.HR_REVIEW), attempt(T.REJECT, P.HR)).allowed


@settings(max_examples=300, deadline=None)
@given(
    state=st.sampled_from(State),
    trigger=st.sampled_from(Trigger),
    parties=st.frozensets(st.sampled_from(Party)),
    flags=st.fixed_dictionaries(
        {
            "facts_confirmed": st.booleans(),
            "attendance_confirmed": st.booleans(),
            "certificate_issued": st.booleans(),
            "unilateral_allowed": st.booleans(),
            "open_items": st.integers(0, 3),
            "missing_evidence": st.sampled_from([(), ("remedy",)]),
            "blocking_findings": st.sampled_from([(), ("Art. 42",)]),
        }
    ),
    text=st.sampled_from(["", " ", "why"]),
    seen=st.sampled_from([None, "doc-v1", "doc-v2"]),
    talk_hours=st.integers(-5, 80),
)
def test_any_attempt_is_decided_consistently(
    state: State,
    trigger: Trigger,
    parties: frozenset[Party],
    flags: dict[str, Any],
    text: str,
    seen: str | None,
    talk_hours: int,
) -> None:
    tried = replace(
        attempt(trigger, *parties),
        text=text,
        document_hash_seen=seen,
        talk_at=NOW + timedelta(hours=talk_hours),
    )
    decision = decide(snapshot(state, **flags), tried)
    assert len(MACHINE.models) == 1  # the one model lent to every decision, one at a time
    assert (decision.trigger, decision.from_state) == (trigger, state)
    if decision.allowed:
        allowed_parties, dest, outcome = SPEC[(state, trigger)]
        assert parties & allowed_parties
        assert (decision.to_state, decision.outcome, decision.refusal) == (dest, outcome, None)
    else:
        assert decision.refusal is not None and decision.refusal.code in REFUSAL_CODES
        assert decision.to_state == state
        for locale in ("zh-CN", "en"):
            assert refusal_text(decision.refusal, locale)


def test_the_tables_above_produce_every_refusal_code() -> None:
    produced = {code for *_, code, _params in GUARDS}
    produced |= {"machine.refuse.party", "machine.refuse.not_now"}  # WRONG_PARTY, INVALID
    assert produced == REFUSAL_CODES


SAMPLES = [
    Refusal("machine.refuse.not_now", {"state": "hr_review", "trigger": "sign", "available": []}),
    Refusal("machine.refuse.party", {"trigger": "approve", "allowed": ["hr"]}),
    Refusal("machine.refuse.party", {"trigger": "withdraw", "allowed": ["manager", "hr"]}),
    Refusal("machine.refuse.evidence_missing", {"missing": ["performance_records", "remedy"]}),
    Refusal("machine.refuse.blocking_findings", {"articles": ["Art. 42(4)", "Art. 42(3)"]}),
    Refusal("machine.refuse.talk_in_past", {"talk_at": "2025-03-03T09:00+08:00"}),
    Refusal(
        "machine.refuse.talk_outside_window",
        {
            "talk_at": "2025-03-03T05:00+00:00",
            "earliest": "2025-03-04T10:00+08:00",
            "latest": "2025-03-05T10:00+08:00",
        },
    ),
    Refusal("machine.refuse.items_open", {"count": 2}),
    Refusal("machine.refuse.talk_not_yet", {"talk_at": "2025-03-04T10:00+08:00"}),
    Refusal("machine.refuse.before_last_day", {"last_day": "2025-03-10"}),
]
NEEDS_PARAMS = {r.code for r in SAMPLES}
SAMPLES += [Refusal(code) for code in sorted(REFUSAL_CODES - NEEDS_PARAMS)]


def test_samples_cover_every_code() -> None:
    assert {r.code for r in SAMPLES} == REFUSAL_CODES


@pytest.mark.parametrize("refusal", SAMPLES, ids=lambda r: r.code)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_refusal_text_renders_every_parameter(refusal: Refusal, locale: str) -> None:
    text = refusal_text(refusal, locale)
    assert text and "{" not in text and "}" not in text
    other = refusal_text(refusal, "en" if locale == "zh-CN" else "zh-CN")
    assert text != other  # really translated, not a copy


@pytest.mark.parametrize(
    ("refusal", "zh", "en"),
    [
        (SAMPLES[1], "只有人事（HR）可以“同意”", "Only HR may “Approve”"),
        (SAMPLES[2], "直属经理或人事（HR）", "the manager or HR"),
        (SAMPLES[0], "你现在没有可做的操作", "There is nothing for you to do now"),
        (
            SAMPLES[3],
            "至少两个考核周期的绩效记录；",
            "performance records for at least 2 periods; ",
        ),
        (SAMPLES[4], "Art. 42(4)、Art. 42(3)", "Art. 42(4), Art. 42(3)"),
        (SAMPLES[5], "2025-03-03 09:00 (UTC+08:00)", "2025-03-03 09:00 (UTC+08:00)"),
        (SAMPLES[6], "2025-03-03 05:00 (UTC)", "between 2025-03-04 10:00 (UTC+08:00) and"),
        (SAMPLES[7], "还有 2 项", "2 handover item(s)"),
    ],
    ids=["party", "party_or", "nothing_now", "missing", "articles", "past", "window", "items"],
)
def test_refusal_text_wording(refusal: Refusal, zh: str, en: str) -> None:
    assert zh in refusal_text(refusal, "zh-CN")
    assert en in refusal_text(refusal, "en")


def test_missing_evidence_given_as_labels_is_shown_as_is() -> None:
    refusal = Refusal("machine.refuse.evidence_missing", {"missing": ["绩效记录（两期）"]})
    assert "绩效记录（两期）" in refusal_text(refusal, "zh-CN")


def test_refusal_text_falls_back_to_chinese_for_unknown_locales() -> None:
    assert refusal_text(SAMPLES[1], "fr") == refusal_text(SAMPLES[1], "zh-CN")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_labels_for_states_actions_and_outcomes(locale: str) -> None:
    keys = [
        *(f"state.{s}" for s in State),
        *(f"action.{tr}" for tr in Trigger),
        *(f"outcome.{o}" for o in Outcome),
        "action.ask_meeting",
        "action.confirm_facts",
        "action.open_case",
        *(f"machine.party.{p}" for p in Party),
    ]
    for key in keys:
        assert has(key) and t(key, locale)


@pytest.mark.parametrize(
    ("key", "zh", "en"),
    [
        ("action.approve", "同意", "Approve"),
        ("action.sign", "签署", "Sign"),
        ("action.dispute", "异议", "Dispute"),
        ("action.ask_meeting", "申请面谈", "Ask for a talk"),
        ("outcome.withdrawn", "已撤回", "Withdrawn"),
    ],
)
def test_named_labels(key: str, zh: str, en: str) -> None:
    assert (t(key, "zh-CN"), t(key, "en")) == (zh, en)


def test_machine_definition_matches_the_spec() -> None:
    definition = machine.machine_definition()
    assert definition["initial"] == S.COLLECTING_EVIDENCE.value
    assert definition["states"] == [s.value for s in State]
    rows: dict[tuple[State, Trigger], list[str | None]] = {}
    for tr in definition["transitions"]:
        rows.setdefault((State(tr["source"]), Trigger(tr["trigger"])), []).append(tr["dest"])
    assert rows.keys() == SPEC.keys()
    for key, (dest, *waits) in rows.items():
        _parties, spec_dest, _outcome = SPEC[key]
        assert (dest or key[0].value) == spec_dest.value
        assert (dest is None) == (spec_dest == key[0])  # stays are internal: no exit/enter
        assert waits == WAITS.get(key, [])


# A first of two approvals is recorded and the case stays in review (separation of duties).
WAITS: dict[tuple[State, Trigger], list[str | None]] = {(S.HR_REVIEW, T.APPROVE): [None]}


@pytest.mark.parametrize(("case_changes", "attempt_changes", "dest"), [
    ({}, {}, S.SCHEDULING_TALK),  # an HR member with no other role on the case approves alone
    ({}, {"opened_or_manages": True}, S.HR_REVIEW),  # the opener or manager: one of two
    ({"second_approval_required": True}, {}, S.HR_REVIEW),  # the company wants two
    ({"approvals": 1, "second_approval_required": True}, {}, S.SCHEDULING_TALK),  # the second HR member
    ({"approvals": 1, "second_approval_required": True}, {"opened_or_manages": True}, S.SCHEDULING_TALK),
])
def test_an_approval_by_the_opener_or_manager_or_under_two_approvals_waits_for_a_second(
        case_changes: dict[str, Any], attempt_changes: dict[str, Any], dest: State) -> None:
    decision = decide(snapshot(S.HR_REVIEW, **case_changes), attempt(T.APPROVE, P.HR, **attempt_changes))
    assert decision.allowed and decision.to_state == dest


def test_nobody_approves_twice() -> None:
    decision = decide(snapshot(S.HR_REVIEW, approvals=1, second_approval_required=True),
                      attempt(T.APPROVE, P.HR, opened_or_manages=True, approved_before=True))
    refused(decision, "machine.refuse.approved_already")


def test_machine_has_no_timeouts_or_auto_transitions() -> None:
    assert not MACHINE.auto_transitions
    assert all(type(state) is MachineState for state in MACHINE.states.values())
    assert set(MACHINE.events) == {tr.value for tr in Trigger}
