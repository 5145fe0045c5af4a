"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from storage.db import make_engine, make_session_factory
from storage.migrate import _migrate, downgrade_async, head_revision, is_current, upgrade, upgrade_async
from storage.models import Base, Case, EvidenceItem
from storage.uow import UnitOfWork
from tests.storage.data import NOW


async def test_migrated_schema_matches_models(db_url: str) -> None:
    await upgrade_async(db_url)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_is_current_only_after_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert not await is_current(engine)
        await upgrade_async(db_url)
        assert await is_current(engine)
        await upgrade_async(db_url)  # a second run changes nothing
        assert await is_current(engine)
    finally:
        await engine.dispose()


async def test_downgrade_removes_every_table(db_url: str) -> None:
    await upgrade_async(db_url)
    await downgrade_async(db_url, "base")
    engine = make_engine(db_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    assert set(tables) <= {"alembic_version"}


def test_sync_upgrade_creates_the_sqlite_file_and_its_directory(tmp_path) -> None:
    path = tmp_path / "nested" / "dir" / "offboard.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    assert path.is_file()


def test_head_revision_is_the_newest_migration_file() -> None:
    versions = Path(__file__).resolve().parents[2] / "storage" / "migrations" / "versions"
    newest = max(p.name.split("_", 1)[0] for p in versions.glob("[0-9]*_*.py"))
    assert head_revision() == newest


async def _counts_and_heads(url: str) -> tuple[list[int], list[tuple[int, str]]]:
    engine = make_engine(url)  # a fresh engine: the schema changed under the fixture's pooled ones
    try:
        async with engine.connect() as connection:
            counts = [(await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                      for table in ("people", "cases", "evidence", "audit_events")]
            heads = (await connection.execute(text(
                "SELECT e.seq, e.hash FROM audit_events e JOIN cases c ON c.id = e.case_id"
                " AND e.seq = c.audit_seq AND e.hash = c.audit_hash"))).all()
    finally:
        await engine.dispose()
    return counts, [tuple(row) for row in heads]


async def test_a_database_in_use_goes_down_and_up_again_keeping_every_row(db_url: str) -> None:
    # A database of its own (not the migrated one other tests share): it goes down past the
    # migrations that rebuild `people` (0011, 0008) and `cases` (0014) on SQLite, which other rows
    # refer to; with foreign keys on, the rebuild's DROP TABLE failed.
    await upgrade_async(db_url)
    engine = make_engine(db_url)
    try:
        async with UnitOfWork(make_session_factory(engine)) as uow:
            tenant = await uow.tenants.get_or_create("console", name="Acme")
            manager = await uow.people.upsert(tenant.id, "E002", name="Ming Li", roles="manager")
            employee = await uow.people.upsert(tenant.id, "E003", name="Wei Zhang", manager_id=manager.id)
            case = await uow.cases.add(Case(
                tenant_id=tenant.id, employee_id=employee.id, manager_id=manager.id, opened_by_id=manager.id,
                ground="incompetent", state="collecting_evidence", opened_at=NOW, state_entered_at=NOW,
                updated_at=NOW))
            await uow.evidence.add(EvidenceItem(case_id=case.id, kind="pip", sha256="0" * 64,
                                                added_by_id=manager.id, added_at=NOW))
            for action in ("open", "evidence", "submit"):
                last = await uow.audit.append(case, action=action, actor_id=manager.id, at=NOW)
            await uow.commit()
    finally:
        await engine.dispose()
    assert await _counts_and_heads(db_url) == ([2, 1, 1, 3], [(3, last.hash)])

    await downgrade_async(db_url, "0007")
    engine = make_engine(db_url)
    try:
        assert not await is_current(engine)
    finally:
        await engine.dispose()
    await upgrade_async(db_url)

    # Every row is back, and 0014 took each case's audit head from its chain's end.
    assert await _counts_and_heads(db_url) == ([2, 1, 1, 3], [(3, last.hash)])


# A tenant and a person whose manager (id 4242) does not exist: a broken reference.
ORPHAN = ("INSERT INTO tenants (key, name, timezone, city, hr_channel, settings, case_seq)"
          " VALUES ('t', 't', 'Asia/Shanghai', '', '', '{}', 0)",
          "INSERT INTO people (tenant_id, employee_no, name, email, department, position, roles, locale, active,"
          " manager_id) VALUES ((SELECT id FROM tenants), 'E1', 'n', '', '', '', '', 'zh-CN', 1, 4242)")


async def test_a_migration_leaving_a_broken_reference_on_sqlite_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fk.db'}"
    await upgrade_async(url)

    def orphan(config: Config) -> None:
        connection: Connection = config.attributes["connection"]
        for statement in ORPHAN:
            connection.exec_driver_sql(statement)

    with pytest.raises(RuntimeError, match=r"1 broken reference.*people"):
        await _migrate(url, orphan)
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM tenants"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_a_broken_reference_already_there_does_not_stop_an_upgrade(tmp_path: Path) -> None:
    # Left by a hand edit in the sqlite3 shell (foreign keys off there by default): not the
    # migration's doing, so it does not fail.
    path = tmp_path / "orphan.db"
    await upgrade_async(f"sqlite+aiosqlite:///{path}", "0013")
    with sqlite3.connect(path) as raw:
        for statement in ORPHAN:
            raw.execute(statement)
    raw.close()
    await upgrade_async(f"sqlite+aiosqlite:///{path}")
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        assert await is_current(engine)
    finally:
        await engine.dispose()
