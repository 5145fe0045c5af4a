"""The HR group robot allows 20 posts a minute: a burst of 30 notices reaches the (fake) webhook
at no more than 20 in any minute, every one delivered — on an injected clock, nobody waits."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.contracts import HR_GROUP, Message, to_payload
from storage.models import OutboxMessage
from tests.e2e.wecom_support import wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("cache", ["memory", "redis"])
async def test_thirty_notices_reach_the_robot_at_most_twenty_a_minute(
    db_url: str, engine: Any, cache: str, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_url") if cache == "redis" else None
    async with wecom_stack(db_url, redis_url=redis_url) as stack:
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(f"wecom:{stack.phone.corp_id}")
            for n in range(30):
                message = Message(kind="case_update", recipient=HR_GROUP, locale="zh-CN",
                                  data={"title": f"通知 {n + 1}", "text": "案件有更新。",
                                        "fields": []})
                await uow.outbox.enqueue(
                    tenant_id=tenant.id, case_id=None, channel="wecom", recipient=HR_GROUP,
                    kind=message.kind, payload=to_payload(message), dedup_key=f"burst:{n}",
                    now=stack.clock.now())
            await uow.commit()
        start = stack.clock.now()

        for _ in range(40):  # each round: deliver what is due, then jump to the next due time
            await stack.settle()
            async with stack.runtime.uow_factory() as uow:
                waiting = list((await uow.session.scalars(select(OutboxMessage).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None)))).all())
            if not waiting:
                break
            stack.clock.set(min(row.next_attempt_at for row in waiting))

        posts = stack.fake.robot_posts()
        assert sorted(p.body["markdown"]["content"].split("**")[1] for p in posts) == sorted(
            f"通知 {n + 1}" for n in range(30))
        times = sorted(p.at for p in posts)
        for first in times:
            assert sum(first <= t < first + timedelta(minutes=1) for t in times) <= 20
        assert stack.fake.calls_to("robot/send", accepted=False) == posts  # none refused
        assert times[-1] - start < timedelta(minutes=3)
        async with stack.runtime.uow_factory() as uow:
            rows = list((await uow.session.scalars(select(OutboxMessage))).all())
        assert all(row.dead_at is None for row in rows)
        assert max(row.attempts for row in rows) <= 2  # a deferral is one failed attempt at most


async def test_without_a_robot_notices_go_to_the_app_group_chat(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url, hr_webhook=False, WECOM_HR_CHAT_ID="hr-chat") as stack:
        await stack.sync_directory()
        await stack.phone.text("lee", "退工 @alice 不能胜任")
        await stack.settle()
        [post] = stack.fake.calls_to("appchat/send")
        assert post.body["chatid"] == "hr-chat" and post.body["msgtype"] == "markdown"
        assert "新案件 C-0001" in post.body["markdown"]["content"]
        assert stack.fake.robot_posts() == []


async def test_without_any_group_each_hr_member_is_told(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url, hr_webhook=False) as stack:
        await stack.sync_directory()
        await stack.phone.text("lee", "退工 @alice 不能胜任")
        await stack.settle()
        told = {m["touser"] for m in stack.fake.sent("markdown")
                if "新案件 C-0001" in m["markdown"]["content"]}
        assert told == {"wangfang", "zhao"}


async def test_paced_a_burst_of_notices_reaches_the_robot_as_a_few_digests(db_url: str, engine: Any) -> None:
    """Keeping to the robot's pace, the notices that wait beyond its allowance go as digests: every
    one named, far fewer posts, none refused, none dead."""
    async with wecom_stack(db_url, PLATFORM_PACING=True) as stack:
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(f"wecom:{stack.phone.corp_id}")
            for n in range(30):
                message = Message(kind="case_update", recipient=HR_GROUP, locale="zh-CN", case_ref=f"C-{n + 1:04d}",
                                  data={"title": f"通知 {n + 1}", "text": "案件有更新。", "fields": []})
                await uow.outbox.enqueue(
                    tenant_id=tenant.id, case_id=None, channel="wecom", recipient=HR_GROUP,
                    kind=message.kind, payload=to_payload(message), dedup_key=f"burst:{n}",
                    now=stack.clock.now())
            await uow.commit()
        start = stack.clock.now()
        for _ in range(40):
            await stack.settle()
            async with stack.runtime.uow_factory() as uow:
                waiting = list((await uow.session.scalars(select(OutboxMessage).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None)))).all())
            if not waiting:
                break
            stack.clock.set(min(row.next_attempt_at for row in waiting))

        posts = stack.fake.robot_posts()
        assert 1 <= len(posts) <= 4
        named = "".join(p.body["markdown"]["content"] for p in posts)
        assert sorted(int(n) for n in re.findall(r"通知 (\d+)", named)) == list(range(1, 31))
        assert stack.fake.calls_to("robot/send", accepted=False) == posts  # none refused
        assert stack.clock.now() - start < timedelta(minutes=1)
        async with stack.runtime.uow_factory() as uow:
            rows = list((await uow.session.scalars(select(OutboxMessage))).all())
        assert all(row.sent_at is not None and row.dead_at is None for row in rows)
