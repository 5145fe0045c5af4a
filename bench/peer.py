"""The timers burst through a peer: procrastinate, a PostgreSQL job queue, runs the same due jobs.

Each of our timers becomes one procrastinate job, deferred with the timer's due time (so the due
ones are due now and the rest in the future); the job fires that one timer with our own handler
code (handlers.timers.fire_claimed: lock the case, mark the timer fired, audit, queue the
reminder), in a transaction of its own, as a queue of single jobs does. One procrastinate worker
process takes them, running up to 4 at once as our worker process does on PostgreSQL
(storage.timers.CONCURRENT_WRITERS); it only fires (our `bot worker` also runs its relay, which
sends the reminders the timers queue, on the same core).

`python -m bench.peer DATABASE_URL` is that worker process; the timers benchmark starts it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import App, PsycopgConnector
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from handlers.deps import Deps, build_deps
from handlers.timers import fire_claimed
from storage.db import make_engine, make_session_factory
from storage.models import Timer
from storage.queue import MAX_ATTEMPTS
from storage.timers import CONCURRENT_WRITERS, ClaimedTimer
from storage.uow import UnitOfWork

TASK = "fire_timer"
DEFER_BATCH = 5_000


def conninfo(database_url: str) -> str:
    """psycopg's address for one of our SQLAlchemy URLs."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def peer_app(database_url: str) -> App:
    """The procrastinate app with its one task, on `database_url`'s database."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(database_url)))
    # Made once, in the worker's own event loop, at the first job (as our worker makes them once).
    made: list[tuple[async_sessionmaker[AsyncSession], Deps]] = []

    @app.task(name=TASK)
    async def fire_timer(**timer: Any) -> None:
        if not made:
            made.append((make_session_factory(make_engine(database_url)), build_deps(SystemClock())))
        factory, deps = made[0]
        claimed = ClaimedTimer(**{**timer, "due_at": datetime.fromisoformat(timer["due_at"])})
        await fire_claimed(lambda: UnitOfWork(factory), deps, [claimed], datetime.now(UTC),
                           max_attempts=MAX_ATTEMPTS, writers=1)

    return app


async def defer_all(database_url: str, engine: AsyncEngine) -> int:
    """procrastinate's tables in the database, and one job per timer in it; how many."""
    app = peer_app(database_url)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        async with engine.connect() as conn:
            rows = (await conn.execute(select(Timer.id, Timer.case_id, Timer.kind, Timer.due_at,
                                              Timer.case_version, Timer.payload).order_by(Timer.id))).all()
        task = app.tasks[TASK]
        now = datetime.now(UTC)
        # A deferral takes one schedule for its batch: the due jobs keep their time (all due now),
        # the others wait 30 days (each timer's own time, 30 to 60 days off, changes nothing here).
        later = now + timedelta(days=30)
        by_schedule: dict[datetime, list[dict[str, Any]]] = {}
        for id_, case_id, kind, due_at, version, payload in rows:
            by_schedule.setdefault(due_at if due_at <= now else later, []).append(
                {"id": id_, "case_id": case_id, "kind": kind, "due_at": due_at.isoformat(),
                 "case_version": version, "payload": payload})
        for schedule_at, jobs in by_schedule.items():
            deferrer = task.configure(schedule_at=schedule_at)
            for start in range(0, len(jobs), DEFER_BATCH):
                await deferrer.batch_defer_async(*jobs[start:start + DEFER_BATCH])
    return len(rows)


async def _work(database_url: str) -> None:
    app = peer_app(database_url)
    async with app.open_async():
        # Polls once a second when idle, as our worker (POLL_INTERVAL_SECONDS=1), and is woken by
        # PostgreSQL's LISTEN/NOTIFY as ours is by Redis.
        await app.run_worker_async(concurrency=CONCURRENT_WRITERS["postgresql"], wait=True,
                                   fetch_job_polling_interval=1.0, install_signal_handlers=True,
                                   delete_jobs="successful")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_work(sys.argv[1]))
