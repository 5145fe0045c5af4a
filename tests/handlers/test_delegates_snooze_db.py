"""Delegates and snooze on the real databases (SQLite and PostgreSQL, migrated to head): the
directory columns, the snoozes table and its update-in-place, and the held reminders' timers."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.handlers.conftest import SHANGHAI, START, World
from tests.unit.steps import last_event, ok, opened

EVIDENCE_REMINDER = datetime(2024, 6, 5, 9, 0, tzinfo=SHANGHAI)


async def test_delegate_snooze_and_working_hours_on_a_database(world: World) -> None:
    await opened(world)
    await ok(world, "lee", "delegate", None, delegate="@mike", until="2024-06-14")
    async with world.uow_factory() as uow:
        mike, principals = await uow.people.asking("console", "local", "mike", START)
        assert mike is not None and mike.name != "李雷"
        assert [p.name for p in principals] == ["李雷"]
        # Once the delegation has run out, Mike stands in for no one.
        assert (await uow.people.asking("console", "local", "mike", START + timedelta(days=30)))[1] == []
        await uow.people.upsert(mike.tenant_id, mike.employee_no, work_hours="10:00-18:00")
        await uow.commit()
    # A first snooze, then a longer one: the second replaces the first.
    await ok(world, "mike", "snooze", minutes=60)
    await ok(world, "mike", "snooze", minutes=2 * 24 * 60 + 90)
    assert (await last_event(world))[3]["acting_for"]["name"] == "李雷"
    case = await world.case()
    async with world.uow_factory() as uow:
        assert await uow.snoozes.until(case.id, mike.id) == START + timedelta(days=2, minutes=90)
    # The evidence reminder (Wednesday 09:00) is outside Mike's hours (from 10:00) and then still
    # snoozed (until 10:30).
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=10, minute=29))
    assert not await world.sent_to("mike", "reminder") and not await world.sent_to("lee", "reminder")
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=10, minute=30))
    assert len(await world.sent_to("mike", "reminder")) == 1
    assert not await world.sent_to("lee", "reminder")


async def test_who_stands_in_is_read_again_once_a_delegation_changes_in_the_transaction(world: World) -> None:
    await opened(world)
    async with world.uow_factory() as uow:
        mike, principals = await uow.people.asking("console", "local", "mike", START)
        assert mike is not None and principals == []
        lee, _ = await uow.people.asking("console", "local", "lee", START)
        assert lee is not None
        await uow.people.delegate(lee, mike.id, START + timedelta(days=3))
        assert [p.name for p in (await uow.people.asking("console", "local", "mike", START))[1]] == ["李雷"]
        # Later in the same transaction, past its end, he stands in for no one.
        assert (await uow.people.asking("console", "local", "mike", START + timedelta(days=4)))[1] == []
