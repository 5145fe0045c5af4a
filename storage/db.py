"""Engines and sessions: one async code path for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from storage.private_files import FILE_MODE, private_file

# Execution option read by the SQLite "begin" hook: "IMMEDIATE" takes the write lock up front.
SQLITE_BEGIN = "sqlite_begin"
# A pooled PostgreSQL connection idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 1.0


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine. SQLite gets WAL, a 5 s busy timeout, foreign keys and our own BEGIN;
    PostgreSQL pings pooled connections that were idle before use."""
    path = sqlite_path(url)
    if path is not None:
        _private_sqlite_files(path)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _take_over_sqlite_transactions(engine)
    elif not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """A pooled connection may have died with a database restart: one idle for more than
    PING_AFTER_IDLE_SECONDS is pinged when checked out, and a dead one invalidates the pool (the
    others are as dead) and the checkout is retried on a new connection. SQLAlchemy's
    pool_pre_ping pings at every checkout, which cost a third of a millisecond of CPU each, about as
    much as the statement that follows; a connection used a moment ago is as good as pinged, and
    should it have died since, the statement's disconnect error invalidates the pool and the
    request is answered 503 (the platform retries)."""
    dialect = engine.dialect  # not the engine: the listeners would keep it alive

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry,
                     _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(f"a pooled connection failed its ping: {error}") from error
            raise  # not a dead connection: as pool_pre_ping, let it be seen


def _private_sqlite_files(path: Path) -> None:
    """The database file is made 0600 before SQLite opens it: SQLite gives its -wal and -shm files
    the database file's mode. Files an older version left readable are tightened too."""
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(FILE_MODE)


def _take_over_sqlite_transactions(engine: AsyncEngine) -> None:
    # sqlite3's legacy mode begins lazily and only before DML, so a transaction that reads and
    # then writes can fail mid-way with "database is locked"; we emit BEGIN ourselves instead
    # (SQLAlchemy SQLite docs, "Enabling Non-Legacy SQLite Transactional Modes").
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work; on SQLite each of their transactions is BEGIN IMMEDIATE."""
    bind = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) if is_sqlite(engine) else engine
    return async_sessionmaker(bind, expire_on_commit=False)
