"""The employee's turn: acknowledge, sign, dispute or ask for a meeting; HR's answers to a dispute
(revise, withdraw, proceed unilaterally); and the timer's escalation of silence, then notice served."""

from __future__ import annotations

from datetime import timedelta

from tests.handlers.conftest import World
from tests.unit.steps import (
    audit_actions,
    chinese,
    disputed,
    last_event,
    mark,
    ok,
    refusal,
    says,
    timers,
    told,
    with_employee,
)
from workflow.i18n import t

ITEM_OWNERS = {"lee", "liu", "chen", "sun", "wangfang"}


async def test_acknowledge_marks_the_card_read_and_stops_resending_it(world: World) -> None:
    await with_employee(world)
    before = await world.case()
    since = await mark(world)
    await ok(world, "alice", "acknowledge")
    case = await world.case()
    assert (case.state, case.version) == ("awaiting_employee", before.version + 1) and case.record.read_at
    assert (await last_event(world))[:3] == ("acknowledge", "awaiting_employee", "awaiting_employee")
    assert await timers(world) == {"employee_unsigned", "employee_escalate"}  # no resend once read
    assert await told(world, since) == []


async def test_sign_seals_a_signature_and_starts_the_handover(world: World) -> None:
    await with_employee(world)
    since = await mark(world)
    assert (await world.sign("alice")).ok
    case = await world.case()
    assert case.state == "handover" and case.record.signature.document_version == 1
    assert (await audit_actions(world))[-3:] == ["signature", "documents_issued", "sign"]
    async with world.uow_factory() as uow:
        [signature] = await uow.signatures.for_case(case.id)
        items = await uow.handover.for_case(case.id)
    assert signature.document_sha256 == case.record.document.sha256
    sent = await told(world, since)
    assert {m.to for m in sent if m.kind == "handover_item"} == ITEM_OWNERS
    assert len([m for m in sent if m.kind == "handover_item"]) == len(items)
    assert [(m.to, m.kind) for m in sent if m.kind == "case_update"] == [
        ("wangfang", "case_update"), ("zhao", "case_update"), ("lee", "case_update")]
    pending = await timers(world)
    assert {f"item_due:{i.id}" for i in items} <= pending and "certificate_due" in pending


async def test_only_the_employee_signs_and_only_what_they_were_shown(world: World) -> None:
    await with_employee(world)
    assert chinese(refusal(await world.act("lee", "sign")))
    assert not chinese(refusal(await world.act("zhao", "sign")))
    assert says(await world.act("alice", "sign", document_hash="0" * 64), "machine.refuse.document_stale", "zh-CN")
    assert (await world.case()).state == "awaiting_employee"


async def test_dispute_gives_hr_the_choices_and_tells_the_manager(world: World) -> None:
    await with_employee(world)
    since = await mark(world)
    await ok(world, "alice", "dispute", reason="PIP 目标从未与我确认")
    assert (await world.case()).state == "disputed"
    assert await timers(world) == {"dispute_remind"}
    sent = await told(world, since)
    assert [(m.to, m.kind, m.actions) for m in sent] == [
        ("wangfang", "dispute", ("revise", "withdraw", "proceed_unilateral")),
        ("zhao", "dispute", ("revise", "withdraw", "proceed_unilateral")),
        ("lee", "dispute", ())]
    assert all("PIP 目标从未与我确认" in m.text for m in sent)


async def test_dispute_needs_a_reason(world: World) -> None:
    await with_employee(world)
    assert says(await world.act("alice", "dispute"), "machine.refuse.reason_required", "zh-CN")
    assert (await world.case()).state == "awaiting_employee"


async def test_revise_issues_a_new_document_version_for_the_employee(world: World) -> None:
    await disputed(world)
    old = (await world.case()).record.document
    since = await mark(world)
    await ok(world, "wangfang", "revise", text="补偿增加一个月")
    case = await world.case()
    assert case.state == "awaiting_employee" and case.record.document.version == old.version + 1
    assert case.record.revision_note == "补偿增加一个月" and case.record.read_at is None
    assert [(m.to, m.kind) for m in await told(world, since)] == [("alice", "employee_decision"),
                                                                 ("lee", "case_update")]
    assert says(await world.act("alice", "sign", document_hash=old.sha256), "machine.refuse.document_stale",
                "zh-CN")
    await ok(world, "alice", "sign", document_hash=case.record.document.sha256)


async def test_withdraw_after_a_dispute_tells_the_employee_too(world: World) -> None:
    await disputed(world)
    since = await mark(world)
    await ok(world, "zhao", "withdraw", reason="Settled informally")
    case = await world.case()
    assert (case.state, case.outcome) == ("closed", "withdrawn")
    assert [(m.to, m.kind) for m in await told(world, since)] == [
        ("lee", "case_update"), ("alice", "case_update"), ("hr_group", "case_update")]
    assert await timers(world) == set()


