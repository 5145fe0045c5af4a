"""The chat `company` command (HR's admin path): the profile card, one field set by command words in
either language, bad values and other people refused changing nothing; then the profile shows on
card footers and its working hours are the ones talks are scheduled in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.handlers.conftest import World
from tests.unit.steps import approved, ok, refusal, says
from workflow.i18n import t


def fields(reply) -> dict[str, str]:
    (card,) = reply.messages
    assert card.kind == "company"
    return dict(card.data["fields"])


async def tenant_settings(world: World) -> tuple[dict, str]:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        return dict(tenant.settings), tenant.timezone


async def test_hr_sees_and_sets_the_profile_in_chat(world: World) -> None:
    shown = fields(await ok(world, "zhao", "company", None))
    assert shown["Name (English)"] == "not set" and shown["Working hours"] == "09:00-18:00"
    assert shown["Time zone"] == "Asia/Shanghai" and shown["Union"] == "not set"
    reply = await ok(world, "zhao", "company", None, text="name_en Acme Trading Ltd")
    assert fields(reply)["Name (English)"] == "Acme Trading Ltd"
    reply = await ok(world, "wangfang", "company", None, text="名称 上海示例科技有限公司")
    assert fields(reply)["中文名称"] == "上海示例科技有限公司"
    await ok(world, "wangfang", "company", None, text="工会 有")
    settings, _ = await tenant_settings(world)
    assert settings["union"] == "yes"  # the one setting the compliance check reads
    assert settings["company"]["name_zh"] == "上海示例科技有限公司"


async def test_bad_values_and_non_hr_askers_are_refused_changing_nothing(world: World) -> None:
    before = await tenant_settings(world)
    assert says(await world.act("zhao", "company", None, text="timezone Mars/Base"),
                "company.refuse.timezone", "en", value="Mars/Base")
    assert says(await world.act("wangfang", "company", None, text="工作时间 18:00-09:00"),
                "company.refuse.hours_order", "zh-CN")
    assert says(await world.act("zhao", "company", None, text="seal whatever.png"),
                "company.refuse.chat_field", "en", field="seal")
    assert says(await world.act("zhao", "company", None, text="registration_no 123"),
                "company.refuse.registration_no", "en")
    assert says(await world.act("lee", "company", None, text="name_en Lee's Company"),
                "company.only_hr", "zh-CN")
    assert await tenant_settings(world) == before


async def test_the_profile_signs_card_footers(world: World) -> None:
    await ok(world, "zhao", "company", None, text="name_en Acme Trading Ltd")
    await ok(world, "zhao", "company", None, text="name_zh 艾克美贸易有限公司")
    await ok(world, "zhao", "company", None, text="hr_contact hr@acme.example")
    await approved(world)
    card = (await world.sent_to("zhao"))[-1]  # zhao reads English
    assert card.data["footer"] == t("company.footer", "en", name="Acme Trading Ltd", contact="hr@acme.example")
    chinese = (await world.sent_to("lee"))[-1]
    assert chinese.data["footer"] == "艾克美贸易有限公司 · HR：hr@acme.example"


async def test_talks_are_scheduled_within_the_profiles_working_hours(world: World) -> None:
    await ok(world, "zhao", "company", None, text="hours 10:00-16:00")
    await approved(world)
    assert says(await world.act("zhao", "schedule", when="2024-06-04 09:30"), "h.talk_not_working_time", "en",
                talk_at="2024-06-04 09:30", start="10:00", end="16:00", zone="Asia/Shanghai")
    assert "16:00" in refusal(await world.act("zhao", "schedule", when="2024-06-04 16:30"))
    await ok(world, "zhao", "schedule", when="2024-06-04 10:30")


async def test_the_talk_window_counts_working_days_in_the_profiles_time_zone(world: World) -> None:
    # Friday 7 June 2024, 20:00 in Berlin is already Saturday in Shanghai, and Monday 10 June is
    # the Dragon Boat holiday: counted in Shanghai the window would close on Tuesday 20:00 Berlin
    # time; counted in Berlin it runs to Wednesday 20:00.
    await ok(world, "zhao", "company", None, text="timezone Europe/Berlin")
    await approved(world)
    world.clock.set(datetime(2024, 6, 7, 20, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    await ok(world, "zhao", "schedule", when="2024-06-12 10:00")
    case = await world.case()
    assert case.record.talk_at == datetime(2024, 6, 12, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
