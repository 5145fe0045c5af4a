"""Opening a case, adding evidence, submitting it to HR, and withdrawing before review."""

from __future__ import annotations

from tests.handlers.conftest import World
from tests.unit.steps import (
    audit_actions,
    chinese,
    in_review,
    last_event,
    mark,
    ok,
    opened,
    refusal,
    says,
    supply_evidence,
    timers,
    told,
)
from workflow.evidence import kind_label, requirement_label, typed_label
from workflow.i18n import t


async def test_open_starts_collecting_evidence_and_tells_the_hr_group(world: World) -> None:
    reply = await ok(world, "lee", "open", None, employee="@alice", ground="incompetent", note="绩效未达标")
    case = await world.case()
    assert (case.ref, case.state, case.version) == ("C-0001", "collecting_evidence", 1)
    assert case.facts.entries() == {"hired": "2019-03-15"}  # from the directory
    assert [m.kind for m in reply.messages] == ["case_opened", "evidence_prompt"]
    assert reply.messages[0].actions == ("withdraw",) and chinese(reply.messages[0].data["text"])
    assert await audit_actions(world) == ["open"]
    assert await timers(world) == {"evidence_idle_remind", "evidence_idle_hr"}
    assert [(m.to, m.kind) for m in await told(world)] == [("hr_group", "case_opened")]


async def test_hr_opening_for_a_manager_tells_the_manager_in_the_managers_language(world: World) -> None:
    reply = await ok(world, "zhao", "open", None, employee="carol", ground="incompetent")
    assert not chinese(reply.messages[0].data["text"])  # zhao reads English
    sent = await told(world)
    assert sorted((m.to, m.kind) for m in sent) == [("hr_group", "case_opened"), ("mike", "case_opened")]
    assert not chinese(next(m.text for m in sent if m.to == "mike"))


async def test_open_refusals_in_the_askers_language(world: World) -> None:
    zh = await world.act("lee", "open", None, employee="@nobody", ground="incompetent")
    en = await world.act("mike", "open", None, employee="@nobody", ground="incompetent")
    assert says(zh, "h.unknown_person", "zh-CN", who="@nobody")
    assert says(en, "h.unknown_person", "en", who="@nobody")
    assert says(await world.act("mike", "open", None, employee="alice", ground="incompetent"),
                "h.not_a_manager", "en", name="Alice Zhang")
    assert says(await world.act("lee", "open", None, employee="alice", ground="layoff"), "h.layoff", "zh-CN")
    assert says(await world.act("lee", "open", None, employee="lee", ground="incompetent"), "h.self_case", "zh-CN")
    assert says(await world.act("stranger", "status", None), "h.unknown_user", "zh-CN",
                identity="console:stranger")
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert await uow.cases.open_cases(tenant.id) == []  # nothing was opened


async def test_a_second_case_for_the_same_employee_is_refused(world: World) -> None:
    await opened(world)
    reply = await world.act("wangfang", "open", None, employee="alice", ground="misconduct")
    assert says(reply, "h.case_exists", "zh-CN", name="Alice Zhang", ref="C-0001")


async def test_evidence_is_hashed_audited_and_the_next_item_is_asked_for(world: World) -> None:
    await opened(world)
    before = (await world.case()).version
    reply = await ok(world, "lee", "evidence", kind="pip", content="PIP 2024Q1 https://hr.example/pip")
    assert [m.kind for m in reply.messages] == ["evidence_added", "evidence_prompt"]
    assert (await world.case()).version == before + 1
    action, _from, _to, payload = await last_event(world)
    assert action == "evidence" and payload["kind"] == "improvement_plan" and len(payload["sha256"]) == 64
    case = await world.case()
    async with world.uow_factory() as uow:
        [item] = await uow.evidence.for_case(case.id)
    assert (item.kind, item.sha256) == ("improvement_plan", payload["sha256"])
    assert await timers(world) == {"evidence_idle_remind", "evidence_idle_hr"}  # re-armed from now


