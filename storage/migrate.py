"""Schema migrations (alembic) driven from code: no alembic.ini, one call per database URL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SQLITE_BEGIN, make_engine

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
    await _migrate(url, lambda config: command.upgrade(config, revision))


def upgrade(url: str) -> None:
    """Synchronous form of upgrade_async for the CLI and tests (needs no running event loop)."""
    asyncio.run(upgrade_async(url))


async def downgrade_async(url: str, revision: str) -> None:
    """Take the database at `url` back down to `revision` (tests; by hand, rolling a deploy back)."""
    await _migrate(url, lambda config: command.downgrade(config, revision))


async def _migrate(url: str, step: Callable[[Config], None]) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_in_one_checked_transaction, step)
    finally:
        await engine.dispose()


def _in_one_checked_transaction(connection: Connection, step: Callable[[Config], None]) -> None:
    """Run `step` in one transaction. On SQLite, with foreign keys off until it is checked: batch
    mode rebuilds a table by copying it and dropping the old one, and with foreign keys on that
    drop fails as soon as any row refers to the table (a case to its people, an event to its case).
    This is the procedure SQLite documents for schema changes; the check before the commit keeps
    a migration from leaving a broken reference behind (one already there is not its doing)."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            step(alembic_config(connection))
        return
    _sqlite_pragma(connection, "foreign_keys=OFF")  # outside the transaction: inside, SQLite ignores it
    try:
        # IMMEDIATE, as a unit of work's: a migration that reads before it writes does not fail
        # with "database is locked" when a running process writes meanwhile.
        with connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}).begin():
            before = _broken_references(connection)
            step(alembic_config(connection))
            left = [row for row in _broken_references(connection) if row not in before]
            if left:
                raise RuntimeError(f"the migration would leave {len(left)} broken reference(s), the first in "
                                   f"table {left[0][0]} (row {left[0][1]} → {left[0][2]}); nothing was changed")
    finally:
        # Tidiness only (the engine is disposed next): a failure here must not hide the migration's.
        with suppress(Exception):
            _sqlite_pragma(connection, "foreign_keys=ON")


def _broken_references(connection: Connection) -> list[tuple[str, int, str]]:
    """(table, row, the table it refers to) of every row whose foreign key finds no row."""
    return [(row[0], row[1], row[2]) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """On the driver's connection itself: a statement through SQLAlchemy would begin a transaction."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the newest migration; `serve` refuses to start otherwise."""
    async with engine.connect() as connection:
        heads = await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    return heads == {head_revision()}
