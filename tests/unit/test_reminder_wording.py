"""Reminders say exactly what the ladder says (issue 16): the counts are the ladder's, a re-sent
card says it is a reminder, and no reminder claims "today" for a day that may have passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import disputed, in_handover, in_review, with_employee
from workflow.i18n import t
from workflow.policy import LadderPolicy


async def test_a_resent_card_is_marked_as_a_reminder(world: World) -> None:
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=24))
    first, again = await world.sent_to("alice", "employee_decision")
    assert first.data["title"] == t("h.employee_card.title", "zh-CN", ref="C-0001")
    assert again.data["title"] == t("h.employee_card.reminder_title", "zh-CN", ref="C-0001")
    assert again.actions == first.actions  # still the card to answer


async def test_the_unsigned_warning_states_the_ladders_working_days(world: World) -> None:
    """Fired late (over a weekend), the count is still the ladder's, not the calendar days since."""
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(days=6))
    (warning,) = await world.sent_to("wangfang", "reminder")
    days = LadderPolicy().employee_unsigned_working_days
    escalates = (entered + timedelta(days=LadderPolicy().employee_escalate_days)).astimezone(SHANGHAI)
    assert warning.data["text"] == t("policy.warn_hr_unsigned", "zh-CN", case="C-0001", days=days,
                                     read=t("policy.read.unopened", "zh-CN"),
                                     due=f"{escalates:%Y-%m-%d %H:%M}（UTC+8）")


async def test_the_review_escalation_states_the_ladders_working_days(world: World) -> None:
    await in_review(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(days=12))
    texts = [m.data["text"] for m in await world.sent_to("zhao", "reminder")]
    days = LadderPolicy().review_escalate_working_days
    assert t("policy.escalate_hr_lead", "en", case="C-0001", days=days) in texts, texts


async def test_an_item_reminder_names_its_date_never_today(world: World) -> None:
    for locale in ("en", "zh-CN"):
        text = t("policy.remind_item_owner", locale, item="laptop", case="C-0001", due="D")
        assert "today" not in text.lower() and "今天" not in text and "D" in text
    await in_handover(world)
    reminders = []
    for _day in range(30):
        await world.advance_to(world.clock.now() + timedelta(days=1))
        reminders = await world.sent_to("chen", "reminder")
        if reminders:
            break
    assert reminders and "截止时间是 20" in reminders[0].data["text"], reminders


async def test_the_transfer_reminder_names_the_fifteen_day_deadline_not_the_last_day(world: World) -> None:
    """LCL Art. 50: the file and social-insurance transfer are due 15 days after the last day
    (2024-06-30), so the nudge on that day names 2024-07-15."""
    await in_handover(world)
    await world.advance_to(datetime(2024, 7, 15, 9, 30, tzinfo=SHANGHAI))
    texts = [m.data["text"] for m in await world.sent_to("wangfang", "reminder")]
    assert t("policy.transfer_deadline", "zh-CN", case="C-0001", due="2024-07-15") in texts, texts


async def set_company(world: World, zone: str, locale: str) -> None:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        tenant.timezone, tenant.settings = zone, {**tenant.settings, "locale": locale}
        await uow.commit()


async def group_reminders(world: World) -> list[str]:
    return [m.payload["data"]["text"] for m in await world.outbox()
            if m.recipient == "hr_group" and m.kind == "reminder"]


async def test_a_review_reminder_states_by_when_in_the_readers_time_zone(world: World) -> None:
    """Submitted Monday 09:00 (Shanghai): the HR group is reminded a working day later that the case
    goes to the HR lead three working days after submission, Thursday 09:00 — said in the
    company's time zone, which the sentence names."""
    await in_review(world)
    await world.advance_to(datetime(2024, 6, 4, 9, 0, tzinfo=SHANGHAI))
    assert await group_reminders(world) == [
        t("policy.remind_hr_review", "zh-CN", case="C-0001", due="2024-06-06 09:00（UTC+8）")]


async def test_a_company_elsewhere_reads_its_own_clock(world: World) -> None:
    await set_company(world, "Europe/London", "en")  # the same instant, 01:00 UTC, is 02:00 BST
    await in_review(world)
    await world.advance_to(datetime(2024, 6, 4, 9, 0, tzinfo=SHANGHAI))
    assert await group_reminders(world) == [
        t("policy.remind_hr_review", "en", case="C-0001", due="2024-06-06 02:00 (UTC+1)")]


async def test_the_card_sent_again_says_by_when_to_answer(world: World) -> None:
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=24))
    _first, again = await world.sent_to("alice", "employee_decision")
    escalates = (entered + timedelta(days=LadderPolicy().employee_escalate_days)).astimezone(SHANGHAI)
    assert again.data["fields"][0] == [t("h.field.answer_by", "zh-CN"), f"{escalates:%Y-%m-%d %H:%M}（UTC+8）"]


async def test_an_item_reminder_names_its_due_time_and_zone(world: World) -> None:
    await in_handover(world)
    case = await world.case()
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        chen = await uow.people.by_identity("console", "local", "chen")
    due = min(i.due_at for i in items if i.owner_id == chen.id)
    await world.advance_to(due)
    [reminder] = await world.sent_to("chen", "reminder")
    assert f"{due.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（UTC+8）" in reminder.data["text"]


async def test_a_waiting_dispute_says_since_when_and_what_hr_can_do(world: World) -> None:
    await disputed(world)
    raised = (await world.case()).state_entered_at
    await world.advance_to(raised + timedelta(days=4))
    texts = [m.data["text"] for m in await world.sent_to("zhao", "reminder")]
    assert t("policy.remind_hr_dispute", "en", case="C-0001",
             since=f"{raised.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (UTC+8)") in texts, texts
