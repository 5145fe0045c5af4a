"""Every public vector T1–T16 of COMPLIANCE.md through the handlers: a case opened, the facts entered
as HR types them (`facts …` through dispatch), and the assessment read off HR's review card."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.router import parse, to_inbound
from handlers.assessment import COUNT_LIMIT
from handlers.contracts import Reply
from handlers.dispatch import handle
from tests.handlers.conftest import World
from tests.unit.steps import chinese, ok, refusal
from workflow.compliance import cite
from workflow.fact_words import fact_label
from workflow.i18n import t

# Zhao (HR, English) opens a case for Carol and enters the facts.
NONE = {"protections": "none"}


async def card_after(world: World, ground: str, facts: dict[str, str]) -> dict[str, str]:
    """HR's review card (English) after the facts are entered: field label → text."""
    await ok(world, "zhao", "open", None, employee="carol", ground=ground)
    reply: Reply = await ok(world, "zhao", "facts", facts=facts)
    card = next(m for m in reply.messages if m.kind == "hr_review")
    return {label: text for label, text in card.data["fields"]}


def findings(card: dict[str, Any]) -> str:
    return card[t("h.field.findings", "en")]


def money(card: dict[str, Any]) -> str:
    return card[t("h.field.settlement", "en")]


def blocking(card: dict[str, Any]) -> list[str]:
    """The articles of the blocking findings, as the card cites them."""
    mark = t("compliance.level.blocking", "en") + " · "
    return [line.split(":")[0].removeprefix(mark)
            for line in findings(card).splitlines() if line.startswith(mark)]


async def test_t1_incompetent_with_pay_in_lieu(world: World) -> None:
    card = await card_after(world, "incompetent", {
        "hired": "2019-03-15", "last_day": "2024-06-30", "avg_wage": "12000", "local_avg": "10000",
        "prev_wage": "12500", "pay_in_lieu": "yes", **NONE})
    assert "5 + 0.5 = 5.5" in money(card) and "12,000.00 × 5.5 = 66,000.00" in money(card)
    assert "Total payable: 66,000.00 + 12,500.00 = 78,500.00" in money(card)
    assert blocking(card) == []


async def test_t2_mutual_proposed_by_the_employer(world: World) -> None:
    card = await card_after(world, "mutual", {
        "hired": "2024-01-01", "last_day": "2024-05-31", "avg_wage": "8000", "proposed_by": "employer",
        "past_separation": "yes"})
    assert "8,000.00 × 0.5 = 4,000.00" in money(card)


@pytest.mark.parametrize(("last_day", "line"), [("2024-06-30", "9,000.00 × 1 = 9,000.00"),
                                                  ("2024-06-29", "9,000.00 × 0.5 = 4,500.00")])
async def test_t3_circumstances_half_year_boundary(world: World, last_day: str, line: str) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2024-01-01", "last_day": last_day, "avg_wage": "9000", "probation_end": "2024-03-31",
        "contract_start": "2024-01-01", "contract_end": "2026-12-31", **NONE})
    assert line in money(card)


@pytest.mark.parametrize(("avg", "line"), [("45000", "36,000.00 × 12 = 432,000.00"),
                                            ("30000", "30,000.00 × 17 = 510,000.00")])
async def test_t4_cap_and_t4b_no_cap(world: World, avg: str, line: str) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2008-03-01", "last_day": "2024-12-31", "avg_wage": avg, "local_avg": "12000",
        "notice_date": "2024-11-01", **NONE})
    assert line in money(card)
    assert blocking(card) == []


async def test_t5_serious_breach_pays_nothing_but_needs_the_certificate(world: World) -> None:
    card = await card_after(world, "misconduct", {
        "hired": "2020-01-01", "last_day": "2024-06-30", "avg_wage": "10000", "union_notified": "yes"})
    assert "Economic compensation: none owed: 0.00" in money(card) and "Total payable: 0.00" in money(card)
    assert "Pay in lieu" not in money(card)
    assert "LCL Art. 50; Regs Art. 24" in findings(card) and blocking(card) == []


@pytest.mark.parametrize(("proposer", "line"), [("employer", "20,000.00 × 3.5 = 70,000.00"),
                                                 ("employee", "")])
async def test_t6_mutual_depends_on_who_proposed(world: World, proposer: str, line: str) -> None:
    card = await card_after(world, "mutual", {
        "hired": "2021-09-01", "last_day": "2024-11-15", "avg_wage": "20000", "proposed_by": proposer})
    if line:
        assert line in money(card)
    else:
        assert "Economic compensation: none owed: 0.00 (LCL Art. 46(2))" in money(card)
        assert "Total payable: 0.00" in money(card)


