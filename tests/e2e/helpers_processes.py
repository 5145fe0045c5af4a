"""Seeding, copying and counting for the real-process tests, and the child processes themselves.

Cases are driven through `handlers.dispatch.handle` with a ManualClock in June 2024, so every timer
they arm is long overdue for a worker on the wall clock. Counts read the database with plain
connections, never a unit of work (on SQLite that would take the write lock from the worker).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.contracts import Inbound, Reply
from handlers.deps import Deps, build_deps
from handlers.dispatch import handle
from storage.audit import verify
from storage.db import make_session_factory
from storage.models import AuditEvent, Base, Case, Identity, InboxEntry, OutboxMessage, Person, Timer
from storage.uow import UnitOfWork
from workflow.clock import ManualClock

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2024, 6, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday
TALK_AT = "2024-06-04 10:00"
TALKED = datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI)  # awaiting_employee from here on
FACTS = {"last_day": "2024-06-30", "avg_wage": "12000", "confirm": "yes"}
# The timers awaiting_employee arms (workflow.policy): two reminders, then the escalation.
REMINDER_KINDS = frozenset({"employee_resend", "employee_unsigned"})

# console handle: (employee no., name, roles, locale)
STAFF = {
    "lee": ("M001", "李雷", "manager", "zh-CN"),
    "wangfang": ("H001", "王芳", "hr", "zh-CN"),
    "zhao": ("H002", "赵敏", "hr,hr_lead", "en"),
}

Factory = Callable[[], UnitOfWork]
Rows = dict[str, list[dict[str, Any]]]  # table name -> rows


def employee_handle(n: int) -> str:
    return f"e{n:04d}"


async def add_people(uow_factory: Factory, employees: int) -> None:
    """The console tenant: a manager, two HR people and `employees` staff under the manager."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local", name="local", timezone="Asia/Shanghai")
        ids: dict[str, int] = {}
        for handle_, (no, name, roles, locale) in STAFF.items():
            person = await uow.people.upsert(tenant.id, no, name=name, roles=roles, locale=locale,
                                             hire_date=date(2015, 1, 5))
            await uow.people.link_identity(person.id, "console", "local", handle_)
            ids[handle_] = person.id
        # In bulk: one flush for the people, one for their identities.
        people = [Person(tenant_id=tenant.id, employee_no=f"E{n:04d}", name=f"员工{n:04d}", roles="",
                         locale="zh-CN", hire_date=date(2019, 3, 15), manager_id=ids["lee"])
                  for n in range(employees)]
        uow.session.add_all(people)
        await uow.session.flush()
        uow.session.add_all([Identity(person_id=p.id, platform="console", platform_tenant="local",
                                      platform_user_id=employee_handle(n)) for n, p in enumerate(people)])
        await uow.commit()


# The requests that take an open case to awaiting_employee (the clock moves before record_talk).
STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("lee", "evidence", {"kind": "proposal", "content": "员工书面提出协商解除 https://hr.example/p"}),
    ("lee", "submit", {}),
    ("wangfang", "facts", {"facts": FACTS}),
    ("wangfang", "approve", {}),
    ("wangfang", "schedule", {"when": TALK_AT}),
    ("lee", "confirm_attendance", {}),
)
TO_HR_REVIEW = 3  # the first three steps leave the case in hr_review with its facts confirmed


@dataclass
class Driver:
    """Acts as the company's people through the real entry point, on a hand-set clock."""

    uow_factory: Factory
    clock: ManualClock
    deps: Deps

    @classmethod
    def build(cls, uow_factory: Factory) -> Driver:
        clock = ManualClock(OPENED)
        return cls(uow_factory, clock, build_deps(clock))

    async def act(self, who: str, name: str, ref: str | None, **args: Any) -> Reply:
        inbound = Inbound(platform="console", platform_tenant="local", user_id=who, name=name,
                          case_ref=ref, args=args)
        reply = await handle(inbound, self.uow_factory, self.deps)
        assert reply.ok, (who, name, ref, [m.data for m in reply.messages])
        return reply

    async def open(self, employee: str) -> str:
        """Open a mutual-agreement case (the ground needing the least evidence); its reference."""
        opened = await self.act("lee", "open", None, employee=f"@{employee}", ground="mutual",
                                note="双方协商一致解除")
        return next(m.case_ref for m in opened.messages if m.case_ref)

    async def each(self, count: int, step: Callable[[int], Awaitable[Any]], lanes: int) -> list[Any]:
        """`step(n)` for n < count, `lanes` at a time (their database round trips overlap)."""
        gate = asyncio.Semaphore(lanes)

        async def one(n: int) -> Any:
            async with gate:
                return await step(n)

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def cases(self, count: int, steps: Sequence[tuple[str, str, dict[str, Any]]], *,
                    lanes: int = 8) -> list[str]:
        """Open a case per employee and take each through `steps`, step by step across all cases."""
        self.clock.set(OPENED)
        refs = await self.each(count, lambda n: self.open(employee_handle(n)), lanes)
        for who, name, args in steps:
            await self.each(count, lambda n, who=who, name=name, args=args: self.act(who, name, refs[n], **args),
                            lanes)
        return refs