async def test_proceed_unilateral_needs_the_notice_served_then_starts_the_handover(world: World) -> None:
    await disputed(world)
    assert says(await world.act("zhao", "proceed_unilateral"), "machine.refuse.notice_not_served", "en")
    assert says(await world.act("lee", "proceed_unilateral", text="EMS1"), "machine.refuse.party", "zh-CN",
                trigger=t("action.proceed_unilateral", "zh-CN"), allowed=t("machine.party.hr", "zh-CN"))
    since = await mark(world)
    await ok(world, "wangfang", "proceed_unilateral", proof="EMS1234567890CN")
    case = await world.case()
    assert case.state == "handover" and case.record.notice.proof == "EMS1234567890CN"
    async with world.uow_factory() as uow:
        kinds = await uow.evidence.kinds(case.id)
    assert kinds[-1] == "notice_service"
    sent = [(m.to, m.kind) for m in await told(world, since) if m.kind == "case_update"]
    assert sent == [("alice", "case_update"), ("lee", "case_update")]


async def test_ask_meeting_tells_hr_and_leaves_the_state(world: World) -> None:
    await with_employee(world)
    before = await world.case()
    since = await mark(world)
    await ok(world, "alice", "ask_meeting", text="想再谈一次补偿")
    case = await world.case()
    assert (case.state, case.version) == ("awaiting_employee", before.version + 1)
    assert (await last_event(world))[0] == "ask_meeting"
    sent = await told(world, since)
    assert [(m.to, m.kind) for m in sent] == [("wangfang", "meeting_request"), ("zhao", "meeting_request")]
    assert "想再谈一次补偿" in sent[0].text
    assert says(await world.act("lee", "ask_meeting"), "machine.refuse.party", "zh-CN",
                trigger=t("action.ask_meeting", "zh-CN"), allowed=t("machine.party.employee", "zh-CN"))
    assert says(await world.act("bob", "ask_meeting"), "h.unknown_case", "en", ref="C-0001")


async def test_the_timer_escalates_a_silent_employee_then_hr_records_notice_served(world: World) -> None:
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(days=7) - timedelta(seconds=1))
    assert (await world.case()).state == "awaiting_employee"
    since = await mark(world)
    assert await world.advance_to(entered + timedelta(days=7)) == 1
    assert (await world.case()).state == "escalated"
    action, before, after, payload = await last_event(world)
    assert (action, before, after, payload["timer"]) == ("escalate", "awaiting_employee", "escalated",
                                                        "employee_escalate")
    sent = await told(world, since)
    assert [(m.to, m.kind, m.actions) for m in sent] == [
        ("wangfang", "escalated", ("record_notice_served",)), ("zhao", "escalated", ("record_notice_served",)),
        ("hr_group", "case_update", ())]
    assert await timers(world) == set()

    assert says(await world.act("zhao", "record_notice_served"), "machine.refuse.proof_required", "en")
    assert says(await world.act("wangfang", "record_notice_served", text=""), "machine.refuse.proof_required",
                "zh-CN")
    await ok(world, "wangfang", "record_notice_served", text="EMS1234567890CN")
    case = await world.case()
    assert case.state == "handover" and case.record.notice.proof == "EMS1234567890CN"


async def test_a_stale_card_is_refused_with_the_current_one(world: World) -> None:
    await with_employee(world)
    version = (await world.case()).version
    await ok(world, "alice", "acknowledge")
    reply = await world.act("alice", "sign", version=version)
    assert not reply.ok and reply.messages[0].kind == "refusal" and chinese(refusal(reply))
    assert any(m.kind == "case" and m.case_version == version + 1 for m in reply.messages)
    assert (await world.case()).state == "awaiting_employee"


async def test_reminders_resend_the_unopened_card_then_warn_hr(world: World) -> None:
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=24) - timedelta(minutes=1))
    assert len(await world.sent_to("alice", "employee_decision")) == 1
    await world.advance_to(entered + timedelta(hours=24))
    assert len(await world.sent_to("alice", "employee_decision")) == 2
    assert "reminder:resend_employee_card" in await audit_actions(world)
    assert not await world.sent_to("wangfang", "reminder")
    await world.advance_to(entered + timedelta(days=3))  # Tue 11:00 + 3 working days = Fri 11:00
    assert [m.kind for m in await world.sent_to("wangfang", "reminder")] == ["reminder"]
    assert (await world.case()).state == "awaiting_employee"
