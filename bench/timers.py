"""Timers: a burst of 10,000 due among 100,000 armed, fired by real worker processes; the same
burst through a peer, procrastinate (bench/peer.py), in the same run; and the cost of one poll
with 1,000,000 pending timers none of which is due.

Targets: all 10,000 fired within 30 s by one worker on PostgreSQL, and no slower than the peer;
a poll under 10 ms.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import peer
from bench.common import (
    Context,
    Result,
    Stopwatch,
    bench_database,
    bot_env,
    bot_processes,
    percentile,
    python_processes,
    scalar,
    seed_cases,
    seed_timers,
)
from bot.clock import SystemClock
from handlers.deps import build_deps
from handlers.timers import fire_due
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWork

NAME = "timers"
TITLE = "timers: a due burst, and the poll's cost"

CASES = 10_000
DUE = 10_000
PENDING_PER_CASE = 9  # 10,000 due + 90,000 pending = 100,000 armed
BURST_TARGET_S = 30.0
GIVE_UP_S = 900.0
POLL_CASES = 100_000
POLL_PENDING_PER_CASE = 10  # 1,000,000 pending, none due
POLLS = 300
POLL_TARGET_MS = 10.0


async def burst(ctx: Context, kind: str, workers: int) -> Result:
    """Seed, start `workers` × `python -m bot worker`, wait until every due timer has fired."""
    setting = f"{DUE:,} due of {CASES * (PENDING_PER_CASE + 1):,} armed, {workers} worker(s), {kind}"
    async with bench_database(kind, ctx.workdir) as url:
        engine = make_engine(url)
        try:
            company = await seed_cases(engine, CASES)
            await seed_timers(engine, company, due=DUE, pending_per_case=PENDING_PER_CASE)
            log = ctx.workdir / f"burst-{kind}-{workers}.log"
            with bot_processes(["worker"], bot_env(url, POLL_INTERVAL_SECONDS="1"), workers, log) as processes:
                fired, first, total = await _until_fired(engine, processes, log)
            once = await exactly_once(engine)
        finally:
            await engine.dispose()
    if fired < DUE:
        return Result(NAME, setting, f"only {fired:,} fired in {GIVE_UP_S:.0f} s", f"< {BURST_TARGET_S:.0f} s",
                      "MISSED")
    startup = first or 0.0
    rate = DUE / max(total - startup, 1e-9)
    verdict = ("ok" if total <= BURST_TARGET_S else "MISSED") if workers == 1 and kind == "postgresql" else ""
    return Result(NAME, setting, f"all fired {total:.1f} s after launch ({rate:,.0f} timers/s once running)",
                  f"< {BURST_TARGET_S:.0f} s (1 worker, PostgreSQL)" if verdict else "", verdict,
                  f"first fired at {startup:.1f} s (process start-up); {once}", seconds=total)


async def peer_burst(ctx: Context, ours: Result) -> Result:
    """The same burst through procrastinate (bench/peer.py): one worker process, 4 jobs at once."""
    setting = f"{DUE:,} due of {CASES * (PENDING_PER_CASE + 1):,} armed, 1 procrastinate worker, PostgreSQL"
    async with bench_database("postgresql", ctx.workdir) as url:
        engine = make_engine(url)
        try:
            company = await seed_cases(engine, CASES)
            await seed_timers(engine, company, due=DUE, pending_per_case=PENDING_PER_CASE)
            deferred = await peer.defer_all(url, engine)
            log = ctx.workdir / "burst-procrastinate.log"
            with python_processes(["-m", "bench.peer", url], bot_env(url), 1, log) as processes:
                fired, first, total = await _until_fired(engine, processes, log)
            once = await exactly_once(engine)
        finally:
            await engine.dispose()
    if fired < DUE:
        return Result(NAME, setting, f"only {fired:,} fired in {GIVE_UP_S:.0f} s", "", "")
    ratio = total / ours.seconds if ours.seconds else float("nan")
    verdict = "ok" if ours.seconds and ours.seconds <= total else "MISSED"
    return Result(NAME, setting, f"all fired {total:.1f} s after launch ({DUE / max(total - (first or 0), 1e-9):,.0f}"
                  f" jobs/s once running); ours took {ours.seconds:.1f} s: ours is {ratio:.2f}× as fast",
                  "ours no slower", verdict,
                  f"{deferred:,} jobs deferred, first done at {first or 0:.1f} s; each job fires its timer with our "
                  f"handler, one transaction per job; {once}")


async def _until_fired(engine: AsyncEngine, processes: list[subprocess.Popen[bytes]],
                       log: Path) -> tuple[int, float | None, float]:
    """Wait until every due timer has fired (or GIVE_UP_S): how many fired, when the first one
    did, and when the last one did, in seconds from now (the processes' launch)."""
    watch, first, fired = Stopwatch(), None, 0
    while fired < DUE and watch.seconds < GIVE_UP_S:
        await asyncio.sleep(0.2)
        fired = int(await scalar(engine, "SELECT count(*) FROM timers WHERE fired_at IS NOT NULL"))
        if fired and first is None:
            first = watch.seconds
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a worker exited: {Path(log).read_text()[-2000:]}")
    return fired, first, watch.seconds


async def exactly_once(engine: AsyncEngine) -> str:
    """Each due timer acted once: one reminder per case in the audit log, one message each."""
    reminders = int(await scalar(engine, "SELECT count(*) FROM audit_events WHERE action LIKE 'reminder:%'"))
    twice = int(await scalar(engine, "SELECT count(*) FROM (SELECT case_id FROM audit_events WHERE action LIKE "
                                     "'reminder:%' GROUP BY case_id HAVING count(*) > 1) AS t"))
    messages = int(await scalar(engine, "SELECT count(*) FROM outbox"))
    future = int(await scalar(engine, "SELECT count(*) FROM timers WHERE fired_at IS NOT NULL AND kind <> "
                                      "'evidence_idle_2wd'"))
    ok = reminders == DUE and twice == 0 and messages == DUE and future == 0
    verdict = "exactly once" if ok else "NOT exactly once"
    return f"{verdict}: {reminders:,} reminders, {twice} cases twice, {messages:,} messages, {future} early"


async def poll_cost(ctx: Context) -> list[Result]:
    """The poller's whole claim (fire_due: BEGIN, SELECT … FOR UPDATE SKIP LOCKED, COMMIT) with
    1,000,000 pending timers none due, timed; and the plan PostgreSQL uses for the SELECT."""
    setting = f"{POLL_CASES * POLL_PENDING_PER_CASE:,} pending, none due, PostgreSQL"
    async with bench_database("postgresql", ctx.workdir) as url:
        engine = make_engine(url)
        try:
            company = await seed_cases(engine, POLL_CASES)
            await seed_timers(engine, company, due=0, pending_per_case=POLL_PENDING_PER_CASE)
            factory = make_session_factory(engine)
            deps = build_deps(SystemClock())
            for _ in range(20):  # warm the pool and the plan cache
                await fire_due(lambda: UnitOfWork(factory), deps)
            times = []
            for _ in range(POLLS):
                watch = Stopwatch()
                acted = await fire_due(lambda: UnitOfWork(factory), deps)
                times.append(watch.seconds * 1000)
                assert acted == 0
            plan = await explain_claim(engine, factory)
            results = [Result(
                NAME, setting, f"p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms "
                f"({POLLS} polls)", f"< {POLL_TARGET_MS:.0f} ms",
                "ok" if percentile(times, 99) < POLL_TARGET_MS else "MISSED", plan)]
            if ctx.options.get("memory"):
                from bench import memory

                results.extend(await memory.measure(ctx, url, POLL_CASES))
            return results
        finally:
            await engine.dispose()


async def explain_claim(engine: AsyncEngine, factory: object) -> str:
    """EXPLAIN ANALYZE of the exact SELECT the claim sends (captured from a real claim)."""
    captured: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: object, _ctx: object,
                _many: bool) -> None:
        if "SKIP LOCKED" in statement and "timers" in statement:
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with UnitOfWork(factory) as uow:  # type: ignore[arg-type]
            await uow.timers.claim_due(SystemClock().now(), 100, timedelta(seconds=60))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters)
        plan = [row[0] for row in rows]
        await conn.rollback()
    uses = "uses ix_timers_pending_due" if any("ix_timers_pending_due" in line for line in plan) else "NO INDEX"
    return f"{uses}; plan: " + " | ".join(line.strip() for line in plan)


async def run(ctx: Context) -> list[Result]:
    ours = await burst(ctx, "postgresql", 1)
    results = [ours, await peer_burst(ctx, ours), await burst(ctx, "postgresql", 2), await burst(ctx, "sqlite", 1)]
    results.extend(await poll_cost(ctx))
    return results


