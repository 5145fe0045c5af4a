"""The worker: the relay hands outbox rows to their channel and records what happened; the loop
survives failures and wakes early when asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import Services, bootstrap
from bot.channels.base import DeliveryError
from bot.worker import Worker
from handlers.signing.links import resolve_links
from storage.models import Case, OutboxMessage, Timer
from storage.outbox import OutboxItem, Queued
from storage.uow import UnitOfWork
from tests.bot.services_support import settings_for
from tests.storage.data import Spec as TimerSpec
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
        self.payloads: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.uow_factory: Callable[[], UnitOfWork] | None = None

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
        self.payloads.append(item.payload)
        self.arrived.set()
        return {"ts": f"{len(self.delivered)}.000"}

    async def take(self, body: dict[str, Any]) -> None:
        """A request kept in the inbox, scripted like a delivery (by body["who"]); one with
        body["tenant_id"] queues a note to its sender first, in a unit of work of its own."""
        if "tenant_id" in body:
            await self._write(body)
        else:
            if body.get("reads"):  # a unit of work that only reads, and ends without a commit
                assert self.uow_factory is not None
                async with self.uow_factory() as uow:
                    await uow.tenants.by_key("console:local")
            self._play(body["who"])
        self.taken.append(body["who"])
        self.arrived.set()

    async def _write(self, body: dict[str, Any]) -> None:
        assert self.uow_factory is not None
        who, now = body["who"], datetime.now(UTC)
        async with self.uow_factory() as uow:
            note = Queued(tenant_id=body["tenant_id"], case_id=None, channel=self.name, recipient=who,
                          kind="note", payload={"text": who}, dedup_key=f"took:{who}")
            if body.get("at_once"):  # written now, with what is queued before it
                await uow.outbox.enqueue(**{**vars(note), "now": now})
            else:
                await uow.outbox.enqueue_many([note], now)
            self._play(who)
            await uow.commit()

    async def gave_up(self, body: dict[str, Any]) -> None:
        self.given_up.append(body["who"])

    def origin(self, body: dict[str, Any]) -> tuple[str, str]:
        return "console", body.get("tenant", "local")


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
    relay = Worker(runtime).relay
    assert await relay.run_once() == 1
    assert channel.delivered == ["fine", "hr_group"]
    clock.advance(timedelta(minutes=5))
    assert await relay.run_once() == 2
    assert channel.delivered == ["fine", "hr_group", "buggy", "limited"]  # by due time


async def test_a_message_is_dead_lettered_after_the_last_attempt(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock
) -> None:
    runtime = make_runtime(QUEUE_MAX_ATTEMPTS=2)
    channel.script = {"flaky": [DeliveryError("timeout")]}
    await enqueue(runtime, "flaky")
    relay = Worker(runtime).relay
    assert await relay.run_once() == 0
    clock.advance(timedelta(hours=2))
    assert await relay.run_once() == 0
    flaky = (await rows(runtime))["flaky"]
    assert flaky.attempts == 2 and flaky.dead_at == clock.now()


async def test_a_pass_stops_when_its_lease_runs_out(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock
) -> None:
    runtime = make_runtime(CLAIM_LEASE_SECONDS=60)
    channel.script = {"slow": [lambda: clock.advance(timedelta(seconds=61))]}
    await enqueue(runtime, "slow", "next")
    # "next" was claimed too, but another replica may hold it by now: left for a later pass.
    relay = Worker(runtime).relay
    assert await relay.run_once() == 1
    assert channel.delivered == ["slow"]
    assert await relay.run_once() == 1
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


async def test_the_loop_survives_a_failing_round(
    make_runtime: Callable[..., Services], channel: FakeChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(POLL_INTERVAL_SECONDS=0.01)
    worker = Worker(runtime)
    real_claim = worker.relay.claim
    failures = []

    async def database_down_once(now: datetime) -> list[OutboxItem]:
        if not failures:
            failures.append(1)
            raise ConnectionRefusedError("database down")
        return await real_claim(now)

    monkeypatch.setattr(worker.relay, "claim", database_down_once)
    await enqueue(runtime, "after-outage")
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run_forever(stop))
    await asyncio.wait_for(channel.arrived.wait(), SAFETY)
    stop.set()
    await asyncio.wait_for(loop, SAFETY)
    assert failures == [1] and channel.delivered == ["after-outage"]


async def keep(runtime: Services, who: str, lane: str = "lane", **body: Any) -> bool:
    return await runtime.gateway.accept("fake", f"fake:{who}", lane, {"who": who, **body})


def _counted(runtime: Services) -> tuple[list[int], list[str]]:
    """The commits and the SAVEPOINT statements on the runtime's database from now on."""
    commits: list[int] = []
    savepoints: list[str] = []
    engine = runtime.engine.sync_engine
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    event.listen(engine, "before_cursor_execute", lambda _conn, _cursor, statement, *_args:
                 savepoints.append(statement) if "SAVEPOINT" in statement.upper() else None)
    return commits, savepoints


