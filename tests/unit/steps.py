"""Steps and looks for the fast action tests: a case taken to a given state through the public entry,
and what an action left behind (state, audit, timers, who was told what), read as a person would.

Everything goes through `handlers.dispatch.handle` (World.act) and the timer poller (World.advance_to),
never through a handler module, so the tests hold whatever the handlers look like inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.contracts import Reply
from storage.audit import problems_in
from tests.handlers.conftest import PEOPLE, SHANGHAI, World
from workflow.evidence import requirements
from workflow.i18n import t
from workflow.model import Ground

# Facts HR confirms for alice (incompetent ground): wages, notice paid in lieu, union told.
FACTS = {"last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000",
         "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes"}
TALK = "2024-06-04 10:00"  # the day after START, within the two working days allowed
AFTER_TALK = datetime(2024, 6, 4, 11, 0, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Told:
    """One outbox message: to whom (a handle of PEOPLE, or "hr_group") and which card."""

    to: str
    kind: str
    actions: tuple[str, ...]
    text: str


async def ok(world: World, who: str, name: str, ref: str | None = "C-0001", **args: Any) -> Reply:
    reply = await world.act(who, name, ref, **args)
    assert reply.ok, [m.data for m in reply.messages]
    return reply


async def supply_evidence(world: World, ground: Ground = Ground.INCOMPETENT) -> None:
    for req in requirements(ground):
        for n in range(req.min_count):
            await ok(world, "lee", "evidence", kind=sorted(req.accepts)[0],
                     content=f"{req.key} record {n + 1}: https://hr.example/{req.key}/{n}")


async def opened(world: World) -> None:
    await ok(world, "lee", "open", None, employee="@alice", ground="incompetent", note="两个季度绩效未达标")


async def in_review(world: World) -> None:
    await opened(world)
    await supply_evidence(world)
    await ok(world, "lee", "submit")


async def approved(world: World) -> None:
    await in_review(world)
    await ok(world, "wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    await ok(world, "wangfang", "approve")


async def talk_scheduled(world: World) -> None:
    await approved(world)
    await ok(world, "wangfang", "schedule", when=TALK)


async def with_employee(world: World) -> None:
    await talk_scheduled(world)
    await ok(world, "lee", "confirm_attendance")
    world.clock.set(AFTER_TALK)
    await ok(world, "wangfang", "record_talk")


async def disputed(world: World) -> None:
    await with_employee(world)
    await ok(world, "alice", "dispute", reason="PIP 目标从未与我确认")


async def in_handover(world: World) -> None:
    await with_employee(world)
    assert (await world.sign("alice")).ok


async def handles(world: World) -> dict[str, str]:
    """"person:<id>" -> handle, for reading recipients."""
    async with world.uow_factory() as uow:
        people = {h: await uow.people.by_identity("console", "local", h) for h in PEOPLE}
    return {f"person:{p.id}": h for h, p in people.items() if p is not None}


async def told(world: World, since: int = 0) -> list[Told]:
    """The outbox of C-0001 from message number `since` on, oldest first."""
    names = await handles(world)
    return [Told(names.get(m.recipient, m.recipient), m.kind, tuple(m.payload.get("actions") or ()),
                 str(m.payload.get("data", {}).get("text", "")))
            for m in (await world.outbox())[since:]]


async def mark(world: World) -> int:
    """How many messages C-0001 has so far: pass it to `told` to read only what comes next."""
    return len(await world.outbox())


async def audit_actions(world: World) -> list[str]:
    """The case's audit trail, having checked its hash chain holds."""
    case = await world.case()
    async with world.uow_factory() as uow:
        events = await uow.audit.for_case(case.id)
    assert problems_in(events) == []
    return [e.action for e in events]


async def last_event(world: World) -> tuple[str, str, str, dict[str, Any]]:
    case = await world.case()
    async with world.uow_factory() as uow:
        event = (await uow.audit.for_case(case.id))[-1]
    return event.action, event.from_state, event.to_state, event.payload


async def timers(world: World) -> set[str]:
    """The kinds of timer armed for the case's current version and not yet fired."""
    case = await world.case()
    async with world.uow_factory() as uow:
        return {tm.kind for tm in await uow.timers.pending_for(case.id) if tm.case_version == case.version}


def refusal(reply: Reply) -> str:
    assert not reply.ok and reply.messages, reply
    assert reply.messages[0].kind == "refusal"
    return str(reply.messages[0].data["text"])


def says(reply: Reply, key: str, locale: str, **params: Any) -> bool:
    """The reply refuses with exactly the catalogue's sentence `key` in `locale`."""
    return refusal(reply) == t(key, locale, **params)


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
