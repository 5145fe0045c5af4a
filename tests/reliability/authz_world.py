"""One case in every state, and the people who try things on it: the authorisation matrix's world.

The company (console tenant "local") has a manager with two reports, another manager, HR, and the
handover owners; a second tenant ("other") has an HR member whose platform user id is the same
string as our HR member's, as WeCom user ids of two corps can be. The case (C-0001, Alice, ground
`incompetent`) is driven through the real entry point, `handlers.dispatch.handle`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.contracts import Inbound, Reply
from handlers.deps import Deps, build_deps
from handlers.dispatch import handle
from handlers.timers import fire_due
from storage.db import make_engine, make_session_factory
from storage.models import AuditEvent, Case, EvidenceItem, HandoverItem, OutboxMessage, Tenant, Timer
from storage.uow import UnitOfWork
from workflow.actions import ACTIONS, Action
from workflow.clock import ManualClock
from workflow.evidence import requirements
from workflow.model import Ground, Party, State

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2024, 6, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday
TALK_AT = "2024-06-04 10:00"
TALKED = datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI)
LAST_DAY = datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI)  # FACTS' last day
MOVED_TO = "2024-06-04 17:00"  # a time HR may move the talk to, seen from before and after it
REF = "C-0001"
GROUND = Ground.INCOMPETENT
FACTS = {"hired": "2019-03-15", "last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500",
         "local_avg": "10000", "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes"}

# handle: (employee no., name, roles, manager handle, locale)
LOCAL_PEOPLE = {
    "lee": ("M001", "李雷", "manager", None, "zh-CN"),
    "alice": ("E001", "Alice Zhang", "", "lee", "zh-CN"),
    "bob": ("E002", "Bob Li", "", "lee", "en"),
    "mike": ("M002", "Mike Wu", "manager", None, "en"),
    "wangfang": ("H001", "王芳", "hr", None, "zh-CN"),
    "chen": ("I001", "陈工", "it", None, "zh-CN"),
    "liu": ("A001", "刘行政", "admin", None, "zh-CN"),
    "sun": ("F001", "孙财务", "finance", None, "zh-CN"),
    "zhou": ("H002", "Zhou Min", "hr", None, "en"),  # a second HR member (two approvals)
    "xiao": ("H003", "萧红", "hr", "alice", "zh-CN"),  # HR who reports to the employee
}
OTHER_PEOPLE = {"wangfang": ("H001", "Wang Fang (other corp)", "hr,manager", None, "en")}


@dataclass(frozen=True)
class Actor:
    platform_tenant: str
    user_id: str
    locale: str  # the locale their answers must be in
    in_tenant: bool  # a directory member of the case's tenant (their refusals are audited)


# The matrix's columns: who tries.
ROLES: dict[str, Actor] = {
    "manager": Actor("local", "lee", "zh-CN", True),
    "other_manager": Actor("local", "mike", "en", True),
    "hr": Actor("local", "wangfang", "zh-CN", True),
    "employee": Actor("local", "alice", "zh-CN", True),
    "other_employee": Actor("local", "bob", "en", True),  # a peer: same manager as the employee
    "assignee": Actor("local", "chen", "zh-CN", True),  # owns account_revocation in handover
    "stranger": Actor("local", "ghost", "zh-CN", False),  # no directory entry at all
    "other_tenant": Actor("other", "wangfang", "en", False),
    "hr_reporting": Actor("local", "xiao", "zh-CN", True),  # HR, but the case is about their manager
}

Factory = Callable[[], UnitOfWork]


def _evidence_args() -> list[dict[str, str]]:
    return [{"kind": sorted(req.accepts)[0], "content": f"{req.key} record {n + 1}: https://hr.example/{req.key}/{n}"}
            for req in requirements(GROUND) for n in range(req.min_count)]


async def seed(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        for platform_tenant, people in (("local", LOCAL_PEOPLE), ("other", OTHER_PEOPLE)):
            tenant = await uow.tenants.get_or_create(f"console:{platform_tenant}", name=platform_tenant,
                                                     timezone="Asia/Shanghai")
            ids: dict[str, int] = {}
            for handle_, (no, name, roles, _manager, locale) in people.items():
                person = await uow.people.upsert(tenant.id, no, name=name, roles=roles, locale=locale,
                                                 hire_date=date(2019, 3, 15),
                                                 email=f"{handle_}@{platform_tenant}.example")
                await uow.people.link_identity(person.id, "console", platform_tenant, handle_)
                ids[handle_] = person.id
            for no, _name, _roles, manager, _locale in people.values():
                if manager:
                    await uow.people.upsert(tenant.id, no, manager_id=ids[manager])
        await uow.commit()


class Driver:
    """Takes C-0001 from one state to the next through dispatch, on a hand-set clock."""

    def __init__(self, uow_factory: Factory, now: datetime) -> None:
        self.uow_factory = uow_factory
        self.clock = ManualClock(now)
        self.deps = build_deps(self.clock)

    async def act(self, who: str, name: str, ref: str | None = REF, **args: Any) -> Reply:
        reply = await handle(Inbound(platform="console", platform_tenant="local", user_id=who, name=name,
                                     case_ref=ref, args=args), self.uow_factory, self.deps)
        assert reply.ok, (who, name, [m.data for m in reply.messages])
        return reply

    async def to_collecting(self) -> None:
        """Opened, facts confirmed, every required piece of evidence in: ready to submit."""
        await self.act("lee", "open", None, employee="@alice", ground=GROUND.value, note="两个季度绩效未达标")
        await self.act("wangfang", "facts", facts={**FACTS, "confirm": "yes"})
        for args in _evidence_args():
            await self.act("lee", "evidence", **args)

    async def step(self, state: State) -> None:
        """From the state before `state` on the main line (or awaiting_employee for the branches)."""
        match state:
            case State.HR_REVIEW:
                await self.act("lee", "submit")
            case State.SCHEDULING_TALK:
                await self.act("wangfang", "approve")
            case State.TALK_SCHEDULED:
                await self.act("wangfang", "schedule", when=TALK_AT)
                # The talk has been held: recording it is possible (not before its time).
                self.clock.set(TALKED)
            case State.AWAITING_EMPLOYEE:
                await self.act("lee", "confirm_attendance")
                self.clock.set(TALKED)
                await self.act("wangfang", "record_talk")
            case State.DISPUTED:
                await self.act("alice", "dispute", reason="PIP 目标不合理")
            case State.ESCALATED:
                self.clock.set(TALKED + timedelta(days=7))
                while await fire_due(self.uow_factory, self.deps):
                    pass
            case State.HANDOVER:
                self.clock.set(TALKED + timedelta(hours=1))
                step = await self.act("alice", "sign")  # the confirmation step; its button signs
                await self.act("alice", "sign", document_hash=step.messages[0].data["document_hash"])
            case State.CLOSED:
                self.clock.set(LAST_DAY)  # a case closes no earlier than the last day
                owners = await self.item_owners()
                for item_id, owner in owners.items():
                    await self.act(owner, "complete_item", item=str(item_id))
        assert (await case_row(self.uow_factory)).state == state.value

    async def item_owners(self) -> dict[int, str]:
        """Open handover item id -> the console handle of its owner."""
        async with self.uow_factory() as uow:
            case = await uow.cases.by_ref((await uow.tenants.by_key("console:local")).id, REF)
            assert case is not None
            result = {}
            for item in await uow.handover.for_case(case.id):
                if item.done_at is None:
                    owner = await uow.people.get(item.owner_id)
                    result[item.id] = next(h for h, p in LOCAL_PEOPLE.items() if p[0] == owner.employee_no)
            return result


MAIN_LINE = (State.HR_REVIEW, State.SCHEDULING_TALK, State.TALK_SCHEDULED, State.AWAITING_EMPLOYEE,
             State.HANDOVER, State.CLOSED)
BRANCHES = (State.DISPUTED, State.ESCALATED)  # each taken from awaiting_employee


async def case_row(uow_factory: Factory) -> Case:
    async with uow_factory() as uow:
        case = await uow.cases.by_ref((await uow.tenants.by_key("console:local")).id, REF)
        assert case is not None
        return case


async def assignee_item(uow_factory: Factory) -> int | None:
    """The id of the handover item the assignee (IT) owns, once there are items."""
    async with uow_factory() as uow:
        case = await uow.cases.by_ref((await uow.tenants.by_key("console:local")).id, REF)
        assert case is not None
        chen = await uow.people.by_identity("console", "local", "chen")
        return next((i.id for i in await uow.handover.for_case(case.id) if i.owner_id == chen.id), None)


async def drive_to(uow_factory: Factory, state: State) -> Driver:
    """A fresh (seeded) database's case taken straight to `state`; the driver's clock is left there."""
    driver = Driver(uow_factory, OPENED)
    await driver.to_collecting()
    if state in BRANCHES:
        path: tuple[State, ...] = (*MAIN_LINE[:MAIN_LINE.index(State.AWAITING_EMPLOYEE) + 1], state)
    elif state == State.COLLECTING_EVIDENCE:
        path = ()
    else:
        path = MAIN_LINE[:MAIN_LINE.index(state) + 1]
    for step in path:
        await driver.step(step)
    return driver


@dataclass(frozen=True)
class Snapshot:
    """A SQLite file holding the case in one state, and the instant it reached that state."""

    state: State
    path: Path
    now: datetime
    item_id: int | None  # the assignee's handover item, where items exist

    def copy_to(self, target: Path) -> Path:
        shutil.copyfile(self.path, target)
        return target


def deps_at(now: datetime) -> Deps:
    """Handler dependencies on a clock stopped at `now`."""
    return build_deps(ManualClock(now))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class StateCopy:
    """A private copy of one state's database, renewed whenever a request changed it."""

    def __init__(self, snapshot: Snapshot, path: Path) -> None:
        self.snapshot, self.path = snapshot, path
        self.engine: AsyncEngine | None = None

    def uow_factory(self) -> UnitOfWork:
        assert self.engine is not None
        return UnitOfWork(make_session_factory(self.engine))

    async def fresh(self) -> None:
        await self.close()
        self.snapshot.copy_to(self.path)
        self.engine = make_engine(sqlite_url(self.path))

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None


