"""Times are stated on the reader's own clock (issue 16): a person whose directory entry gives a time
zone reads reminders, re-sent cards, handover items, talk notices, home and timeline in it, that
zone named; everyone else, and the HR group, reads the company's (Shanghai here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.home import ITEM, home
from storage.memory import MemoryDatabase
from tests.handlers.conftest import SHANGHAI, World, make_world
from tests.unit.steps import TALK, in_handover, in_review, ok, with_employee
from tests.unit.test_calendar_provisional import LATE_2026, to_handover
from workflow.clock import ManualClock
from workflow.i18n import t
from workflow.policy import LadderPolicy

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+2 in June, UTC+1 in January
NEW_YORK = ZoneInfo("America/New_York")  # UTC-4 in June


async def set_zone(world: World, who: str, timezone: str) -> None:
    async with world.uow_factory() as uow:
        person = await uow.people.by_identity("console", "local", who)
        assert person is not None
        await uow.people.upsert(person.tenant_id, person.employee_no, timezone=timezone)
        await uow.commit()


def stamp(instant: datetime, tz: ZoneInfo, zone: str, locale: str) -> str:
    return t("h.zoned_time", locale, when=f"{instant.astimezone(tz):%Y-%m-%d %H:%M}", zone=zone)


async def test_one_deadline_read_on_each_readers_clock(world: World) -> None:
    """The unsigned warning goes to each HR member: 王芳 (Berlin) reads the escalation time in
    Berlin, 赵敏 (no zone in the directory) in the company's Shanghai time."""
    await set_zone(world, "wangfang", "Europe/Berlin")
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    # Three working days on (the ladder's own day, 11:00 in Shanghai) it is 05:00 in Berlin: the
    # warning waits for the end of the quiet hours there, before the escalation a day later.
    await world.advance_to(entered + timedelta(days=6, hours=4))
    escalates = entered + timedelta(days=LadderPolicy().employee_escalate_days)
    days = LadderPolicy().employee_unsigned_working_days
    [berlin] = await world.sent_to("wangfang", "reminder")
    assert berlin.data["text"] == t("policy.warn_hr_unsigned", "zh-CN", case="C-0001", days=days,
                                    read=t("policy.read.unopened", "zh-CN"),
                                    due=stamp(escalates, BERLIN, "UTC+2", "zh-CN"))
    [shanghai] = [m for m in await world.sent_to("zhao", "reminder") if "signed" in m.data["text"]]
    assert shanghai.data["text"] == t("policy.warn_hr_unsigned", "en", case="C-0001", days=days,
                                      read=t("policy.read.unopened", "en"),
                                      due=stamp(escalates, SHANGHAI, "UTC+8", "en"))
    assert f"{escalates.astimezone(BERLIN):%H:%M}" != f"{escalates.astimezone(SHANGHAI):%H:%M}"


async def test_the_hr_group_keeps_the_companys_clock_whatever_its_members_use(world: World) -> None:
    for who in ("wangfang", "zhao"):
        await set_zone(world, who, "Europe/Berlin")
    await in_review(world)
    await world.advance_to(datetime(2024, 6, 4, 9, 0, tzinfo=SHANGHAI))
    group = [m.payload["data"]["text"] for m in await world.outbox()
             if m.recipient == "hr_group" and m.kind == "reminder"]
    assert group == [t("policy.remind_hr_review", "zh-CN", case="C-0001", due="2024-06-06 09:00（UTC+8）")]


async def test_the_card_sent_again_says_by_when_on_the_employees_clock(world: World) -> None:
    await set_zone(world, "alice", "Europe/Berlin")
    await with_employee(world)
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=30))  # the 24-hour resend, after Berlin's night
    _first, again = await world.sent_to("alice", "employee_decision")
    escalates = entered + timedelta(days=LadderPolicy().employee_escalate_days)
    assert again.data["fields"][0] == [t("h.field.answer_by", "zh-CN"), stamp(escalates, BERLIN, "UTC+2", "zh-CN")]


