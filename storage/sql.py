"""The dialect-specific moves the repositories share: insert-if-absent and leased claims."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Insert, Integer, Table, Update, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Base


async def autocommitting(connection: AsyncConnection) -> AsyncConnection:
    """`connection` with each statement committed by itself on PostgreSQL (no BEGIN and COMMIT
    round trips around a lone statement); SQLite keeps its transactions (its BEGIN is ours, see
    storage.db): commit after the statements either way."""
    if connection.dialect.name == "postgresql":
        return await connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


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
    result = await session.execute(_insert_ignoring(model.__table__, dialect(session), tuple(unique)), values)
    return result.rowcount == 1  # type: ignore[attr-defined]


async def insert_many_if_absent(
    session: AsyncSession | AsyncConnection, model: type[Base], rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
) -> None:
    """`insert_if_absent` for several rows (of the same columns) in one round trip: one statement
    executed for many parameter sets (compiled once and cached, whatever the number of rows)."""
    await session.execute(_insert_ignoring(model.__table__, dialect(session), tuple(unique)), list(rows))


@functools.cache
def _insert_ignoring(table: Table, dialect_name: str, unique: tuple[str, ...]) -> Insert:
    """INSERT … ON CONFLICT (unique) DO NOTHING, its values given when run: built once (and its
    cache key with it), on the table, not the entity (the ORM's bulk-insert machinery skipped)."""
    insert = pg_insert if dialect_name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(unique))


async def insert_new_rows(
    session: AsyncSession | AsyncConnection, model: type[Base], rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
) -> int:
    """`insert_if_absent` for several rows in one multi-row INSERT; how many were new (the rows
    it returns)."""
    if not rows:
        return 0
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    table = model.__table__
    statement = (insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=unique)
                 .returning(table.c.id))  # type: ignore[attr-defined]
    return len((await session.execute(statement)).all())


def claim_statement(
    model: Any,
    dialect_name: str,
    *,
    pending: ColumnElement[bool],
    order_by: InstrumentedAttribute[Any],
    returning: Sequence[InstrumentedAttribute[Any]],
) -> Update:
    """The UPDATE that leases up to `:claim_limit` pending rows (those with no live claim at
    `:claim_now`) until `:claim_until`; run it with `claimed`. Its values are parameters, so a
    queue whose `pending` is written with parameters too builds it once for good.

    PostgreSQL: one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING, so
    concurrent claimers pass over each other's rows, in one round trip. SQLite: the transaction
    already holds the write lock (BEGIN IMMEDIATE), so the same UPDATE without the row locks
    suffices. Claims become visible to others when the caller commits.
    """
    now = bindparam("claim_now", type_=model.claimed_until.type)
    free = or_(model.claimed_until.is_(None), model.claimed_until <= now)
    candidates = (select(model.id).where(pending, free).order_by(order_by, model.id)
                  .limit(bindparam("claim_limit", type_=Integer)))
    if dialect_name == "postgresql":
        # One statement: the LIMIT keeps the subquery apart (it is not pulled up into a join), so
        # it is planned as alone; its SKIP LOCKED passes rows other claimers hold.
        ids: Any = candidates.with_for_update(skip_locked=True).scalar_subquery()
    else:
        ids = candidates.scalar_subquery()
    return (
        update(model)
        .where(model.id.in_(ids))
        .values(claimed_until=bindparam("claim_until", type_=model.claimed_until.type))
        .returning(order_by, model.id, *returning)
        .execution_options(synchronize_session=False)
    )


async def claimed(session: AsyncSession, statement: Update, *, now: datetime, limit: int, lease: timedelta,
                  params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Run a `claim_statement` (with the values of its own parameters in `params`): the rows
    leased, in claim order, without the two ordering columns."""
    values = {"claim_now": now, "claim_until": now + lease, "claim_limit": limit, **(params or {})}
    rows = (await session.execute(statement, values)).all()
    # RETURNING has no order of its own; hand the rows out in claim order.
    return [tuple(row[2:]) for row in sorted(rows, key=lambda row: (row[0], row[1]))]
