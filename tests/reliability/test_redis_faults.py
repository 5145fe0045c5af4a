"""Redis faults on a test-private redis-server: the bot keeps answering, loses nothing, recovers.

RELIABILITY.md: "Flush or stop Redis mid-run: no committed data is lost, the bot keeps answering
(degraded), and recovers when Redis returns." A real `python -m bot worker` process relays the
outbox (printing each message on its console channel) while this process dispatches requests,
both with REDIS_URL pointing at the private server: the worker is woken through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime import Runtime
from handlers.contracts import Inbound
from storage.audit import verify
from storage.db import make_session_factory
from storage.models import Case, OutboxMessage
from storage.uow import UnitOfWork
from tests.bot.runtime_support import settings_for
from tests.reliability.services import bot_env, bot_process, private_redis, wait_until
from workflow.clock import ManualClock

pytestmark = pytest.mark.slow

NOW = datetime.fromisoformat("2024-06-03T09:00:00+08:00")
STAFF = 24  # three rounds of eight cases: Redis up, Redis down, Redis back (and flushed)


async def seed(uow_factory: Callable[[], UnitOfWork]) -> None:
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local", name="local", timezone="Asia/Shanghai")
        lee = await uow.people.upsert(tenant.id, "M001", name="李雷", roles="manager", locale="zh-CN")
        await uow.people.link_identity(lee.id, "console", "local", "lee")
        hr = await uow.people.upsert(tenant.id, "H001", name="王芳", roles="hr", locale="zh-CN")
        await uow.people.link_identity(hr.id, "console", "local", "wangfang")
        for n in range(STAFF):
            person = await uow.people.upsert(tenant.id, f"E{n:03d}", name=f"员工{n:03d}", roles="", locale="zh-CN",
                                             manager_id=lee.id, hire_date=date(2020, 1, 6))
            await uow.people.link_identity(person.id, "console", "local", f"e{n:03d}")
        await uow.commit()


async def unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None))) or 0)


def delivered(log: Path) -> int:
    """Messages the worker's console channel printed (each starts with a '→ <recipient>' line)."""
    return sum(1 for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.startswith("→ "))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_stop_flush_and_restart_redis_mid_run(
    db_url: str, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await seed(uow_factory)
    log = tmp_path / "worker.log"
    with private_redis() as redis:
        runtime = Runtime(settings_for(db_url, REDIS_URL=redis.url), clock=ManualClock(NOW))
        env = bot_env(DATABASE_URL=db_url, REDIS_URL=redis.url, POLL_INTERVAL_SECONDS="0.5", LOG_LEVEL="INFO")
        try:
            with bot_process(["worker"], env, log) as worker:
                opened = 0

                async def open_cases(count: int) -> None:
                    """Managers open cases: every request must be answered, whatever Redis does."""
                    nonlocal opened
                    for _ in range(count):
                        inbound = Inbound(platform="console", platform_tenant="local", user_id="lee", name="open",
                                          args={"employee": f"@e{opened:03d}", "ground": "mutual"},
                                          delivery_id=f"slack:open-{opened}")
                        # A hang guard, not a timing assertion: a request must not wait on Redis.
                        async with asyncio.timeout(30):
                            reply = await runtime.dispatch(inbound)
                        assert reply.ok, [m.data for m in reply.messages]
                        opened += 1

                async def all_sent() -> bool:
                    return await unsent(engine) == 0

                await wait_until(lambda: _logged(log, "worker started"), seconds=60, what="the worker",
                                 process=worker, log=log)
                await open_cases(8)
                await wait_until(all_sent, seconds=60, what="delivery with Redis up", process=worker, log=log)

                redis.stop()  # mid-run: the worker is between polls, the requests keep coming
                await open_cases(8)
                await wait_until(all_sent, seconds=60, what="delivery with Redis down", process=worker, log=log)
                assert not await runtime.redis.ping()

                redis.start()
                await open_cases(4)
                assert redis.cli("FLUSHALL") == "OK"  # whatever Redis held is gone: nothing of record was
                await open_cases(4)
                await wait_until(all_sent, seconds=60, what="delivery after the restart", process=worker, log=log)
                await wait_until(runtime.redis.ping, seconds=30, what="the bot's Redis client recovering")
                await wait_until(lambda: _logged(log, "Redis is back"), seconds=60,
                                 what="the worker's Redis client recovering", process=worker, log=log)
                assert worker.poll() is None
        finally:
            await runtime.close()

    async with engine.connect() as conn:
        cases = int(await conn.scalar(select(func.count()).select_from(Case)) or 0)
        messages = int(await conn.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    assert cases == opened == STAFF
    # Each message once: the worker never died between sending and recording.
    assert delivered(log) == messages > 0
    async with make_session_factory(engine)() as session:
        assert await verify(session, None) == []
    assert "Redis unavailable" in log.read_text(encoding="utf-8")


async def _logged(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(encoding="utf-8", errors="replace")
