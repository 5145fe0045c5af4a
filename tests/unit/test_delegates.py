"""Delegates: a manager or HR member away names a colleague until a day; cards, reminders and buttons
go to the delegate, the audit names both, and the limits (who, how long, separation of duties) hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.handlers.conftest import SHANGHAI, START, World
from tests.unit.steps import FACTS, in_review, last_event, ok, opened, refusal, says, supply_evidence, told
from workflow.availability import DELEGATION_MAX_DAYS
from workflow.evidence import requirements
from workflow.i18n import t
from workflow.model import Ground

UNTIL = "2024-06-14"  # a Friday, eleven days after START
EVIDENCE_REMINDER = datetime(2024, 6, 5, 9, 0, tzinfo=SHANGHAI)  # two working days after opening


async def delegate(world: World, who: str, whom: str, until: str = UNTIL) -> Any:
    return await world.act(who, "delegate", None, delegate=f"@{whom}", until=until)


async def test_a_delegate_gets_the_managers_reminders_and_acts_for_them(world: World) -> None:
    await opened(world)
    reply = await ok(world, "lee", "delegate", None, delegate="@mike", until=UNTIL)
    assert reply.messages[0].data["text"] == t("h.delegate.set.text", "zh-CN", name="Mike Wu", until=UNTIL)
    await world.advance_to(EVIDENCE_REMINDER)
    assert await world.sent_to("mike", "reminder") and not await world.sent_to("lee", "reminder")
    assert "snooze" in (await world.sent_to("mike", "reminder"))[0].actions
    # Mike presses what Lee could: evidence, then submit; the audit names both.
    await evidence_as(world, "mike")
    submitted = await ok(world, "mike", "submit")
    action, _from, to, payload = await last_event(world)
    assert (action, to) == ("submit", "hr_review")
    lee_id = (await world.case()).manager_id
    assert payload["acting_for"] == {"id": lee_id, "name": "李雷"}
    # Whoever is told who did it reads both names: "Mike Wu for 李雷" (Mike reads English).
    said = "\n".join(str(m.data.get("text", "")) for m in submitted.messages)
    assert t("h.delegate.acting", "en", delegate="Mike Wu", principal="李雷") in said
    # The timeline shows both too.
    timeline = await ok(world, "wangfang", "status")
    assert timeline.ok
    lines = str((await ok(world, "wangfang", "status", "C-0001")).messages[-1].data["text"])
    assert t("h.delegate.acting", "zh-CN", delegate="Mike Wu", principal="李雷") in lines


async def evidence_as(world: World, who: str) -> None:
    for req in requirements(Ground.INCOMPETENT):
        for n in range(req.min_count):
            await ok(world, who, "evidence", kind=sorted(req.accepts)[0],
                     content=f"{req.key} record {n + 1}: https://hr.example/{req.key}/{n}")


async def test_without_a_delegation_a_peer_manager_is_not_on_the_case(world: World) -> None:
    await opened(world)
    assert says(await world.act("mike", "submit"), "h.unknown_case", "en", ref="C-0001")


async def test_cards_go_back_when_the_delegation_ends_or_is_cancelled(world: World) -> None:
    await opened(world)
    await ok(world, "lee", "delegate", None, delegate="@mike", until="2024-06-04")
    # The delegation covers the whole of its last day, then the manager gets their reminders again.
    await world.advance_to(EVIDENCE_REMINDER)
    assert await world.sent_to("lee", "reminder") and not await world.sent_to("mike", "reminder")
    assert says(await world.act("mike", "submit"), "h.unknown_case", "en", ref="C-0001")
    await ok(world, "lee", "delegate", None, delegate="@mike", until=UNTIL)
    reply = await ok(world, "lee", "delegate", None, off=True)
    assert reply.messages[0].data["text"] == t("h.delegate.off.text", "zh-CN", name="Mike Wu")
    assert says(await world.act("lee", "delegate", None, off=True), "h.delegate.none", "zh-CN")


async def test_delegation_limits(world: World) -> None:
    await opened(world)
    assert says(await delegate(world, "lee", "lee"), "h.delegate.self", "zh-CN")
    assert says(await delegate(world, "lee", "mike", "2024-06-03"), "h.delegate.past", "zh-CN",
                days=DELEGATION_MAX_DAYS)
    too_late = (START.date() + timedelta(days=DELEGATION_MAX_DAYS + 1)).isoformat()
    assert says(await delegate(world, "lee", "mike", too_late), "h.delegate.too_long", "zh-CN",
                days=DELEGATION_MAX_DAYS)
    longest = (START.date() + timedelta(days=DELEGATION_MAX_DAYS)).isoformat()
    assert (await delegate(world, "lee", "mike", longest)).ok
    await ok(world, "lee", "delegate", None, off=True)
    assert says(await delegate(world, "lee", "nobody"), "h.unknown_person", "zh-CN", who="@nobody")
    # Only managers and HR delegate; HR only to HR (their cards carry pay).
    assert says(await delegate(world, "alice", "bob"), "h.delegate.not_allowed", "zh-CN")
    assert says(await delegate(world, "wangfang", "lee"), "h.delegate.not_hr", "zh-CN", name="李雷")
    # Not the employee of a case the manager acts on.
    assert says(await delegate(world, "lee", "alice"), "h.delegate.subject", "zh-CN", name="Alice Zhang",
                ref="C-0001")
    # Not someone who is away themselves.
    await ok(world, "mike", "delegate", None, delegate="@carol", until=UNTIL)
    assert says(await delegate(world, "lee", "mike"), "h.delegate.away", "zh-CN", name="Mike Wu")
    # A refusal changes nothing.
    async with world.uow_factory() as uow:
        lee = await uow.people.by_identity("console", "local", "lee")
    assert lee is not None and lee.delegate_id is None


async def test_a_delegate_never_acts_on_a_case_about_themselves(world: World) -> None:
    # Lee names Bob (who reports to him) before any case exists; then a case about Bob is opened.
    await ok(world, "lee", "delegate", None, delegate="@bob", until=UNTIL)
    await ok(world, "lee", "open", None, employee="@bob", ground="incompetent", note="绩效")
    assert says(await world.act("bob", "submit"), "h.unknown_case", "en", ref="C-0001")
    assert not (await world.act("bob", "status", "C-0001")).ok
    # The case's reminders stay with the manager: the delegate is its subject.
    await world.advance_to(EVIDENCE_REMINDER)
    assert await world.sent_to("lee", "reminder") and not await world.sent_to("bob", "reminder")


async def test_an_hr_approval_by_a_delegate_counts_as_the_delegates(world: World) -> None:
    # Lee opened the case and names 赵敏 (HR) as his delegate: her approval is one from the
    # manager's side, so a second HR approval is still needed (separation of duties).
    await in_review(world)
    await ok(world, "lee", "delegate", None, delegate="@zhao", until=UNTIL)
    await ok(world, "wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    await ok(world, "zhao", "approve")
    case = await world.case()
    assert case.state == "hr_review"
    zhao_id = case.record.approvals[0].by
    assert [a.opened_or_manages for a in case.record.approvals] == [True]
    await ok(world, "wangfang", "approve")
    case = await world.case()
    assert case.state == "scheduling_talk"
    assert {a.by for a in case.record.approvals} == {zhao_id, (await _id(world, "wangfang"))}


async def test_an_hr_delegate_gets_the_review_card_with_its_buttons(world: World) -> None:
    await opened(world)
    await supply_evidence(world)
    await ok(world, "wangfang", "delegate", None, delegate="@zhao", until=UNTIL)
    await ok(world, "lee", "submit")
    cards = {m.to: m for m in await told(world) if m.kind == "hr_review"}
    assert "zhao" in cards and "wangfang" not in cards
    assert "approve" in cards["zhao"].actions


async def test_the_delegate_command_reads_in_both_languages(world: World) -> None:
    from bot.router.parse import parse

    assert parse("委托 @王芳 至 2027年1月10日").args == {"delegate": "王芳", "until": "2027-01-10"}
    assert parse("/offboard delegate <@U1|mike> until 2027-01-10").args == {"delegate": "U1", "until": "2027-01-10"}
    assert parse("delegate off").args == {"off": True}
    assert parse("委托 取消").args == {"off": True}
    assert parse("delegate @mike until 2027-02-30").code == "router.bad_date"  # type: ignore[union-attr]
    assert parse("delegate @mike").code == "router.missing_arg.until"  # type: ignore[union-attr]
    reply = await world.act("lee", "delegate", None, delegate="@mike", until="2027-01-10")
    assert "90" in refusal(reply)


async def _id(world: World, who: str) -> int:
    async with world.uow_factory() as uow:
        person = await uow.people.by_identity("console", "local", who)
    assert person is not None
    return person.id


async def test_the_delegates_home_lists_the_cases_they_stand_in_for(world: World) -> None:
    from handlers.home import home

    await opened(world)
    before = await home(world.uow_factory, world.deps, "console", "local", "mike")
    assert before is not None and not [m for m in before if m.case_ref == "C-0001"]
    await ok(world, "lee", "delegate", None, delegate="@mike", until=UNTIL)
    after = await home(world.uow_factory, world.deps, "console", "local", "mike")
    assert after is not None
    [entry] = [m for m in after if m.case_ref == "C-0001"]
    assert "submit" in entry.actions or "withdraw" in entry.actions
