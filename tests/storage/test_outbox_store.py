"""The outbox: dedup on enqueue, leased claims, backoff, retry-after, dead letters to HR."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from storage.models import OutboxMessage
from storage.outbox import Receipts
from storage.queue import MAX_ATTEMPTS, backoff
from tests.storage.data import NOW

LEASE = timedelta(minutes=1)


@pytest.fixture
async def queue(uow_factory, world):
    """enqueue(dedup_key, kind=…) in its own committed unit of work; returns whether queued."""

    async def enqueue(dedup_key: str, *, kind: str = "hr_review", now=NOW) -> bool:
        async with uow_factory() as uow:
            queued = await uow.outbox.enqueue(
                tenant_id=world.tenant_id,
                case_id=None,
                channel="slack",
                recipient="person:7",
                kind=kind,
                payload={"title": "审批"},
                dedup_key=dedup_key,
                now=now,
            )
            await uow.commit()
        return queued

    return enqueue


async def _claim(uow_factory, now, limit: int = 10):
    async with uow_factory() as uow:
        items = await uow.outbox.claim(now, limit, LEASE)
        await uow.commit()
    return items


async def _fail(uow_factory, item_id: int, now, *, max_attempts: int = MAX_ATTEMPTS, **options) -> bool:
    async with uow_factory() as uow:
        dead = await uow.outbox.fail(item_id, now, "boom", max_attempts=max_attempts, **options)
        await uow.commit()
    return dead


async def _rows(uow_factory) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        return list(
            (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


async def test_a_dedup_key_is_queued_once(uow_factory, queue) -> None:
    assert await queue("review:C-0001:v2")
    assert not await queue("review:C-0001:v2")
    assert len(await _rows(uow_factory)) == 1


async def test_claim_hands_out_each_message_once_per_lease(uow_factory, queue, world) -> None:
    await queue("a")
    await queue("b", now=NOW + timedelta(seconds=1))
    await queue("later", now=NOW + timedelta(hours=1))
    first = await _claim(uow_factory, NOW + timedelta(seconds=1), limit=1)
    second = await _claim(uow_factory, NOW + timedelta(seconds=1))
    assert [(i.recipient, i.kind, i.attempts) for i in first] == [("person:7", "hr_review", 0)]
    assert (first[0].tenant_id, first[0].channel, first[0].payload) == (
        world.tenant_id,
        "slack",
        {"title": "审批"},
    )
    assert len(second) == 1 and second[0].id != first[0].id
    assert await _claim(uow_factory, NOW + timedelta(seconds=2)) == []
    relapsed = await _claim(uow_factory, NOW + LEASE + timedelta(seconds=1))
    assert sorted(i.id for i in relapsed) == sorted([first[0].id, second[0].id])


async def test_a_sent_message_is_done(uow_factory, engine, queue) -> None:
    await queue("a")
    (item,) = await _claim(uow_factory, NOW)
    async with engine.connect() as connection:
        receipts = await Receipts.on(connection)
        await receipts.sent(item.id, NOW, {"channel": "C1", "ts": "1.2"})
    assert await _claim(uow_factory, NOW + timedelta(days=1)) == []
    (row,) = await _rows(uow_factory)
    assert (row.sent_at, row.platform_ref, row.attempts) == (NOW, {"channel": "C1", "ts": "1.2"}, 1)


async def test_receipts_that_arrive_together_are_written_in_one_statement(uow_factory, engine, queue) -> None:
    for key in "abcd":
        await queue(key)
    items = await _claim(uow_factory, NOW)
    updates: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: updates.append(statement) if statement.startswith("UPDATE") else None)
    async with engine.connect() as connection:
        receipts = await Receipts.on(connection)
        # The first is written alone; the three that arrive while it is, together after it.
        await asyncio.gather(*(receipts.sent(item.id, NOW, {"ts": str(item.id)}) for item in items))
    assert len(updates) == 2
    rows = await _rows(uow_factory)
    assert [(row.sent_at, row.platform_ref, row.attempts) for row in rows] == [
        (NOW, {"ts": str(item.id)}, 1) for item in items]


async def test_a_receipt_that_cannot_be_written_fails_only_its_own_message(uow_factory, engine, queue) -> None:
    for key in "abc":
        await queue(key)
    first, good, bad = await _claim(uow_factory, NOW)
    async with engine.connect() as connection:
        receipts = await Receipts.on(connection)
        unstorable = {"ts": object()}  # not JSON: its write fails
        # The first is written alone; the other two wait for it and go together, which fails.
        outcomes = await asyncio.gather(receipts.sent(first.id, NOW, {"ts": "1"}),
                                        receipts.sent(good.id, NOW, {"ts": "2"}),
                                        receipts.sent(bad.id, NOW, unstorable), return_exceptions=True)
        assert outcomes[:2] == [None, None] and "not JSON serializable" in str(outcomes[2])
        await receipts.sent(bad.id, NOW, {"ts": "3"})  # the connection is usable after
    assert [(row.platform_ref, row.attempts) for row in await _rows(uow_factory)] == [
        ({"ts": "1"}, 1), ({"ts": "2"}, 1), ({"ts": "3"}, 1)]


def test_backoff_doubles_from_ten_seconds_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 11)] == [
        10,
        20,
        40,
        80,
        160,
        320,
        640,
        1280,
        2560,
        3600,
    ]
    assert backoff(500) == timedelta(hours=1)


async def test_a_failure_waits_for_the_backoff(uow_factory, queue) -> None:
    await queue("a")
    (item,) = await _claim(uow_factory, NOW)
    assert not await _fail(uow_factory, item.id, NOW)
    assert await _claim(uow_factory, NOW + timedelta(seconds=9)) == []
    (again,) = await _claim(uow_factory, NOW + timedelta(seconds=10))
    assert again.attempts == 1
    assert not await _fail(uow_factory, item.id, NOW + timedelta(seconds=10))
    assert await _claim(uow_factory, NOW + timedelta(seconds=29)) == []
    assert len(await _claim(uow_factory, NOW + timedelta(seconds=30))) == 1
    (row,) = await _rows(uow_factory)
    assert (row.attempts, row.last_error, row.dead_at) == (2, "boom", None)


async def test_the_platforms_retry_after_is_honoured(uow_factory, queue) -> None:
    await queue("a")
    (item,) = await _claim(uow_factory, NOW)
    await _fail(uow_factory, item.id, NOW, retry_after=timedelta(seconds=90))
    assert await _claim(uow_factory, NOW + timedelta(seconds=89)) == []
    assert len(await _claim(uow_factory, NOW + timedelta(seconds=90))) == 1


async def test_the_last_attempt_dead_letters_and_alerts_hr(uow_factory, queue, world) -> None:
    await queue("a")
    now = NOW
    for attempt in range(1, 4):
        (item,) = await _claim(uow_factory, now)
        dead = await _fail(uow_factory, item.id, now, max_attempts=3)
        assert dead == (attempt == 3)
        now += timedelta(hours=1)
    (alert,) = await _claim(uow_factory, now + timedelta(days=1))
    assert (alert.tenant_id, alert.channel, alert.recipient, alert.kind) == (
        world.tenant_id,
        "slack",
        "hr_group",
        "dead_letter",
    )
    assert alert.payload["recipient"] == "hr_group" and alert.payload["data"]["failed_id"] == item.id
    assert "hr_review" in alert.payload["data"]["text"] and "boom" in alert.payload["data"]["text"]
    from handlers.contracts import from_payload  # the alert renders like any other message

    assert from_payload(alert.payload).data["title"]
    original = (await _rows(uow_factory))[0]
    assert original.dead_at == NOW + timedelta(hours=2)


async def test_a_permanent_error_dead_letters_at_once(uow_factory, queue) -> None:
    await queue("a")
    (item,) = await _claim(uow_factory, NOW)
    assert await _fail(uow_factory, item.id, NOW, permanent=True)
    assert [i.kind for i in await _claim(uow_factory, NOW)] == ["dead_letter"]
    assert not await _fail(uow_factory, item.id, NOW)  # already settled: nothing changes


async def test_a_dead_alert_raises_no_further_alert(uow_factory, queue) -> None:
    await queue("alert", kind="dead_letter")
    (item,) = await _claim(uow_factory, NOW)
    assert await _fail(uow_factory, item.id, NOW, permanent=True)
    assert len(await _rows(uow_factory)) == 1


async def test_for_case_lists_a_cases_messages(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        for key in ("x", "y"):
            await uow.outbox.enqueue(
                tenant_id=world.tenant_id,
                case_id=case.id,
                channel="console",
                recipient="hr_group",
                kind="note",
                payload={},
                dedup_key=key,
                now=NOW,
            )
        await uow.commit()
    async with uow_factory() as uow:
        assert [m.dedup_key for m in await uow.outbox.for_case(case.id)] == ["x", "y"]


async def test_inbound_deliveries_are_recorded_once(uow_factory) -> None:
    async with uow_factory() as uow:
        assert await uow.inbound.record("slack:Ev1", NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert not await uow.inbound.record("slack:Ev1", NOW + timedelta(seconds=3))
        assert await uow.inbound.record("slack:Ev2", NOW)
