"""Timers fired together in one transaction: one bad timer must not cost the others their turn."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from storage.audit import verify
from storage.models import AuditEvent, Case, Timer
from tests.handlers.conftest import SHANGHAI, World

# Three working days after the Monday 09:00 start: the "evidence idle" reminder is due.
LATER = datetime(2024, 6, 7, 10, 0, tzinfo=SHANGHAI)


async def _open_three(world: World) -> dict[str, int]:
    for who, employee in (("lee", "alice"), ("lee", "bob"), ("mike", "carol")):
        assert (await world.act(who, "open", None, employee=employee, ground="incompetent")).ok
    async with world.uow_factory() as uow:
        rows = await uow.session.execute(select(Case.ref, Case.id).order_by(Case.id))
        return dict(rows.all())


async def _reminded(world: World) -> dict[int, int]:
    """Case id → how many evidence reminders its audit chain records."""
    async with world.uow_factory() as uow:
        rows = await uow.session.scalars(
            select(AuditEvent.case_id).where(AuditEvent.action == "reminder:remind_manager_evidence"))
        counts: dict[int, int] = {}
        for case_id in rows:
            counts[case_id] = counts.get(case_id, 0) + 1
        return counts


async def test_reminders_of_several_cases_fire_once_each(world: World) -> None:
    cases = await _open_three(world)
    assert await world.advance_to(LATER) >= 3
    assert await _reminded(world) == dict.fromkeys(cases.values(), 1)
    assert await world.advance_to(LATER + timedelta(minutes=5)) == 0  # nothing fires twice


async def test_a_failing_timer_leaves_the_others_fired_and_itself_due(world: World) -> None:
    cases = await _open_three(world)
    broken = cases["C-0002"]
    async with world.uow_factory() as uow:
        # A row no release of ours can act on (say, written by a newer version during a rollout).
        await uow.session.execute(update(Timer).where(Timer.case_id == broken, Timer.kind == "evidence_idle_remind")
                                  .values(payload={"action": "no_such_action"}))
        await uow.commit()
    with pytest.raises(ValueError, match="no_such_action"):
        await world.advance_to(LATER)
    reminded = await _reminded(world)
    assert reminded == {cases["C-0001"]: 1, cases["C-0003"]: 1}
    async with world.uow_factory() as uow:
        left = await uow.session.scalars(select(Timer.kind).where(Timer.case_id == broken,
                                                                    Timer.fired_at.is_(None)))
        assert "evidence_idle_remind" in set(left)  # rolled back: still due, retried after its lease
        assert await verify(uow.session) == []
