"""A unit of work commits a case, its audit event, timers and messages together, or none."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import AuditEvent, Case, OutboxMessage, Timer
from storage.uow import UnitOfWork
from tests.storage.data import NOW, OpenCase, Spec, World


async def _write_everything(uow: UnitOfWork, open_case: OpenCase, world: World) -> Case:
    case = await open_case(uow)
    await uow.audit.append(
        case, action="open", actor_id=world.manager_id, to_state="evidence", at=NOW
    )
    await uow.timers.arm(case.id, case.version, [Spec("remind", NOW + timedelta(days=3), {})])
    await uow.outbox.enqueue(
        tenant_id=world.tenant_id,
        case_id=case.id,
        channel="console",
        recipient="hr_group",
        kind="case_opened",
        payload={},
        dedup_key=f"opened:{case.id}",
        now=NOW,
    )
    return case


async def _counts(uow_factory: Callable[[], UnitOfWork]) -> list[int]:
    async with uow_factory() as uow:
        return [
            await uow.session.scalar(select(func.count()).select_from(model))
            for model in (Case, AuditEvent, Timer, OutboxMessage)
        ]


async def test_commit_keeps_all_of_it(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow, open_case, world)
        await uow.commit()
    assert await _counts(uow_factory) == [1, 1, 1, 1]


async def test_an_exception_keeps_none_of_it(uow_factory, open_case, world) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await _write_everything(uow, open_case, world)
            raise RuntimeError("handler failed after writing")
    assert await _counts(uow_factory) == [0, 0, 0, 0]


async def test_leaving_without_commit_rolls_back(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow, open_case, world)
    assert await _counts(uow_factory) == [0, 0, 0, 0]


async def test_explicit_rollback_discards_the_work(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow, open_case, world)
        await uow.rollback()
        await uow.commit()
    assert await _counts(uow_factory) == [0, 0, 0, 0]


async def test_concurrent_cases_get_distinct_numbers(uow_factory, open_case) -> None:
    async def one() -> str:
        async with uow_factory() as uow:
            case = await open_case(uow)
            await uow.commit()
            return case.ref

    refs = await asyncio.gather(*(one() for _ in range(8)))
    assert sorted(refs) == [f"C-{n:04d}" for n in range(1, 9)]