async def _writing(make_runtime: Callable[..., Services], channel: FakeChannel) -> tuple[Services, int]:
    """A runtime whose channel can write notes (to the returned tenant) as it takes requests."""
    runtime = make_runtime()
    channel.uow_factory = runtime.uow_factory
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local")
        await uow.commit()
    return runtime, tenant.id


async def test_waiting_requests_are_taken_in_one_transaction_and_one_undone_is_taken_again_alone(
    make_runtime: Callable[..., Services], channel: FakeChannel,
) -> None:
    runtime, tenant_id = await _writing(make_runtime, channel)
    # "bad" writes its note at once (and with it the one queued before it, "one"'s), then fails.
    channel.script["bad"] = [RuntimeError("cannot handle this")]
    for who, lane in (("one", "a"), ("bad", "b"), ("two", "a"), ("after-bad", "b"), ("three", "c")):
        await keep(runtime, who, lane, tenant_id=tenant_id, at_once=who == "bad")
    commits, savepoints = _counted(runtime)
    worker = Worker(runtime, inbox_concurrency=1)
    assert await worker.inbox.run_once() == 4  # after-bad waits for bad
    # bad spoiled the first try (rolled back): one again, bad alone, then two and three together.
    assert channel.taken == ["one", "one", "two", "three"]
    # The claim, one, bad's failure counted, two and three, after-bad's lease given back.
    assert len(commits) == 5 and savepoints == []
    notes = {row.recipient for row in (await rows(runtime)).values() if row.kind == "note"}
    assert notes == {"one", "two", "three"}  # bad's undone; one's, undone with it, written again
    await worker.inbox.settle()
    async with runtime.uow_factory() as uow:
        left = await uow.inbox.claim(NOW + timedelta(hours=2), 10, timedelta(minutes=1), ["fake"], per_lane=5)
    assert [item.body["who"] for item in left] == ["bad", "after-bad"]


async def test_waiting_requests_that_read_or_write_are_one_commit_without_savepoints(
    make_runtime: Callable[..., Services], channel: FakeChannel,
) -> None:
    runtime, tenant_id = await _writing(make_runtime, channel)
    await keep(runtime, "one", "a", tenant_id=tenant_id)
    await keep(runtime, "reader", "b", reads=True)  # ends its unit of work without a commit
    await keep(runtime, "three", "a", tenant_id=tenant_id)
    commits, savepoints = _counted(runtime)
    worker = Worker(runtime, inbox_concurrency=1)
    assert await worker.inbox.run_once() == 3
    assert channel.taken == ["one", "reader", "three"]  # each once: the reader spoiled nothing
    assert len(commits) == 2 and savepoints == []  # the claim; the three
    assert {row.recipient for row in (await rows(runtime)).values()} == {"one", "three"}


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
    # A request that spoils a batch is tried again alone in the same round: flaky fails both times.
    channel.script["flaky"] = [ConnectionRefusedError("database down")] * 2 + ["ok"]
    await keep(runtime, "flaky", "a")
    await keep(runtime, "after-flaky", "a")
    await keep(runtime, "poison", "b")
    await keep(runtime, "after-poison", "b")
    worker = Worker(runtime)
    assert await worker.drain_inbox() == 2  # flaky and poison fail
    assert await worker.drain_inbox() == 0  # both lanes wait out the backoff
    clock.advance(timedelta(hours=1))
    # Flaky goes through, and the request behind it with it (one transaction); poison fails again.
    assert await worker.drain_inbox() == 3
    # (Taken twice: poison spoiled their transaction, so they were taken together again.)
    assert channel.taken == ["flaky", "after-flaky"] * 2
    for _ in range(runtime.settings.QUEUE_MAX_ATTEMPTS):
        clock.advance(timedelta(hours=1))
        await worker.drain_inbox()
    assert channel.taken[4:] == ["after-poison"]
    assert channel.given_up == ["poison"]  # its sender is told; the flaky one's never needed to be
    assert "given up after" in caplog.text
    async with runtime.uow_factory() as uow:
        assert await uow.inbox.waiting() == 0


