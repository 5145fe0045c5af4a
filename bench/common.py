"""What every benchmark shares: a dedicated database, bulk seeding, worker processes, results.

Benchmarks get their own PostgreSQL database (created, migrated, dropped) or SQLite file, and fill
it in bulk (PostgreSQL COPY, or executemany) straight into the tables, not through the handlers:
what is measured is the poller and the relay, not how the rows got there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import Table, insert, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import upgrade_async
from storage.models import Case, Identity, Person, Tenant, Timer

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
HIRED = date(2020, 3, 2)


@dataclass(frozen=True)
class Result:
    """One line of the results table."""

    bench: str
    setting: str
    measured: str
    target: str = ""
    verdict: str = ""  # "ok", "MISSED", or "" when there is no target
    notes: str = ""
    seconds: float = 0.0  # the time measured, where another line compares with it (a peer's)


@dataclass
class Context:
    """What a run shares: where to put files, and the options given on the command line."""

    workdir: Path
    options: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ databases


def _pg_url(database: str) -> str:
    admin = make_url(PG_ADMIN_URL)
    return admin.set(drivername="postgresql+asyncpg", database=database).render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def bench_database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """A fresh, migrated database of `kind` ("postgresql" or "sqlite"), dropped afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_async(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"offboard_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = _pg_url(name)
        await upgrade_async(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _column_value(column: Any, given: Mapping[str, Any]) -> Any:
    """The value `column` gets: given, else its Python-side default, else NULL."""
    if column.name in given:
        return given[column.name]
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def rows_for(table: Table, given: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Full rows (every column but the id) for `table`, filling in the models' defaults."""
    columns = [c for c in table.columns if c.name != "id"]
    return [c.name for c in columns], [tuple(_column_value(c, row) for c in columns) for row in given]


async def bulk_insert(engine: AsyncEngine, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """PostgreSQL: COPY (binary). SQLite: executemany in one transaction."""
    if not rows:
        return
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            for start in range(0, len(rows), 20_000):
                await conn.execute(insert(table), list(rows[start:start + 20_000]))
        return
    names, records = rows_for(table, rows)
    # JSON, or a typed value kept as JSON (the case's facts and record): rows give the stored form.
    json_columns = {c.name for c in table.columns if "JSON" in (c.type.__class__.__name__,
                                                               type(getattr(c.type, "impl_instance", None)).__name__)}
    positions = [i for i, name in enumerate(names) if name in json_columns]
    if positions:
        records = [tuple(json.dumps(v) if i in positions else v for i, v in enumerate(r)) for r in records]
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=names)  # type: ignore[union-attr]


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), params)


# ------------------------------------------------------------------ a company with open cases


@dataclass(frozen=True)
class Company:
    tenant_id: int
    manager_id: int
    case_ids: list[int]
    hr_id: int = 0
    refs: list[str] = field(default_factory=list)  # the cases' refs, in case_ids' order


async def seed_cases(engine: AsyncEngine, count: int, *, state: str = "collecting_evidence",
                     tenant_key: str = "console:local", hr_channel: str = "",
                     facts: Mapping[str, Any] | None = None, facts_confirmed: bool = False) -> Company:
    """One tenant (`tenant_key`), a manager, an HR member and `count` employees, each with an open
    case in `state` (version 1, opened a week ago) holding `facts`."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        tenant_id = (await conn.execute(insert(Tenant).values(key=tenant_key, name="bench",
                                                              timezone="Asia/Shanghai", city="",
                                                              hr_channel=hr_channel, settings={}, case_seq=count)
                                        .returning(Tenant.id))).scalar_one()
        staff = {}
        for no, name, roles in (("M0001", "李经理", "manager"), ("H0001", "王人事", "hr")):
            staff[roles] = (await conn.execute(insert(Person).values(
                tenant_id=tenant_id, employee_no=no, name=name, email="", department="", position="", roles=roles,
                locale="zh-CN", hire_date=HIRED, active=True).returning(Person.id))).scalar_one()
    await bulk_insert(engine, Person.__table__, [  # type: ignore[arg-type]
        {"tenant_id": tenant_id, "employee_no": f"E{n:06d}", "name": f"员工{n:06d}", "roles": "",
         "manager_id": staff["manager"], "hire_date": HIRED, "locale": "zh-CN", "active": True}
        for n in range(count)])
    async with engine.connect() as conn:
        employees = [row[0] for row in await conn.execute(text(
            "SELECT id FROM people WHERE tenant_id = :t AND roles = '' ORDER BY id"), {"t": tenant_id})]
    opened = now - timedelta(days=7)
    await bulk_insert(engine, Case.__table__, [  # type: ignore[arg-type]
        {"tenant_id": tenant_id, "ref": f"C-{n + 1:04d}", "employee_id": employee,
         "manager_id": staff["manager"], "opened_by_id": staff["manager"], "ground": "incompetent", "note": "",
         "state": state, "version": 1, "facts": {"hired": HIRED.isoformat(), **(facts or {})},
         "facts_confirmed": facts_confirmed, "data": {}, "opened_at": opened, "state_entered_at": opened,
         "updated_at": opened}
        for n, employee in enumerate(employees)])
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, ref FROM cases WHERE tenant_id = :t ORDER BY id"),
                                   {"t": tenant_id})).all()
    return Company(tenant_id, staff["manager"], [row[0] for row in rows], staff["hr"], [row[1] for row in rows])


async def link_accounts(engine: AsyncEngine, platform: str, platform_tenant: str,
                        accounts: Mapping[int, str]) -> None:
    """Platform accounts for directory people: {person id: platform user id}."""
    await bulk_insert(engine, Identity.__table__, [  # type: ignore[arg-type]
        {"person_id": person_id, "platform": platform, "platform_tenant": platform_tenant,
         "platform_user_id": user_id} for person_id, user_id in accounts.items()])


async def seed_timers(engine: AsyncEngine, company: Company, *, due: int, pending_per_case: int) -> None:
    """`due` timers due an hour ago (one per case, a reminder to the manager), and
    `pending_per_case` timers per case due in 30 to 60 days."""
    now = datetime.now(UTC)
    due_at = now - timedelta(hours=1)  # all at once
    rows: list[dict[str, Any]] = [
        {"case_id": case_id, "kind": "evidence_idle_2wd", "due_at": due_at, "case_version": 1,
         "payload": {"action": "remind_manager_evidence"}}
        for case_id in company.case_ids[:due]]
    for n, case_id in enumerate(company.case_ids):
        rows.extend({"case_id": case_id, "kind": f"future_{k}", "case_version": 1,
                     "due_at": now + timedelta(days=30, seconds=(n * pending_per_case + k) % 2_592_000),
                     "payload": {"action": "remind_manager_evidence"}}
                    for k in range(pending_per_case))
    for start in range(0, len(rows), 200_000):
        await bulk_insert(engine, Timer.__table__, rows[start:start + 200_000])  # type: ignore[arg-type]
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE timers"))
            await conn.execute(text("ANALYZE cases"))


async def reset_claims(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(Timer).values(claimed_until=None))


# ------------------------------------------------------------------ processes


def bot_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    # The fakes the benches run keep no rate limits: what is measured is our own throughput, so
    # the relay does not keep to the platforms' pace either (tests/e2e/test_slack_pacing.py does).
    env.update(DATABASE_URL=database_url, LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", PLATFORM_PACING="false",
               **settings)
    return env


@contextlib.contextmanager
def bot_processes(args: Sequence[str], env: Mapping[str, str], count: int,
                  log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` × `python -m bot ARGS`; their stdout (the console channel's prints) is discarded,
    stderr goes to `log`. Stopped with SIGTERM (then SIGKILL) on exit."""
    with python_processes(["-m", "bot", *args], env, count, log) as processes:
        yield processes


@contextlib.contextmanager
def python_processes(args: Sequence[str], env: Mapping[str, str], count: int,
                     log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` × `python ARGS` from the checkout, as bot_processes describes."""
    processes = []
    with log.open("ab") as sink:
        for _ in range(count):
            processes.append(subprocess.Popen([sys.executable, *args], cwd=ROOT, env=dict(env),
                                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink))
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 120.0) -> None:
    """Until GET `url`/readyz answers 200; fails when `process` exits first or time runs out."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        watch = Stopwatch()
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            if process.poll() is not None or watch.seconds > seconds:
                raise RuntimeError(f"{url} did not become ready: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set size of one process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start
