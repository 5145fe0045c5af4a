"""WeCom dialog state (Redis or its stand-in, with a TTL); the robot limiter on a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.guided import EvidenceDialog, Guided, filed_as
from bot.channels.wecom.conversation import Conversations, PendingChoice
from bot.channels.wecom.robot import RobotLimiter
from storage.cache import Cache, MemoryRedis
from workflow.clock import ManualClock
from workflow.evidence import requirements
from workflow.model import Ground


async def test_dialogs_round_trip_per_person_and_corp(redis_client: Cache) -> None:
    dialogs = Conversations(redis_client, "wwcorp")
    other_corp = Conversations(redis_client, "wwother")
    pending = Guided("reject", "C-0001", 3, None, ("证据不足",), "rc1")
    await dialogs.put("lee", EvidenceDialog("C-0001"))
    await dialogs.put("ann", pending)
    await dialogs.put_choice("lee", PendingChoice(("E1", "E2"), "incompetent", "note"))
    assert await dialogs.get("lee") == EvidenceDialog("C-0001")
    assert await dialogs.get("ann") == pending
    assert await dialogs.get_choice("lee") == PendingChoice(("E1", "E2"), "incompetent", "note")
    assert await other_corp.get("lee") is None
    await dialogs.clear("lee")
    assert await dialogs.get("lee") is None
    assert await dialogs.get_choice("lee") is not None  # a choice card outlives the dialog


async def test_dialogs_expire() -> None:
    now = [0.0]
    dialogs = Conversations(MemoryRedis(time=lambda: now[0]), "wwcorp", ttl=timedelta(hours=2))
    await dialogs.put("lee", EvidenceDialog("C-0001"))
    now[0] = 2 * 3600 - 1
    assert await dialogs.get("lee") == EvidenceDialog("C-0001")
    now[0] = 2 * 3600
    assert await dialogs.get("lee") is None


async def test_unreadable_state_is_dropped() -> None:
    cache = MemoryRedis()
    await cache.set("wecom:dialog:wwcorp:lee", "{not json")
    await cache.set("wecom:dialog:wwcorp:ann", '{"kind": "input", "action": "reject"}')  # an older shape
    await cache.set("wecom:choice:wwcorp:lee", '{"kind": "choice"}')
    dialogs = Conversations(cache, "wwcorp")
    assert await dialogs.get("lee") is None
    assert await dialogs.get("ann") is None
    assert await dialogs.get_choice("lee") is None


def test_an_answer_is_filed_as_the_kind_asked_for_or_the_one_it_names() -> None:
    performance, remedy, *_ = requirements(Ground.INCOMPETENT)
    assert filed_as(performance, " 2023H2 考核 C ") == "performance"
    assert filed_as(remedy, "PIP 2024-03") == "improvement_plan"
    assert filed_as(remedy, "培训 2024-03 结业") == "training"
    assert filed_as(remedy, "调岗") == "job_adjustment"
    assert filed_as(performance, "培训 记录") == "performance"  # not a kind this item takes


def _clock() -> ManualClock:
    return ManualClock(datetime(2024, 6, 3, 1, 0, tzinfo=UTC))


async def test_the_limiter_spreads_a_burst_and_never_exceeds_the_sliding_minute(
    redis_client: Cache
) -> None:
    clock = _clock()
    limiter = RobotLimiter(redis_client, clock, robot=f"r{id(clock)}")
    sent: list[datetime] = []
    queue = list(range(50))
    due = {n: clock.now() for n in queue}
    while queue:
        clock.set(min(due[n] for n in queue))
        for n in [n for n in queue if due[n] <= clock.now()]:
            wait = await limiter.acquire()
            if wait is None:
                sent.append(clock.now())
                queue.remove(n)
            else:
                due[n] = clock.now() + timedelta(seconds=wait)
    assert len(sent) == 50
    for first in sent:
        assert sum(first <= t < first + timedelta(minutes=1) for t in sent) <= 20
    assert sent[-1] - sent[0] < timedelta(minutes=4)


async def test_a_deferred_post_is_told_when_its_window_opens() -> None:
    clock = _clock()
    limiter = RobotLimiter(MemoryRedis(), clock, robot="r")
    assert [await limiter.acquire() for _ in range(4)] == [None] * 4
    waits = [await limiter.acquire() for _ in range(8)]
    assert waits == pytest.approx([15.0] * 4 + [30.0] * 4)
