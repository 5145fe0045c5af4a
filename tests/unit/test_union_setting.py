""""Has a union" is a company setting: the facts step asks for it while unset, HR's answer sets it for
every case, and a unilateral ending is blocked (Art. 43) until the union's notification is recorded."""

from __future__ import annotations

from handlers.contracts import Reply
from tests.handlers.conftest import World
from tests.unit.steps import ok, says
from workflow.i18n import t

# How the review card marks a finding's level (h.finding: "BLOCKING · LCL Art. 43: …").
BLOCKING = t("compliance.level.blocking", "en") + " ·"
WARNING = t("compliance.level.warning", "en") + " ·"

FACTS = {"hired": "2020-01-01", "last_day": "2024-06-30", "avg_wage": "10000", "protections": "none"}


def card(reply: Reply) -> str:
    return str(next(m for m in reply.messages if m.kind == "hr_review").data["fields"])


def saved_text(reply: Reply) -> str:
    return next(m for m in reply.messages if m.kind == "facts_saved").data["text"]


async def company_union(world: World) -> str | None:
    async with world.uow_factory() as uow:
        return (await uow.tenants.by_key("console:local")).settings.get("union")


async def test_the_facts_step_asks_for_the_union_setting_while_unset(world: World) -> None:
    await ok(world, "zhao", "open", None, employee="carol", ground="circumstances")
    reply = await ok(world, "zhao", "facts", facts=FACTS)
    assert saved_text(reply) == t("h.facts_union_unset", "en", ref="C-0001")
    assert says(await world.act("zhao", "confirm_facts", facts={"confirm": "yes"}), "h.facts_union_unset", "en",
                ref="C-0001")
    assert says(await world.act("wangfang", "confirm_facts", facts={"confirm": "yes"}), "h.facts_union_unset",
                "zh-CN", ref="C-0001")
    assert not (await world.case()).facts_confirmed and await company_union(world) is None


async def test_the_answer_is_the_companys_and_blocks_until_the_union_is_notified(world: World) -> None:
    await ok(world, "zhao", "open", None, employee="carol", ground="circumstances")
    reply = await ok(world, "zhao", "facts", facts={**FACTS, "union": "yes"})
    assert await company_union(world) == "yes" and saved_text(reply) == ""
    assert f"{BLOCKING} LCL Art. 43; SPC Art. 47" in card(reply)
    await ok(world, "zhao", "withdraw", reason="moved to another case")
    # A later case of the same company: the setting reaches the engine without being asked again.
    await ok(world, "lee", "open", None, employee="@alice", ground="incompetent")
    reply = await ok(world, "zhao", "facts", "C-0002", facts=FACTS)
    assert f"{BLOCKING} LCL Art. 43; SPC Art. 47" in card(reply) and saved_text(reply) == ""
    reply = await ok(world, "zhao", "facts", "C-0002", facts={"union_notified": "yes"})
    assert BLOCKING not in card(reply)
    await ok(world, "zhao", "confirm_facts", "C-0002", facts={"confirm": "yes"})


async def test_no_union_is_a_warning_and_the_facts_can_be_confirmed(world: World) -> None:
    await ok(world, "zhao", "open", None, employee="carol", ground="circumstances")
    reply = await ok(world, "zhao", "facts", facts={**FACTS, "union": "no", "confirm": "yes"})
    assert await company_union(world) == "no" and (await world.case()).facts_confirmed
    assert f"{WARNING} LCL Art. 43" in card(reply) and BLOCKING not in card(reply)


async def test_endings_by_agreement_or_by_law_are_not_asked(world: World) -> None:
    await ok(world, "zhao", "open", None, employee="carol", ground="mutual")
    reply = await ok(world, "zhao", "facts", facts={**FACTS, "proposed_by": "employer", "confirm": "yes"})
    assert saved_text(reply) == "" and (await world.case()).facts_confirmed
