"""A year missing from the holiday data (2027 here): deadlines in it are marked provisional on the
cards in the reader's language, HR is told once with one card for the whole company, and loading
a sample arrangement with `calendar import` changes the count and lifts the marking."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from bot.bootstrap import load_arrangements
from bot.cli import calendar as calendar_cli
from handlers.deps import build_deps
from storage.memory import MemoryDatabase
from tests.handlers.conftest import SHANGHAI, World, make_world
from tests.unit.steps import FACTS, ok, supply_evidence
from workflow.clock import ManualClock
from workflow.i18n import t

LATE_2026 = datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)  # a Monday; 2026 is in the data, 2027 not
SAMPLE = Path(__file__).parents[2] / "examples" / "holiday-arrangement.sample.csv"


async def hr_calendar_cards(world: World, refs: tuple[str, ...] = ("C-0001", "C-0002")) -> list[dict]:
    """Every calendar card queued for the company's cases (each is filed with the case that met
    the year first)."""
    found = []
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        for ref in refs:
            case = await uow.cases.by_ref(tenant.id, ref)
            if case is not None:
                found += [{"to": m.recipient, **m.payload} for m in await uow.outbox.for_case(case.id)
                          if m.kind == "calendar_provisional"]
    return found


async def to_handover(world: World, last_day: str) -> None:
    """C-0001 for alice from opening to handover, the talk the next day, zhao approving."""
    await ok(world, "lee", "open", None, employee="@alice", ground="incompetent", note="绩效未达标")
    await supply_evidence(world)
    await ok(world, "lee", "submit")
    await ok(world, "wangfang", "facts", facts={**FACTS, "last_day": last_day, "confirm": "yes"})
    await ok(world, "zhao", "approve")
    await ok(world, "wangfang", "schedule", when="2026-12-29 10:00")
    await ok(world, "lee", "confirm_attendance")
    world.clock.set(datetime(2026, 12, 29, 11, 0, tzinfo=SHANGHAI))
    await ok(world, "wangfang", "record_talk")
    assert (await world.sign()).ok
    assert (await world.case()).state == "handover"


async def test_deadlines_in_a_missing_year_are_provisional_and_hr_is_told_once() -> None:
    world = await make_world(MemoryDatabase().unit_of_work, ManualClock(LATE_2026))
    assert not world.deps.calendar.is_official_year(2027)
    await to_handover(world, "2027-01-29")
    # The work handover is due the working day before the last day; the certificate on it.
    lee = (await world.sent_to("lee", "handover_item"))[0].data["text"]
    assert t("h.deadline_provisional", "zh-CN", year=2027,
                                       when=t("h.zoned_time", "zh-CN", when="2027-01-28 18:00", zone="UTC+8")) in lee
    zhao = [m.data["text"] for m in await world.sent_to("zhao", "handover_item")]
    assert any(t("h.deadline_provisional", "en", year=2027,
                               when=t("h.zoned_time", "en", when="2027-01-29 18:00", zone="UTC+8")) in text
               for text in zhao)
    # A second case, with timers in 2027 too, tells nobody again.
    await ok(world, "mike", "open", None, employee="@carol", ground="incompetent", note="missed targets")
    cards = await hr_calendar_cards(world)
    assert [(c["to"], c["data"]["title"]) for c in cards] == [
        ("hr_group", t("h.calendar_provisional.title", "zh-CN", year=2027))]
    assert "python -m bot calendar import" in cards[0]["data"]["text"]
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant.settings["calendar_provisional_told"] == [2027]
        other = await uow.tenants.by_key("console:other")
        assert "calendar_provisional_told" not in other.settings  # per company


def import_sample(data: Path) -> None:
    parser = argparse.ArgumentParser(prog="bot")
    calendar_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calendar", "import", str(SAMPLE), "--data", str(data)])
    assert args.func(args) == 0


async def stalling_deadline(world: World) -> datetime:
    """When HR is told the evidence of a case opened now has stalled (5 working days later)."""
    await ok(world, "lee", "open", None, employee="@alice", ground="incompetent", note="绩效未达标")
    case = await world.case()
    async with world.uow_factory() as uow:
        timers = await uow.timers.pending_for(case.id)
    return next(tm.due_at for tm in timers if tm.kind == "evidence_idle_hr").astimezone(SHANGHAI)


async def test_calendar_import_of_a_sample_arrangement_fixes_the_count(tmp_path: Path) -> None:
    # Opened on Thursday 2027-02-18: counted on weekdays, five working days end on Thursday the 25th.
    opened = datetime(2027, 2, 18, 9, 0, tzinfo=SHANGHAI)
    before = await make_world(MemoryDatabase().unit_of_work, ManualClock(opened))
    assert (await stalling_deadline(before)).date().isoformat() == "2027-02-25"
    assert len(await hr_calendar_cards(before)) == 1
    # The sample makes Saturday the 20th a make-up working day: the count ends a day earlier,
    # and with the year loaded there is nothing provisional to tell HR.
    data = tmp_path / "calendar.json"
    import_sample(data)
    after = await make_world(MemoryDatabase().unit_of_work, ManualClock(opened))
    after.deps = build_deps(after.clock, arrangements=load_arrangements(str(data)))
    assert after.deps.calendar.is_official_year(2027)
    assert (await stalling_deadline(after)).date().isoformat() == "2027-02-24"
    assert await hr_calendar_cards(after) == []
