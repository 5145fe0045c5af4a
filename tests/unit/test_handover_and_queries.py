"""The handover (owners tick their items; the last tick finishes the case) and the read-only
answers: status and the HR report."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models import HandoverItem
from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import (
    audit_actions,
    chinese,
    handles,
    in_handover,
    in_review,
    last_event,
    mark,
    ok,
    opened,
    refusal,
    says,
    timers,
    told,
)
from workflow.i18n import t

LAST_DAY_MORNING = datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI)  # the last day of the steps' case


async def items_by_owner(world: World) -> list[tuple[str, HandoverItem]]:
    case = await world.case()
    names = await handles(world)
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
    return [(names[f"person:{item.owner_id}"], item) for item in items]


async def test_an_owner_ticks_their_item(world: World) -> None:
    await in_handover(world)
    item = next(i for o, i in await items_by_owner(world) if o == "chen")
    reply = await ok(world, "chen", "complete_item", item=str(item.id))
    assert reply.messages[-1].kind == "item_done"
    assert (await last_event(world))[:3] == ("complete_item", "handover", "handover")
    assert (await last_event(world))[3]["item_id"] == item.id
    async with world.uow_factory() as uow:
        done = await uow.handover.get(item.id)
    assert done.done_at is not None
    pending = await timers(world)
    assert f"item_due:{item.id}" not in pending and "certificate_due" in pending


async def test_complete_item_refusals(world: World) -> None:
    await in_handover(world)
    item = next(i for o, i in await items_by_owner(world) if o == "chen")
    assert says(await world.act("sun", "complete_item", item=str(item.id)), "h.item_not_owner", "zh-CN",
                owner="陈工")
    count = len(await items_by_owner(world))
    assert says(await world.act("zhao", "complete_item", item="999"), "h.item_unknown", "en", ref="C-0001",
                id="999", count=str(count))
    await ok(world, "chen", "complete_item", item=str(item.id))
    assert chinese(refusal(await world.act("chen", "complete_item", item=str(item.id))))  # already done
    assert "refused:complete_item" in await audit_actions(world)


async def test_the_last_item_on_the_last_day_finishes_the_case_and_tells_everyone(world: World) -> None:
    await in_handover(world)
    owned = await items_by_owner(world)
    for owner, item in owned[:-1]:
        await ok(world, owner, "complete_item", item=str(item.id))
    assert (await world.case()).state == "handover"
    world.clock.set(LAST_DAY_MORNING)
    since = await mark(world)
    owner, item = owned[-1]
    await ok(world, owner, "complete_item", item=str(item.id))
    case = await world.case()
    assert (case.state, case.outcome) == ("closed", "completed")
    assert case.retain_until is not None and case.retain_until.year == 2026
    action, before, after, _payload = await last_event(world)
    assert (action, before, after) == ("finish", "handover", "closed")
    assert [(m.to, m.kind) for m in await told(world, since) if m.kind != "case_update"] == [
        ("lee", "closed"), ("alice", "closed")]
    assert ("hr_group", "case_update") in [(m.to, m.kind) for m in await told(world, since)]
    assert await timers(world) == set()


async def test_a_case_done_early_closes_on_the_last_day_and_not_before(world: World) -> None:
    """Every item ticked on 2024-06-04, the last day 2024-06-30: the employee is still employed, so
    the case stays in handover; HR cannot close it early (told why in their language), and it
    closes by itself at the end of the last day."""
    await in_handover(world)
    owned = await items_by_owner(world)
    for owner, item in owned[:-1]:
        await ok(world, owner, "complete_item", item=str(item.id))
    owner, item = owned[-1]
    done = await ok(world, owner, "complete_item", item=str(item.id))
    assert (await world.case()).state == "handover"
    # The one who ticked the last item is told when the case will close.
    assert t("machine.refuse.before_last_day", "zh-CN", last_day="2024-06-30") in [
        m.data["text"] for m in done.messages]
    assert says(await world.act("wangfang", "finish"), "machine.refuse.before_last_day", "zh-CN",
                last_day="2024-06-30")
    assert says(await world.act("zhao", "finish"), "machine.refuse.before_last_day", "en", last_day="2024-06-30")
    assert (await world.case()).state == "handover" and "finish" in await timers(world)
    await world.advance_to(LAST_DAY_MORNING)
    assert (await world.case()).state == "handover"
    await world.advance_to(LAST_DAY_MORNING.replace(hour=18))
    case = await world.case()
    assert (case.state, case.outcome, case.closed_at) == ("closed", "completed", LAST_DAY_MORNING.replace(hour=18))
    assert (await last_event(world))[:3] == ("finish", "handover", "closed")


async def test_hr_cannot_finish_while_items_are_open(world: World) -> None:
    await in_handover(world)
    open_items = len(await items_by_owner(world))
    assert says(await world.act("wangfang", "finish"), "machine.refuse.items_open", "zh-CN", count=open_items)
    assert says(await world.act("zhao", "finish"), "machine.refuse.items_open", "en", count=open_items)
    assert chinese(refusal(await world.act("lee", "finish")))  # and the manager may not at all
    assert (await world.case()).state == "handover"


async def test_status_lists_ones_cases_and_hr_sees_every_open_case(world: World) -> None:
    await opened(world)
    mine = await ok(world, "lee", "status", None)
    assert "C-0001" in mine.messages[0].data["text"] and chinese(mine.messages[0].data["text"])
    hr = await ok(world, "zhao", "status", None)
    assert "C-0001" in hr.messages[0].data["text"] and "Alice Zhang" in hr.messages[0].data["text"]
    nobody = await ok(world, "bob", "status", None)
    assert nobody.messages[0].data["text"] == t("h.status.empty", "en")


async def test_status_of_one_case_shows_its_timeline_to_its_people_only(world: World) -> None:
    await in_review(world)
    reply = await ok(world, "lee", "status")
    kinds = [m.kind for m in reply.messages]
    assert kinds == ["case", "timeline"]
    timeline = reply.messages[1].data["text"]
    assert timeline.count("\n") + 1 == len(await audit_actions(world))
    assert t("state.hr_review", "zh-CN") in timeline
    assert says(await world.act("bob", "status"), "h.unknown_case", "en", ref="C-0001")
    assert (await last_event(world))[0] == "refused:status"
    # HR reads the attempt in words, not the action's code name.
    hr_timeline = (await ok(world, "zhao", "status")).messages[1].data["text"]
    assert t("h.timeline.tagged", "en", tag=t("h.timeline.refused", "en"), label=t("action.status", "en")) \
        in hr_timeline
    # An event says what was done; the button's words ("Add evidence") are for what to do.
    assert f"· {t('h.timeline.action.evidence', 'en')}" in hr_timeline and t("action.evidence", "en") not in hr_timeline


async def test_the_report_is_for_hr_and_counts_open_cases_and_overdue_items(world: World) -> None:
    await in_handover(world)
    assert says(await world.act("lee", "report", None), "h.report.only_hr", "zh-CN")
    assert says(await world.act("bob", "report", None), "h.report.only_hr", "en")
    world.clock.set(world.clock.now() + timedelta(days=60))  # every item is past due
    reply = await ok(world, "zhao", "report", None)
    fields = dict(reply.messages[0].data["fields"])
    assert fields[t("h.report.by_state", "en")] == f"{t('state.handover', 'en')}: 1"
    overdue = fields[t("h.report.overdue", "en")].splitlines()
    assert len(overdue) == len(await items_by_owner(world)) and all(o.startswith("C-0001") for o in overdue)
    assert t("state.hr_review", "en") in fields[t("h.report.durations", "en")]


async def test_help_answers_in_the_askers_language_with_what_they_may_do(world: World) -> None:
    english, chinese_help = await ok(world, "bob", "help", None), await ok(world, "lee", "help", None)
    assert "/offboard" in english.messages[0].data["text"] and not chinese(english.messages[0].data["text"])
    assert chinese(chinese_help.messages[0].data["text"])
    assert "report" in (await ok(world, "zhao", "help", None)).messages[0].data["text"]
    assert "report" not in english.messages[0].data["text"]


async def test_items_are_numbered_within_their_case_and_the_row_id_never_shows(world: World) -> None:
    """`完成 C-0001 5` when the case has four items was accepted (global ids): numbers are 1..n."""
    async with world.uow_factory() as uow:  # another case's items come first in the table
        for _ in range(7):
            await uow.handover.add(HandoverItem(case_id=999, kind="laptop", owner_id=1,
                                                due_at=world.clock.now()))
        await uow.commit()
    await in_handover(world)
    owned = await items_by_owner(world)
    count = len(owned)
    number, (owner, item) = next((n, pair) for n, pair in enumerate(owned, start=1) if pair[0] == "chen")
    assert item.id > count  # the row id is not a number of this case
    (card,) = await world.sent_to(owner, "handover_item")
    assert card.data["item"] == number
    assert f"完成 C-0001 {number}" in card.data["text"] and str(item.id) not in card.data["text"]
    assert says(await world.act("chen", "complete_item", item=str(item.id)), "h.item_unknown", "zh-CN",
                ref="C-0001", id=str(item.id), count=str(count))
    assert says(await world.act("zhao", "complete_item", item=str(count + 1)), "h.item_unknown", "en",
                ref="C-0001", id=str(count + 1), count=str(count))
    assert (await ok(world, "chen", "complete_item", item=str(number))).messages[-1].kind == "item_done"
