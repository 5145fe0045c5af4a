"""The talk: HR schedules it, the manager confirms attending, HR records that it was held."""

from __future__ import annotations

from datetime import datetime

from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import (
    AFTER_TALK,
    TALK,
    approved,
    chinese,
    last_event,
    mark,
    ok,
    refusal,
    says,
    talk_scheduled,
    timers,
    told,
)


async def test_schedule_invites_the_employee_and_asks_the_manager_to_confirm(world: World) -> None:
    await approved(world)
    since = await mark(world)
    await ok(world, "wangfang", "schedule", when=TALK)
    case = await world.case()
    assert case.state == "talk_scheduled"
    assert case.record.talk_at == datetime(2024, 6, 4, 10, 0, tzinfo=SHANGHAI)
    assert (await last_event(world))[:3] == ("schedule", "scheduling_talk", "talk_scheduled")
    assert await timers(world) == {"talk_remind", "talk_record_remind"}
    sent = await told(world, since)
    assert [(m.to, m.kind, m.actions) for m in sent] == [("lee", "talk_confirm", ("confirm_attendance",)),
                                                         ("alice", "talk_invite", ())]
    assert all(chinese(m.text) for m in sent)  # lee and alice read Chinese


async def test_schedule_refusals(world: World) -> None:
    await approved(world)
    assert says(await world.act("wangfang", "schedule", when="next tuesday"), "h.bad_time", "zh-CN",
                value="next tuesday")
    assert says(await world.act("zhao", "schedule", when="soon"), "h.bad_time", "en", value="soon")
    past = refusal(await world.act("zhao", "schedule", when="2024-06-01 10:00"))
    far = refusal(await world.act("wangfang", "schedule", when="2024-06-20 10:00"))
    assert "2024" in past and not chinese(past) and chinese(far)
    assert chinese(refusal(await world.act("lee", "schedule", when=TALK)))  # only HR schedules
    assert (await world.case()).state == "scheduling_talk"


async def test_confirm_attendance_keeps_the_state_and_tells_who_scheduled(world: World) -> None:
    await talk_scheduled(world)
    before = await world.case()
    since = await mark(world)
    await ok(world, "lee", "confirm_attendance")
    case = await world.case()
    assert (case.state, case.version) == ("talk_scheduled", before.version + 1)
    assert case.record.attendance_confirmed_at
    assert (await last_event(world))[:3] == ("confirm_attendance", "talk_scheduled", "talk_scheduled")
    assert [(m.to, m.kind) for m in await told(world, since)] == [("wangfang", "case_update")]
    assert await timers(world) == {"talk_remind", "talk_record_remind"}  # re-armed for the new version


async def test_only_the_manager_confirms_attendance(world: World) -> None:
    await talk_scheduled(world)
    assert chinese(refusal(await world.act("wangfang", "confirm_attendance")))
    assert not (await world.case()).record.attendance_confirmed_at


async def test_record_talk_issues_the_document_and_hands_the_case_to_the_employee(world: World) -> None:
    await talk_scheduled(world)
    await ok(world, "lee", "confirm_attendance")
    world.clock.set(AFTER_TALK)
    since = await mark(world)
    await ok(world, "wangfang", "record_talk")
    case = await world.case()
    assert case.state == "awaiting_employee"
    assert case.record.document.version == 1 and len(case.record.document.sha256) == 64
    assert await timers(world) == {"employee_resend", "employee_unsigned", "employee_escalate"}
    sent = await told(world, since)
    assert [(m.to, m.kind) for m in sent] == [("alice", "employee_decision"), ("lee", "case_update")]
    assert {"acknowledge", "sign", "dispute", "ask_meeting"} <= set(sent[0].actions)
    card = (await world.sent_to("alice", "employee_decision"))[-1]
    assert "66000" in str(card.data).replace(",", "")  # the severance the facts give
    async with world.uow_factory() as uow:
        documents = await uow.documents.for_case(case.id)
    assert documents and {d.version for d in documents} == {1}


async def test_record_talk_needs_attendance_or_a_reason_to_go_without(world: World) -> None:
    await talk_scheduled(world)
    world.clock.set(AFTER_TALK)
    assert says(await world.act("wangfang", "record_talk"), "machine.refuse.attendance_unconfirmed", "zh-CN")
    assert says(await world.act("zhao", "record_talk"), "machine.refuse.attendance_unconfirmed", "en")
    assert (await world.case()).state == "talk_scheduled"
    await ok(world, "zhao", "record_talk", reason="The manager was ill; HR lead attended")
    assert (await world.case()).state == "awaiting_employee"
