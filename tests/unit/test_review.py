"""HR's review: recording and confirming the facts, then approve, request changes or reject."""

from __future__ import annotations

from handlers.assessment import known_fact_keys, parse_fact
from tests.handlers.conftest import World
from tests.unit.steps import (
    FACTS,
    audit_actions,
    chinese,
    in_review,
    last_event,
    mark,
    ok,
    refusal,
    says,
    timers,
    told,
)
from workflow.case import Facts
from workflow.i18n import t


async def test_facts_are_recorded_then_confirmed(world: World) -> None:
    await in_review(world)
    reply = await ok(world, "wangfang", "facts", facts={"avg_wage": "12000"})
    assert [m.kind for m in reply.messages][-1] == "facts_saved"
    case = await world.case()
    assert case.facts.avg_wage and not case.facts_confirmed
    assert (await last_event(world))[0] == "facts"
    await ok(world, "wangfang", "facts", facts=FACTS)
    await ok(world, "wangfang", "confirm_facts", facts={"confirm": "yes"})
    case = await world.case()
    assert case.facts_confirmed and "confirm" not in case.facts.entries()
    assert (await last_event(world))[3]["confirmed"] is True
    assert await timers(world) == {"review_remind", "review_escalate"}


async def test_changing_a_confirmed_fact_unconfirms_the_facts(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    await ok(world, "wangfang", "facts", facts={"avg_wage": "12100"})
    assert not (await world.case()).facts_confirmed


async def test_facts_refusals_in_both_languages(world: World) -> None:
    await in_review(world)
    assert says(await world.act("lee", "facts", facts={"avg_wage": "1"}), "h.facts_only_hr", "zh-CN")
    missing = await world.act("zhao", "confirm_facts", facts={"confirm": "yes"})
    assert refusal(missing).startswith(t_prefix("h.facts_missing", "en"))
    bad = await world.act("wangfang", "facts", facts={"shoe_size": "42"})
    assert "shoe_size" in refusal(bad) and chinese(refusal(bad))
    assert not (await world.case()).facts_confirmed


def t_prefix(key: str, locale: str) -> str:
    """The catalogue sentence up to its first parameter."""
    return t(key, locale, missing="\0", ref="\0").split("\0")[0]


async def test_approve_moves_to_scheduling_and_asks_hr_for_a_time(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    since = await mark(world)
    reply = await ok(world, "wangfang", "approve")
    case = await world.case()
    assert case.state == "scheduling_talk"
    assert (await last_event(world))[:3] == ("approve", "hr_review", "scheduling_talk")
    assert await timers(world) == set()  # nothing waits on a clock while HR picks the time
    assert [(m.to, m.kind) for m in await told(world, since)] == [("lee", "case_update"), ("hr_group", "case_update")]
    prompt = next(m for m in reply.messages if m.kind == "schedule_prompt")
    assert prompt.actions == ("schedule",)


async def test_approve_needs_confirmed_facts(world: World) -> None:
    await in_review(world)
    assert says(await world.act("wangfang", "approve"), "machine.refuse.facts_unconfirmed", "zh-CN")
    assert says(await world.act("zhao", "approve"), "machine.refuse.facts_unconfirmed", "en")
    assert (await world.case()).state == "hr_review"
    assert (await audit_actions(world))[-2:] == ["refused:approve", "refused:approve"]


async def test_approve_is_refused_to_everyone_but_hr(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    assert chinese(refusal(await world.act("lee", "approve")))  # the manager, in Chinese
    assert says(await world.act("bob", "approve"), "h.unknown_case", "en", ref="C-0001")
    assert says(await world.act("wangfang", "approve", platform_tenant="other"), "h.unknown_case", "zh-CN",
                ref="C-0001")  # HR of another tenant
    assert (await world.case()).state == "hr_review"


async def test_a_blocking_finding_stops_approval_citing_the_article(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={**FACTS, "protections": "pregnant", "confirm": "yes"})
    assert "42" in refusal(await world.act("wangfang", "approve"))


async def test_request_changes_sends_the_case_back_to_the_manager_with_the_comment(world: World) -> None:
    await in_review(world)
    since = await mark(world)
    await ok(world, "wangfang", "request_changes", comment="请补充培训记录")
    assert (await world.case()).state == "collecting_evidence"
    [notice] = await told(world, since)
    assert (notice.to, notice.kind) == ("lee", "case_update") and "请补充培训记录" in notice.text
    assert await timers(world) == {"evidence_idle_remind", "evidence_idle_hr"}
    assert (await last_event(world))[3]["text"] == "请补充培训记录"


async def test_request_changes_needs_a_comment(world: World) -> None:
    await in_review(world)
    assert says(await world.act("wangfang", "request_changes"), "machine.refuse.comment_required", "zh-CN")
    assert says(await world.act("zhao", "request_changes"), "machine.refuse.comment_required", "en")
    assert (await world.case()).state == "hr_review"


async def test_reject_closes_the_case_and_tells_manager_and_group(world: World) -> None:
    await in_review(world)
    since = await mark(world)
    await ok(world, "zhao", "reject", reason="Evidence is too thin")
    case = await world.case()
    assert (case.state, case.outcome) == ("closed", "rejected") and case.retain_until is not None
    assert [(m.to, m.kind) for m in await told(world, since)] == [("lee", "case_update"), ("hr_group", "case_update")]
    assert await timers(world) == set()
    assert says(await world.act("zhao", "reject", reason="again"), "machine.refuse.not_now", "en",
                **not_now_params("en"))


def not_now_params(locale: str) -> dict[str, str]:
    """A closed case offers nothing: the "not now" sentence's rendered parameters."""
    return {"state": t("state.closed", locale), "trigger": t("action.reject", locale),
            "available": t("machine.nothing_now", locale)}


async def test_reject_needs_a_reason(world: World) -> None:
    await in_review(world)
    assert says(await world.act("wangfang", "reject"), "machine.refuse.reason_required", "zh-CN")
    assert says(await world.act("zhao", "reject", reason=" "), "machine.refuse.reason_required", "en")


def test_every_fact_hr_can_enter_is_a_typed_field_of_the_case() -> None:
    samples = {"hired": "2019-03-15", "last_day": "2026-04-30", "proposed_by": "employer",
               "protections": "pregnant, nursing", "birth_date": "1970-01-01", "contract_start": "2019-03-15",
               "contract_end": "2026-04-30", "probation_end": "2019-05-14", "notice_date": "2026-03-31",
               "sick_since": "2025-01-01", "retirement_category": "male", "union": "yes",
               "renewal_offered": "same", "work_years": "20", "headcount": "100", "reduced": "5",
               "fixed_terms": "2", "work_injury_grade": "7"}
    flags = ("pay", "in_", "union", "written", "notice", "open", "employee", "past")
    entered = {key: parse_fact(key, samples.get(key, "yes" if key.startswith(flags) else "1,200.50"))
               for key in known_fact_keys()}
    facts = Facts.of(entered)
    assert not facts.extra and facts.entries() == entered
    assert all(getattr(facts, key) is not None for key in known_fact_keys())