async def seed_overdue_cases(uow_factory: Factory, count: int) -> list[str]:
    """`count` cases waiting for their employee since June 2024: every timer is long overdue."""
    await add_people(uow_factory, count)
    driver = Driver.build(uow_factory)
    refs = await driver.cases(count, STEPS)
    driver.clock.set(TALKED)
    await driver.each(count, lambda n: driver.act("wangfang", "record_talk", refs[n]), lanes=8)
    return refs


# ---------------------------------------------------------------- copying a seeded database


async def read_rows(engine: AsyncEngine) -> Rows:
    async with engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in
                             await conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}


async def write_rows(engine: AsyncEngine, rows: Rows) -> None:
    """Insert `rows` (ids kept) into an empty migrated database; PostgreSQL's id sequences follow."""
    async with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if rows[table.name]:
                await conn.execute(insert(table), rows[table.name])
        if engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" not in table.c:
                    continue
                await conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f" COALESCE(MAX(id), 0) + 1, false) FROM {table.name}"))


# ---------------------------------------------------------------- counting


async def fired_count(engine: AsyncEngine, kind: str | None = None) -> int:
    """Timers fired (of one kind, or all)."""
    query = select(func.count()).where(Timer.fired_at.is_not(None))
    async with engine.connect() as conn:
        return int(await conn.scalar(query if kind is None else query.where(Timer.kind == kind)) or 0)


async def in_flight(engine: AsyncEngine, leased_past: datetime) -> tuple[int, int]:
    """(timers, messages) claimed with a lease ending after `leased_past` and not yet done: the
    batch a worker holding such leases is working through."""
    async with engine.connect() as conn:
        timers = await conn.scalar(select(func.count()).where(Timer.fired_at.is_(None),
                                                              Timer.claimed_until > leased_past))
        messages = await conn.scalar(select(func.count()).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None),
            OutboxMessage.claimed_until > leased_past))
    return int(timers or 0), int(messages or 0)


