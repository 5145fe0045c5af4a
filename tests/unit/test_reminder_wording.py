"""Reminders say exactly what the ladder says (issue 16): the counts are the ladder's, a re-sent
card says it is a reminder, and no reminder claims "today" for a day that may have passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import in_handover, in_review, with_employee
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
    assert warning.data["text"] == t("policy.warn_hr_unsigned", "zh-CN", case="C-0001", days=days,
                                     read=t("policy.read.unopened", "zh-CN"))


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
