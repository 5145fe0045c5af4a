"""Durable timers: armed with the transition that wants them, claimed by any replica's poller.

A leased queue (storage.queue) whose rows fall due at `due_at`, go stale when their case version
moves on, and are completed by the transaction that acts on them (`fired_at`). A timer whose
firing keeps failing is dead after the last attempt, and its case's HR is told. A workspace's own
timer (the weekly HR digest) has a tenant and no case: `arm_for_tenant`, and its kind names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update

from storage.models import Case, Tenant, Timer
from storage.outbox import ALERT_ERROR_CHARS, Outbox
from storage.queue import LeasedQueue
from storage.sql import dialect, insert_if_absent, insert_new_rows
from workflow.i18n import DEFAULT_LOCALE, t


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
    case_id: int | None  # None for a workspace's timer
    kind: str
    due_at: datetime
    case_version: int
    payload: dict[str, Any]
    tenant_id: int | None = None  # set for a workspace's timer only


# How many claimed timers one poller fires at once. SQLite has one writer, so one; PostgreSQL
# takes a few, which overlaps their round trips and commit flushes (bench/timers.py measured it).
CONCURRENT_WRITERS = {"sqlite": 1, "postgresql": 4}


class Timers(LeasedQueue[ClaimedTimer]):
    model = Timer
    item = ClaimedTimer
    # A timer's due_at is its schedule, not its next try: a failed one is held off by its lease.
    retry_at = "claimed_until"

    @property
    def concurrent_writers(self) -> int:
        """How many timers to fire at once, each in its own transaction, on this database."""
        return CONCURRENT_WRITERS.get(dialect(self.session), 1)

    async def arm(self, case_id: int, case_version: int, specs: Iterable[TimerSpecLike]) -> int:
        """Insert each spec once per (case, kind, version); returns how many are new.

        A spec whose (kind, due_at) already fired for this case is skipped, so re-arming after
        an unrelated change (a new version, same deadline) never repeats a reminder.
        """
        specs = list(specs)
        if not specs:
            return 0
        fired_before = await self.session.execute(
            select(Timer.kind, Timer.due_at).where(
                Timer.case_id == case_id, Timer.fired_at.is_not(None)
            )
        )
        fired = {(kind, due_at) for kind, due_at in fired_before}
        rows = [{"case_id": case_id, "kind": spec.kind, "due_at": spec.due_at, "case_version": case_version,
                 "payload": dict(spec.payload)} for spec in specs if (spec.kind, spec.due_at) not in fired]
        return await insert_new_rows(self.session, Timer, rows, ["case_id", "kind", "case_version"])

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedTimer]:
        """Lease up to `limit` due, unfired, live, unclaimed timers (earliest first); commit to
        publish the lease. A claimer that dies simply lets the lease run out."""
        return await self._claim(now, limit, lease, order_by=Timer.due_at,
                                 pending=Timer.fired_at.is_(None) & Timer.dead_at.is_(None) & (Timer.due_at <= now))

    def settled(self, row: Timer) -> bool:
        return row.fired_at is not None or row.dead_at is not None

    async def dead_lettered(self, row: Timer, error: str, now: datetime, tenant_key: str | None) -> None:
        if row.case_id is None:
            await self._workspace_timer_dead(row, error, now)
            return
        found = (await self.session.execute(
            select(Case.tenant_id, Case.ref, Tenant.key).join(Tenant, Tenant.id == Case.tenant_id)
            .where(Case.id == row.case_id))).first()
        if found is None:
            return  # no case, no HR to tell (cannot happen: a timer's case is a foreign key)
        tenant_id, case_ref, key = found
        params = {"kind": row.kind, "failed_id": row.id, "case": case_ref, "error": error[:ALERT_ERROR_CHARS]}
        await Outbox(self.session).alert_hr(
            tenant_id=tenant_id, case_id=row.case_id, channel=key.partition(":")[0], case_ref=case_ref,
            dedup_key=f"dead:timer:{row.id}", now=now,
            title=t("notice.dead_timer.title", DEFAULT_LOCALE),
            text=t("notice.dead_timer.text", DEFAULT_LOCALE, **params), params=params,
        )

    async def _workspace_timer_dead(self, row: Timer, error: str, now: datetime) -> None:
        key = await self.session.scalar(select(Tenant.key).where(Tenant.id == row.tenant_id))
        if key is None:
            return
        params = {"kind": row.kind, "failed_id": row.id, "case": "—", "error": error[:ALERT_ERROR_CHARS]}
        await Outbox(self.session).alert_hr(
            tenant_id=row.tenant_id, case_id=None, channel=key.partition(":")[0], case_ref=None,
            dedup_key=f"dead:timer:{row.id}", now=now,
            title=t("notice.dead_timer.title", DEFAULT_LOCALE),
            text=t("notice.dead_timer.text", DEFAULT_LOCALE, **params), params=params,
        )

    async def arm_for_tenant(self, tenant_id: int, kind: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Arm a workspace's timer unless one of `kind` is pending for it already, or this very
        (kind, due_at) exists (fired or not): one pending timer of a kind per workspace. True when
        armed now."""
        if await self.pending_for_tenant(tenant_id, kind):
            return False
        values = {"case_id": None, "tenant_id": tenant_id, "kind": kind, "due_at": due_at, "case_version": 0,
                  "payload": dict(payload)}
        return await insert_if_absent(self.session, Timer, values, ["tenant_id", "kind", "due_at"])

    async def pending_for_tenant(self, tenant_id: int, kind: str) -> list[Timer]:
        """The workspace's unfired, live timers of `kind`, earliest first."""
        query = (select(Timer).where(Timer.tenant_id == tenant_id, Timer.case_id.is_(None), Timer.kind == kind,
                                     Timer.fired_at.is_(None), Timer.dead_at.is_(None))
                 .order_by(Timer.due_at, Timer.id))
        return list((await self.session.scalars(query)).all())

    async def tenants_without_pending(self, kind: str) -> list[Tenant]:
        """The workspaces with no pending timer of `kind`."""
        pending = select(Timer.id).where(Timer.tenant_id == Tenant.id, Timer.case_id.is_(None), Timer.kind == kind,
                                         Timer.fired_at.is_(None), Timer.dead_at.is_(None))
        return list((await self.session.scalars(select(Tenant).where(~pending.exists()).order_by(Tenant.id))).all())

    async def disarm_for_tenant(self, tenant_id: int, kind: str) -> int:
        """Drop the workspace's pending timers of `kind` (its schedule changed); how many."""
        pending = await self.pending_for_tenant(tenant_id, kind)
        for timer in pending:
            await self.session.delete(timer)
        await self.session.flush()
        return len(pending)

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
            .where(Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.dead_at.is_(None))
            .order_by(Timer.due_at, Timer.id)
        )
        return list((await self.session.scalars(query)).all())