async def test_t8_maternity_blocks_art_40(world: World) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2020-01-01", "last_day": "2024-06-30", "avg_wage": "10000", "protections": "maternity"})
    assert blocking(card) == ["LCL Art. 42(4)"]


async def test_t9_in_probation_blocks_art_40_3(world: World) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2024-04-01", "last_day": "2024-06-30", "avg_wage": "10000", "in_probation": "yes", **NONE})
    assert blocking(card) == ["LCL Art. 21"]


async def test_t10_expiry_without_renewal_pays_n(world: World) -> None:
    card = await card_after(world, "expiry", {
        "hired": "2015-07-01", "last_day": "2025-06-30", "contract_end": "2025-06-30", "avg_wage": "10000",
        "renewal_offered": "none", **NONE})
    assert "10,000.00 × 10 = 100,000.00" in money(card) and "LCL Art. 46(5)" in findings(card)
    assert blocking(card) == []


async def test_t11_renewal_on_same_terms_declined_pays_nothing(world: World) -> None:
    card = await card_after(world, "expiry", {
        "hired": "2015-07-01", "last_day": "2025-06-30", "contract_end": "2025-06-30", "avg_wage": "10000",
        "renewal_offered": "same", "employee_declined": "yes", **NONE})
    assert "100,000.00" not in money(card) and blocking(card) == []


async def test_t12_expiry_counts_from_2008(world: World) -> None:
    card = await card_after(world, "expiry", {
        "hired": "2005-03-01", "last_day": "2024-02-29", "contract_end": "2024-02-29", "avg_wage": "8000",
        "past_separation": "yes", **NONE})
    assert "8,000.00 × 16.5 = 132,000.00" in money(card)


async def test_t13_expiry_during_pregnancy_is_extended(world: World) -> None:
    card = await card_after(world, "expiry", {
        "hired": "2020-01-01", "last_day": "2024-12-31", "contract_end": "2024-12-31", "avg_wage": "10000",
        "protections": "pregnant"})
    assert blocking(card) == ["LCL Art. 45, 42(4)"]


async def test_t14_union_not_notified_blocks_with_the_2n_risk(world: World) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2020-01-01", "last_day": "2024-06-30", "avg_wage": "10000", "union": "yes", **NONE})
    assert blocking(card) == ["LCL Art. 43; SPC Art. 47"]
    assert "10,000.00 × 5 = 50,000.00" in money(card) and "2 × 10,000.00 × 5 = 100,000.00" in money(card)
    notified = await ok(world, "zhao", "facts", facts={"union": "notified"})
    card = {label: text for label, text in
            next(m for m in notified.messages if m.kind == "hr_review").data["fields"]}
    assert blocking(card) == []


async def test_t15_near_retirement_from_the_birth_date(world: World) -> None:
    card = await card_after(world, "circumstances", {
        "hired": "2008-01-01", "last_day": "2026-06-30", "avg_wage": "10000", "birth_date": "1966-03-10",
        "retirement_category": "male", **NONE})
    assert blocking(card) == ["LCL Art. 42(5)"] and "2026-07-10" in findings(card)


async def typed(world: World, who: str, text: str) -> Reply:
    """A chat line as typed: read by the router, then handled by dispatch (console)."""
    inbound = to_inbound(parse(text), platform="console", platform_tenant="local", user_id=who)
    return await handle(inbound, world.uow_factory, world.deps)


async def nothing_opened(world: World) -> bool:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        return await uow.cases.open_cases(tenant.id) == []


T16_TYPED = {  # the asker in their language: a layoff with the round's two numbers, and the Art. 40(3) open
    "en": ("zhao", "/offboard @carol layoff headcount=100 reduced={reduced}", "/offboard @carol circumstances"),
    "zh-CN": ("wangfang", "退工 @carol 裁员 总人数=100 裁减={reduced}", "退工 @carol 客观情况"),
}


