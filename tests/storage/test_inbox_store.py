"""The inbox: a delivery kept once, claims of the oldest request per lane only, backoff that holds
the lane, dead requests that free it, and concurrent claimers that never share a request."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from storage import inbox
from storage.inbox import InboxItem
from storage.models import OutboxMessage
from storage.queue import MAX_ATTEMPTS
from tests.storage.data import NOW

LEASE = timedelta(minutes=1)
BOTH = ("slack", "wecom")


async def _keep(engine, delivery_id: str, lane: str, *, channel: str = "slack") -> bool:
    return await inbox.accept(engine, delivery_id=delivery_id, channel=channel, lane=lane,
                              body={"n": delivery_id}, now=NOW)


async def _claim(uow_factory, now=NOW, limit: int = 10, channels=BOTH, per_lane: int = 1) -> list[InboxItem]:
    async with uow_factory() as uow:
        items = await uow.inbox.claim(now, limit, LEASE, channels, per_lane=per_lane)
        await uow.commit()
    return items


async def _fail(uow_factory, item_id: int, now, *, max_attempts: int = MAX_ATTEMPTS,
                tenant_key: str | None = None) -> bool:
    async with uow_factory() as uow:
        dead = await uow.inbox.fail(item_id, now, "boom", max_attempts=max_attempts, tenant_key=tenant_key)
        await uow.commit()
    return dead


async def test_a_delivery_is_kept_once(engine, uow_factory) -> None:
    assert await _keep(engine, "d1", "a") is True
    assert await _keep(engine, "d1", "a") is False  # the platform's retry
    [item] = await _claim(uow_factory)
    assert (item.delivery_id, item.lane, item.body, item.attempts) == ("d1", "a", {"n": "d1"}, 0)


async def test_each_lane_gives_its_oldest_request_and_waits_for_it(engine, uow_factory) -> None:
    for delivery, lane in (("a1", "a"), ("b1", "b"), ("a2", "a"), ("c1", "c")):
        await _keep(engine, delivery, lane)
    first = await _claim(uow_factory)
    assert [i.delivery_id for i in first] == ["a1", "b1", "c1"]
    assert await _claim(uow_factory) == []  # a2 waits for a1, even once a1's claim is not new
    async with uow_factory() as uow:
        await uow.inbox.forget_handled([first[0].id])
        await uow.commit()
    assert [i.delivery_id for i in await _claim(uow_factory)] == ["a2"]
    # Expired claims are handed out again (their worker died), oldest first.
    later = NOW + LEASE + timedelta(seconds=1)
    assert [i.delivery_id for i in await _claim(uow_factory, later)] == ["b1", "a2", "c1"]


async def test_a_lane_s_waiting_requests_are_claimed_with_its_head_in_order(engine, uow_factory) -> None:
    for delivery, lane in (("a1", "a"), ("b1", "b"), ("a2", "a"), ("a3", "a"), ("a4", "a"), ("c1", "c")):
        await _keep(engine, delivery, lane)
    first = await _claim(uow_factory, limit=2, per_lane=3)
    # Two lanes (the limit counts heads), each with up to three of its requests, in id order.
    assert [(i.delivery_id, i.waiting_behind) for i in first] == [
        ("a1", True), ("b1", False), ("a2", True), ("a3", True)]
    # What is behind a held lane is no one else's: c1 is a head, a4 stays with its lane.
    assert [i.delivery_id for i in await _claim(uow_factory, per_lane=3)] == ["c1"]
    async with uow_factory() as uow:
        await uow.inbox.forget_handled([i.id for i in first])
        await uow.commit()
    assert [i.delivery_id for i in await _claim(uow_factory, per_lane=3)] == ["a4"]


async def test_the_requests_behind_heads_fill_only_what_the_batch_takes(engine, uow_factory) -> None:
    for delivery, lane in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")):
        await _keep(engine, delivery, lane)
    async with uow_factory() as uow:
        items = await uow.inbox.claim(NOW, 3, LEASE, BOTH, per_lane=3, most=3)
        await uow.commit()
    # Two heads, then one request behind them: nothing is leased only to be given back.
    assert [i.delivery_id for i in items] == ["a1", "a2", "b1"]


async def test_a_lane_s_requests_behind_one_not_ready_are_not_claimed(engine, uow_factory) -> None:
    for delivery, channel in (("a1", "slack"), ("a2", "slack"), ("w3", "wecom"), ("a4", "slack")):
        await _keep(engine, delivery, "a", channel=channel)
    # This process takes no WeCom request: the lane's run ends before it, and a4 waits behind it.
    assert [i.delivery_id for i in await _claim(uow_factory, channels=("slack",), per_lane=5)] == ["a1", "a2"]


async def test_only_channels_this_process_can_take_are_claimed(engine, uow_factory) -> None:
    await _keep(engine, "w1", "w", channel="wecom")
    await _keep(engine, "s1", "s", channel="slack")
    assert [i.delivery_id for i in await _claim(uow_factory, channels=("slack",))] == ["s1"]


async def test_a_failure_is_retried_after_a_backoff_and_holds_its_lane(engine, uow_factory) -> None:
    await _keep(engine, "a1", "a")
    await _keep(engine, "a2", "a")
    [item] = await _claim(uow_factory)
    assert await _fail(uow_factory, item.id, NOW) is False
    assert await _claim(uow_factory, NOW + timedelta(seconds=5)) == []  # backing off; a2 waits
    [again] = await _claim(uow_factory, NOW + timedelta(seconds=11))
    assert (again.delivery_id, again.attempts) == ("a1", 1)


async def test_a_request_that_keeps_failing_is_kept_dead_and_frees_its_lane(engine, uow_factory) -> None:
    await _keep(engine, "a1", "a")
    await _keep(engine, "a2", "a")
    [item] = await _claim(uow_factory)
    assert await _fail(uow_factory, item.id, NOW, max_attempts=1) is True
    assert [i.delivery_id for i in await _claim(uow_factory)] == ["a2"]
    async with uow_factory() as uow:
        assert await uow.inbox.waiting() == 1  # a2; the dead a1 is not waiting


async def test_concurrent_claimers_never_share_a_request(engine, uow_factory) -> None:
    for n in range(40):
        await _keep(engine, f"d{n}", f"lane{n}")
    claims = await asyncio.gather(*(_claim(uow_factory, limit=7) for _ in range(8)))
    ids = [item.id for items in claims for item in items]
    assert len(ids) == len(set(ids)) == 40


async def _alerts(uow_factory) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        query = select(OutboxMessage).where(OutboxMessage.kind == "dead_letter").order_by(OutboxMessage.id)
        return list((await uow.session.scalars(query)).all())


async def test_a_dead_request_alerts_the_hr_of_the_tenant_it_came_from(engine, uow_factory) -> None:
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("slack:T1", name="Acme")
        await uow.commit()
    await _keep(engine, "d1", "slack:T1:U1:")
    now = NOW
    for attempt in range(1, 4):
        [item] = await _claim(uow_factory, now)
        assert await _fail(uow_factory, item.id, now, max_attempts=3, tenant_key="slack:T1") is (attempt == 3)
        assert len(await _alerts(uow_factory)) == (1 if attempt == 3 else 0)  # told once, when dead
        now += timedelta(hours=1)
    [alert] = await _alerts(uow_factory)
    assert (alert.tenant_id, alert.channel, alert.recipient, alert.case_id) == (tenant.id, "slack", "hr_group", None)
    data = alert.payload["data"]
    assert data["failed_id"] == item.id and data["channel"] == "slack" and "boom" in data["error"]
    assert data["title"] and "boom" in data["text"]
    assert await _fail(uow_factory, item.id, now, max_attempts=3, tenant_key="slack:T1") is False  # dead stays
    assert len(await _alerts(uow_factory)) == 1


async def test_a_dead_request_from_no_known_tenant_is_logged(engine, uow_factory, caplog) -> None:
    await _keep(engine, "d1", "slack:T9:U1:")
    [item] = await _claim(uow_factory)
    assert await _fail(uow_factory, item.id, NOW, max_attempts=1, tenant_key="slack:T9") is True
    assert await _alerts(uow_factory) == []
    assert "no tenant's HR can be told" in caplog.text
