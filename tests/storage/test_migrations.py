"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import alembic_config, head_revision, is_current, upgrade, upgrade_async
from storage.models import Base


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
    engine = make_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
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