async def test_an_item_owner_elsewhere_reads_the_due_time_on_their_own_clock(world: World) -> None:
    """陈工 works from New York: the item card, its reminder and the home view say New York time,
    while 李雷's item (no zone) says Shanghai time."""
    await set_zone(world, "chen", "America/New_York")
    await in_handover(world)
    case = await world.case()
    async with world.uow_factory() as uow:
        chen = await uow.people.by_identity("console", "local", "chen")
        items = [i for i in await uow.handover.for_case(case.id) if i.owner_id == chen.id]
    due = min(i.due_at for i in items)
    new_york = stamp(due, NEW_YORK, "UTC-4", "zh-CN")
    cards = [m.data["text"] for m in await world.sent_to("chen", "handover_item")]
    assert any(new_york in text for text in cards), cards
    assert not any("UTC+8" in text for text in cards), cards
    lee_cards = [m.data["text"] for m in await world.sent_to("lee", "handover_item")]
    assert lee_cards and all("UTC+8" in text for text in lee_cards), lee_cards
    entries = [m for m in await home(world.uow_factory, world.deps, "console", "local", "chen") if m.kind == ITEM]
    assert any(new_york in m.data["text"] for m in entries), [m.data for m in entries]
    await world.advance_to(due + timedelta(hours=14))  # the reminder, held to New York's daytime
    [reminder] = await world.sent_to("chen", "reminder")
    assert new_york in reminder.data["text"]


async def test_the_talk_invitation_names_the_employees_own_time(world: World) -> None:
    """The talk at 10:00 Shanghai is 04:00 in Berlin: the employee there is told so; the manager,
    with no zone of their own, reads 10:00 with Shanghai's offset."""
    await set_zone(world, "alice", "Europe/Berlin")
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={
        "last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000",
        "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes", "confirm": "yes"})
    await ok(world, "wangfang", "approve")
    await ok(world, "wangfang", "schedule", when=TALK)
    [invite] = await world.sent_to("alice", "talk_invite")
    assert "2024-06-04 04:00（UTC+2）" in invite.data["text"], invite.data["text"]
    [confirm] = await world.sent_to("lee", "talk_confirm")
    assert "2024-06-04 10:00（UTC+8）" in confirm.data["text"], confirm.data["text"]


async def test_the_timeline_is_on_the_askers_clock_and_says_which(world: World) -> None:
    await set_zone(world, "lee", "Europe/Berlin")
    await in_review(world)
    reply = await ok(world, "lee", "status")
    [timeline] = [m for m in reply.messages if m.kind == "timeline"]
    assert timeline.data["title"] == t("h.timeline.heading", "zh-CN", ref="C-0001", zone="UTC+2")
    # Opened at 09:00 Shanghai on 2024-06-03, which is 03:00 in Berlin.
    assert timeline.data["text"].splitlines()[0].startswith("2024-06-03 03:00 · ")
    reply = await ok(world, "wangfang", "status")
    [timeline] = [m for m in reply.messages if m.kind == "timeline"]
    assert timeline.data["title"] == t("h.timeline.heading", "zh-CN", ref="C-0001", zone="UTC+8")
    assert timeline.data["text"].splitlines()[0].startswith("2024-06-03 09:00 · ")


async def test_a_provisional_deadline_stays_marked_on_another_clock() -> None:
    """2027 has no holiday data: 李雷 in Berlin reads the work handover's due time in Berlin
    (UTC+1 in winter), still marked provisional for the company's 2027."""
    world = await make_world(MemoryDatabase().unit_of_work, ManualClock(LATE_2026))
    await set_zone(world, "lee", "Europe/Berlin")
    await to_handover(world, "2027-01-29")
    lee = (await world.sent_to("lee", "handover_item"))[0].data["text"]
    assert t("h.deadline_provisional", "zh-CN", year=2027,
             when=t("h.zoned_time", "zh-CN", when="2027-01-28 11:00", zone="UTC+1")) in lee, lee


async def test_a_snooze_answer_says_until_when_on_the_askers_clock(world: World) -> None:
    await set_zone(world, "lee", "Europe/Berlin")
    await in_review(world)
    reply = await ok(world, "lee", "snooze", minutes=60)
    until = world.clock.now() + timedelta(minutes=60)
    [answer] = [m for m in reply.messages if m.kind == "snooze"]
    berlin = f"{until.astimezone(BERLIN):%Y-%m-%d %H:%M}"
    assert answer.data["text"] == t("h.snooze.set", "zh-CN", ref="C-0001", until=berlin)
