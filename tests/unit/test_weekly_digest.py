"""The weekly digest through the handlers, fast lane: set for the workspace, it fires on the timer
poller at its hour with the week's figures and the chart's data, once, re-arms for the next week,
names the disputed case without pay or protected status, and stays silent once turned off."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers import digest
from handlers.contracts import HR_GROUP
from storage.models import OutboxMessage
from tests.handlers.conftest import SHANGHAI, World
from tests.unit.steps import disputed, ok
from workflow.digest import Schedule

MONDAY, NEXT_MONDAY = (datetime(2024, 6, day, 9, 0, tzinfo=SHANGHAI) for day in (10, 17))


async def schedule(world: World, plan: Schedule) -> datetime | None:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant is not None
        due = await digest.set_schedule(uow, tenant, plan, world.clock.now())
        await uow.commit()
    return due


async def digests(world: World) -> list[OutboxMessage]:
    async with world.uow_factory() as uow:  # the digest is about no case
        return [m for m in await uow.outbox.for_case(None) if m.kind == digest.WEEKLY_DIGEST]  # type: ignore[arg-type]


async def pending(world: World) -> list[datetime]:
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant is not None
        return [t.due_at for t in await uow.timers.pending_for_tenant(tenant.id, digest.WEEKLY_DIGEST)]


async def test_the_digest_fires_once_a_week_with_the_figures_and_no_private_facts(world: World) -> None:
    await disputed(world)  # alice's wages are among the facts
    await ok(world, "wangfang", "facts", facts={"protections": "pregnant"})
    assert await schedule(world, Schedule(0, 9)) == MONDAY
    assert await schedule(world, Schedule(0, 9)) == MONDAY  # set again: still one timer
    assert await pending(world) == [MONDAY]

    await world.advance_to(MONDAY - timedelta(minutes=1))
    assert await digests(world) == []
    await world.advance_to(MONDAY)
    [sent] = await digests(world)
    assert (sent.recipient, sent.channel, sent.case_id) == (HR_GROUP, "console", None)
    data = sent.payload["data"]
    assert data["title"] == "离职案件周报（2024-06-03 至 2024-06-10）"
    assert data["text"].startswith("本周新建：1 · 本周结案：0 · 当前进行中：1")
    fields = dict(data["fields"])
    assert fields["需要关注"] == "C-0001 · 员工有异议 · 员工提出异议"
    assert fields["本周"] == "员工异议：1 · 升级处理：0 · 当前逾期交接事项：0"
    chart = data["chart"]
    assert chart["states"] == [["员工有异议", 1]]
    assert [row[0] for row in chart["stages"]] == ["收集证据", "人事审核", "面谈", "员工回应", "工作交接"]
    assert chart["stages"][2][1] > 0  # the talk's stay ended this week
    text = str(sent.payload)
    assert not [w for w in ("12000", "12,000", "12500", "10000", "pregnant", "孕", "Alice") if w in text]

    assert await pending(world) == [NEXT_MONDAY]  # re-armed once
    await world.advance_to(MONDAY + timedelta(hours=1))
    assert len(await digests(world)) == 1
    await world.advance_to(NEXT_MONDAY)
    assert len(await digests(world)) == 2 and await pending(world) == [NEXT_MONDAY + timedelta(weeks=1)]


async def test_a_digest_turned_off_is_disarmed_and_sends_nothing(world: World) -> None:
    assert await schedule(world, Schedule(2, 18)) == datetime(2024, 6, 5, 18, tzinfo=SHANGHAI)
    assert await schedule(world, Schedule(2, 18, enabled=False)) is None
    assert await pending(world) == []
    await world.advance_to(MONDAY)
    assert await digests(world) == []
    async with world.uow_factory() as uow:  # nor does the poller's arming bring it back
        assert await digest.arm_all(uow, world.clock.now()) == 0
        await uow.commit()
    assert await pending(world) == []