async def test_a_poison_request_goes_dead_and_its_tenants_hr_is_alerted_once(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock,
) -> None:
    runtime = make_runtime(QUEUE_MAX_ATTEMPTS=3)
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local")
        await uow.commit()
    channel.script["poison"] = [RuntimeError("cannot handle this")]
    await keep(runtime, "poison")
    worker = Worker(runtime)
    for attempt in range(1, 4):
        assert await worker.drain_inbox() == 1
        assert await worker.relay.run_once() == (1 if attempt == 3 else 0)  # HR hears once, at the end
        clock.advance(timedelta(hours=1))
    assert await worker.drain_inbox() == 0 and await worker.relay.run_once() == 0  # dead: never again
    assert channel.given_up == ["poison"] and channel.delivered == ["hr_group"]
    [alert] = [row for key, row in (await rows(runtime)).items() if key.startswith("hr_group:")]
    assert (alert.tenant_id, alert.channel, alert.sent_at is not None) == (tenant.id, "fake", True)
    assert "RuntimeError: cannot handle this" in alert.payload["data"]["text"]


async def test_a_dead_request_of_no_known_tenant_is_logged(
    make_runtime: Callable[..., Services], channel: FakeChannel, caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = make_runtime(QUEUE_MAX_ATTEMPTS=1)
    channel.script["stranger"] = [RuntimeError("cannot handle this")]
    await runtime.gateway.accept("fake", "fake:stranger", "lane", {"who": "stranger", "tenant": "nowhere"})
    assert await Worker(runtime).drain_inbox() == 1
    assert channel.given_up == ["stranger"] and await rows(runtime) == {}
    assert "no tenant's HR can be told (tenant 'console:nowhere')" in caplog.text


async def test_a_timer_that_keeps_failing_goes_dead_and_hr_is_alerted_once(
    make_runtime: Callable[..., Services], channel: FakeChannel, clock: ManualClock,
) -> None:
    runtime = make_runtime(QUEUE_MAX_ATTEMPTS=2)
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("fake:T1")
        manager = await uow.people.upsert(tenant.id, "E1", name="Ming", email="m@acme.cn", roles="manager")
        employee = await uow.people.upsert(tenant.id, "E2", name="Wei", email="w@acme.cn", manager_id=manager.id)
        case = await uow.cases.add(Case(tenant_id=tenant.id, employee_id=employee.id, manager_id=manager.id,
                                        opened_by_id=manager.id, ground="incompetence", state="evidence",
                                        opened_at=NOW, state_entered_at=NOW, updated_at=NOW))
        # A row no release of ours can act on (say, written by a newer version during a rollout).
        await uow.timers.arm(case.id, case.version, [TimerSpec("remind", NOW, {"action": "no_such_action"})])
        await uow.commit()
    worker = Worker(runtime)
    for _ in range(2):
        with pytest.raises(ValueError, match="no_such_action"):
            await worker.timers.run_once()
        clock.advance(timedelta(hours=1))
    assert await worker.timers.run_once() == 0  # dead: not claimed again
    assert await worker.relay.run_once() == 1 and channel.delivered == ["hr_group"]
    [alert] = [row for key, row in (await rows(runtime)).items() if key.startswith("hr_group:")]
    assert (alert.tenant_id, alert.case_id, alert.channel) == (tenant.id, case.id, "fake")
    async with runtime.uow_factory() as uow:
        timer = await uow.session.scalar(select(Timer).where(Timer.case_id == case.id))
    assert timer is not None and timer.attempts == 2 and timer.dead_at is not None and timer.fired_at is None


async def test_the_relay_sends_the_signing_link_the_row_only_refers_to(
    make_runtime: Callable[..., Services], channel: FakeChannel
) -> None:
    """A signing link is made from its reference when sent; the row keeps the reference."""
    runtime = make_runtime()
    reference = "<<signing-link:AbCdEfGhIjKlMnOpQrStUvWx>>"
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local", name="local")
        await uow.outbox.enqueue(tenant_id=tenant.id, case_id=None, channel="fake", recipient="alice",
                                 kind="employee_decision", payload={"data": {"fields": [["link", reference]]}},
                                 dedup_key="link", now=runtime.clock.now())
        await uow.commit()
    assert await Worker(runtime).run_once() == (0, 1)
    (sent,) = channel.payloads
    link = sent["data"]["fields"][0][1]
    assert link == resolve_links(reference, runtime.deps)
    assert link.startswith(runtime.settings.PUBLIC_BASE_URL.rstrip("/") + "/sign/") and "<<" not in link
    assert (await rows(runtime))["alice"].payload["data"]["fields"][0][1] == reference