async def test_evidence_refusals(world: World) -> None:
    await opened(world)
    assert says(await world.act("wangfang", "evidence", kind="pip", content="x"), "h.only_manager_evidence", "zh-CN")
    assert says(await world.act("lee", "evidence", kind="pip", content=" "), "h.evidence_empty", "zh-CN")
    unknown = refusal(await world.act("lee", "evidence", kind="horoscope", content="x"))
    # What this case (incompetence) takes, as it can be typed; not every ground's kinds.
    assert "horoscope" in unknown and typed_label("performance", "zh-CN") in unknown
    assert "绩效（绩效记录）" in unknown and kind_label("proposal", "zh-CN") not in unknown
    assert await audit_actions(world) == ["open", "refused:evidence"]  # HR's attempt is on record


async def test_submit_sends_every_hr_member_a_review_card_and_the_group_a_notice(world: World) -> None:
    await opened(world)
    await supply_evidence(world)
    since = await mark(world)
    await ok(world, "lee", "submit")
    case = await world.case()
    assert case.state == "hr_review"
    assert await last_event(world) == ("submit", "collecting_evidence", "hr_review", {"version": case.version})
    assert await timers(world) == {"review_remind", "review_escalate"}
    sent = await told(world, since)
    assert sorted((m.to, m.kind) for m in sent) == [("hr_group", "hr_review"), ("wangfang", "hr_review"),
                                                   ("zhao", "hr_review")]
    assert {"approve", "request_changes", "reject"} <= set(next(m for m in sent if m.to == "zhao").actions)


async def test_submit_without_the_evidence_is_refused_and_changes_nothing(world: World) -> None:
    await opened(world)
    before = await world.case()
    reply = await world.act("lee", "submit")
    assert chinese(refusal(reply))
    after = await world.case()
    assert (after.state, after.version) == (before.state, before.version)
    assert await audit_actions(world) == ["open", "refused:submit"]


async def test_withdraw_before_review_closes_the_case(world: World) -> None:
    await opened(world)
    await ok(world, "lee", "withdraw")
    case = await world.case()
    assert (case.state, case.outcome) == ("closed", "withdrawn") and case.closed_at is not None
    assert case.retain_until is not None
    assert await timers(world) == set()
    assert [(m.to, m.kind) for m in await told(world, 1)] == [("hr_group", "case_update")]


async def test_only_the_cases_people_may_withdraw(world: World) -> None:
    await opened(world)
    reply = await world.act("bob", "withdraw")  # not on this case: it does not exist for him
    assert says(reply, "h.unknown_case", "en", ref="C-0001")
    assert (await world.case()).state == "collecting_evidence"


async def test_a_retried_delivery_is_handled_once(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={"avg_wage": "12000"}, delivery_id="console:d1")
    again = await world.act("wangfang", "facts", facts={"avg_wage": "13000"}, delivery_id="console:d1")
    assert again.duplicate
    assert (await world.case()).facts.entries()["avg_wage"] == "12000"


async def test_a_slot_of_two_items_says_how_many_have_arrived(world: World) -> None:
    # Incompetence needs two review periods' records: after the first, the prompt must not read
    # as if nothing had come.
    await opened(world)
    first = await ok(world, "lee", "evidence", kind="performance", content="2023H2 考核 C")
    label = requirement_label("performance_records", "zh-CN")
    assert first.messages[-1].data["title"] == t("h.prompt_next_partial", "zh-CN", n=1, label=label, have=1,
                                                   need=2, ref="C-0001")
    second = await ok(world, "lee", "evidence", kind="performance", content="2024H1 考核 C")
    assert second.messages[-1].data["title"] == t("h.prompt_next", "zh-CN", n=2,
                                                    label=requirement_label("remedy", "zh-CN"), ref="C-0001")


async def test_an_unknown_kind_in_english_offers_words_that_can_be_typed(world: World) -> None:
    await ok(world, "zhao", "open", None, employee="carol", ground="incompetent")  # mike, who reads English
    unknown = refusal(await world.act("mike", "evidence", kind="horoscope", content="x"))
    assert typed_label("improvement_plan", "en") in unknown and "improvement-plan (" in unknown
    assert kind_label("proposal", "en") not in unknown
