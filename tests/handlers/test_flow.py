"""A whole case through the handlers on both databases: every state, who is told what, the audit chain."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.audit import verify
from tests.handlers.conftest import SHANGHAI, World
from workflow.evidence import requirements
from workflow.i18n import t
from workflow.model import Ground

T1_FACTS = {"last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000",
            "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes"}


async def supply_evidence(world: World, ground: Ground = Ground.INCOMPETENT, ref: str = "C-0001") -> None:
    for req in requirements(ground):
        for n in range(req.min_count):
            reply = await world.act("lee", "evidence", ref, kind=sorted(req.accepts)[0],
                                    content=f"{req.key} record {n + 1}: https://hr.example/{req.key}/{n}")
            assert reply.ok, reply.messages


async def to_review(world: World) -> None:
    assert (await world.act("lee", "open", None, employee="@alice", ground="incompetent",
                            note="两个季度绩效未达标，培训后仍不能胜任")).ok
    await supply_evidence(world)
    assert (await world.act("lee", "submit")).ok


async def to_employee(world: World) -> None:
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "confirm": "yes"})).ok
    assert (await world.act("wangfang", "approve")).ok
    assert (await world.act("wangfang", "schedule", when="2024-06-04 10:00")).ok
    assert (await world.act("lee", "confirm_attendance")).ok
    world.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI))
    assert (await world.act("wangfang", "record_talk")).ok


async def test_a_case_runs_from_open_to_closed(world: World) -> None:
    await to_employee(world)
    case = await world.case()
    assert case.state == "awaiting_employee"
    card = (await world.sent_to("alice", "employee_decision"))[-1]
    text = str(card.data)
    assert "66000" in text.replace(",", "") and "12500" in text.replace(",", "")  # T1 figures
    assert set(card.actions) >= {"acknowledge", "sign", "dispute", "ask_meeting"}

    assert (await world.sign("alice", version=card.case_version)).ok
    case = await world.case()
    assert case.state == "handover"
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        owners = {i.kind: (await uow.people.get(i.owner_id)).employee_no for i in items}
    assert owners["account_revocation"] == "I001" and owners["final_pay"] == "F001"
    assert owners["work_handover"] == "M001" and owners["termination_certificate"] == "H001"

    handles = {"M001": "lee", "H001": "wangfang", "I001": "chen", "A001": "liu", "F001": "sun"}
    # The items are ticked on the last day: a case never closes before it (the employee is employed).
    world.clock.set(datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI))
    for item in items:
        assert (await world.act(handles[owners[item.kind]], "complete_item", item=str(item.id))).ok
    case = await world.case()
    assert (case.state, case.outcome) == ("closed", "completed")
    assert case.retain_until is not None and case.retain_until.year == 2026

    async with world.uow_factory() as uow:
        events = await uow.audit.for_case(case.id)
        assert await verify(uow.session, case.id) == []
    moves = [(e.from_state, e.to_state) for e in events if e.to_state and e.from_state != e.to_state]
    assert [m[1] for m in moves] == ["collecting_evidence", "hr_review", "scheduling_talk", "talk_scheduled",
                                     "awaiting_employee", "handover", "closed"]
    group = [m for m in await world.outbox() if m.recipient == "hr_group"]
    assert group, "the HR group hears about the case"
    for message in group:  # group notices never carry money
        assert "12000" not in str(message.payload) and "66000" not in str(message.payload)


async def test_submit_needs_every_required_item_and_changes_nothing(world: World) -> None:
    assert (await world.act("lee", "open", None, employee="alice", ground="incompetent")).ok
    before = await world.case()
    reply = await world.act("lee", "submit")
    assert not reply.ok
    after = await world.case()
    assert (after.state, after.version) == (before.state, before.version)
    async with world.uow_factory() as uow:
        events = await uow.audit.for_case(after.id)
    assert events[-1].action == "refused:submit"


async def test_people_without_the_right_are_refused(world: World) -> None:
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "confirm": "yes"})).ok
    for who in ("alice", "lee", "bob", "chen"):
        reply = await world.act(who, "approve")
        assert not reply.ok and reply.messages, who
    # A user of another tenant cannot even see the case.
    reply = await world.act("wangfang", "approve", platform_tenant="other")
    assert not reply.ok
    assert (await world.case()).state == "hr_review"
    assert (await world.act("wangfang", "approve")).ok


async def test_manager_cannot_sign_for_the_employee(world: World) -> None:
    await to_employee(world)
    assert not (await world.act("lee", "sign")).ok
    assert not (await world.act("wangfang", "sign")).ok
    assert (await world.case()).state == "awaiting_employee"


async def test_a_stale_card_gets_the_current_card(world: World) -> None:
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "confirm": "yes"})).ok
    version = (await world.case()).version
    assert (await world.act("wangfang", "approve", version=version)).ok
    reply = await world.act("zhao", "approve", version=version)
    assert not reply.ok
    assert any(m.kind == "case" for m in reply.messages)  # the current card
    assert "王芳" in str(reply.messages[0].data)  # who decided
    assert (await world.case()).version == version + 1


async def test_a_retried_delivery_changes_nothing(world: World) -> None:
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "confirm": "yes"})).ok
    first = await world.act("wangfang", "approve", delivery_id="slack:Ev1")
    again = await world.act("wangfang", "approve", delivery_id="slack:Ev1")
    assert first.ok and again.duplicate
    case = await world.case()
    async with world.uow_factory() as uow:
        events = await uow.audit.for_case(case.id)
    assert [e.action for e in events].count("approve") == 1


async def test_approval_needs_confirmed_facts_and_no_blocking_finding(world: World) -> None:
    await to_review(world)
    assert not (await world.act("wangfang", "approve")).ok  # facts not confirmed
    facts = {**T1_FACTS, "protections": "pregnant", "confirm": "yes"}
    assert (await world.act("wangfang", "facts", facts=facts)).ok
    reply = await world.act("wangfang", "approve")
    assert not reply.ok and "42" in str(reply.messages)  # Art. 42 cited
    assert (await world.case()).state == "hr_review"


async def test_dispute_revise_makes_a_new_document_version(world: World) -> None:
    await to_employee(world)
    old = (await world.case()).record.document
    assert (await world.act("alice", "dispute", text="PIP 目标不合理")).ok
    assert (await world.case()).state == "disputed"
    assert (await world.sent_to("wangfang", "dispute"))
    assert (await world.act("wangfang", "revise", text="补偿增加")).ok
    case = await world.case()
    assert case.state == "awaiting_employee" and case.record.document.version == old.version + 1
    reply = await world.act("alice", "sign", document_hash=old.sha256)
    assert not reply.ok  # signing what they no longer see is refused
    assert (await world.act("alice", "sign", document_hash=case.record.document.sha256)).ok


async def test_unknown_people_ambiguity_and_layoff_get_clear_answers(world: World) -> None:
    for args in ({"employee": "@nobody", "ground": "incompetent"},
                 {"employee": "alice", "ground": "layoff"},
                 {"employee": "lee", "ground": "incompetent"}):
        reply = await world.act("lee", "open", None, **args)
        assert not reply.ok and reply.messages[0].data["text"]
    reply = await world.act("stranger", "status", None)
    assert not reply.ok and "stranger" in reply.messages[0].data["text"]


async def test_the_escalation_ladder_for_a_silent_employee(world: World) -> None:
    await to_employee(world)
    entered = (await world.case()).state_entered_at
    # 24 h unopened → the card again.
    await world.advance_to(entered + timedelta(hours=24) - timedelta(minutes=1))
    assert len(await world.sent_to("alice", "employee_decision")) == 1
    await world.advance_to(entered + timedelta(hours=24))
    assert len(await world.sent_to("alice", "employee_decision")) == 2
    # 3 working days unsigned → HR warned (Tue 11:00 + 3 wd = Fri 11:00).
    await world.advance_to(datetime(2024, 6, 7, 10, 59, tzinfo=SHANGHAI))
    assert not await world.sent_to("wangfang", "reminder")
    await world.advance_to(datetime(2024, 6, 7, 11, 0, tzinfo=SHANGHAI))
    assert len(await world.sent_to("wangfang", "reminder")) == 1
    # 7 days → escalated, HR gets the fallback card.
    await world.advance_to(entered + timedelta(days=7) - timedelta(seconds=1))
    assert (await world.case()).state == "awaiting_employee"
    await world.advance_to(entered + timedelta(days=7))
    assert (await world.case()).state == "escalated"
    assert await world.sent_to("wangfang", "escalated")
    assert (await world.act("wangfang", "record_notice_served", text="EMS1234567890CN")).ok
    assert (await world.case()).state == "handover"


async def test_a_reminder_fires_once_even_if_the_case_changes_later(world: World) -> None:
    await to_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=25))
    assert (await world.act("alice", "acknowledge")).ok  # bumps the version, re-arms timers
    await world.advance_to(entered + timedelta(hours=26))
    assert len(await world.sent_to("alice", "employee_decision")) == 2


async def test_help_and_unreadable_input_answer_in_the_askers_language(world: World) -> None:
    english = await world.act("bob", "help", None)
    chinese = await world.act("lee", "help", None)
    assert "/offboard" in english.messages[0].data["text"]
    assert "退工" in chinese.messages[0].data["text"]
    hr_only = "report"
    assert hr_only in (await world.act("zhao", "help", None)).messages[0].data["text"]
    assert hr_only not in english.messages[0].data["text"]
    reply = await world.act("bob", "parse_error", None, code="router.unknown_verb", params={"value": "fire"})
    assert not reply.ok and "fire" in reply.messages[0].data["text"]
    assert english.messages[0].data["text"] in reply.messages[0].data["text"]  # no command known: all of them
    # A command it knows, written wrong: that command's form and where the rest are, not every command.
    wrong = await world.act("lee", "parse_error", None, code="router.missing_arg.kind", params={},
                            usage_key="router.usage.evidence")
    text = wrong.messages[0].data["text"]
    assert not wrong.ok and t("router.usage.evidence", "zh-CN") in text and t("h.parse_error.more", "zh-CN") in text
    assert chinese.messages[0].data["text"] not in text and len(text.splitlines()) <= 3


async def test_the_employees_objection_reaches_hr_however_the_channel_names_it(world: World) -> None:
    await to_employee(world)
    # The router files a dispute's words under "reason" (a Slack modal or WeCom prompt likewise).
    assert (await world.act("alice", "dispute", reason="PIP 目标从未与我确认")).ok
    [card] = await world.sent_to("wangfang", "dispute")
    assert "PIP 目标从未与我确认" in card.data["text"]


async def test_hr_opening_a_case_tells_the_manager_wholly_in_the_managers_language(world: World) -> None:
    # zhao (HR, English) opens a case about alice; her manager lee reads Chinese.
    assert (await world.act("zhao", "open", None, employee="alice", ground="incompetent")).ok
    [card] = await world.sent_to("lee", "case_opened")
    assert "绩效记录" in card.data["text"] and "performance" not in card.data["text"].lower()


async def test_typed_confirm_facts_confirms_with_the_routers_confirm_flag(world: World) -> None:
    """The router files "confirm_facts" with confirm=yes among the facts; it is no fact itself."""
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts=T1_FACTS)).ok
    reply = await world.act("wangfang", "confirm_facts", facts={"confirm": "yes"})
    assert reply.ok, reply.messages
    case = await world.case()
    assert case.facts_confirmed and "confirm" not in case.facts.entries()
