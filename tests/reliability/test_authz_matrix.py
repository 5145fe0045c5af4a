"""The authorisation matrix: every action x every role x every state, as authz_matrix.txt says.

Each case state is built once per run (SQLite snapshots, tests/reliability/conftest.py); a row
(action, state) runs its eight roles on a copy of that state's file, re-copied after any cell that
changed something. A subset (every refusal in two states) runs again on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers.casefile import normalise_ref
from handlers.contracts import Inbound, Reply
from handlers.deps import Deps
from handlers.dispatch import handle
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from tests.reliability import refusals
from tests.reliability.authz_world import (
    MOVED_TO,
    REF,
    ROLES,
    Actor,
    Footprint,
    Snapshot,
    StateCopy,
    assignee_item,
    deps_at,
    drive_to,
    matrix_header,
    observe,
    render_matrix,
    seed,
)
from workflow.evidence import requirements
from workflow.i18n import t
from workflow.model import Ground, State, Trigger

MATRIX_FILE = Path(__file__).with_name("authz_matrix.txt")
CELLS = {"ok", ".", "guard"}
# Requests that name no case: nothing to audit on, and no version to send.
CASELESS = {"open", "report", "company"}
# Rows that crash today (a 503 to the platform instead of a refusal), reported to the lead. Strict:
# once fixed, the row passes and the run fails until the entry is removed.


def read_matrix(path: Path = MATRIX_FILE) -> tuple[tuple[str, ...], dict[tuple[str, str], dict[str, str]]]:
    """(role columns, {(action, state): {role: cell}}) from the whitespace-aligned table."""
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    header, *rows = lines
    assert header[:2] == ["action", "state"], header
    roles = tuple(header[2:])
    table: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        assert len(row) == len(header), f"ragged row: {row}"
        action, state, *cells = row
        assert (action, state) not in table, f"row twice: {action} {state}"
        assert set(cells) <= CELLS, f"unknown cell in {row}"
        table[(action, state)] = dict(zip(roles, cells, strict=True))
    return roles, table


ROLE_COLUMNS, MATRIX = read_matrix()
ACTIONS = tuple(dict.fromkeys(action for action, _ in MATRIX))


def _first_evidence() -> dict[str, str]:
    req = requirements(Ground.INCOMPETENT)[0]
    return {"kind": sorted(req.accepts)[0], "content": "one more record: https://hr.example/extra"}


def request_args(action: str, item_id: int) -> dict[str, Any]:
    """What each action needs besides who and which case, so that only those two can stop it."""
    return {
        "open": {"employee": "@alice", "ground": "incompetent", "note": "再次发起"},
        "evidence": _first_evidence(),
        "facts": {"facts": {"prev_wage": "12600"}},
        "confirm_facts": {"facts": {}},
        "withdraw": {"reason": "不再需要"},
        "request_changes": {"comment": "请补充第二季度绩效记录"},
        "reject": {"reason": "证据不足"},
        "schedule": {"when": MOVED_TO},
        "record_talk": {"reason": "经理出差，HR 单独面谈"},
        "dispute": {"reason": "PIP 目标不合理"},
        "ask_meeting": {"text": "想再谈一次"},
        "revise": {"text": "补偿增加一个月"},
        "proceed_unilateral": {"proof": "EMS1234567890CN"},
        "record_notice_served": {"proof": "EMS1234567890CN"},
        "complete_item": {"item": str(item_id)},
    }.get(action, {})


@dataclass(frozen=True)
class Seen:
    """What one attempt did."""

    reply: Reply
    before: Footprint
    after: Footprint
    new_events: list[Any]

    @property
    def refusal(self) -> tuple[str, str] | None:
        """(code, locale) of the refusal the asker got, None when none (or not a known text)."""
        for message in self.reply.messages:
            if message.kind == "refusal":
                return refusals.classify(str(message.data.get("text", "")))
        return None


async def attempt(uow_factory: Callable[[], UnitOfWork], deps: Deps, actor: Actor, action: str, item_id: int,
                  before: Footprint | None = None) -> Seen:
    """One request as `actor`, sent as if from a fresh card (the current case version).

    `before` may be the previous attempt's `after`, saving a read when nothing changed since.
    """
    if before is None:
        before, _ = await observe(uow_factory)
    reply = await handle(Inbound(
        platform="console", platform_tenant=actor.platform_tenant, user_id=actor.user_id, name=action,
        case_ref=None if action in CASELESS else REF, case_version=None if action in CASELESS else before.version,
        args=request_args(action, item_id),
    ), uow_factory, deps)
    after, events = await observe(uow_factory, before.last_audit_id)
    return Seen(reply, before, after, events)


def problems(cell: str, role: str, action: str, seen: Seen) -> list[str]:
    """How `seen` differs from what `cell` promises (empty: as promised)."""
    actor = ROLES[role]
    texts = " ".join(str(m.data) for m in seen.reply.messages)
    if cell == "ok":
        if not seen.reply.ok:
            return [f"refused: {texts[:300]}"]
        if role == "other_tenant" and (REF in texts or "Alice" in texts):
            return [f"another tenant's answer mentions our case: {texts[:300]}"]
        return []
    found: list[str] = []
    if seen.reply.ok:
        return ["allowed"]
    refusal = seen.refusal
    if refusal is None:
        found.append(f"no recognisable refusal text: {texts[:300]}")
    if seen.after != seen.before:
        found.append(f"changed something: {seen.before} -> {seen.after}")
    if refusal is None:
        return found
    code, locale = refusal
    if locale != actor.locale:
        found.append(f"answered in {locale}, the asker reads {actor.locale}")
    if cell == "guard":
        if code in refusals.WHO or code in refusals.STATE:
            found.append(f"refused with {code}, not by a guard")
        return found
    if code not in refusals.WHO and code not in refusals.STATE:
        found.append(f"refused by a guard ({code}): the right itself was not refused")
    audited = (actor.in_tenant and action not in CASELESS and action != "status"
               and (code in refusals.WHO or code == "machine.refuse.not_now"))
    identity = f"console:{actor.platform_tenant}:{actor.user_id}"
    if audited:
        if [(e.action.startswith("refused:"), e.actor_identity) for e in seen.new_events] != [(True, identity)]:
            found.append(f"expected one refused:* audit event by {identity}, got "
                         f"{[(e.action, e.actor_identity) for e in seen.new_events]}")
    elif action != "status" and seen.new_events:
        found.append(f"unexpected audit events {[e.action for e in seen.new_events]}")
    return found


# ------------------------------------------------------------------ SQLite: every cell


def _rows() -> Iterator[Any]:
    for (action, state), cells in MATRIX.items():
        yield pytest.param(action, state, cells, id=f"{action}@{state}")


async def run_row(copy: StateCopy, deps: Deps, action: str, cells: dict[str, str], item_id: int) -> list[str]:
    """Every role's attempt at `action`; the failures, each naming its cell."""
    failures: list[str] = []
    await copy.fresh()
    before: Footprint | None = None
    for role in ROLE_COLUMNS:
        cell = cells[role]
        try:
            seen = await attempt(copy.uow_factory, deps, ROLES[role], action, item_id, before)
        except Exception as error:  # a crash is a 503 to the platform: report it as this cell's failure
            failures.append(f"{role} (expected {cell!r}): crashed: {type(error).__name__}: {error}")
            await copy.fresh()
            before = None
            continue
        before = seen.after
        found = problems(cell, role, action, seen)
        if found:
            failures.append(f"{role} (expected {cell!r}): " + "; ".join(found))
        if seen.after != seen.before or seen.reply.ok:
            await copy.fresh()
            before = None
    return failures


