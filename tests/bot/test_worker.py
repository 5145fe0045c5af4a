"""The worker: the relay hands outbox rows to their channel and records what happened; the loop
survives failures and wakes early when asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.inbox
import bot.worker
from bot.bootstrap import Services, bootstrap
from bot.channels.base import DeliveryError
from bot.relay import relay_once
from bot.worker import Worker
from storage.models import OutboxMessage
from storage.outbox import OutboxItem
from tests.bot.runtime_support import settings_for
from workflow.clock import ManualClock

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
# Generous bound so a stuck loop fails the test instead of hanging it; never a timing assertion.
SAFETY = 30


class FakeChannel:
    """A channel whose answer per recipient is scripted: "ok", a DeliveryError, a crash, or a
    function to run before answering ok (e.g. to let time pass)."""

    name = "fake"

    def __init__(self) -> None:
        self.script: dict[str, list[Any]] = {}
        self.delivered: list[str] = []
        self.taken: list[str] = []
        self.given_up: list[str] = []
        self.arrived = asyncio.Event()

    def _play(self, who: str) -> None:
        steps = self.script.get(who) or ["ok"]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, Exception):
            raise step
        if callable(step):
            step()

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        self._play(item.recipient)
        self.delivered.append(item.recipient)
        self.arrived.set()
        return {"ts": f"{len(self.delivered)}.000"}

    async def take(self, body: dict[str, Any]) -> None:
        """A request kept in the inbox, scripted like a delivery (by body["who"])."""
        self._play(body["who"])
        self.taken.append(body["who"])
        self.arrived.set()

    async def gave_up(self, body: dict[str, Any]) -> None:
        self.given_up.append(body["who"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel()


@pytest.fixture
async def make_runtime(
    db_url: str, engine: AsyncEngine, clock: ManualClock, channel: FakeChannel
) -> AsyncIterator[Callable[..., Services]]:
    # `engine` makes conftest hand over a migrated database.
    made: list[Services] = []

    def make(**settings: Any) -> Services:
        runtime = bootstrap(settings_for(db_url, **settings), clock=clock, channels=[lambda _core: channel])
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        await runtime.close()


async def enqueue(runtime: Services, *recipients: str, channel: str = "fake") -> dict[str, int]:
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local")
        for recipient in recipients:
            await uow.outbox.enqueue(
                tenant_id=tenant.id, case_id=None, channel=channel, recipient=recipient,
                kind="note", payload={"text": recipient}, dedup_key=f"{channel}:{recipient}",
                now=runtime.clock.now(),
            )
        await uow.commit()
    return await rows(runtime)


async def rows(runtime: Services) -> dict[str, OutboxMessage]:
    """Every outbox row by recipient (dead-letter alerts under "hr_group:<failed recipient>")."""
    async with runtime.uow_factory() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        messages = (await uow.session.scalars(query)).all()
    by_recipient: dict[str, OutboxMessage] = {}
    for message in messages:
        key = message.recipient
        if message.kind == "dead_letter":
            key = f"hr_group:{message.payload['data']['failed_id']}"
        by_recipient[key] = message
    return by_recipient


async def test_run_once_delivers_and_records_each_outcome(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock
) -> None:
    runtime = make_runtime()
    channel.script = {
        "limited": [DeliveryError("rate limited", retry_after=30), "ok"],
        "gone": [DeliveryError("user_not_found", permanent=True)],
        "buggy": [RuntimeError("adapter bug"), "ok"],
    }
    await enqueue(runtime, "fine", "limited", "gone", "buggy")
    await enqueue(runtime, "elsewhere", channel="wecom")  # no WeCom in this deployment

    assert await Worker(runtime).run_once() == (0, 1)
    state = await rows(runtime)
    fine, limited, gone = state["fine"], state["limited"], state["gone"]
    assert fine.sent_at == NOW and fine.platform_ref == {"ts": "1.000"} and fine.attempts == 1

    assert limited.sent_at is None and limited.dead_at is None
    assert limited.next_attempt_at == NOW + timedelta(seconds=30)  # the platform's own wait
    assert limited.last_error == "rate limited"

    assert gone.dead_at == NOW and gone.last_error == "user_not_found"
    assert state[f"hr_group:{gone.id}"].kind == "dead_letter"  # HR hears of it

    buggy = state["buggy"]
    assert buggy.dead_at is None and buggy.next_attempt_at > NOW  # backed off, not dropped
    assert buggy.last_error == "RuntimeError: adapter bug"

    elsewhere = state["elsewhere"]
    assert elsewhere.dead_at == NOW and "'wecom' is not configured" in elsewhere.last_error

    # Next pass: only the HR alert about "gone" is due (its WeCom twin has nowhere to go);
    # once the waits have passed, the two retries go through.
    assert await relay_once(runtime, clock.now()) == 1
    assert channel.delivered == ["fine", "hr_group"]
    clock.advance(timedelta(minutes=5))
    assert await relay_once(runtime, clock.now()) == 2
    assert channel.delivered == ["fine", "hr_group", "buggy", "limited"]  # by due time


async def test_a_message_is_dead_lettered_after_the_last_attempt(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock
) -> None:
    runtime = make_runtime(OUTBOX_MAX_ATTEMPTS=2)
    channel.script = {"flaky": [DeliveryError("timeout")]}
    await enqueue(runtime, "flaky")
    assert await relay_once(runtime, clock.now()) == 0
    clock.advance(timedelta(hours=2))
    assert await relay_once(runtime, clock.now()) == 0
    flaky = (await rows(runtime))["flaky"]
    assert flaky.attempts == 2 and flaky.dead_at == clock.now()


async def test_a_pass_stops_when_its_lease_runs_out(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock
) -> None:
    runtime = make_runtime(CLAIM_LEASE_SECONDS=60)
    channel.script = {"slow": [lambda: clock.advance(timedelta(seconds=61))]}
    await enqueue(runtime, "slow", "next")
    # "next" was claimed too, but another replica may hold it by now: left for a later pass.
    assert await relay_once(runtime, NOW) == 1
    assert channel.delivered == ["slow"]
    assert await relay_once(runtime, clock.now()) == 1
    assert channel.delivered == ["slow", "next"]


async def test_the_loop_wakes_on_request_and_stops_on_request(
    make_runtime: Callable[..., Services], channel: FakeChannel
) -> None:
    # An hour between polls: only a wake-up can explain a prompt second delivery.
    runtime = make_runtime(POLL_INTERVAL_SECONDS=3600)
    await enqueue(runtime, "first")
    stop = asyncio.Event()
    loop = asyncio.create_task(Worker(runtime).run_forever(stop))
    await asyncio.wait_for(channel.arrived.wait(), SAFETY)
    channel.arrived.clear()

    await enqueue(runtime, "second")
    await runtime.gateway.wake_workers()
    await asyncio.wait_for(channel.arrived.wait(), SAFETY)
    assert channel.delivered == ["first", "second"]

    stop.set()
    await asyncio.wait_for(loop, SAFETY)  # returns instead of sleeping out the hour


async def test_the_loop_survives_a_failing_tick(
    make_runtime: Callable[..., Services], channel: FakeChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(POLL_INTERVAL_SECONDS=0.01)
    real_fire_due = bot.worker.fire_due
    failures = []

    async def database_down_once(*args: Any, **kwargs: Any) -> int:
        if not failures:
            failures.append(1)
            raise ConnectionRefusedError("database down")
        return await real_fire_due(*args, **kwargs)

    monkeypatch.setattr(bot.worker, "fire_due", database_down_once)
    await enqueue(runtime, "after-outage")
    stop = asyncio.Event()
    loop = asyncio.create_task(Worker(runtime).run_forever(stop))
    await asyncio.wait_for(channel.arrived.wait(), SAFETY)
    stop.set()
    await asyncio.wait_for(loop, SAFETY)
    assert failures == [1] and channel.delivered == ["after-outage"]


async def keep(runtime: Services, who: str, lane: str = "lane") -> bool:
    return await runtime.gateway.accept("fake", f"fake:{who}", lane, {"who": who})


async def test_a_kept_request_wakes_the_inbox_loop_of_its_process(
    make_runtime: Callable[..., Services], channel: FakeChannel
) -> None:
    # An hour between polls, and no Redis: only the direct wake-up explains a prompt take.
    runtime = make_runtime(POLL_INTERVAL_SECONDS=3600)
    stop = asyncio.Event()
    loop = asyncio.create_task(Worker(runtime).run_forever(stop))
    while not runtime.gateway.inbox_loops:
        await asyncio.sleep(0)
    assert await keep(runtime, "pressed") is True
    await asyncio.wait_for(channel.arrived.wait(), SAFETY)
    stop.set()
    await asyncio.wait_for(loop, SAFETY)
    assert channel.taken == ["pressed"] and runtime.gateway.inbox_loops == set()
    async with runtime.uow_factory() as uow:
        assert await uow.inbox.waiting() == 0  # handled, so forgotten


async def test_a_failing_request_is_retried_then_kept_dead_and_its_lane_goes_on(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = make_runtime()
    channel.script["poison"] = [RuntimeError("cannot handle this")]
    channel.script["flaky"] = [ConnectionRefusedError("database down"), "ok"]
    await keep(runtime, "flaky", "a")
    await keep(runtime, "after-flaky", "a")
    await keep(runtime, "poison", "b")
    await keep(runtime, "after-poison", "b")
    worker = Worker(runtime)
    assert await worker.drain_inbox() == 2  # flaky and poison fail
    assert await worker.drain_inbox() == 0  # both lanes wait out the backoff
    clock.advance(timedelta(hours=1))
    assert await worker.drain_inbox() == 2
    assert channel.taken == ["flaky"]
    for _ in range(bot.inbox.INBOX_MAX_ATTEMPTS):
        clock.advance(timedelta(hours=1))
        await worker.drain_inbox()
    assert channel.taken == ["flaky", "after-flaky", "after-poison"]
    assert channel.given_up == ["poison"]  # its sender is told; the flaky one's never needed to be
    assert "given up after" in caplog.text
    async with runtime.uow_factory() as uow:
        assert await uow.inbox.waiting() == 0
