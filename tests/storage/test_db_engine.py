"""Engine set-up: SQLite pragmas and transaction control, aware UTC instants on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import is_sqlite
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