async def _build(directory: Path, migrated: Path) -> dict[State, Snapshot]:
    snapshots: dict[State, Snapshot] = {}

    async def run(path: Path, now: datetime, states: tuple[State, ...], *, fresh: bool) -> None:
        engine = make_engine(sqlite_url(path))
        try:
            driver = Driver(lambda: UnitOfWork(make_session_factory(engine)), now)
            if fresh:
                await seed(driver.uow_factory)
                await driver.to_collecting()
            for state in states:
                if not (fresh and state == State.COLLECTING_EVIDENCE):
                    await driver.step(state)
                item_id = await assignee_item(driver.uow_factory)
                # Closing every connection folds the WAL into the file: copying the file copies all.
                await engine.dispose()
                target = shutil.copyfile(path, directory / f"{state.value}.db")
                snapshots[state] = Snapshot(state, target, driver.clock.now(), item_id)
        finally:
            await engine.dispose()

    await run(shutil.copyfile(migrated, directory / "work.db"), OPENED,
              (State.COLLECTING_EVIDENCE, *MAIN_LINE), fresh=True)
    awaiting = snapshots[State.AWAITING_EMPLOYEE]
    for branch in BRANCHES:
        await run(awaiting.copy_to(directory / f"{branch.value}-work.db"), awaiting.now, (branch,), fresh=False)
    return snapshots


