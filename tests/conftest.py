"""Shared fixtures: fresh databases (SQLite, PostgreSQL), units of work, Redis (real, stand-in).

PostgreSQL and Redis tests skip with the reason when the server is unreachable; with
REQUIRE_SERVICES=1 (CI) they fail instead.

- `db_url`: parametrised [sqlite, postgresql]. Alone, it is a fresh EMPTY database (its own
  file, or CREATE DATABASE offboard_t_<pid>_<random>, dropped afterwards). When the test also uses
  `engine` / `session_factory` / `uow_factory`, it is a database already migrated to head and
  holding no rows (see _Migrated); do not change its schema.
- `engine`, `session_factory`, `uow_factory`: built on `db_url`; `uow_factory()` -> UnitOfWork.
- `debug_logs`: logging set up as `python -m bot` does at LOG_LEVEL=DEBUG, captured (caplog).
- `_data_dir` (automatic): DATA_DIR is a temporary directory for the whole run.
- `redis_client`: parametrised [memory, redis]; the real one uses a key prefix unique to the
  test (`redis_client.prefix`) and deletes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest
from redis import Redis as SyncRedis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.logs import QUIET_LOGGERS, configure_logging
from storage.cache import Cache, make_redis
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base
from storage.uow import UnitOfWork

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
DB_FIXTURES = {"engine", "session_factory", "uow_factory"}


def service_unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing server, or fail it when REQUIRE_SERVICES=1."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def require_services(*, postgres: bool = False, redis: bool = False) -> None:
    """Skip/fail unless the named servers answer (each is probed once per run)."""
    for wanted, problem in ((postgres, _postgres_problem), (redis, _redis_problem)):
        reason = problem() if wanted else None
        if reason:
            service_unavailable(reason)


def _where(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port}"


async def _pg_admin_async(*statements: str, database: str | None) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, database=database, timeout=3)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _pg_admin(*statements: str, database: str | None = None) -> None:
    # Sync fixtures run outside any event loop, so a private loop per admin call is fine.
    asyncio.run(_pg_admin_async(*statements, database=database))


@cache
def _postgres_problem() -> str | None:
    try:
        _pg_admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {_where(PG_ADMIN_URL)} unreachable: {type(exc).__name__}: {exc}"
    return None


@cache
def _redis_problem() -> str | None:
    client = SyncRedis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # any failure means "not usable here"; the reason says which
        return f"Redis at {_where(REDIS_URL)} unreachable: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def _new_database_name() -> str:
    # The pid lets a later run recognise databases left behind by a run that was killed.
    return f"offboard_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, and someone else's
    return True


async def _orphans() -> list[str]:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    try:
        names = [
            r[0]
            for r in await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'offboard\\_t\\_%'"
            )
        ]
    finally:
        await connection.close()
    return [n for n in names if (pid := n.split("_")[2]).isdigit() and not _pid_alive(int(pid))]


@cache
def _drop_orphaned_databases() -> None:
    """Once per run: drop test databases whose run died (only on this machine's server, where
    the pid in the name means something)."""
    if make_url(PG_ADMIN_URL).host not in ("127.0.0.1", "localhost", "::1"):
        return
    for name in asyncio.run(_orphans()):
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url(database: str) -> str:
    admin = make_url(PG_ADMIN_URL)
    return admin.set(drivername="postgresql+asyncpg", database=database).render_as_string(
        hide_password=False
    )


_END_OTHER_SESSIONS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_EMPTY_ALL_TABLES = "; ".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    + [
        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
        for table in Base.metadata.sorted_tables
    ]
)


class _Migrated:
    """Databases migrated once per run with storage.migrate.upgrade, handed out clean per test.

    SQLite: the migrated file is copied per test (about a millisecond). PostgreSQL: CREATE
    DATABASE takes 0.05-0.3 s, so one migrated database is reused and emptied before each test
    (other sessions on it ended, every row deleted, id sequences restarted: about 20 ms).
    """

    def __init__(self, directory: Path) -> None:
        self._sqlite = directory / "migrated.db"
        self._postgresql: str | None = None
        self._used = False

    def copy_sqlite(self, target: Path) -> None:
        if not self._sqlite.exists():
            upgrade(f"sqlite+aiosqlite:///{self._sqlite}")
        shutil.copyfile(self._sqlite, target)

    def postgresql(self) -> str:
        if self._postgresql is None:
            self._postgresql = _new_database_name()
            _pg_admin(f'CREATE DATABASE "{self._postgresql}"')
            upgrade(_pg_url(self._postgresql))
        elif self._used:
            _pg_admin(_END_OTHER_SESSIONS, _EMPTY_ALL_TABLES, database=self._postgresql)
        self._used = True
        return self._postgresql

    def drop(self) -> None:
        if self._postgresql:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self._postgresql}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The server's files (signing key, archive) in a temporary DATA_DIR, never in the checkout
    or the user's home: every Settings (and every `python -m bot` the tests start) reads it."""
    with pytest.MonkeyPatch.context() as patch:
        data_dir = tmp_path_factory.mktemp("data")
        patch.setenv("DATA_DIR", str(data_dir))
        yield data_dir


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The process's own logging set-up at DEBUG (as LOG_LEVEL=DEBUG does, its redaction filter
    included), captured after that filter; restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level
                                            for name in QUIET_LOGGERS})
    configure_logging("DEBUG")
    root.addHandler(caplog.handler)  # after the root handler, whose filter masks records in place
    caplog.handler.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Migrated]:
    migrated = _Migrated(tmp_path_factory.mktemp("db-migrated"))
    yield migrated
    migrated.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _migrated: _Migrated) -> Iterator[str]:
    wants_schema = bool(DB_FIXTURES & set(request.fixturenames))
    if request.param == "sqlite":
        path = tmp_path / "t.db"
        if wants_schema:
            _migrated.copy_sqlite(path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    require_services(postgres=True)
    _drop_orphaned_databases()
    if wants_schema:
        yield _pg_url(_migrated.postgresql())
        return
    name = _new_database_name()
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture
def uow_factory(session_factory: async_sessionmaker[AsyncSession]) -> Callable[[], UnitOfWork]:
    return partial(UnitOfWork, session_factory)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared test Redis server (REDIS_URL, default redis://127.0.0.1:6379/1)."""
    require_services(redis=True)
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
async def redis_client(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        client = make_redis(None)
        yield client
        await client.close()
        return
    redis_url = request.getfixturevalue("redis_url")
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    client = make_redis(redis_url, prefix=prefix)
    try:
        yield client
    finally:
        await client.close()
        delete_keys(redis_url, f"{prefix}*")


def delete_keys(redis_url: str, pattern: str) -> None:
    """Delete the keys matching `pattern` (a test's own): the server is shared, never FLUSHDB/FLUSHALL it."""
    raw = SyncRedis.from_url(redis_url)
    try:
        keys = list(raw.scan_iter(match=pattern, count=500))
        if keys:
            raw.delete(*keys)
    finally:
        raw.close()
