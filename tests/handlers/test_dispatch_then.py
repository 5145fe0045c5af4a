"""A channel's `then`: it runs in the transaction that commits the request's outcome, so what it
writes is kept exactly when the outcome is — and a duplicate delivery never reaches it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from handlers.contracts import Inbound, Reply
from handlers.dispatch import Settled, handle
from storage.models import OutboxMessage
from tests.handlers.conftest import World
from tests.handlers.test_flow import T1_FACTS, to_review


class Answer:
    """A `then` that queues one outbox row per call (and then fails, if asked to)."""

    def __init__(self, world: World, *, fail: bool = False) -> None:
        self.world = world
        self.fail = fail
        self.seen: list[Settled] = []

    async def __call__(self, settled: Settled) -> None:
        self.seen.append(settled)
        assert settled.tenant is not None
        await settled.uow.outbox.enqueue(
            tenant_id=settled.tenant.id, case_id=None, channel="console", recipient="test:answer",
            kind="answer", payload={"ok": settled.reply.ok}, dedup_key=f"answer:{len(self.seen)}",
            now=self.world.clock.now())
        if self.fail:
            raise RuntimeError("the channel could not write its answer")


async def press(world: World, who: str, then: Answer, delivery: str) -> Reply:
    inbound = Inbound(platform="console", platform_tenant="local", user_id=who, name="approve",
                      case_ref="C-0001", delivery_id=delivery)
    return await handle(inbound, world.uow_factory, world.deps, then=then)


async def answers(world: World) -> list[dict[str, Any]]:
    async with world.uow_factory() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "answer"))
        return [row.payload for row in rows]


@pytest.fixture
async def reviewed(world: World) -> World:
    await to_review(world)
    assert (await world.act("wangfang", "facts", facts={**T1_FACTS, "confirm": "yes"})).ok
    return world


async def test_what_then_writes_commits_with_the_change(reviewed: World) -> None:
    then = Answer(reviewed)
    reply = await press(reviewed, "wangfang", then, "d-1")
    assert reply.ok and (await reviewed.case()).state == "scheduling_talk"
    assert [s.reply for s in then.seen] == [reply] and then.seen[0].actor is not None
    assert await answers(reviewed) == [{"ok": True}]


async def test_a_then_that_fails_takes_the_change_with_it(reviewed: World) -> None:
    with pytest.raises(RuntimeError):
        await press(reviewed, "wangfang", Answer(reviewed, fail=True), "d-1")
    assert (await reviewed.case()).state == "hr_review"
    assert await answers(reviewed) == []


async def test_a_refusal_is_answered_with_the_attempt_and_its_retry_is_not(reviewed: World) -> None:
    then = Answer(reviewed)
    refused = await press(reviewed, "lee", then, "d-1")  # the manager may not approve
    assert not refused.ok and [s.reply for s in then.seen] == [refused]
    assert await answers(reviewed) == [{"ok": False}]
    retry = await press(reviewed, "lee", then, "d-1")
    assert retry.duplicate and len(then.seen) == 1
    assert await answers(reviewed) == [{"ok": False}]
