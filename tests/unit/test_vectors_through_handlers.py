"""Every public vector T1–T16 of COMPLIANCE.md through the handlers: a case opened, the facts entered
as HR types them (`facts …` through dispatch), and the assessment read off HR's review card."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.contracts import Reply
from tests.handlers.conftest import World
from tests.unit.steps import ok
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


async def test_t16_layoff_is_refused_with_the_procedure_and_the_art_40_3_route(world: World) -> None:
    """A single case cannot be an Art. 41 round: opening one is refused, in the asker's language, with
    the collective procedure and, below the threshold, the Art. 40(3) route; nothing is opened."""
    for who, locale, route in (("zhao", "en", "Art. 40(3)"), ("wangfang", "zh-CN", "第四十条第三项")):
        reply = await world.act(who, "open", None, employee="carol", ground="layoff")
        assert not reply.ok and reply.messages[0].data["text"] == t("h.layoff", locale)
        assert route in t("h.layoff", locale) and ("10" in t("h.layoff", locale))
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert await uow.cases.open_cases(tenant.id) == []
