"""Redis faults on a test-private redis-server: the bot keeps answering, loses nothing, recovers.

RELIABILITY.md: "Flush or stop Redis mid-run: no committed data is lost, the bot keeps answering
(degraded), and recovers when Redis returns." A real `python -m bot worker` process relays the
outbox (printing each message on its console channel) while this process dispatches requests,
both with REDIS_URL pointing at the private server: the worker is woken through it. Then the
real endpoints: signed Slack requests and encrypted WeCom callbacks through the app, with the
WeCom access token (wechatpy's session storage), the guided dialogs and the HR robot's shared
20-a-minute limit all living in that Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.cards.model import decode_action
from bot.channels.wecom.api import WeComApi
from bot.router import usage
from handlers.contracts import HR_GROUP, Inbound, Message, to_payload
from storage.audit import verify
from storage.db import make_session_factory
from storage.models import Case, EvidenceItem, OutboxMessage
from storage.uow import UnitOfWork
from tests.bot.services_support import settings_for
from tests.e2e.slack_support import slack_stack
from tests.e2e.wecom_support import Stack as WeComStack
from tests.e2e.wecom_support import wecom_stack
from tests.reliability.platforms import assert_no_traceback, footprint, slack_effects, slack_in_hr_review
from tests.reliability.services import PrivateRedis, bot_env, bot_process, private_redis, wait_until
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
        runtime = bootstrap(settings_for(db_url, REDIS_URL=redis.url), clock=ManualClock(NOW))
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
                            reply = await runtime.gateway.dispatch(inbound)
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


# ------------------------------------------------------------------ the platform endpoints


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_slack_requests_act_while_redis_is_down_and_after_it_returns_flushed(
    db_url: str, engine: AsyncEngine
) -> None:
    with private_redis() as redis:
        async with slack_stack(db_url, REDIS_URL=redis.url) as stack:
            requests = await slack_in_hr_review(stack)
            t1 = stack.workspace("T1")
            before = await footprint(db_url)
            redis.stop()
            forged = await t1.post(requests.command, secret="not-the-secret")
            assert forged.status_code == 401  # refused as ever; the refusal counter just is not kept
            for name, sent in requests.all():
                async with asyncio.timeout(30):  # a hang guard: no request may wait on Redis
                    response = await t1.post(sent)
                assert response.status_code == 200, (name, response.text)
                assert_no_traceback(response)
            await stack.settle()
            slack_effects(before, await footprint(db_url))
            assert len(stack.fake.to("chat.update")) == 1
            assert not await stack.runtime.redis.ping()

            redis.start()
            await wait_until(stack.runtime.redis.ping, seconds=30, what="the app's Redis client recovering")
            assert redis.cli("FLUSHALL") == "OK"
            status = await t1.command("lee", "status C-0002")
            assert status.status_code == 200 and "C-0002" in status.text


async def say(stack: WeComStack, user: str, text: str) -> None:
    """`user` types `text`; WeCom gets its empty 200, and the worker sends what was queued."""
    async with asyncio.timeout(30):  # a hang guard: no callback may wait on Redis
        response = await stack.phone.text(user, text)
    assert (response.status_code, response.content) == (200, b""), response.text
    await stack.settle()


def received(stack: WeComStack, user: str) -> list[str]:
    """Every message/send body to `user` (cards and markdown), oldest first, as text."""
    return [json.dumps(body, ensure_ascii=False) for body in stack.fake.sent(to=user)]


async def evidence_count(stack: WeComStack) -> int:
    async with stack.runtime.uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(EvidenceItem)) or 0)


def token_keys(redis: PrivateRedis) -> list[str]:
    return [key for key in redis.cli("KEYS", "*access_token*").splitlines() if key]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_wecom_through_a_redis_outage_token_dialogs_and_recovery(db_url: str, engine: AsyncEngine) -> None:
    with private_redis() as redis:
        async with wecom_stack(db_url, redis_url=redis.url) as stack:
            fake = stack.fake
            await stack.sync_directory()
            await say(stack, "lee", "退工 @alice 不能胜任")  # asks for evidence item 1: a dialog in Redis
            assert len(fake.calls_to("gettoken")) == 1 and token_keys(redis)  # the token is shared there

            redis.stop()
            # The evidence prompt's dialog is out of reach: the answer is not filed, and lee is told
            # why and what to send instead (not "unknown command").
            seen = len(received(stack, "lee"))
            await say(stack, "lee", "2023H2 绩效 C")
            assert await evidence_count(stack) == 0
            answer = "".join(received(stack, "lee")[seen:])
            assert "接不上之前的对话" in answer and usage("evidence", "zh-CN") in answer, answer
            await say(stack, "lee", "证据 C-0001 绩效 2023H2 绩效 C")
            assert await evidence_count(stack) == 1

            # WeCom refuses the token now: a new one is fetched (kept in memory) and messages go out.
            fake.expire_tokens()
            await say(stack, "lee", "进度 C-0001")
            assert len(fake.calls_to("gettoken")) == 2
            assert fake.calls[-1].path == "message/send" and fake.calls[-1].errcode == 0
            # A replica that starts during the outage fetches a token of its own.
            replica = WeComApi.from_config(stack.channel.config)
            await replica.send("lee", {"msgtype": "text", "text": {"content": "replica"}})
            assert len(fake.calls_to("gettoken")) == 3

            # A button that needs a reason cannot wait for one: the prompt asks for the whole command.
            case_card = next(card for card in fake.cards(to="lee") if _has_button(card, "withdraw"))
            seen = len(received(stack, "lee"))
            assert (await stack.click("lee", case_card, "withdraw")).status_code == 200
            await stack.settle()
            prompt = "".join(received(stack, "lee")[seen:])
            assert usage("withdraw", "zh-CN") in prompt and "请回复" not in prompt, prompt
            await say(stack, "lee", "撤回 C-0001 与员工协商一致")
            async with stack.runtime.uow_factory() as uow:
                tenant = await uow.tenants.by_key(f"wecom:{stack.phone.corp_id}")
                case = await uow.cases.by_ref(tenant.id, "C-0001")
            assert case is not None and case.state == "closed"

            redis.start()
            await wait_until(stack.runtime.redis.ping, seconds=30, what="the app's Redis client recovering")
            # The token store waits RETRY_AFTER after its last failure before it tries Redis again;
            # a restart quicker than that would otherwise leave the next token in memory only.
            storage = stack.channel.api.client.session

            async def token_store_back() -> bool:
                return storage.trying_redis()

            await wait_until(token_store_back, seconds=5, what="the token store trying Redis again")
            assert redis.cli("FLUSHALL") == "OK"
            await say(stack, "wangfang", "报表")
            assert fake.calls[-1].path == "message/send" and fake.calls[-1].errcode == 0
            assert token_keys(redis), "the token is shared through Redis again"
            async with stack.runtime.uow_factory() as uow:
                stuck = await uow.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.sent_at.is_(None)))
            assert stuck == 0


def _has_button(card: dict[str, Any], action: str) -> bool:
    return any((ref := decode_action(b["key"])) is not None and ref.action == action
               for b in card.get("button_list", []))


async def queue_hr_notices(stack: WeComStack, names: list[str]) -> None:
    """Notices for the HR group (its robot), as the handlers queue them."""
    async with stack.runtime.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(f"wecom:{stack.phone.corp_id}")
        for name in names:
            message = Message(kind="case_update", recipient=HR_GROUP, locale="zh-CN",
                              data={"title": name, "text": "案件有更新。", "fields": []})
            await uow.outbox.enqueue(tenant_id=tenant.id, case_id=None, channel="wecom", recipient=HR_GROUP,
                                     kind=message.kind, payload=to_payload(message), dedup_key=f"notice:{name}",
                                     now=stack.clock.now())
        await uow.commit()


async def deliver_due(stack: WeComStack) -> datetime | None:
    """Send what is due now; the time the next waiting message falls due (None: all sent)."""
    await stack.settle()
    async with stack.runtime.uow_factory() as uow:
        return await uow.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None)))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_the_hr_robot_limit_holds_for_one_process_through_an_outage_and_a_flush(
    db_url: str, engine: AsyncEngine
) -> None:
    """Redis goes away in the middle of one 15-second window and comes back empty in the middle
    of the next: this process alone must still post at most 20 a minute, and lose nothing."""
    with private_redis() as redis:
        async with wecom_stack(db_url, redis_url=redis.url) as stack:
            start = stack.clock.now()
            names = [f"通知 {n:02d}" for n in range(1, 25)]
            await queue_hr_notices(stack, names[:16])
            await deliver_due(stack)  # four go now, the rest wait for their turn (Redis counts)
            redis.stop()
            await queue_hr_notices(stack, names[16:20])
            stack.clock.set((await deliver_due(stack)) or stack.clock.now())
            await deliver_due(stack)  # the next window, counted in this process
            redis.start()
            await wait_until(stack.runtime.redis.ping, seconds=30, what="the app's Redis client recovering")
            await queue_hr_notices(stack, names[20:])
            while (due := await deliver_due(stack)) is not None:
                assert due - start < timedelta(minutes=10), "the notices never drain"
                stack.clock.set(due)

            posts = stack.fake.robot_posts()
            assert sorted(p.body["markdown"]["content"].split("**")[1] for p in posts) == names  # each once
            assert stack.fake.calls_to("robot/send", accepted=False) == posts, "WeCom refused a post"
            times = sorted(p.at for p in posts)
            for first in times:
                assert sum(first <= t < first + timedelta(minutes=1) for t in times) <= 20
