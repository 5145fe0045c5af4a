"""The per-case hash chain: built on append, and any edit, deletion or reordering is named."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from storage.audit import GENESIS, AuditProblem, ChainWalk, canonical_json, verify
from storage.models import AuditEvent, cases
from tests.storage.data import NOW


@pytest.fixture
async def chain(uow_factory, open_case, world) -> list[AuditEvent]:
    """Two cases; the first has a four-event chain, the second a one-event chain."""
    async with uow_factory() as uow:
        case, other = await open_case(uow), await open_case(uow)
        steps = [
            ("open", "", "evidence"),
            ("add_evidence", "evidence", "evidence"),
            ("submit", "evidence", "hr_review"),
            ("approve", "hr_review", "talk"),
        ]
        events = [
            await uow.audit.append(
                case,
                action=action,
                actor_id=world.manager_id,
                actor_identity="console:local:ming",
                from_state=before,
                to_state=after,
                payload={"step": n},
                at=NOW + timedelta(hours=n),
            )
            for n, (action, before, after) in enumerate(steps)
        ]
        await uow.audit.append(other, action="open", actor_id=None, at=NOW)
        await uow.commit()
    return events


async def _verify(uow_factory, case_id: int | None = None) -> list[AuditProblem]:
    async with uow_factory() as uow:
        return await verify(uow.session, case_id)


async def _tamper(uow_factory, statement) -> None:
    async with uow_factory() as uow:
        await uow.session.execute(statement)
        await uow.commit()


async def _edit(uow_factory, event_id: int, **values) -> None:
    await _tamper(uow_factory, update(AuditEvent).where(AuditEvent.id == event_id).values(**values))


async def test_events_link_from_genesis(uow_factory, chain) -> None:
    assert [e.seq for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert await _verify(uow_factory) == []
    async with uow_factory() as uow:
        stored = await uow.audit.for_case(chain[0].case_id)
    assert [e.hash for e in stored] == [e.hash for e in chain]


async def test_hashes_follow_the_documented_recipe(chain) -> None:
    event = chain[1]
    body = {
        "case_id": event.case_id,
        "seq": 2,
        "at": (NOW + timedelta(hours=1)).isoformat(),
        "actor_id": event.actor_id,
        "actor_identity": "console:local:ming",
        "action": "add_evidence",
        "from_state": "evidence",
        "to_state": "evidence",
        "payload_hash": hashlib.sha256(b'{"step":1}').hexdigest(),
    }
    expected = hashlib.sha256((chain[0].hash + canonical_json(body)).encode()).hexdigest()
    assert (event.payload_hash, event.hash) == (body["payload_hash"], expected)


async def test_payload_values_are_stored_as_hashed(uow_factory, open_case) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        payload = {"last_day": date(2026, 4, 1), "pay": Decimal("1.50"), "名字": "张伟"}
        event = await uow.audit.append(case, action="facts", actor_id=None, payload=payload, at=NOW)
        await uow.commit()
    assert event.payload == {"last_day": "2026-04-01", "pay": "1.50", "名字": "张伟"}
    assert await _verify(uow_factory, case.id) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"payload": {"step": 99}}, "payload_edited"),
        ({"action": "reject"}, "event_edited"),
        ({"at": NOW + timedelta(days=9)}, "event_edited"),
        ({"actor_id": None}, "event_edited"),
    ],
)
async def test_an_edited_event_is_named(uow_factory, chain, change, reason) -> None:
    target = chain[2]
    await _edit(uow_factory, target.id, **change)
    assert await _verify(uow_factory) == [AuditProblem(target.case_id, 3, target.id, reason)]


async def test_a_deleted_event_is_named(uow_factory, chain) -> None:
    await _tamper(uow_factory, delete(AuditEvent).where(AuditEvent.id == chain[1].id))
    after_gap = chain[2]
    assert await _verify(uow_factory, chain[0].case_id) == [
        AuditProblem(after_gap.case_id, 3, after_gap.id, "missing_event")
    ]


async def test_a_deletion_hidden_by_renumbering_is_named(uow_factory, chain) -> None:
    await _tamper(uow_factory, delete(AuditEvent).where(AuditEvent.id == chain[1].id))
    for event in chain[2:]:
        await _edit(uow_factory, event.id, seq=event.seq - 1)
    assert await _verify(uow_factory) == [
        AuditProblem(chain[2].case_id, 2, chain[2].id, "chain_broken")
    ]


async def test_swapped_events_are_named(uow_factory, chain) -> None:
    second, third = chain[1], chain[2]
    for event_id, seq in ((second.id, -1), (third.id, 2), (second.id, 3)):
        await _edit(uow_factory, event_id, seq=seq)
    assert await _verify(uow_factory) == [AuditProblem(third.case_id, 2, third.id, "chain_broken")]


async def test_each_case_reports_its_own_first_problem(uow_factory, chain) -> None:
    await _edit(uow_factory, chain[3].id, action="x")
    await _edit(uow_factory, chain[1].id, action="x")
    problems = await _verify(uow_factory)
    assert problems == [AuditProblem(chain[1].case_id, 2, chain[1].id, "event_edited")]
    other_case = chain[0].case_id + 1
    assert await _verify(uow_factory, other_case) == []


async def test_deleted_last_events_are_named_by_the_head_the_case_row_holds(uow_factory, chain) -> None:
    case_id, other_id = chain[0].case_id, chain[0].case_id + 1
    await _tamper(uow_factory, delete(AuditEvent).where(AuditEvent.id == chain[3].id))
    await _tamper(uow_factory, delete(AuditEvent).where(AuditEvent.case_id == other_id))
    assert await _verify(uow_factory) == [
        AuditProblem(case_id, 4, None, "missing_at_end"),
        AuditProblem(other_id, 1, None, "missing_at_end"),
    ]
    assert await _verify(uow_factory, case_id) == [AuditProblem(case_id, 4, None, "missing_at_end")]


async def test_the_next_event_links_to_the_head_the_locked_case_row_holds(uow_factory, open_case) -> None:
    """No read of the chain: the head comes with the case's row, read with its lock, so a writer
    that extended the chain in between is seen."""
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.audit.append(case, action="open", actor_id=None, at=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        locked = await uow.cases.get(case.id, for_update=True)
        await uow.audit.append(locked, action="facts", actor_id=None, at=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        locked = await uow.cases.get(case.id, for_update=True)
        last = await uow.audit.append(locked, action="submit", actor_id=None, at=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        row = (await uow.session.execute(select(cases.c.audit_seq, cases.c.audit_hash)
                                         .where(cases.c.id == case.id))).one()
    assert last.seq == 3 and tuple(row) == (3, last.hash)
    assert await _verify(uow_factory, case.id) == []


async def test_a_head_behind_its_chain_links_to_the_chains_end(uow_factory, open_case, caplog) -> None:
    """As after events added by a replica still running the code before the head was kept (a
    rolling deploy): the next event links to the chain's real end, and the head catches up."""
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.audit.append(case, action="open", actor_id=None, at=NOW)
        await uow.audit.append(case, action="facts", actor_id=None, at=NOW)
        await uow.commit()
    await _tamper(uow_factory, update(cases).where(cases.c.id == case.id).values(audit_seq=1, audit_hash="x"))
    async with uow_factory() as uow:
        locked = await uow.cases.get(case.id, for_update=True)
        third = await uow.audit.append(locked, action="submit", actor_id=None, at=NOW)
        fourth = await uow.audit.append(locked, action="approve", actor_id=None, at=NOW)
        await uow.commit()
    assert (third.seq, fourth.seq, fourth.prev_hash) == (3, 4, third.hash)
    assert "was behind its chain" in caplog.text
    assert await _verify(uow_factory, case.id) == []


async def test_a_chain_that_grew_past_the_head_read_before_it_is_intact(chain) -> None:
    """verify reads the heads, then the chains: events added in between are no alarm."""
    walk = ChainWalk({chain[0].case_id: (2, chain[1].hash)})
    for event in chain:
        walk.see(event)
    walk.finish()
    assert walk.problems == []


async def test_a_chain_hashed_anew_to_its_end_is_named_by_the_head(chain) -> None:
    walk = ChainWalk({chain[0].case_id: (4, "f" * 64)})
    for event in chain:
        walk.see(event)
    walk.finish()
    assert walk.problems == [AuditProblem(chain[0].case_id, 4, None, "rewritten")]
