"""The two dialect-specific moves the repositories share: insert-if-absent and leased claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Base


def dialect(session: AsyncSession | AsyncConnection) -> str:
    if isinstance(session, AsyncConnection):
        return session.dialect.name
    return session.get_bind().dialect.name


async def insert_if_absent(
    session: AsyncSession | AsyncConnection, model: type[Base], values: dict[str, Any],
    unique: Sequence[str],
) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING; True when the row is new.

    Unlike "select, then insert", this cannot race: a concurrent twin waits on the unique key
    and then does nothing.
    """
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    # On the table, not the entity: a plain Core INSERT skips the ORM's bulk-insert machinery.
    statement = insert(model.__table__).values(**values).on_conflict_do_nothing(index_elements=unique)
    result = await session.execute(statement)
    return result.rowcount == 1  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    model: Any,
    *,
    pending: ColumnElement[bool],
    order_by: InstrumentedAttribute[Any],
    now: datetime,
    limit: int,
    lease: timedelta,
    returning: Sequence[InstrumentedAttribute[Any]],
) -> list[tuple[Any, ...]]:
    """Lease up to `limit` pending rows (those with no live claim) by setting claimed_until.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each other's
    rows, then one UPDATE. SQLite: the transaction already holds the write lock
    (BEGIN IMMEDIATE), so a single UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING suffices.
    Claims become visible to others when the caller commits.
    """
    free = or_(model.claimed_until.is_(None), model.claimed_until <= now)
    candidates = select(model.id).where(pending, free).order_by(order_by, model.id).limit(limit)
    if dialect(session) == "postgresql":
        ids: Any = (await session.scalars(candidates.with_for_update(skip_locked=True))).all()
        if not ids:
            return []
    else:
        ids = candidates.scalar_subquery()
    statement = (
        update(model)
        .where(model.id.in_(ids))
        .values(claimed_until=now + lease)
        .returning(order_by, model.id, *returning)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    # RETURNING has no order of its own; hand the rows out in claim order.
    return [tuple(row[2:]) for row in sorted(rows, key=lambda row: (row[0], row[1]))]
