"""Crash and concurrency with real processes: a worker SIGKILLed mid-run and restarted, two workers on
one database, and two HR people pressing Approve at the same instant from two processes.

The overdue cases are driven once per module through the handlers and copied into each test's
database. Nothing waits for a timer: every wait polls the database (or a pipe) against a deadline.
"""

from __future__ import annotations

import asyncio
import json
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Case
from storage.uow import UnitOfWork
from tests.e2e.helpers_processes import (
    OPENED,
    STAFF,
    STEPS,
    TO_HR_REVIEW,
    Driver,
    Rows,
    add_people,
    assert_every_effect_once,
    child_env,
    deliveries,
    fired_count,
    in_flight,
    next_timer,
    pending_work,
    read_rows,
    seed_overdue_cases,
    started,
    tail,
    tally,
    wait_for,
    write_rows,
)
from workflow.i18n import t

pytestmark = pytest.mark.slow

CASES = 24  # 15 timers and 11 queued messages each (measured: 0.3-0.5 s of requests per case)
WORKER = ["-m", "bot", "worker"]
# Claims a killed worker held wait out their lease (CLAIM_LEASE_SECONDS, 60 s by default). A short
# one lets the restart take them over at once; a lone worker never competes for its own claims.
KILL_TEST_LEASE = timedelta(seconds=1)
# Where the runs are killed, in turn: half way through the employees' card resends (reminders: a
# message and an audit event each), half way through the escalations (transitions), while relaying.
KILL_POINTS = ("employee_resend", "employee_escalate", "relay")
SETTINGS = {"POLL_INTERVAL_SECONDS": "0.2"}
POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@dataclass(frozen=True)
class Seeded:
    rows: Rows
    timers: int
    messages: int


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """CASES cases waiting for their employee since June 2024, as rows to copy into any database."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('seed') / 'seed.db'}"
    upgrade(url)

    async def seed() -> Rows:
        engine = make_engine(url)
        try:
            await seed_overdue_cases(partial(UnitOfWork, make_session_factory(engine)), CASES)
            return await read_rows(engine)
        finally:
            await engine.dispose()

    rows = asyncio.run(seed())
    return Seeded(rows, timers=len(rows["timers"]), messages=len(rows["outbox"]))


def report(name: str, **numbers: object) -> None:
    """The figures a run produced (shown with -s; the lead's report quotes them)."""
    print(f"\n[{name}] " + ", ".join(f"{key}={value}" for key, value in numbers.items()))


async def all_done(engine: AsyncEngine) -> bool:
    return await pending_work(engine) == (0, 0, 0)


async def no_live_leases(engine: AsyncEngine) -> bool:
    """Restarting only now keeps the due order: the killed run's claims are the first taken over."""
    return await in_flight(engine, datetime.now(UTC)) == (0, 0)


async def test_a_worker_killed_mid_run_loses_nothing_and_repeats_no_effect(
        db_url: str, engine: AsyncEngine, seeded: Seeded, tmp_path: Path) -> None:
    """`python -m bot worker` SIGKILLed at each KILL_POINT in turn and restarted; a last run finishes."""
    began = time.monotonic()
    await write_rows(engine, seeded.rows)
    env = child_env(db_url, **SETTINGS, CLAIM_LEASE_SECONDS=str(KILL_TEST_LEASE.seconds))
    outs, kills = [], []
    leases_over = partial(no_live_leases, engine)
    for run, point in enumerate(KILL_POINTS):
        # Leases ending after this were taken by this run: the killed runs' end sooner.
        claimed_by_this_run = datetime.now(UTC) + KILL_TEST_LEASE
        outs.append(tmp_path / f"run{run}.out")

        async def at_point(point: str = point, since: datetime = claimed_by_this_run,
                           out: Path = outs[-1]) -> bool:
            timers, messages = await in_flight(engine, since)
            if point == "relay":
                # A batch being printed; on a loaded machine the batches can come and go between two
                # polls, so also once this run has printed something and work is still waiting.
                return messages > 0 or (deliveries(out) > 0 and await pending_work(engine) != (0, 0, 0))
            # Half way through that kind (a lone worker fires in due order), inside a batch of timers;
            # on a machine too fast to catch it there, wherever the worker is next.
            return (await fired_count(engine, point) >= CASES // 2
                    and (timers > 0 or (await pending_work(engine))[0] == 0))

        with started(WORKER, env, outs[-1]) as process:
            await wait_for(at_point, seconds=60, what=f"run {run} at {point}", alive=[(process, outs[-1])])
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        kills.append({"at": point, "firing": (await next_timer(engine))[0] or "-", "fired": await fired_count(engine),
                      "leased": await in_flight(engine, claimed_by_this_run)})
        await wait_for(leases_over, seconds=10, what="the killed worker's leases to run out")
    assert await pending_work(engine) != (0, 0, 0), "the last kill came too late to interrupt anything"

    outs.append(tmp_path / "last.out")
    with started(WORKER, env, outs[-1]) as last:
        await wait_for(partial(all_done, engine), seconds=60, what="all work done after the restarts",
                       alive=[(last, outs[-1])])
        last.send_signal(signal.SIGTERM)
        assert last.wait(timeout=15) == 0, tail(outs[-1])

    result = await tally(engine)
    assert_every_effect_once(result)
    printed = sum(deliveries(out) for out in outs)
    duplicates = printed - result.outbox_sent
    # Each message is marked sent right after the console printed it, and the console takes one at
    # a time (sends_at_once), so a kill can repeat at most the one message printed but not recorded.
    assert 0 <= duplicates <= len(KILL_POINTS), (printed, result.outbox_sent)
    report(f"kill -9 {db_url.split('+')[0]}", cases=len(result.cases), timers=seeded.timers,
           messages_seeded=seeded.messages, messages_sent=result.outbox_sent, kills=kills, printed=printed,
           duplicates=duplicates, seconds=round(time.monotonic() - began, 1))


@POSTGRES_ONLY
async def test_two_workers_on_one_database_fire_each_timer_once(
        db_url: str, engine: AsyncEngine, seeded: Seeded, tmp_path: Path) -> None:
    """Two `python -m bot worker` processes share the seeded work: every effect once, nothing resent."""
    began = time.monotonic()
    # Small batches interleave the two workers' claims finely.
    env = child_env(db_url, **SETTINGS, TIMER_BATCH="25", OUTBOX_BATCH="25")
    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    with started(WORKER, env, outs[0]) as a, started(WORKER, env, outs[1]) as b:
        watched = [(a, outs[0]), (b, outs[1])]

        async def both_polling() -> bool:
            return all("worker started" in out.read_text() for out in outs)
        await wait_for(both_polling, seconds=60, what="both workers started", alive=watched)
        # All the work appears at once, in one commit, while both are polling.
        await write_rows(engine, seeded.rows)
        await wait_for(partial(all_done, engine), seconds=60, what="all work done", alive=watched)
        for process in (a, b):
            process.send_signal(signal.SIGTERM)
        assert [a.wait(timeout=15), b.wait(timeout=15)] == [0, 0]

    result = await tally(engine)
    assert_every_effect_once(result)
    printed = [deliveries(out) for out in outs]
    assert all(printed), f"one worker did all the work: {printed}"
    assert sum(printed) == result.outbox_sent, "a message was sent twice though no worker died"
    report("two workers", cases=len(result.cases), timers=seeded.timers, messages_sent=result.outbox_sent,
           printed_by_each=printed, seconds=round(time.monotonic() - began, 1))


def read_line(process: subprocess.Popen[bytes], seconds: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, f"no answer from pid {process.pid} within {seconds} s"
    return process.stdout.readline().decode()


@POSTGRES_ONLY
async def test_two_hr_people_approving_at_once_from_two_processes_decide_once(
        db_url: str, uow_factory: Callable[[], UnitOfWork]) -> None:
    """Round after round, two processes approve one case with the same card version at once."""
    began = time.monotonic()
    rounds = 4
    await add_people(uow_factory, rounds)
    refs = await Driver.build(uow_factory).cases(rounds, STEPS[:TO_HR_REVIEW])
    before = {}
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant is not None
        for ref in refs:
            case = await uow.cases.by_ref(tenant.id, ref)
            assert case is not None and (case.state, case.facts_confirmed) == ("hr_review", True)
            before[ref] = case.version

    env = child_env(db_url)
    racers = ("wangfang", "zhao")
    at = OPENED.replace(hour=10).isoformat()
    losers, overlapped = [], 0
    with started(["-m", "tests.e2e.approve_race", racers[0], at], env) as p0, \
            started(["-m", "tests.e2e.approve_race", racers[1], at], env) as p1:
        processes = (p0, p1)
        assert [read_line(p, 60).strip() for p in processes] == ["ready", "ready"]
        for ref in refs:
            line = f"{ref} {before[ref]}\n".encode()
            for process in processes:  # released together: both hold a warm connection
                assert process.stdin is not None
                process.stdin.write(line)
                process.stdin.flush()
            replies = [json.loads(read_line(p, 30)) for p in processes]
            oks = [reply["ok"] for reply in replies]
            assert sorted(oks) == [False, True], (ref, replies)
            winner, loser = racers[oks.index(True)], racers[oks.index(False)]
            said = " ".join(replies[oks.index(False)]["texts"])
            # A race only if each call began before the other ended.
            overlapped += max(r["began"] for r in replies) < min(r["ended"] for r in replies)
            locale = STAFF[loser][3]
            stale = STAFF[winner][1] in said  # the stale-card path names who decided
            assert stale or t("h.conflict", locale, ref=ref) in said, said
            losers.append("stale card" if stale else "conflict")
            async with uow_factory() as uow:
                case = await uow.cases.by_ref(tenant.id, ref)
                assert isinstance(case, Case)
                events = await uow.audit.for_case(case.id)
                approver = await uow.people.get(case.record.approved_by)
            assert [e.action for e in events].count("approve") == 1
            assert (case.state, case.version) == ("scheduling_talk", before[ref] + 1)
            assert approver is not None and approver.name == STAFF[winner][1]
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
            assert process.wait(timeout=15) == 0
    assert overlapped > 0, "the two approvals never ran at the same time"
    report("approve race", rounds=rounds, overlapped=overlapped, losers=losers,
           seconds=round(time.monotonic() - began, 1))