@pytest.mark.parametrize(("action", "state", "cells"), list(_rows()))
async def test_cell(action: str, state: str, cells: dict[str, str], snapshots: dict[State, Snapshot],
                    tmp_path: Path) -> None:
    snapshot = snapshots[State(state)]
    item_id = snapshots[State.HANDOVER].item_id
    assert item_id is not None
    copy = StateCopy(snapshot, tmp_path / "case.db")
    try:
        failures = await run_row(copy, deps_at(snapshot.now), action, cells, item_id)
    finally:
        await copy.close()
    assert not failures, f"{action} in {state}:\n  " + "\n  ".join(failures)


def test_the_matrix_is_the_action_tables() -> None:
    text = MATRIX_FILE.read_text(encoding="utf-8")
    assert text == render_matrix(matrix_header(text)), (
        "authz_matrix.txt differs from the action table: run python -m tests.reliability.authz_world")


def test_the_matrix_covers_every_action_role_and_state() -> None:
    wanted = {t.value for t in Trigger} | {"open", "evidence", "facts", "confirm_facts", "ask_meeting", "status",
                                           "report", "company"}
    assert set(ACTIONS) == wanted
    assert set(ROLE_COLUMNS) == set(ROLES)
    assert set(MATRIX) == {(a, s.value) for a in ACTIONS for s in State}


