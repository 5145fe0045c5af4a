"""A small company in a fresh database, and a way to act in it as any of its people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.contracts import Inbound, Reply, from_payload
from handlers.deps import Deps, build_deps
from handlers.dispatch import handle
from handlers.signing.links import resolve_links
from handlers.timers import fire_due
from storage.models import Case, OutboxMessage
from storage.uow import UnitOfWork
from workflow.clock import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 6, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday

# handle: (employee no., name, roles, manager handle, locale, hire date)
PEOPLE = {
    "lee": ("M001", "李雷", "manager", None, "zh-CN", date(2015, 1, 5)),
    "alice": ("E001", "Alice Zhang", "", "lee", "zh-CN", date(2019, 3, 15)),
    "bob": ("E002", "Bob Li", "", "lee", "en", date(2021, 9, 1)),
    "wangfang": ("H001", "王芳", "hr", None, "zh-CN", date(2016, 2, 1)),
    "zhao": ("H002", "赵敏", "hr;hr_lead", None, "en", date(2012, 7, 1)),
    "chen": ("I001", "陈工", "it", None, "zh-CN", date(2018, 1, 1)),
    "liu": ("A001", "刘行政", "admin", None, "zh-CN", date(2018, 1, 1)),
    "sun": ("F001", "孙财务", "finance", None, "zh-CN", date(2018, 1, 1)),
    "mike": ("M002", "Mike Wu", "manager", None, "en", date(2017, 1, 1)),
    "carol": ("E003", "Carol Xu", "", "mike", "en", date(2022, 1, 1)),
}


@dataclass
class World:
    uow_factory: Callable[[], UnitOfWork]
    deps: Deps
    clock: ManualClock
    delivery: int = 0

    async def act(self, who: str, name: str, case_ref: str | None = "C-0001", *,
                  version: int | None = None, delivery_id: str | None = None,
                  platform_tenant: str = "local", **args: Any) -> Reply:
        return await handle(Inbound(platform="console", platform_tenant=platform_tenant, user_id=who,
                                    name=name, case_ref=case_ref, case_version=version, args=args,
                                    delivery_id=delivery_id), self.uow_factory, self.deps)

    async def sign(self, who: str = "alice", case_ref: str = "C-0001", *,
                   version: int | None = None) -> Reply:
        """Sign as in chat: the press brings the confirmation step (nothing signed yet), and its
        button, which names the hash it showed, signs. A refused press is returned as it is."""
        step = await self.act(who, "sign", case_ref, version=version)
        shown = [m for m in step.messages if m.kind == "sign_confirm"]
        if not step.ok or not shown:
            return step
        return await self.act(who, "sign", case_ref, version=shown[0].case_version,
                              document_hash=shown[0].data["document_hash"])

    async def case(self, ref: str = "C-0001") -> Case:
        async with self.uow_factory() as uow:
            tenant = await uow.tenants.by_key("console:local")
            case = await uow.cases.by_ref(tenant.id, ref)
            assert case is not None
            return case

    async def outbox(self) -> list[OutboxMessage]:
        case = await self.case()
        async with self.uow_factory() as uow:
            return await uow.outbox.for_case(case.id)

    async def sent_to(self, who: str, kind: str | None = None) -> list:
        """Outbox messages addressed to one person (by console handle), oldest first."""
        async with self.uow_factory() as uow:
            person = await uow.people.by_identity("console", "local", who)
        assert person is not None
        # As the relay sends them: signing-link references made links.
        return [from_payload(resolve_links(m.payload, self.deps)) for m in await self.outbox()
                if m.recipient == f"person:{person.id}" and (kind is None or m.kind == kind)]

    async def advance_to(self, instant: datetime) -> int:
        """Move the clock and fire whatever fell due (as the worker would), returning how many acted."""
        self.clock.set(instant)
        fired = 0
        while acted := await fire_due(self.uow_factory, self.deps):
            fired += acted
        return fired


async def make_world(uow_factory: Callable[[], UnitOfWork], clock: ManualClock, *,
                     everyone: str | None = None) -> World:
    """`everyone`: one locale for every person (and the company), instead of PEOPLE's mix."""
    async with uow_factory() as uow:
        for key in ("console:local", "console:other"):
            tenant = await uow.tenants.get_or_create(
                key, name=key, timezone="Asia/Shanghai",
                settings={"locale": everyone} if everyone else {})
            ids: dict[str, int] = {}
            for handle_, (no, name, roles, _mgr, locale, hired) in PEOPLE.items():
                person = await uow.people.upsert(tenant.id, no, name=name, roles=roles.replace(";", ","),
                                                 locale=everyone or locale, hire_date=hired,
                                                 email=f"{handle_}@example.com")
                ids[handle_] = person.id
                platform_tenant = key.split(":")[1]
                await uow.people.link_identity(person.id, "console", platform_tenant, handle_)
            for handle_, (no, *_rest) in PEOPLE.items():
                manager = PEOPLE[handle_][3]
                if manager:
                    await uow.people.upsert(tenant.id, no, manager_id=ids[manager])
        await uow.commit()
    return World(uow_factory=uow_factory, deps=build_deps(clock), clock=clock)


@pytest.fixture
async def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    return await make_world(uow_factory, ManualClock(START))
