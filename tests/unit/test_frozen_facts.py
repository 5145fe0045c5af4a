"""Facts are frozen once the employee holds documents built from them: a change issues a new version,
tells the employee what changed (old → new, in their language), and the old version can no longer
be signed — so no one can make the employee sign figures that differ from the case."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.handlers.conftest import World
from tests.unit.steps import chinese, disputed, ok, says, with_employee
from workflow.i18n import t


async def escalated(world: World) -> None:
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(days=7))
    assert (await world.case()).state == "escalated"


async def settlement_total(world: World, version: int) -> str:
    case = await world.case()
    async with world.uow_factory() as uow:
        docs = await uow.documents.for_case(case.id, version)
    statement = next(d for d in docs if d.kind == "settlement_statement")
    return json.loads(statement.content)["settlement"]["total"]


async def test_a_fact_changed_after_issue_makes_v2_and_v1_unsignable(world: World) -> None:
    await escalated(world)
    v1 = (await world.case()).record.document
    assert v1 is not None and v1.version == 1
    before = len(await world.sent_to("alice"))
    await ok(world, "wangfang", "facts", facts={"avg_wage": "13000"})
    case = await world.case()
    v2 = case.record.document
    assert v2 is not None and v2.version == 2 and v2.sha256 != v1.sha256
    # The new version carries the case's figures: 13,000 × 5.5 + 12,500 in lieu = 84,000.
    assert await settlement_total(world, 1) != await settlement_total(world, 2)
    assert "84,000.00" in await settlement_total(world, 2)
    # Alice (Chinese) is told what changed, old → new, then gets the new decision card.
    news = (await world.sent_to("alice"))[before:]
    assert [m.kind for m in news] == ["facts_revised", "employee_decision"]
    revised = news[0].data
    assert revised["text"] == t("h.facts_revised.text", "zh-CN", old=1, new=2) and chinese(revised["title"])
    assert [t("slack.fact.avg_wage", "zh-CN"), "12000 → 13000"] in revised["fields"]
    # Signing what she was shown before is refused; the current version is signable.
    assert says(await world.act("alice", "sign", document_hash=v1.sha256), "machine.refuse.document_stale", "zh-CN")
    assert (await world.case()).state == "escalated"
    await ok(world, "alice", "sign", document_hash=v2.sha256)
    assert (await world.case()).state == "handover"


async def test_an_english_reader_is_told_in_english_and_nothing_is_reissued_without_a_change(
        world: World) -> None:
    await disputed(world)
    await ok(world, "zhao", "facts", facts={"avg_wage": "12000"})  # the same value: no new version
    assert (await world.case()).record.document.version == 1
    async with world.uow_factory() as uow:
        person = await uow.people.by_identity("console", "local", "alice")
        person.locale = "en"
        await uow.commit()
    await ok(world, "zhao", "facts", facts={"last_day": "2024-07-31"})
    revised = (await world.sent_to("alice", "facts_revised"))[-1].data
    assert revised["text"] == t("h.facts_revised.text", "en", old=1, new=2)
    assert ["Last working day", "2024-06-30 → 2024-07-31"] in revised["fields"]