def build_snapshots(directory: Path, migrated: Path) -> dict[State, Snapshot]:
    """Every state's snapshot, built once (sync: for a module-scoped fixture)."""
    return asyncio.run(_build(directory, migrated))


# ------------------------------------------------------------------ what a request changed


@dataclass(frozen=True)
class Footprint:
    """Everything about the case a request could change, counted (audit events aside)."""

    state: str
    version: int
    evidence: int
    items_done: int
    timers: int
    outbox: int
    cases: int
    last_audit_id: int = field(compare=False)


def _count(model: Any, *where: Any) -> Any:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


async def observe(uow_factory: Factory, events_after: int | None = None) -> tuple[Footprint, list[AuditEvent]]:
    """The case's footprint, and the audit events after `events_after` (one short transaction)."""
    async with uow_factory() as uow:
        local = select(Tenant.id).where(Tenant.key == "console:local").scalar_subquery()
        case_id = select(Case.id).where(Case.tenant_id == local, Case.ref == REF).scalar_subquery()
        row = (await uow.session.execute(select(
            Case.state, Case.version,
            _count(EvidenceItem, EvidenceItem.case_id == case_id),
            _count(HandoverItem, HandoverItem.case_id == case_id, HandoverItem.done_at.is_not(None)),
            _count(Timer), _count(OutboxMessage), _count(Case),
            select(func.coalesce(func.max(AuditEvent.id), 0)).scalar_subquery(),
        ).where(Case.id == case_id))).one()
        events: list[AuditEvent] = []
        if events_after is not None:
            query = select(AuditEvent).where(AuditEvent.id > events_after).order_by(AuditEvent.id)
            events = list((await uow.session.scalars(query)).all())
    return Footprint(*row), events


