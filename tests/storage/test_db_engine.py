"""Engine set-up: SQLite pragmas and transaction control, aware UTC instants on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.db
from storage.db import is_sqlite, make_engine
from storage.models import InboundDelivery, Tenant
from storage.uow import UnitOfWork


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    engine: AsyncEngine,
) -> None:
    if not is_sqlite(engine):
        pytest.skip("SQLite pragmas")
    async with engine.connect() as connection:
        pragmas = [
            (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        ]
    assert pragmas == ["wal", 5000, 1]


async def test_instants_come_back_aware_utc(uow_factory: Callable[[], UnitOfWork]) -> None:
    shanghai = timezone(timedelta(hours=8))
    async with uow_factory() as uow:
        recorded = await uow.inbound.record("d1", datetime(2026, 3, 2, 9, 30, 0, 123456, shanghai))
        assert recorded
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.session.scalar(select(InboundDelivery.received_at))
    assert stored == datetime(2026, 3, 2, 1, 30, 0, 123456, UTC)
    assert stored.utcoffset() == timedelta(0)


async def test_naive_instants_are_refused(uow_factory: Callable[[], UnitOfWork]) -> None:
    async with uow_factory() as uow:
        with pytest.raises(Exception, match="naive datetime"):
            await uow.inbound.record("d1", datetime(2026, 3, 2, 9, 30))


async def test_sqlite_writers_queue_instead_of_losing_updates(
    engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    """Read-modify-write in ten concurrent units of work: BEGIN IMMEDIATE serialises them."""
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL relies on row locks (cases.add and for_update), not on BEGIN")
    async with uow_factory() as uow:
        tenant_id = (await uow.tenants.get_or_create("console")).id
        await uow.commit()

    async def bump() -> None:
        async with uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id)
            assert tenant is not None
            await asyncio.sleep(0)  # let the others try to get in between read and write
            tenant.case_seq += 1
            await uow.commit()

    await asyncio.gather(*(bump() for _ in range(10)))
    async with uow_factory() as uow:
        assert (await uow.session.get(Tenant, tenant_id)).case_seq == 10


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


async def _terminate(db_url: str, pid: int) -> None:
    """End a backend from outside the pool, as a database restart would."""
    other = make_engine(db_url)
    try:
        async with other.connect() as connection:
            # With a timeout it returns once the backend has gone, not when it was signalled.
            await connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid}, 5000)")
    finally:
        await other.dispose()


@pytest.mark.parametrize("idle_first", [True, False])
async def test_a_pooled_connection_that_died_while_idle_is_replaced_unseen(
        db_url: str, idle_first: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that died in the pool (a database restart) is pinged and replaced when it had
    been idle; one used a moment ago is trusted, and its failure costs that one statement (the
    request gets a 503 and is retried), after which the pool has let go of it."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's pooled connections")
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", -1.0 if idle_first else 3600.0)
    engine = make_engine(db_url)
    try:
        dead = await _backend_pid(engine)
        await _terminate(db_url, dead)
        if idle_first:
            assert await _backend_pid(engine) != dead
        else:
            with pytest.raises(DBAPIError) as failed:
                await _backend_pid(engine)
            assert failed.value.connection_invalidated
            assert await _backend_pid(engine) != dead
    finally:
        await engine.dispose()
