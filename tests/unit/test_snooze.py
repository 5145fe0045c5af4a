"""Snooze and working hours: a person holds back a case's reminders (at most a week, never past the
case's next deadline, never moving a deadline), and reminders wait for each person's working hours
in their own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.router.parse import parse_action
from tests.handlers.conftest import SHANGHAI, START, World
from tests.unit.steps import TALK, last_event, ok, opened, says, talk_scheduled, with_employee
from workflow.availability import SNOOZE_MAX
from workflow.i18n import t

EVIDENCE_REMINDER = datetime(2024, 6, 5, 9, 0, tzinfo=SHANGHAI)  # two working days after opening


async def pending(world: World) -> dict[str, datetime]:
    """The case's armed, unfired timers of its current version: kind -> due."""
    case = await world.case()
    async with world.uow_factory() as uow:
        return {tm.kind: tm.due_at for tm in await uow.timers.pending_for(case.id)
                if tm.case_version == case.version}


async def set_person(world: World, who: str, **fields: str) -> None:
    async with world.uow_factory() as uow:
        person = await uow.people.by_identity("console", "local", who)
        assert person is not None
        await uow.people.upsert(person.tenant_id, person.employee_no, **fields)
        await uow.commit()


async def test_a_snoozed_reminder_comes_when_the_snooze_ends(world: World) -> None:
    await opened(world)
    reply = await ok(world, "lee", "snooze", minutes=3 * 24 * 60)
    until = START + timedelta(days=3)
    assert reply.messages[0].data["text"] == t("h.snooze.set", "zh-CN", ref="C-0001", until="2024-06-06 09:00")
    action, _f, _t, payload = await last_event(world)
    assert action == "snooze" and datetime.fromisoformat(payload["until"]) == until
    await world.advance_to(EVIDENCE_REMINDER)
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(until - timedelta(minutes=1))
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(until)
    assert len(await world.sent_to("lee", "reminder")) == 1


async def test_a_snooze_is_capped_at_a_week(world: World) -> None:
    await opened(world)
    reply = await ok(world, "lee", "snooze", minutes=30 * 24 * 60)
    until = (START + SNOOZE_MAX).strftime("%Y-%m-%d %H:%M")
    assert reply.messages[0].data["text"] == t("h.snooze.set_limit", "zh-CN", ref="C-0001", until=until,
                                               days=SNOOZE_MAX.days)


async def test_a_snooze_never_passes_or_moves_a_legal_deadline(world: World) -> None:
    await with_employee(world)
    before = await pending(world)
    # The employee's answer period: HR is warned at 3 working days, the case escalates after 7 days.
    warn, escalate = before["employee_unsigned"], before["employee_escalate"]
    reply = await ok(world, "alice", "snooze", minutes=7 * 24 * 60)
    assert reply.messages[0].data["text"] == t(
        "h.snooze.set_deadline", "zh-CN", ref="C-0001", until=warn.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
    assert await pending(world) == before  # no deadline (nor any other timer) moved
    # The escalation still happens exactly when the law's period ends.
    await world.advance_to(escalate - timedelta(minutes=1))
    assert (await world.case()).state == "awaiting_employee"
    await world.advance_to(escalate)
    assert (await world.case()).state == "escalated"


async def test_no_snooze_when_the_deadline_is_at_hand(world: World) -> None:
    await talk_scheduled(world)
    world.clock.set(datetime.fromisoformat(TALK).replace(tzinfo=SHANGHAI) - timedelta(minutes=15))
    assert says(await world.act("lee", "snooze", minutes=120), "h.snooze.too_close", "zh-CN",
                ref="C-0001", deadline=TALK)


async def test_snooze_refusals(world: World) -> None:
    await opened(world)
    assert says(await world.act("chen", "snooze"), "h.unknown_case", "zh-CN", ref="C-0001")
    await ok(world, "lee", "withdraw", reason="误开")
    assert says(await world.act("lee", "snooze"), "h.snooze.closed", "zh-CN", ref="C-0001")


async def test_the_reminder_card_offers_snooze_and_the_press_reads_as_the_default(world: World) -> None:
    await opened(world)
    await world.advance_to(EVIDENCE_REMINDER)
    [reminder] = await world.sent_to("lee", "reminder")
    assert "snooze" in reminder.actions
    pressed = parse_action("snooze", "C-0001")
    assert pressed.name == "snooze" and pressed.args == {}  # type: ignore[union-attr]
    reply = await ok(world, "lee", "snooze")
    assert reply.messages[0].data["text"] == t("h.snooze.set", "zh-CN", ref="C-0001", until="2024-06-06 09:00")


async def test_a_reminder_waits_for_the_persons_working_hours(world: World) -> None:
    await set_person(world, "lee", work_hours="13:00-18:00")
    await opened(world)
    await world.advance_to(EVIDENCE_REMINDER)
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=12, minute=59))
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=13))
    assert len(await world.sent_to("lee", "reminder")) == 1


async def test_a_reminder_waits_for_the_morning_in_the_persons_time_zone(world: World) -> None:
    # Berlin is six hours behind Shanghai in June: 09:00 in Shanghai is 03:00 there.
    await set_person(world, "lee", timezone="Europe/Berlin", work_hours="09:00-17:00")
    await opened(world)
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=14, minute=59))
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=15))
    assert len(await world.sent_to("lee", "reminder")) == 1


async def test_the_companys_working_hours_apply_to_people_without_their_own(world: World) -> None:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant is not None
        tenant.settings = {**tenant.settings, "work_hours": "10:00-18:00"}
        await uow.commit()
    await opened(world)
    await world.advance_to(EVIDENCE_REMINDER)
    assert not await world.sent_to("lee", "reminder")
    await world.advance_to(EVIDENCE_REMINDER.replace(hour=10))
    assert len(await world.sent_to("lee", "reminder")) == 1