async def next_timer(engine: AsyncEngine) -> tuple[str, datetime | None]:
    """(kind, lease end) of the earliest unfired timer: where a worker firing in due order is."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(Timer.kind, Timer.claimed_until).where(Timer.fired_at.is_(None))
                                  .order_by(Timer.due_at, Timer.id).limit(1))).first()
    return (row.kind, row.claimed_until) if row else ("", None)


async def pending_work(engine: AsyncEngine) -> tuple[int, int, int]:
    """(due timers not fired, platform requests not handled, outbox rows neither sent nor
    dead-lettered)."""
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        timers = await conn.scalar(select(func.count()).where(Timer.fired_at.is_(None), Timer.due_at <= now))
        waiting = await conn.scalar(select(func.count()).where(InboxEntry.dead_at.is_(None)))
        unsent = await conn.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None),
                                                              OutboxMessage.dead_at.is_(None)))
    return int(timers or 0), int(waiting or 0), int(unsent or 0)


async def handled(engine: AsyncEngine) -> bool:
    """Every platform request kept in the inbox has been handled (as a person waits for the answer
    before the next step)."""
    return (await pending_work(engine))[1] == 0


@dataclass(frozen=True)
class Tally:
    """What the database says happened."""

    cases: Mapping[int, tuple[str, int]]  # case id -> (state, version)
    timers: tuple[tuple[int, str, int, bool], ...]  # (case id, kind, case version, fired)
    actions: Mapping[int, Counter[str]]  # case id -> audit actions
    reminders: Counter[tuple[int, str]]  # (case id, timer kind) -> "reminder:*" audit events
    escalated_from: Mapping[int, int]  # case id -> the version its escalation moved on from
    outbox_sent: int
    outbox_unsent: tuple[int, ...]
    outbox_dead: tuple[tuple[int, str], ...]  # (id, last error)
    audit_problems: tuple[Any, ...]

    def current_reminders(self) -> list[tuple[int, str]]:
        """(case, kind) of the reminders armed for the version each case escalated from."""
        return [(case_id, kind) for case_id, kind, version, _ in self.timers
                if kind in REMINDER_KINDS and self.escalated_from.get(case_id) == version]


async def tally(engine: AsyncEngine) -> Tally:
    async with engine.connect() as conn:
        cases = {row.id: (row.state, row.version) for row in await conn.execute(select(Case))}
        timers = tuple((row.case_id, row.kind, row.case_version, row.fired_at is not None)
                       for row in await conn.execute(select(Timer)))
        actions: dict[int, Counter[str]] = {case_id: Counter() for case_id in cases}
        reminders: Counter[tuple[int, str]] = Counter()
        escalated_from: dict[int, int] = {}
        for event in await conn.execute(select(AuditEvent)):
            actions[event.case_id][event.action] += 1
            if event.action.startswith("reminder:"):
                reminders[(event.case_id, event.payload.get("timer", ""))] += 1
            elif event.action == "escalate":
                escalated_from[event.case_id] = int(event.payload["version"]) - 1
        outbox = (await conn.execute(select(OutboxMessage))).all()
    async with make_session_factory(engine)() as session:
        problems = tuple(await verify(session, None))
    return Tally(
        cases=cases, timers=timers, actions=actions, reminders=reminders, escalated_from=escalated_from,
        outbox_sent=sum(1 for row in outbox if row.sent_at is not None),
        outbox_unsent=tuple(row.id for row in outbox if row.sent_at is None and row.dead_at is None),
        outbox_dead=tuple((row.id, row.last_error) for row in outbox if row.dead_at is not None),
        audit_problems=problems,
    )


def assert_every_effect_once(result: Tally) -> None:
    """Each timer fired; each case escalated once; each reminder acted once; every message sent."""
    unfired = [timer for timer in result.timers if not timer[3]]
    assert unfired == [], f"{len(unfired)} armed timers never fired: {unfired[:5]}"
    states = Counter(state for state, _ in result.cases.values())
    assert states == {"escalated": len(result.cases)}, f"case states: {dict(states)}"
    escalations = {case_id: c["escalate"] for case_id, c in result.actions.items() if c["escalate"] != 1}
    assert escalations == {}, f"cases escalated other than once: {escalations}"
    twice = {key: n for key, n in result.reminders.items() if n > 1}
    assert twice == {}, f"reminders that acted more than once (case, timer): {twice}"
    current = result.current_reminders()
    assert len(current) == len(REMINDER_KINDS) * len(result.cases), "the seeding armed other timers"
    lost = [key for key in current if result.reminders[key] != 1]
    assert lost == [], f"reminders armed for the current version that never acted: {lost}"
    assert result.outbox_dead == (), f"{len(result.outbox_dead)} dead-lettered, e.g. {result.outbox_dead[:3]}"
    assert result.outbox_unsent == (), f"{len(result.outbox_unsent)} committed messages never sent"
    assert result.audit_problems == (), f"audit chains broken: {result.audit_problems[:3]}"


# ---------------------------------------------------------------- processes


def child_env(db_url: str, **settings: str) -> dict[str, str]:
    """A bot process's environment: this database, the in-process Redis stand-in, unbuffered
    output (a SIGKILLed process loses its buffer, and the tests count what the console printed)."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    # Pacing off (its digests stand for several rows): these fakes keep no rate limits.
    env.update(DATABASE_URL=db_url, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", LOG_LEVEL="INFO",
               PLATFORM_PACING="false", **settings)
    return env


@contextmanager
def started(args: Sequence[str], env: Mapping[str, str], out: Path | None = None
            ) -> Iterator[subprocess.Popen[bytes]]:
    """`python ARGS` from the repo root; output to `out` (else pipes, stdin too). Killed on exit."""
    sink = out.open("ab") if out is not None else None
    try:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=dict(env),
            stdin=subprocess.DEVNULL if sink else subprocess.PIPE,
            stdout=sink or subprocess.PIPE, stderr=subprocess.STDOUT if sink else None,
        )
    finally:
        if sink is not None:
            sink.close()  # the child holds its own copy
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def deliveries(out: Path) -> int:
    """Messages the console channel printed: each begins with a '→ <recipient>' line."""
    return sum(1 for line in out.read_text(encoding="utf-8", errors="replace").splitlines()
               if line.startswith("→ "))


def tail(out: Path, chars: int = 2500) -> str:
    return out.read_text(encoding="utf-8", errors="replace")[-chars:]


async def wait_for(check: Callable[[], Awaitable[bool]], *, seconds: float, what: str,
                   alive: Sequence[tuple[subprocess.Popen[bytes], Path]] = ()) -> None:
    """Poll `check` until true; fail when a watched process exits early or the deadline passes."""
    end = time.monotonic() + seconds
    while not await check():
        for process, out in alive:
            assert process.poll() is None, f"exited with {process.returncode} before {what}:\n{tail(out)}"
        if time.monotonic() > end:
            logs = "\n".join(tail(out, 1200) for _, out in alive)
            raise AssertionError(f"no {what} within {seconds} s\n{logs}")
        await asyncio.sleep(0.05)
