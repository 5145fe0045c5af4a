"""Three `python -m bot serve` replicas on one PostgreSQL and one Redis, driven by signed Slack and WeCom
requests round robin, one SIGKILLed mid-burst and restarted: every effect once, nothing committed lost."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from handlers.deps import build_deps
from storage.models import Case
from storage.uow import UnitOfWork
from tests.conftest import delete_keys
from tests.e2e.helpers_processes import Tally, fired_count, handled, in_flight, pending_work, tally
from tests.reliability.replicas_support import (
    STAFF,
    Card,
    Deliveries,
    Driver,
    Platforms,
    Replicas,
    cards_with,
    case_refs,
    case_states,
    deliveries,
    employee,
    import_directory,
    platforms,
    replica_env,
)
from tests.reliability.services import wait_until
from workflow.handover import default_template

pytestmark = pytest.mark.slow

REPLICAS = 3
PER_PLATFORM = 4  # cases on Slack and as many on WeCom
PLATFORMS = ("slack", "wecom")
# A killed replica's claims wait out the lease; short, yet far longer than one claimed batch takes.
SETTINGS = {"POLL_INTERVAL_SECONDS": "0.25", "CLAIM_LEASE_SECONDS": "6", "TIMER_BATCH": "10",
            "OUTBOX_BATCH": "10", "LOG_LEVEL": "WARNING"}
# The shared Redis server, on a database number of this test's own (no key prefix setting exists).
REDIS_DB = 13
LAST_DAY = "2024-06-30"  # long past: every handover item, and so every handover timer, is overdue
# Per case in handover: a due-date reminder and an escalation per item, the certificate, the transfer.
HANDOVER_TIMERS = 2 * len(default_template()) + 2
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The typed commands that take an open case to awaiting_employee, in order ({ref}, {talk} filled in).
STEPS = (
    ("lee", "evidence {ref} proposal https://hr.example/proposal"),
    ("lee", "submit {ref}"),
    ("wangfang", "confirm_facts {ref} last_day=" + LAST_DAY + " past_separation=yes avg_wage=12000"),
    ("wangfang", "approve {ref}"),
    ("wangfang", "schedule {ref} {talk}"),
    ("lee", "confirm {ref}"),
    ("wangfang", "talked {ref}"),
)
# What each case's audit trail holds besides its reminders: every step once (an item tick per item),
# the signing confirmation shown, the signature record, and the documents issued with the talk's
# record and with the signature.
TRANSITIONS = Counter({"open": 1, "evidence": 1, "submit": 1, "facts": 1, "approve": 1, "schedule": 1,
                       "confirm_attendance": 1, "record_talk": 1, "documents_issued": 2, "sign": 1,
                       "signing_confirmation_shown": 1, "signature": 1, "complete_item": len(default_template()),
                       "finish": 1})
CASES = [(platform, n) for platform in PLATFORMS for n in range(PER_PLATFORM)]


def talk_time() -> str:
    """10:00 on the next working day: inside the policy's window and the company's working hours,
    its reminder (2 h before) not yet due, whatever the time of day the test runs."""
    calendar = build_deps(SystemClock()).calendar
    return f"{calendar.add_working_days(datetime.now(UTC), 1).astimezone(SHANGHAI):%Y-%m-%d} 10:00"


def report(name: str, **numbers: object) -> None:
    """The figures a run produced (shown with -s; the lead's report quotes them)."""
    print(f"\n[{name}] " + ", ".join(f"{key}={value}" for key, value in numbers.items()))


async def settled(engine: AsyncEngine) -> bool:
    """No due timer unfired, no message neither sent nor dead-lettered."""
    return await pending_work(engine) == (0, 0, 0)


async def all_in(engine: AsyncEngine, state: str) -> bool:
    return await case_states(engine) == {state: len(CASES)} and await settled(engine)


async def each(calls: list[Awaitable[Any]], lanes: int = 8) -> None:
    """Run `calls`, `lanes` at a time (several people at work at once)."""
    gate = asyncio.Semaphore(lanes)

    async def one(call: Awaitable[Any]) -> None:
        async with gate:
            await call

    await asyncio.gather(*(one(call) for call in calls))


def assert_delivered(found: Deliveries, most_duplicates: int) -> None:
    assert found.short() == [], f"messages recorded sent that never reached the platform: {found}"
    assert found.unseen == (), f"outbox rows recorded sent, never seen by the fake: {found.unseen[:5]}"
    assert 0 <= found.duplicates <= most_duplicates, f"{found.duplicates} duplicate deliveries: {found}"


async def drive_to_awaiting_employee(driver: Driver, engine: AsyncEngine) -> None:
    """Managers open the cases, then each step for every case at once, round robin over the replicas."""
    await each([driver.type(platform, "lee", f"open {employee(n)[1]} mutual 双方协商一致解除")
                for platform, n in CASES])
    await wait_until(partial(handled, engine), seconds=60, what="the cases opened")
    refs = await case_refs(engine)
    talk = talk_time()
    for who, text in STEPS:
        if text.startswith("talked"):
            await talks_held(engine)
        await each([driver.type(platform, who, text.format(ref=refs[platform, employee(n)[1]], talk=talk))
                    for platform, n in CASES])
        await wait_until(partial(handled, engine), seconds=60, what=f"every {text.split()[0]} handled")


async def talks_held(engine: AsyncEngine) -> None:
    """The replicas run on the wall clock, so a talk scheduled for tomorrow cannot come during the
    test, and a talk is recorded only after its time: move each scheduled talk an hour into the
    past, as if the day had come and the talk had been held."""
    cases = Case.__table__
    held = datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as connection:
        for case_id, record in (await connection.execute(select(cases.c.id, cases.c.data))).all():
            if record.talk_at is not None:
                await connection.execute(update(cases).where(cases.c.id == case_id)
                                         .values(data=record.recorded(talk_at=held)))


async def tick_every_item(driver: Driver, fakes: Platforms) -> None:
    """Each owner presses Done on every handover item card they were sent (once per item)."""
    items: dict[tuple[str, str | None, str], tuple[str, Card]] = {}
    for platform in PLATFORMS:
        for handle, *_ in STAFF:
            for ref, card in cards_with(fakes, platform, handle, "complete_item"):
                items.setdefault((platform, ref.case_ref, str(ref.arg)), (handle, card))
    assert len(items) == len(CASES) * len(default_template()), sorted(items)
    await each([driver.press(platform, handle, card, "complete_item")
                for (platform, _, _), (handle, card) in items.items()])


def assert_once_in_effect(result: Tally) -> None:
    """Every transition once per case; every handover timer acted once, and no other timer acted."""
    odd = {case: dict(actions) for case, actions in result.actions.items()
           if +Counter({k: v for k, v in actions.items() if not k.startswith("reminder:")}) != TRANSITIONS}
    assert odd == {}, f"cases whose transitions are not each once: {odd}"
    twice = {key: n for key, n in result.reminders.items() if n != 1}
    assert twice == {}, f"timers that acted other than once (case, kind): {twice}"
    per_case = Counter(case for case, _ in result.reminders)
    assert per_case == {case: HANDOVER_TIMERS for case in result.cases}, per_case
    assert result.outbox_dead == () and result.outbox_unsent == (), (result.outbox_dead, result.outbox_unsent)
    assert result.audit_problems == (), result.audit_problems[:3]


def latest_card(fakes: Platforms, platform: str, handle: str, action: str) -> Card:
    found = cards_with(fakes, platform, handle, action)
    assert found, f"{platform} {handle} has no card with a {action} button"
    return found[-1][1]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_three_replicas_one_killed_mid_burst_every_effect_once_nothing_lost(
        db_url: str, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], redis_url: str,
        tmp_path: Path) -> None:
    """Typed commands take the cases to awaiting_employee; then the employees sign, in two waves: the
    cases enter handover with a last day long past, so each wave makes all their handover timers due
    at once. Half way through the first burst one replica is killed; the second wave arrives while it
    is down; it starts again. The owners then tick every handover item until every case closes."""
    began = time.monotonic()
    redis = urlsplit(redis_url)._replace(path=f"/{REDIS_DB}").geturl()
    async with platforms(REPLICAS, PER_PLATFORM) as fakes, httpx.AsyncClient(timeout=60) as http:
        await import_directory(uow_factory, fakes, PER_PLATFORM)
        replicas = Replicas([replica_env(n, database_url=db_url, redis_url=redis, fakes=fakes, workdir=tmp_path,
                                         **SETTINGS) for n in range(REPLICAS)], tmp_path)
        driver = Driver(replicas, fakes, http)
        try:
            for n in range(REPLICAS):
                replicas.start(n)
            for n in range(REPLICAS):
                await replicas.ready(n, http)
            started = time.monotonic()

            # 1. No kill: the cases reach awaiting_employee; every message once.
            await drive_to_awaiting_employee(driver, engine)
            await wait_until(partial(all_in, engine, "awaiting_employee"), seconds=60,
                             what="every case awaiting its employee, all delivered")
            before_kill = await deliveries(engine, fakes)
            assert_delivered(before_kill, most_duplicates=0)
            assert driver.failures == [], driver.failures
            phase1 = time.monotonic()

            # 2. The bursts: half the employees sign at once, and their cases' handover timers are all
            # overdue at once. Half way through, one replica is killed; the other half sign while it is
            # down (what reaches it is sent again to the next replica), then it starts again.
            signers = [(platform, employee(n)[0]) for platform, n in CASES]
            first, second = signers[0::2], signers[1::2]  # both platforms in each

            async def sign_one(platform: str, handle: str) -> None:
                # A tap on Sign brings the confirmation step (its button names the hash); that signs.
                await driver.press(platform, handle, latest_card(fakes, platform, handle, "sign"), "sign")

                async def confirmation() -> bool:
                    return any(ref.arg for ref, _ in cards_with(fakes, platform, handle, "sign"))

                await wait_until(confirmation, seconds=60, what=f"{platform} {handle}'s confirmation step")
                shown = [card for ref, card in cards_with(fakes, platform, handle, "sign") if ref.arg]
                await driver.press(platform, handle, shown[-1], "sign")

            async def sign(wave: list[tuple[str, str]]) -> None:
                await asyncio.gather(*(sign_one(platform, handle) for platform, handle in wave))

            signing = asyncio.ensure_future(sign(first))
            burst = len(first) * HANDOVER_TIMERS

            async def half_way() -> bool:
                return await fired_count(engine) >= burst // 2

            await wait_until(half_way, seconds=60, what="the first burst half done")
            # The replica that delivered to Slack last: the likeliest to be between send and record.
            victim = fakes.last_slack_deliverer()
            at_kill = {"fired": await fired_count(engine), "pending": await pending_work(engine),
                       "leased": await in_flight(engine, datetime.now(UTC))}
            assert at_kill["pending"] != (0, 0, 0), "the kill came after the burst: it interrupted nothing"
            replicas.kill(victim)
            await signing
            await sign(second)
            assert driver.failures, "no request met the killed replica"
            replicas.start(victim)
            await replicas.ready(victim, http)
            await wait_until(partial(all_in, engine, "handover"), seconds=90,
                             what="every case in handover, every due timer fired, all delivered")
            phase2 = time.monotonic()

            # 3. The owners tick every handover item (the cards they were sent) until every case closes.
            await tick_every_item(driver, fakes)
            await wait_until(partial(all_in, engine, "closed"), seconds=60,
                             what="every case closed, all delivered")
            phase3 = time.monotonic()
            assert replicas.stop() == [0] * REPLICAS, replicas.tails()
            stopped = time.monotonic()
        except BaseException:
            print(replicas.tails(), await case_states(engine), await pending_work(engine))
            raise
        finally:
            await driver.close()
            replicas.close()
            delete_keys(redis, f"*{fakes.wecom.corp_id}*")  # this run's keys: all named after its corp id

        result = await tally(engine)
        found = await deliveries(engine, fakes)
        slack_by_replica = fakes.slack_deliveries()

    assert_once_in_effect(result)
    # Every message reached its platform; a repeat only for the message the killed replica had sent
    # but not yet recorded.
    assert_delivered(found, most_duplicates=1)  # one kill
    assert fakes.slack.problems == [], fakes.slack.problems[:3]
    # The work was spread: each replica answered requests and delivered on both platforms.
    assert min(driver.served[n] for n in range(REPLICAS)) > 0, driver.served
    assert min(slack_by_replica[n] for n in range(REPLICAS)) > 0, slack_by_replica
    assert min(fakes.wecom_calls.values()) > 0, fakes.wecom_calls
    # Only the killed replica ever failed to answer (its requests were sent again to another).
    assert {failure.replica for failure in driver.failures} <= {victim}, driver.failures

    report("replicas", replicas=REPLICAS, cases=len(result.cases), requests=dict(sorted(driver.served.items())),
           resent_after_kill=len(driver.failures), timers_fired=await fired_count(engine),
           burst_timers=[burst, (len(CASES) - len(first)) * HANDOVER_TIMERS], reminders=sum(result.reminders.values()),
           messages_sent=sum(found.sent.values()), deliveries=sum(found.calls.values()),
           duplicates=found.duplicates, slack_deliveries_by_replica=dict(sorted(slack_by_replica.items())),
           wecom_calls_by_replica=dict(sorted(fakes.wecom_calls.items())), killed=victim, at_kill=at_kill,
           phase_seconds=[round(started - began, 1), round(phase1 - started, 1), round(phase2 - phase1, 1),
                          round(phase3 - phase2, 1), round(stopped - phase3, 1)],
           seconds=round(time.monotonic() - began, 1))