# ------------------------------------------------------------------ the matrix, generated from the action table

# What each column is to C-0001, by the directory alone. The employee becomes a party once a talk is
# scheduled; the assignee owns an item only in handover; the other tenant's HR is HR of their own tenant.
_BEFORE_THE_TALK = (State.COLLECTING_EVIDENCE, State.HR_REVIEW, State.SCHEDULING_TALK)
_CASE_PARTIES: dict[str, Callable[[State], frozenset[Party]]] = {
    "manager": lambda _s: frozenset({Party.MANAGER}),
    "hr": lambda _s: frozenset({Party.HR}),
    "employee": lambda s: frozenset() if s in _BEFORE_THE_TALK else frozenset({Party.EMPLOYEE}),
    "assignee": lambda s: frozenset({Party.ASSIGNEE}) if s == State.HANDOVER else frozenset(),
}
# Caseless actions: who may, by role (open: Alice's manager or HR; report and the company profile:
# HR, of their own tenant).
_HR_OF_A_TENANT = frozenset({"hr", "other_tenant", "hr_reporting"})
_CASELESS_MAY = {"open": frozenset({"manager", "hr"}), "report": _HR_OF_A_TENANT, "company": _HR_OF_A_TENANT}
# The guards this world's case trips for someone with the right: Alice's case is open until it closes
# (a second one may not be opened), and in handover the items are not done yet (finish waits).
_TRIPPED = {("open", state) for state in State if state != State.CLOSED} | {("finish", State.HANDOVER)}


def expected_cell(action: Action, state: State, role: str) -> str:
    """"ok", "." or "guard" for `role` trying `action` on C-0001 in `state`, from the action's spec."""
    if action.caseless:
        allowed = role in _CASELESS_MAY[action.name]
    else:
        allowed = not _CASE_PARTIES.get(role, lambda _s: frozenset())(state).isdisjoint(action.parties_in(state))
    if not allowed:
        return "."
    return "guard" if (action.name, state) in _TRIPPED else "ok"


def render_matrix(header: str) -> str:
    """authz_matrix.txt: `header` (its comment lines), then one row per action and state."""
    widths = (22, 21)
    lines = [header.rstrip("\n"), "",
             ("action".ljust(widths[0]) + "state".ljust(widths[1]) + "".join(r.ljust(16) for r in ROLES)).rstrip()]
    for action in ACTIONS:
        lines.append("")
        for state in State:
            cells = "".join(expected_cell(action, state, role).ljust(16) for role in ROLES)
            lines.append((action.name.ljust(widths[0]) + state.value.ljust(widths[1]) + cells).rstrip())
    return "\n".join(lines) + "\n"


def matrix_header(text: str) -> str:
    """The comment lines that open the matrix file (kept as written when the rows are regenerated)."""
    return "\n".join(line for line in text.splitlines() if line.startswith("#")) + "\n"


if __name__ == "__main__":  # regenerate the rows after changing the action table
    matrix = Path(__file__).with_name("authz_matrix.txt")
    matrix.write_text(render_matrix(matrix_header(matrix.read_text(encoding="utf-8"))), encoding="utf-8")
