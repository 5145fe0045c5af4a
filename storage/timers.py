"""Durable timers: armed with the transition that wants them, claimed by any replica's poller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Timer
from storage.sql import claim, dialect, insert_if_absent


class TimerSpecLike(Protocol):
    """What arm() reads from a spec (workflow.policy.TimerSpec fits)."""

    @property
    def kind(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ClaimedTimer:
    id: int
    case_id: int
    kind: str
    due_at: datetime
    case_version: int
    payload: dict[str, Any]


# How many claimed timers one poller fires at once. SQLite has one writer, so one; PostgreSQL
# takes a few, which overlaps their round trips and commit flushes (bench/timers.py measured it).
CONCURRENT_WRITERS = {"sqlite": 1, "postgresql": 4}


class Timers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def concurrent_writers(self) -> int:
        """How many timers to fire at once, each in its own transaction, on this database."""
        return CONCURRENT_WRITERS.get(dialect(self.session), 1)

    async def arm(self, case_id: int, case_version: int, specs: Iterable[TimerSpecLike]) -> int:
        """Insert each spec once per (case, kind, version); returns how many are new.

        A spec whose (kind, due_at) already fired for this case is skipped, so re-arming after
        an unrelated change (a new version, same deadline) never repeats a reminder.
        """
        fired_before = await self.session.execute(
            select(Timer.kind, Timer.due_at).where(
                Timer.case_id == case_id, Timer.fired_at.is_not(None)
            )
        )
        fired = {(kind, due_at) for kind, due_at in fired_before}
        armed = 0
        for spec in specs:
            if (spec.kind, spec.due_at) in fired:
                continue
            values = {
                "case_id": case_id,
                "kind": spec.kind,
                "due_at": spec.due_at,
                "case_version": case_version,
                "payload": dict(spec.payload),
            }
            unique = ["case_id", "kind", "case_version"]
            armed += await insert_if_absent(self.session, Timer, values, unique)
        return armed

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedTimer]:
        """Lease up to `limit` due, unfired, unclaimed timers (earliest first); commit to publish
        the lease. A claimer that dies simply lets the lease run out."""
        rows = await claim(
            self.session,
            Timer,
            pending=(Timer.fired_at.is_(None)) & (Timer.due_at <= now),
            order_by=Timer.due_at,
            now=now,
            limit=limit,
            lease=lease,
            returning=[getattr(Timer, field.name) for field in fields(ClaimedTimer)],
        )
        return [ClaimedTimer(*row) for row in rows]

    async def mark_fired(self, timer_ids: Iterable[int], now: datetime) -> set[int]:
        """Record the firings; returns the ids this call fired (another worker that fired one
        first, after our lease ran out, keeps it: do nothing for those)."""
        timers = Timer.__table__  # a plain Core UPDATE: no ORM bookkeeping on the hot path
        result = await self.session.execute(
            update(timers)
            .where(timers.c.id.in_(list(timer_ids)), timers.c.fired_at.is_(None))
            .values(fired_at=now, claimed_until=None)
            .returning(timers.c.id)
        )
        return set(result.scalars())

    async def pending_for(self, case_id: int) -> list[Timer]:
        query = (
            select(Timer)
            .where(Timer.case_id == case_id, Timer.fired_at.is_(None))
            .order_by(Timer.due_at, Timer.id)
        )
        return list((await self.session.scalars(query)).all())
