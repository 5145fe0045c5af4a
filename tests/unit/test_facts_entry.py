"""HR's facts as typed: every key the engine knows, amounts in Chinese numerals, explicit answers, and
clear refusals in the asker's language that change nothing."""

from __future__ import annotations

import pytest

from handlers.assessment import parse_amount
from tests.handlers.conftest import World
from tests.unit.steps import chinese, in_review, ok, refusal
from workflow.i18n import t


@pytest.mark.parametrize(("text", "amount"), [
    ("12000", 12000), ("12,000", 12000), ("12000元", 12000), ("1.2万", 12000), ("十万", 100000),
    ("一万二千", 12000), ("一万二", 12000), ("三千五", 3500), ("两万", 20000), ("8千", 8000)])
def test_amounts_in_chinese_numerals_are_understood(text: str, amount: int) -> None:
    assert parse_amount(text) == amount


async def test_a_wage_in_chinese_numerals_is_stored_as_its_amount(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={"avg_wage": "1.2万", "prev_wage": "十万"})
    facts = (await world.case()).facts
    assert (facts.avg_wage, facts.prev_wage) == (12000, 100000)


@pytest.mark.parametrize(("who", "locale"), [("wangfang", "zh-CN"), ("zhao", "en")])
@pytest.mark.parametrize(("value", "why"), [("0", "not_positive"), ("-5", "not_positive"),
                                             ("12元钱", "amount"), ("abc", "amount"),
                                             ("50", "implausible"), ("1200万", "implausible")])
async def test_a_zero_negative_unreadable_or_implausible_wage_is_refused_with_the_reason(
        world: World, who: str, locale: str, value: str, why: str) -> None:
    await in_review(world)
    reply = await world.act(who, "facts", facts={"avg_wage": value})
    reason = t(f"h.fact_why.{why}", locale, low=100, high=1000000)
    assert refusal(reply) == t("h.facts_bad", locale, key="avg_wage", value=value, why=reason)
    assert (await world.case()).facts.avg_wage is None  # nothing changed, never "0.00"


async def test_every_new_fact_is_accepted_and_stored_typed(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={
        "birth_date": "1980-05-01", "retirement_category": "female_cadre", "contract_start": "2019-03-15",
        "contract_end": "2025-03-14", "probation_end": "2019-05-14", "notice_date": "2024-05-31",
        "sick_since": "2024-01-02", "work_years": "20", "union": "yes", "headcount": "300", "reduced": "3",
        "renewal_offered": "worse", "employee_declined": "yes", "employee_wants_renewal": "no",
        "fixed_terms": "2", "work_injury_grade": "8"})
    f = (await world.case()).facts
    assert (f.birth_date.isoformat(), f.retirement_category, f.contract_end.isoformat(), f.union) == (
        "1980-05-01", "female_cadre", "2025-03-14", "yes")
    assert (f.work_years, f.headcount, f.reduced, f.fixed_terms, f.work_injury_grade) == (20, 300, 3, 2, 8)
    assert (f.employee_declined, f.employee_wants_renewal, f.renewal_offered) == (True, False, "worse")


@pytest.mark.parametrize(("key", "value"), [("work_injury_grade", "11"), ("work_years", "2.5"),
                                             ("retirement_category", "robot"), ("union", "maybe"),
                                             ("contract_end", "2025-02-30"), ("protections", "none,pregnant")])
async def test_bad_values_of_the_new_facts_are_refused_in_both_languages(world: World, key: str,
                                                                        value: str) -> None:
    await in_review(world)
    zh = await world.act("wangfang", "facts", facts={key: value})
    en = await world.act("zhao", "facts", facts={key: value})
    assert key in refusal(zh) and chinese(refusal(zh)) and key in refusal(en) and not chinese(refusal(en))
    assert getattr((await world.case()).facts, key) is None


async def test_protected_statuses_are_answered_explicitly(world: World) -> None:
    """Not answered is not "none of these": the card says Art. 42 could not be ruled out until HR answers."""
    await in_review(world)
    reply = await ok(world, "zhao", "facts", facts={"last_day": "2024-06-30", "avg_wage": "12000"})
    unanswered = t("compliance.protections_unanswered", "en")
    assert unanswered in str(reply.messages[0].data["fields"])
    reply = await ok(world, "zhao", "facts", facts={"protections": "none"})
    assert unanswered not in str(reply.messages[0].data["fields"])
    assert (await world.case()).facts.protections == ()
    await ok(world, "wangfang", "facts", facts={"protections": "无"})
    assert (await world.case()).facts.protections == ()
