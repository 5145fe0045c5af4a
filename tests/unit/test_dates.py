"""Dates that make sense: no last day in the past (unless HR records a past separation), a talk only
in the future on a working day within working hours (in the company's zone), recorded only after
its time and movable, and a certificate never dated before the last day. Each refusal in both
languages, changing nothing."""

from __future__ import annotations

import json
from datetime import datetime

from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import (
    AFTER_TALK,
    TALK,
    approved,
    in_handover,
    in_review,
    mark,
    ok,
    refusal,
    says,
    talk_scheduled,
    told,
)
from workflow.i18n import t


async def test_a_last_day_before_today_is_refused_unless_a_past_separation_is_recorded(world: World) -> None:
    await in_review(world)
    for who, locale in (("wangfang", "zh-CN"), ("zhao", "en")):
        reply = await world.act(who, "facts", facts={"last_day": "2020-01-01"})
        assert says(reply, "h.facts_last_day_past", locale, last_day="2020-01-01", today="2024-06-03")
    assert (await world.case()).facts.last_day is None
    await ok(world, "wangfang", "facts", facts={"last_day": "2020-01-01", "past_separation": "yes"})
    assert (await world.case()).facts.last_day.isoformat() == "2020-01-01"
    # Taking the mark back while the day is past is refused too: the date would be a mistake again.
    assert says(await world.act("zhao", "facts", facts={"past_separation": "no"}), "h.facts_last_day_past",
                "en", last_day="2020-01-01", today="2024-06-03")
    await ok(world, "zhao", "facts", facts={"last_day": "2024-06-03"})  # today is fine


async def test_a_talk_outside_working_time_is_refused_in_the_companys_zone(world: World) -> None:
    await approved(world)
    cases = (("2024-06-04 20:00", "wangfang", "zh-CN"), ("2024-06-04 07:30", "zhao", "en"),
             ("2024-06-08 10:00", "zhao", "en"), ("2024-06-08 10:00", "wangfang", "zh-CN"))  # a Saturday
    for when, who, locale in cases:
        reply = await world.act(who, "schedule", when=when)
        assert says(reply, "h.talk_not_working_time", locale, talk_at=when, start="09:00", end="18:00",
                    zone="Asia/Shanghai")
    # Given in UTC, the time is shown in the company's zone: 12:30 UTC is 20:30 in Shanghai.
    utc = await world.act("zhao", "schedule", when="2024-06-04T12:30:00+00:00")
    assert "2024-06-04 20:30" in refusal(utc) and "UTC" not in refusal(utc)
    assert (await world.case()).state == "scheduling_talk"


async def test_a_talk_in_the_past_is_refused_in_both_languages(world: World) -> None:
    await approved(world)
    zh = await world.act("wangfang", "schedule", when="2024-05-31 10:00")
    en = await world.act("zhao", "schedule", when="2024-05-31 10:00")
    for reply, locale in ((zh, "zh-CN"), (en, "en")):
        assert says(reply, "machine.refuse.talk_in_past", locale, talk_at="2024-05-31 10:00 (UTC+08:00)")
    assert (await world.case()).state == "scheduling_talk"


async def test_a_talk_is_recorded_only_after_its_time(world: World) -> None:
    await talk_scheduled(world)
    await ok(world, "lee", "confirm_attendance")
    for who, locale in (("wangfang", "zh-CN"), ("zhao", "en")):
        reply = await world.act(who, "record_talk")
        assert says(reply, "machine.refuse.talk_not_yet", locale, talk_at="2024-06-04 10:00 (UTC+08:00)")
    assert (await world.case()).state == "talk_scheduled"
    world.clock.set(AFTER_TALK)
    await ok(world, "wangfang", "record_talk")
    assert (await world.case()).state == "awaiting_employee"


async def test_a_scheduled_talk_can_be_moved(world: World) -> None:
    await talk_scheduled(world)
    await ok(world, "lee", "confirm_attendance")
    since = await mark(world)
    await ok(world, "zhao", "schedule", when="2024-06-04 15:00")
    case = await world.case()
    assert case.state == "talk_scheduled" and case.record.talk_at == datetime(2024, 6, 4, 15, 0, tzinfo=SHANGHAI)
    assert case.record.attendance_confirmed_at is None  # the manager confirms the new time
    assert [(m.to, m.kind) for m in await told(world, since)] == [("lee", "talk_confirm"), ("alice", "talk_invite")]
    # Moving it breaks the same rules as setting it.
    assert says(await world.act("zhao", "schedule", when="2024-06-05 19:00"), "h.talk_not_working_time", "en",
                talk_at="2024-06-05 19:00", start="09:00", end="18:00", zone="Asia/Shanghai")
    assert TALK != "2024-06-04 15:00"
    far = await world.act("zhao", "schedule", when="2024-06-06 10:00")  # past the window, shown in Shanghai time
    assert "2024-06-05 09:00 (UTC+08:00)" in refusal(far) and "(UTC)" not in refusal(far)


async def test_the_certificate_is_never_dated_before_the_last_day(world: World) -> None:
    await in_handover(world)  # signed on 2024-06-04; the last day is 2024-06-30
    case = await world.case()
    assert case.record.certificate is not None
    async with world.uow_factory() as uow:
        certificates = [d for d in await uow.documents.for_case(case.id) if d.kind == "termination_certificate"]
    # The default renderer stores the template's data as JSON: the date the certificate carries.
    assert certificates and {json.loads(d.content)["issued_on"] for d in certificates} == {"2024-06-30"}
    assert t("h.facts_last_day_past", "en", last_day="x", today="y")  # the catalogue has it