async def test_a_refused_status_request_is_audited(snapshots: dict[State, Snapshot], tmp_path: Path) -> None:
    snapshot = snapshots[State.HR_REVIEW]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    try:
        seen = await attempt(copy.uow_factory, deps_at(snapshot.now), ROLES["other_employee"], "status", 0)
    finally:
        await copy.close()
    assert not seen.reply.ok
    assert [e.action for e in seen.new_events] == ["refused:status"]


async def test_the_employee_does_not_hear_of_the_case_before_the_talk(snapshots: dict[State, Snapshot],
                                                                      tmp_path: Path) -> None:
    snapshot = snapshots[State.HR_REVIEW]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    try:
        reply = await handle(Inbound(platform="console", platform_tenant="local", user_id="alice", name="status"),
                             copy.uow_factory, deps_at(snapshot.now))
    finally:
        await copy.close()
    assert REF not in " ".join(str(m.data) for m in reply.messages)


async def test_a_refused_status_reads_like_a_case_that_does_not_exist(snapshots: dict[State, Snapshot],
                                                                      tmp_path: Path) -> None:
    """Someone not on the case learns nothing, not even that it exists."""
    snapshot = snapshots[State.HR_REVIEW]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    try:
        deps = deps_at(snapshot.now)
        bob = ROLES["other_employee"]

        async def ask(ref: str) -> str:
            reply = await handle(Inbound(platform="console", platform_tenant="local", user_id=bob.user_id,
                                         name="status", case_ref=ref), copy.uow_factory, deps)
            assert not reply.ok
            return " ".join(str(m.data) for m in reply.messages).replace(ref, "<ref>")

        assert await ask(REF) == await ask("C-0999")
    finally:
        await copy.close()


# ------------------------------------------------------------------ PostgreSQL: the refusals of two states


PG_STATES = (State.HR_REVIEW, State.HANDOVER)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("state", PG_STATES, ids=lambda s: s.value)
async def test_refusals_on_postgresql(state: State, uow_factory: Callable[[], UnitOfWork]) -> None:
    await seed(uow_factory)
    driver = await drive_to(uow_factory, state)
    item_id = await assignee_item(uow_factory) or 0
    deps = deps_at(driver.clock.now())
    failures: list[str] = []
    for action in ACTIONS:
        cells = MATRIX[(action, state.value)]
        for role in ROLE_COLUMNS:
            if cells[role] not in (".", "guard"):
                continue  # allowed cells change the case; SQLite covers them
            seen = await attempt(uow_factory, deps, ROLES[role], action, item_id)
            found = problems(cells[role], role, action, seen)
            if found:
                failures.append(f"{action}/{role} (expected {cells[role]!r}): " + "; ".join(found))
    assert not failures, f"in {state.value}:\n  " + "\n  ".join(failures)



# ------------------------------------------------------------------ no existence oracle

# Who has no relation to C-0001 in a state, with every case-naming action they might try.
_UNRELATED = ("other_manager", "other_employee", "stranger", "other_tenant")


