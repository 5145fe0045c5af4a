"""The HR report over a seeded history: four cases opened, withdrawn, disputed, escalated and served by
registered mail on a simulated clock, through the public entry; the figures checked by hand.

Timeline (Shanghai time; the world starts Monday 2024-06-03 09:00, all four cases are opened then):
  C-0001 alice (Sales)  submit 11:00, approve 14:00, talk recorded 06-04 11:00, signs on the page 15:00
  C-0002 bob   (Sales)  submit 13:00, approve 15:00, talk recorded 06-04 11:00, disputes 17:00 in chat,
                        HR withdraws 06-05 11:00
  C-0003 carol (R&D)    misconduct, withdrawn by her manager at 14:00 while still collecting evidence
  C-0004 dave  (R&D)    submit 14:00, approve 15:00, talk recorded 06-04 11:00, silent: escalated by the
                        timer 06-11 11:00, HR records the registered letter 06-12 11:00
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from handlers.report import figures
from handlers.signing.page import Answer, Visitor, answer
from storage.reports import ReportQuery
from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import FACTS, TALK, ok
from workflow.evidence import requirements
from workflow.i18n import t
from workflow.model import Ground
from workflow.signing_rules import LinkState

LINK = re.compile(r"/sign/([A-Za-z0-9_-]{20,})")
DEPARTMENTS = {"alice": "Sales", "bob": "Sales", "carol": "R&D", "dave": "R&D"}
REPORT_AT = datetime(2024, 8, 1, 9, 0, tzinfo=SHANGHAI)

STAGES = {
    # evidence 2, 4, 5, 5 h: median 4.5, p90 the 4th of 4
    "evidence": {"cases": 4, "median_hours": 4.5, "p90_hours": 5.0},
    "hr_review": {"cases": 3, "median_hours": 2.0, "p90_hours": 3.0},  # 3, 2, 1 h
    "talk": {"cases": 3, "median_hours": 20.0, "p90_hours": 21.0},  # 21, 20, 20 h
    # from the talk to the answer or the letter: 4 h (signed), 24 h (disputed, withdrawn), 192 h
    "employee_response": {"cases": 3, "median_hours": 24.0, "p90_hours": 192.0},
    "handover": {"cases": 0, "median_hours": 0.0, "p90_hours": 0.0},  # both still in it
}


def at(day: int, hour: int, month: int = 6) -> datetime:
    return datetime(2024, month, day, hour, 0, tzinfo=SHANGHAI)


async def _people(world: World) -> None:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        mike = await uow.people.by_identity("console", "local", "mike")
        dave = await uow.people.upsert(tenant.id, "E004", name="Dave Ma", locale="en", manager_id=mike.id,
                                       hire_date=date(2020, 5, 1), email="dave@example.com")
        await uow.people.link_identity(dave.id, "console", "local", "dave")
        for handle, department in DEPARTMENTS.items():
            person = await uow.people.by_identity("console", "local", handle)
            person.department = department
        await uow.commit()


async def _evidence(world: World, manager: str, ref: str) -> None:
    for req in requirements(Ground.INCOMPETENT):
        for n in range(req.min_count):
            await ok(world, manager, "evidence", ref, kind=sorted(req.accepts)[0],
                     content=f"{req.key} record {n + 1}: https://hr.example/{ref}/{req.key}/{n}")


async def _approve(world: World, ref: str) -> None:
    await ok(world, "wangfang", "facts", ref, facts={**FACTS, "confirm": "yes"})
    await ok(world, "wangfang", "approve", ref)
    await ok(world, "wangfang", "schedule", ref, when=TALK)


async def seed(world: World) -> None:
    await _people(world)
    for employee, manager, ground in (("alice", "lee", "incompetent"), ("bob", "lee", "incompetent"),
                                      ("carol", "mike", "misconduct"), ("dave", "mike", "incompetent")):
        await ok(world, manager, "open", None, employee=f"@{employee}", ground=ground, note="seeded")
    for manager, ref in (("lee", "C-0001"), ("lee", "C-0002"), ("mike", "C-0004")):
        await _evidence(world, manager, ref)
    world.clock.set(at(3, 11))
    await ok(world, "lee", "submit", "C-0001")
    world.clock.set(at(3, 13))
    await ok(world, "lee", "submit", "C-0002")
    world.clock.set(at(3, 14))
    await ok(world, "mike", "withdraw", "C-0003", text="resolved informally")
    await _approve(world, "C-0001")
    await ok(world, "mike", "submit", "C-0004")
    world.clock.set(at(3, 15))
    await _approve(world, "C-0002")
    await _approve(world, "C-0004")
    for manager, ref in (("lee", "C-0001"), ("lee", "C-0002"), ("mike", "C-0004")):
        await ok(world, manager, "confirm_attendance", ref)
    world.clock.set(at(4, 11))
    for ref in ("C-0001", "C-0002", "C-0004"):
        await ok(world, "wangfang", "record_talk", ref)
    world.clock.set(at(4, 15))
    (card,) = await world.sent_to("alice", "employee_decision")
    token = LINK.search(str(card.data["fields"])).group(1)
    signed = await answer(world.uow_factory, world.deps, token, Visitor("10.0.0.9", "phone"), Answer("sign", True))
    assert signed.state == LinkState.SIGNED
    world.clock.set(at(4, 17))
    await ok(world, "bob", "dispute", "C-0002", reason="the targets were never agreed")
    world.clock.set(at(5, 11))
    await ok(world, "wangfang", "withdraw", "C-0002", text="settled by agreement")
    await world.advance_to(at(11, 11))  # seven days of silence: dave's case escalates
    assert (await world.case("C-0004")).state == "escalated"
    world.clock.set(at(12, 11))
    await ok(world, "wangfang", "record_notice_served", "C-0004", text="EMS1234567890CN")
    world.clock.set(REPORT_AT)


async def test_the_report_over_a_seeded_history_gives_the_hand_computed_figures(world: World) -> None:
    await seed(world)
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        report = await figures(uow, world.clock.now(), ReportQuery(tenant.id))
    data = json.loads(json.dumps(report.as_dict()))  # what `report --json` prints
    assert (data["cases"], data["open"], data["closed"]) == (4, 2, 2)
    assert data["by_ground"] == {"incompetent": 3, "misconduct": 1}
    assert data["by_outcome"] == {"open": 2, "withdrawn": 2}
    assert data["stages"] == STAGES
    assert data["slowest_stage"] == "employee_response"
    third = {"cases": 1, "of": 3, "rate": 0.3333}
    assert data["disputed"] == data["escalated"] == data["notice_served"] == third
    assert data["response_by_channel"] == {
        "console": {"cases": 1, "median_hours": 6.0, "p90_hours": 6.0},  # bob disputed in chat after 6 h
        "page": {"cases": 1, "median_hours": 4.0, "p90_hours": 4.0},  # alice signed on the page after 4 h
    }
    # Both handovers are past due (last day 2024-06-30; the latest items 15 days later): each owner
    # holds one item per case, HR the three HR items of each.
    overdue = data["overdue_by_owner"]
    assert {name: overdue[name] for name in ("陈工", "刘行政", "孙财务", "李雷", "Mike Wu")} == {
        "陈工": 2, "刘行政": 2, "孙财务": 2, "李雷": 1, "Mike Wu": 1}
    assert sum(overdue.values()) == 14


async def test_the_period_and_the_department_narrow_the_cases(world: World) -> None:
    await seed(world)
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        rnd = await figures(uow, world.clock.now(), ReportQuery(tenant.id, department="R&D"))
        later = await figures(uow, world.clock.now(), ReportQuery(tenant.id, opened_from=at(4, 0)))
        june = await figures(uow, world.clock.now(), ReportQuery(tenant.id, opened_from=at(1, 0),
                                                                 opened_to=at(1, 0, month=7)))
    assert (rnd.cases, rnd.by_ground, rnd.by_outcome) == (2, {"incompetent": 1, "misconduct": 1},
                                                          {"open": 1, "withdrawn": 1})
    assert rnd.escalated.rate == rnd.notice_served.rate == 1.0 and rnd.disputed.cases == 0
    assert later.cases == 0 and later.slowest_stage is None and later.disputed.rate == 0.0
    assert june.cases == 4


async def test_the_chat_report_shows_the_figures_to_hr(world: World) -> None:
    await seed(world)
    fields = dict((await ok(world, "zhao", "report", None)).messages[0].data["fields"])
    stages = fields[t("h.report.durations", "en")].splitlines()
    assert t("h.report.figure_line", "en", label="Employee response", median="24.0", p90="192.0", cases=3) in stages
    assert fields[t("h.report.slowest", "en")] == "Employee response"
    assert fields[t("h.report.rates", "en")].splitlines()[0] == "Disputed: 1 of 3 (33%)"
    assert "Signing page: 4.0 · 4.0 (n=1)" in fields[t("h.report.channels", "en")]
    assert fields[t("h.report.by_outcome", "en")].splitlines() == ["Open: 2", "Withdrawn: 2"]
    text = json.dumps(fields, ensure_ascii=False)
    assert "12000" not in text and "wage" not in text.lower()  # the figures name no pay
