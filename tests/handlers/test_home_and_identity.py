"""The home view (my cases, my items, the queue — overdue first) and linking chat accounts to the
directory by e-mail, with HR told once about accounts nobody knows."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers import identity
from handlers.contracts import Message
from handlers.home import CASE, SECTION, home
from tests.handlers.conftest import SHANGHAI, World


def _titles(entries: tuple[Message, ...]) -> list[str]:
    return [m.data["title"] for m in entries if m.data["title"]]


async def _open(world: World, who: str, employee: str) -> None:
    reply = await world.act(who, "open", None, employee=employee, ground="incompetent", note="")
    assert reply.ok, reply


async def test_home_shows_each_reader_what_is_theirs(world: World) -> None:
    await _open(world, "lee", "alice")
    await _open(world, "mike", "carol")
    lee = await home(world.uow_factory, world.deps, "console", "local", "lee")
    assert lee is not None
    assert _titles([m for m in lee if m.kind == SECTION][1:]) == ["我负责的案件", "我的待办"]
    [mine] = [m for m in lee if m.kind == CASE]
    assert mine.case_ref == "C-0001" and "withdraw" in mine.actions
    alice = await home(world.uow_factory, world.deps, "console", "local", "alice")
    assert [m.case_ref for m in alice if m.kind == CASE] == ["C-0001"]  # her own case
    assert await home(world.uow_factory, world.deps, "console", "local", "nobody") is None
    # Another tenant's reader sees none of this one's cases.
    other = await home(world.uow_factory, world.deps, "console", "other", "zhao")
    assert other is not None and not [m for m in other if m.kind == CASE]


async def test_the_hr_queue_puts_overdue_cases_first(world: World) -> None:
    await _open(world, "lee", "alice")  # C-0001
    world.clock.set(datetime(2024, 6, 3, 10, 0, tzinfo=SHANGHAI))
    await _open(world, "mike", "carol")  # C-0002, opened later
    queue = [m.case_ref for m in await home(world.uow_factory, world.deps, "console", "local", "zhao")
             if m.kind == CASE]
    assert queue == ["C-0001", "C-0002"]
    # Evidence keeps C-0001 moving; C-0002 sits idle until its manager is reminded: overdue.
    world.clock.set(datetime(2024, 6, 4, 9, 0, tzinfo=SHANGHAI))
    assert (await world.act("lee", "evidence", "C-0001", kind="performance", content="2023H2")).ok
    await world.advance_to(datetime(2024, 6, 5, 10, 30, tzinfo=SHANGHAI))
    entries = await home(world.uow_factory, world.deps, "console", "local", "zhao")
    queue = [(m.case_ref, "overdue" in m.data["text"]) for m in entries if m.kind == CASE]
    assert queue[0] == ("C-0002", True)
    assert ("C-0001", False) in queue


async def test_accounts_link_by_email_once_and_unknown_ones_reach_hr_once(world: World) -> None:
    factory = world.uow_factory
    assert await identity.member(factory, "slack", "local", "U1") is None
    member = await identity.link_by_email(factory, "console", "local", "U1", "Bob@Example.com")
    assert member is not None and member.name == "Bob Li" and member.locale == "en"
    assert (await identity.member(factory, "console", "local", "U1")) == member
    assert await identity.link_by_email(factory, "console", "local", "U2", "who@else.com") is None
    assert await identity.link_by_email(factory, "console", "nowhere", "U3", "bob@example.com") is None
    for _ in range(2):
        assert await identity.report_unknown(factory, world.clock.now(), "console", "local", "U2",
                                             name="Who", email="who@else.com")
    assert not await identity.report_unknown(factory, world.clock.now(), "console", "nowhere",
                                             "U2", name="Who", email="")
    async with factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        claimed = await uow.outbox.claim(world.clock.now() + timedelta(seconds=1), 100,
                                         timedelta(seconds=60))
    told = [m for m in claimed if m.kind == "unknown_user"]
    assert len(told) == 1 and told[0].tenant_id == tenant.id and told[0].recipient == "hr_group"
    assert "who@else.com" in told[0].payload["data"]["text"]
    contact = await identity.contact(factory, member.person_id, "console", "local")
    assert contact is not None and contact.account in ("bob", "U1")
