"""Schema migrations (alembic) driven from code: no alembic.ini, one call per database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A programmatic alembic Config; env.py runs on `connection` when one is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (a SQLite file is created if missing)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


def upgrade(url: str) -> None:
    """Synchronous form of upgrade_async for the CLI and tests (needs no running event loop)."""
    asyncio.run(upgrade_async(url))


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the newest migration; `serve` refuses to start otherwise."""
    async with engine.connect() as connection:
        heads = await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    return heads == {head_revision()}