@pytest.mark.parametrize("state", (State.HR_REVIEW, State.HANDOVER), ids=lambda s: s.value)
async def test_an_unrelated_person_cannot_tell_an_existing_case_from_a_missing_one(
        state: State, snapshots: dict[State, Snapshot], tmp_path: Path) -> None:
    """Every case-naming action, typed with the ref as people type it: the same answer for C-0001
    and for a case that does not exist, and nothing the asker could see changes."""
    snapshot = snapshots[state]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    deps = deps_at(snapshot.now)
    item_id = snapshots[State.HANDOVER].item_id or 0

    async def ask(actor: Actor, action: str, ref: str) -> tuple[str, Footprint]:
        before, _ = await observe(copy.uow_factory)
        reply = await handle(Inbound(platform="console", platform_tenant=actor.platform_tenant,
                                     user_id=actor.user_id, name=action, case_ref=ref,
                                     args=request_args(action, item_id)), copy.uow_factory, deps)
        after, _ = await observe(copy.uow_factory)
        assert not reply.ok, (action, ref)
        assert after == before
        text = " ".join(str(m.data) for m in reply.messages)
        return text.replace(normalise_ref(ref), "<ref>").replace(ref, "<ref>"), after

    try:
        differ = []
        for role in _UNRELATED:
            for action in ACTIONS:
                if action in CASELESS:
                    continue
                for typed_ref, missing in (("c-1", "c-999"), (REF, "C-0999"), ("1", "999")):
                    existing, _ = await ask(ROLES[role], action, typed_ref)
                    absent, _ = await ask(ROLES[role], action, missing)
                    if existing != absent:
                        differ.append(f"{role} {action} {typed_ref}: {existing[:160]} != {absent[:160]}")
        assert not differ, "\n".join(differ)
    finally:
        await copy.close()


# ------------------------------------------------------------------ separation of duties: two approvals


async def _approve(copy: StateCopy, deps: Deps, who: str) -> tuple[Reply, str, list[Any]]:
    """`who` approves C-0001 from a fresh card: the reply, the case's state after, and the outbox rows."""
    before, _ = await observe(copy.uow_factory)
    reply = await handle(Inbound(platform="console", platform_tenant="local", user_id=who, name="approve",
                                 case_ref=REF, case_version=before.version), copy.uow_factory, deps)
    after, _ = await observe(copy.uow_factory)
    async with copy.uow_factory() as uow:
        rows = list((await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
    return reply, after.state, rows[before.outbox:]


def _texts(reply: Reply) -> str:
    return " ".join(str(m.data) for m in reply.messages)


@pytest.mark.parametrize("why", ["hr_manages", "hr_opened", "company_wants_two"])
async def test_an_approval_that_needs_a_second_waits_for_another_hr_member(
        why: str, snapshots: dict[State, Snapshot], tmp_path: Path) -> None:
    """The HR member who manages or opened the case (or anyone, where the company wants two) cannot
    approve alone: their approval is recorded, the case stays in review, both are told in their
    language, they cannot approve twice, and another HR member's approval moves it on."""
    snapshot = snapshots[State.HR_REVIEW]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    deps = deps_at(snapshot.now)
    first, second = ("lee", "wangfang") if why == "hr_manages" else ("wangfang", "zhou")
    try:
        async with copy.uow_factory() as uow:
            tenant = await uow.tenants.by_key("console:local")
            case = await uow.cases.by_ref(tenant.id, REF, for_update=True)
            if why == "hr_manages":
                lee = await uow.people.get(case.manager_id)
                lee.roles = "manager,hr"
            elif why == "hr_opened":
                case.opened_by_id = (await uow.people.by_identity("console", "local", "wangfang")).id
            else:
                tenant.settings = {**tenant.settings, "two_hr_approvals": True}
            await uow.commit()

        reply, state, sent = await _approve(copy, deps, first)
        assert reply.ok and state == State.HR_REVIEW.value
        first_locale = "zh-CN"  # 李雷 and 王芳 both read Chinese
        assert any(m.kind == "second_approval" and m.locale == first_locale for m in reply.messages)
        asked = [row for row in sent if row.kind == "second_approval"]
        assert asked, [row.kind for row in sent]
        if second == "zhou":
            assert any("a second approval is needed" in str(row.payload) for row in asked)

        again, state, _ = await _approve(copy, deps, first)
        assert not again.ok and state == State.HR_REVIEW.value
        refused = next(str(m.data["text"]) for m in again.messages if m.kind == "refusal")
        assert refused == t("machine.refuse.approved_already", first_locale)

        reply, state, _ = await _approve(copy, deps, second)
        assert reply.ok and state == State.SCHEDULING_TALK.value, _texts(reply)
    finally:
        await copy.close()


async def test_a_plain_hr_member_approves_alone(snapshots: dict[State, Snapshot], tmp_path: Path) -> None:
    snapshot = snapshots[State.HR_REVIEW]
    copy = StateCopy(snapshot, tmp_path / "case.db")
    await copy.fresh()
    try:
        reply, state, _ = await _approve(copy, deps_at(snapshot.now), "zhou")
        assert reply.ok and state == State.SCHEDULING_TALK.value
    finally:
        await copy.close()