@pytest.mark.parametrize("locale", sorted(T16_TYPED))
async def test_t16_a_round_of_12_in_100_is_an_art_41_layoff_refused_with_the_procedure(
        world: World, locale: str) -> None:
    """12 of 100 is ≥ 10 %: Art. 41 applies, so the open is refused with the collective procedure and
    the numbers, in the language typed; nothing is opened."""
    who, line, _ = T16_TYPED[locale]
    text = refusal(await typed(world, who, line.format(reduced=12)))
    finding = t("compliance.layoff_collective", locale, headcount=100, reduced=12)
    assert text == t("h.layoff_collective", locale, finding=finding, cite=cite("LCL Art. 41", locale))
    assert {"12", "100", "30"} <= set(re.findall(r"\d+", text))
    assert ("Art. 40(3)" not in text) and ("第40条第3项" not in text)
    assert await nothing_opened(world)


@pytest.mark.parametrize("locale", sorted(T16_TYPED))
async def test_t16_a_round_of_5_in_100_points_to_opening_the_case_under_art_40_3(
        world: World, locale: str) -> None:
    """5 of 100 is below both thresholds: Art. 41 does not apply, and the refusal says to open the case
    under Art. 40(3) (circumstances) instead, with the numbers; nothing is opened."""
    who, line, route_line = T16_TYPED[locale]
    text = refusal(await typed(world, who, line.format(reduced=5)))
    finding = t("compliance.layoff_below_threshold", locale, headcount=100, reduced=5)
    assert text == t("h.layoff_below_threshold", locale, finding=finding,
                     cite=cite("LCL Art. 41, 40(3)", locale))
    route, ground = {"en": ("Art. 40(3)", "circumstances"), "zh-CN": ("第40条第3项", "客观情况")}[locale]
    assert route in text and ground in text and "5" in text and "100" in text
    assert await nothing_opened(world)
    # The route it names opens: the same person, on the ground it points to.
    opened = await typed(world, who, route_line)
    assert opened.ok and not await nothing_opened(world)


async def test_t16_without_the_numbers_a_layoff_is_refused_with_the_general_rule(world: World) -> None:
    """No numbers: the whole Art. 41 rule, its 10 % and the Art. 40(3) route, and how to give them."""
    for who, locale, line, route in (("zhao", "en", "/offboard @carol layoff", "Art. 40(3)"),
                                     ("wangfang", "zh-CN", "退工 @carol 裁员", "第四十条第三项")):
        reply = await typed(world, who, line)
        assert refusal(reply) == t("h.layoff", locale)
        assert route in t("h.layoff", locale) and "10" in t("h.layoff", locale)
    assert await nothing_opened(world)


def invalid(key: str, **params: object) -> Callable[[str], str]:
    return lambda locale: t("h.layoff_numbers_bad", locale, why=t(key, locale, **params))


def unreadable(value: str) -> Callable[[str], str]:
    return lambda locale: t("h.layoff_number_bad", locale, name=fact_label("headcount", locale), value=value,
                            why=t("h.fact_why.count", locale, low=0, high=COUNT_LIMIT))


def incomplete(missing: str) -> Callable[[str], str]:
    return lambda locale: t("h.layoff_numbers_missing", locale, missing=fact_label(missing, locale))


@pytest.mark.parametrize(("line", "locale", "expected"), [
    ("/offboard @carol layoff headcount=10 reduced=12", "en",
     invalid("compliance.invalid.reduced_above_headcount", reduced=12, headcount=10)),
    ("退工 @carol 裁员 总人数=10 裁减=12", "zh-CN",
     invalid("compliance.invalid.reduced_above_headcount", reduced=12, headcount=10)),
    ("/offboard @carol layoff headcount=0 reduced=0", "en", invalid("compliance.invalid.headcount_zero", headcount=0)),
    ("退工 @carol 裁员 总人数=100 裁减=0", "zh-CN", invalid("compliance.invalid.reduced_zero", reduced=0)),
    ("/offboard @carol layoff headcount=a-hundred reduced=12", "en", unreadable("a-hundred")),
    ("退工 @carol 裁员 总人数=一百 裁减=12", "zh-CN", unreadable("一百")),
    ("/offboard @carol layoff reduced=12", "en", incomplete("headcount")),
    ("退工 @carol 裁员 总人数=100", "zh-CN", incomplete("reduced")),
])
async def test_t16_numbers_that_cannot_describe_a_round_are_refused_in_the_language_typed(
        world: World, line: str, locale: str, expected: Callable[[str], str]) -> None:
    who = {"en": "wangfang", "zh-CN": "zhao"}[locale]  # the directory says the other language
    text = refusal(await typed(world, who, line))
    assert text == expected(locale) and chinese(text) == (locale == "zh-CN")
    assert await nothing_opened(world)
