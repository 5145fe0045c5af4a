"""The leased queue the inbox, the outbox and the timers share: a table whose rows are claimed in
batches under a lease, failed with backoff, and kept as dead after the last attempt.

A claim sets `claimed_until`; a worker that dies simply lets its lease run out, and the next claim
takes the row again (so expired leases are reclaimed by every claim, with no sweeper). A failure
counts an attempt and holds the row off until its backoff ends; the last one (`max_attempts`, the
QUEUE_MAX_ATTEMPTS setting) or a permanent error makes it dead, and `dead_lettered` tells HR in
the same transaction. Completing a row is each table's own (the inbox deletes it, the relay
records a receipt, a timer is marked fired by the transaction that acts on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Update, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.sql import claim_statement, claimed, dialect

# Tries before a row is dead; the default of the QUEUE_MAX_ATTEMPTS setting (bot.settings).
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)
# How much of an error a row keeps (a traceback's message can be long).
ERROR_CHARS = 2000

Item = TypeVar("Item")
# The claims built once (LeasedQueue._claim's `reuse`), by name and database kind.
_STATEMENTS: dict[tuple[str, str], Update] = {}


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 10 s, 20 s, 40 s … capped at 1 h."""
    return min(BACKOFF_BASE * 2 ** min(attempts, 20), BACKOFF_CAP)


class LeasedQueue(Generic[Item]):
    """One table worked as a queue. A use names its `model` (with id, claimed_until, attempts,
    last_error and dead_at columns), the `item` dataclass a claim hands out (its fields are
    columns), and the column a failure's backoff is written to (`retry_at`)."""

    model: ClassVar[Any]
    item: ClassVar[type]
    retry_at: ClassVar[str] = "next_attempt_at"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _claim(self, now: datetime, limit: int, lease: timedelta, *,
                     pending: ColumnElement[bool], order_by: InstrumentedAttribute[Any],
                     params: dict[str, Any] | None = None, reuse: str | None = None) -> list[Item]:
        """Lease up to `limit` rows that are `pending` (which must leave out dead rows) and not
        claimed by a live lease, in `order_by` order; the caller commits to publish the claim.

        `reuse` names a claim whose `pending` is written with parameters (their values in
        `params`): its statement is built once per database kind and kept, not built and keyed
        anew on every poll."""
        dialect_name = dialect(self.session)
        statement = _STATEMENTS.get((reuse, dialect_name)) if reuse else None
        if statement is None:
            statement = claim_statement(self.model, dialect_name, pending=pending, order_by=order_by,
                                        returning=self.item_columns())
            if reuse:
                _STATEMENTS[(reuse, dialect_name)] = statement
        rows = await claimed(self.session, statement, now=now, limit=limit, lease=lease, params=params)
        return [self.item(*row) for row in rows]

    @classmethod
    def item_columns(cls) -> list[InstrumentedAttribute[Any]]:
        """The columns a claimed row is handed out with, in the order of the `item`'s fields."""
        return [getattr(cls.model, f.name) for f in fields(cls.item)]

    async def fail(self, row_id: int, now: datetime, error: str, *, max_attempts: int,
                   retry_after: timedelta | None = None, permanent: bool = False,
                   tenant_key: str | None = None) -> bool:
        """Count a failed try: hold the row off until `retry_after` (else the backoff), or, after
        `max_attempts` or a `permanent` error, keep it as dead and tell HR (of `tenant_key` where
        the row has no tenant of its own, as an inbox request). True when it is dead."""
        row = await self.session.get(self.model, row_id, populate_existing=True)
        if row is None or self.settled(row):
            return False  # settled meanwhile by a worker whose lease outlived ours
        row.attempts += 1
        row.last_error = error[:ERROR_CHARS]
        row.claimed_until = None
        if not permanent and row.attempts < max_attempts:
            setattr(row, self.retry_at, now + (retry_after or backoff(row.attempts)))
            await self.session.flush()
            return False
        row.dead_at = now
        await self.session.flush()
        await self.dead_lettered(row, error, now, tenant_key)
        return True

    async def defer(self, row_ids: Sequence[int], until: datetime, note: str) -> None:
        """Put rows off until `until` without counting a try (they were not tried: the
        platform's pace), releasing their lease."""
        table = self.model.__table__
        await self.session.execute(
            update(table).where(table.c.id.in_(list(row_ids)), table.c.dead_at.is_(None))
            .values(**{self.retry_at: until}, claimed_until=None, last_error=note[:ERROR_CHARS]))

    async def release(self, row_ids: Sequence[int]) -> None:
        """Give up the lease on rows taken but not worked (the next claim takes them)."""
        table = self.model.__table__
        await self.session.execute(update(table).where(table.c.id.in_(list(row_ids))).values(claimed_until=None))

    def settled(self, row: Any) -> bool:
        """Is the row done with (dead, or completed where completing keeps it)?"""
        return row.dead_at is not None

    async def dead_lettered(self, row: Any, error: str, now: datetime, tenant_key: str | None) -> None:
        """Tell whoever must hear of a dead row, in the transaction that made it dead."""
