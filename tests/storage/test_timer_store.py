"""Durable timers: idempotent arming, no repeated reminders, leased claims across workers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from storage.db import is_sqlite
from storage.models import OutboxMessage, Timer
from tests.storage.data import NOW, Spec

LEASE = timedelta(minutes=5)
DAY = timedelta(days=1)


@pytest.fixture
async def case_id(uow_factory, open_case) -> int:
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.commit()
    return case.id


async def _arm(uow_factory, case_id: int, version: int, *specs: Spec) -> int:
    async with uow_factory() as uow:
        armed = await uow.timers.arm(case_id, version, specs)
        await uow.commit()
    return armed


async def _claim(uow_factory, now: datetime, limit: int = 10) -> list[str]:
    async with uow_factory() as uow:
        claimed = await uow.timers.claim_due(now, limit, LEASE)
        await uow.commit()
    return [t.kind for t in claimed]


async def _fire_all(uow_factory, now: datetime) -> None:
    async with uow_factory() as uow:
        for timer in await uow.timers.claim_due(now, 100, LEASE):
            assert await uow.timers.mark_fired([timer.id], now) == {timer.id}
        await uow.commit()


async def test_arming_twice_is_harmless(uow_factory, case_id) -> None:
    specs = (Spec("remind", NOW + DAY, {"n": 1}), Spec("escalate", NOW + 2 * DAY, {}))
    assert await _arm(uow_factory, case_id, 1, *specs) == 2
    assert await _arm(uow_factory, case_id, 1, *specs) == 0
    async with uow_factory() as uow:
        pending = await uow.timers.pending_for(case_id)
    assert [(t.kind, t.due_at, t.case_version, t.payload) for t in pending] == [
        ("remind", NOW + DAY, 1, {"n": 1}),
        ("escalate", NOW + 2 * DAY, 1, {}),
    ]


async def test_a_fired_reminder_is_not_armed_again_for_a_new_version(uow_factory, case_id) -> None:
    await _arm(uow_factory, case_id, 1, Spec("remind", NOW, {}))
    await _fire_all(uow_factory, NOW)
    rearmed = (
        Spec("remind", NOW, {}),  # same deadline, already fired: skipped
        Spec("escalate", NOW + DAY, {}),
    )
    assert await _arm(uow_factory, case_id, 2, *rearmed) == 1
    assert await _arm(uow_factory, case_id, 3, Spec("remind", NOW + DAY, {})) == 1  # new deadline
    async with uow_factory() as uow:
        pending = await uow.timers.pending_for(case_id)
    assert [(t.kind, t.case_version) for t in pending] == [("escalate", 2), ("remind", 3)]


async def test_claims_take_due_timers_earliest_first_up_to_the_limit(uow_factory, case_id) -> None:
    specs = [Spec(f"t{n}", NOW + n * timedelta(hours=1), {}) for n in (3, 1, 2, 9)]
    await _arm(uow_factory, case_id, 1, *specs)
    assert await _claim(uow_factory, NOW + timedelta(hours=5), limit=2) == ["t1", "t2"]
    assert await _claim(uow_factory, NOW + timedelta(hours=5)) == ["t3"]
    assert await _claim(uow_factory, NOW + timedelta(hours=5)) == []


async def test_a_lapsed_claim_is_taken_again_and_a_fired_timer_never(uow_factory, case_id) -> None:
    await _arm(uow_factory, case_id, 1, Spec("a", NOW, {}), Spec("b", NOW, {}))
    assert await _claim(uow_factory, NOW) == ["a", "b"]
    assert await _claim(uow_factory, NOW + LEASE - timedelta(seconds=1)) == []
    async with uow_factory() as uow:
        (claimed_a, _) = await uow.timers.claim_due(NOW + LEASE, 10, LEASE)
        assert await uow.timers.mark_fired([claimed_a.id], NOW + LEASE) == {claimed_a.id}
        await uow.commit()
    assert await _claim(uow_factory, NOW + 3 * LEASE) == ["b"]
    async with uow_factory() as uow:
        assert await uow.timers.mark_fired([claimed_a.id], NOW + 3 * LEASE) == set()  # already fired
        assert [t.kind for t in await uow.timers.pending_for(case_id)] == ["b"]


async def test_open_claims_on_postgresql_skip_each_others_rows(
    uow_factory, case_id, engine
) -> None:
    if is_sqlite(engine):
        pytest.skip("SQLite has one writer at a time; see the concurrent test below")
    await _arm(uow_factory, case_id, 1, *(Spec(f"t{n}", NOW, {}) for n in range(5)))
    async with uow_factory() as first, uow_factory() as second:
        mine = await first.timers.claim_due(NOW, 2, LEASE)  # locked, not yet committed
        theirs = await second.timers.claim_due(NOW, 10, LEASE)
        assert len(mine) == 2 and len(theirs) == 3
        assert not {t.id for t in mine} & {t.id for t in theirs}


async def test_concurrent_claimers_never_share_a_timer(uow_factory, case_id) -> None:
    await _arm(uow_factory, case_id, 1, *(Spec(f"t{n:02}", NOW, {}) for n in range(40)))

    async def worker() -> list[str]:
        taken: list[str] = []
        while batch := await _claim(uow_factory, NOW, limit=3):
            taken += batch
            await asyncio.sleep(0)  # let the other workers in between batches
        return taken

    batches = await asyncio.gather(*(worker() for _ in range(4)))
    everything = [kind for batch in batches for kind in batch]
    assert sorted(everything) == [f"t{n:02}" for n in range(40)]


async def test_a_failing_timer_backs_off_then_goes_dead_and_alerts_hr(uow_factory, case_id) -> None:
    await _arm(uow_factory, case_id, 1, Spec("remind", NOW, {}))
    now = NOW
    for attempt in range(1, 4):
        async with uow_factory() as uow:
            [timer] = await uow.timers.claim_due(now, 10, LEASE)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.timers.fail(timer.id, now, "boom", max_attempts=3) is (attempt == 3)
            await uow.commit()
        if attempt < 3:
            assert await _claim(uow_factory, now + timedelta(seconds=9)) == []  # backing off
        now += timedelta(hours=1)
    assert await _claim(uow_factory, now + timedelta(days=1)) == []  # dead: never claimed again
    async with uow_factory() as uow:
        assert await uow.timers.pending_for(case_id) == []
        row = await uow.session.get(Timer, timer.id)
        assert row is not None and (row.attempts, row.fired_at, row.last_error) == (3, None, "boom")
        alerts = (await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "dead_letter"))).all()
    [alert] = alerts
    assert (alert.case_id, alert.recipient, alert.channel) == (case_id, "hr_group", "console")
    assert alert.payload["data"]["failed_id"] == timer.id and alert.payload["data"]["kind"] == "remind"
