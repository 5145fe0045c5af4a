"""The weekly HR digest, end to end on an injected clock: the worker arms it, it fires on its timer,
and the chart reaches the fake Slack (files_upload_v2: a PNG that decodes, shared in the HR channel
with the figures as its comment) and the fake WeCom (media/upload, then an image message; or the
group robot's base64 image). It is re-armed for the next week exactly once, never carries pay or
protected status, and its chart changes when the figures do."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.worker import Worker
from handlers.digest import WEEKLY_DIGEST
from storage.models import Timer
from tests.bot.test_digest_chart import colours, decoded
from tests.e2e.slack_support import HR_CHANNEL, add_people, drive, slack_stack
from tests.e2e.wecom_support import wecom_stack

SH = ZoneInfo("Asia/Shanghai")
FIRST, SECOND, THIRD = (datetime(2024, 6, day, 9, 0, tzinfo=SH) for day in (10, 17, 24))  # Mondays
# What a group message must never carry: the case's wages (slack_support.FACTS) and protected statuses.
PRIVATE = ("12000", "12,000", "12500", "12,500", "10000", "10,000", "pregnan", "孕", "哺乳", "工伤")


async def digest_timers(runtime: Any, tenant_key: str) -> tuple[list[datetime], list[datetime]]:
    """The workspace's digest timers: (pending due times, fired due times)."""
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key)
        assert tenant is not None
        rows = (await uow.session.scalars(select(Timer).where(
            Timer.tenant_id == tenant.id, Timer.kind == WEEKLY_DIGEST).order_by(Timer.due_at))).all()
    return ([r.due_at for r in rows if r.fired_at is None], [r.due_at for r in rows if r.fired_at is not None])


async def arm(runtime: Any) -> None:
    """One round of the worker as `serve` runs it (for good), which arms the digests."""
    worker = Worker(runtime)
    worker.timers.arming = True
    await worker.run_once()


def assert_private(text: str) -> None:
    assert not [word for word in PRIVATE if word in text], text


async def test_the_digest_reaches_the_slack_hr_channel_as_a_chart(db_url: str, engine: Any) -> None:
    async with slack_stack(db_url) as stack:
        await stack.import_directory("T1")
        add_people(stack.fake, "T1", "example.com")
        await drive(stack, "awaiting_employee")  # C-0001, with its wages among the facts
        await arm(stack.runtime)
        assert await digest_timers(stack.runtime, "slack:T1") == ([FIRST], [])
        await arm(stack.runtime)  # a second replica, or the next hour: nothing more
        assert await digest_timers(stack.runtime, "slack:T1") == ([FIRST], [])

        stack.clock.set(FIRST.replace(hour=8))  # not yet
        await stack.settle()
        assert stack.fake.shared_files() == []

        stack.clock.set(FIRST)
        await stack.settle()
        [first] = stack.fake.shared_files(HR_CHANNEL["T1"])
        [asked] = stack.fake.to("files.getUploadURLExternal")
        assert asked.args["filename"] == "weekly-digest.png" and int(asked.args["length"]) == len(first.data or b"")
        image = decoded(first.data or b"")
        assert image.size == (1100, 460) and colours(image) > 10
        comment = first.shared["initial_comment"] if first.shared else ""
        assert comment.startswith("*离职案件周报（2024-06-03 至 2024-06-10）*")
        assert "本周新建：1 · 本周结案：0 · 当前进行中：1" in comment and "等待员工回应: 1" in comment
        assert "面谈：26.0 · 26.0（1 件）" in comment  # 06-03 09:00 approved, 06-04 11:00 talked
        assert_private(comment + str(first.shared))
        # Re-armed for the next week, exactly once; settling again sends nothing more.
        assert await digest_timers(stack.runtime, "slack:T1") == ([SECOND], [FIRST])
        await stack.settle()
        await arm(stack.runtime)
        assert len(stack.fake.shared_files()) == 1
        assert await digest_timers(stack.runtime, "slack:T1") == ([SECOND], [FIRST])

        # A week on the employee has still not answered: the case escalated, the chart shows it.
        stack.clock.set(SECOND)
        await stack.settle()
        second = stack.fake.shared_files(HR_CHANNEL["T1"])[-1]
        assert second is not first and second.data != first.data
        assert decoded(second.data or b"").tobytes() != image.tobytes()
        comment = second.shared["initial_comment"] if second.shared else ""
        assert "C-0001 · 已升级" in comment and "员工未回应" in comment  # needs attention, and why
        assert_private(comment)
        assert await digest_timers(stack.runtime, "slack:T1") == ([THIRD], [FIRST, SECOND])
        assert stack.fake.problems == []


async def test_the_digest_reaches_the_wecom_app_group_chat_as_an_uploaded_image(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url, hr_webhook=False, WECOM_HR_CHAT_ID="hr-chat") as stack:
        await stack.sync_directory()
        await stack.phone.text("lee", "退工 @alice 不能胜任 连续两个考核期绩效不达标")
        await stack.settle()
        await arm(stack.runtime)
        tenant_key = f"wecom:{stack.phone.corp_id}"
        assert await digest_timers(stack.runtime, tenant_key) == ([FIRST], [])

        stack.clock.set(FIRST)
        await stack.settle()
        [upload] = stack.fake.calls_to("media/upload")
        assert upload.params["type"] == "image" and upload.body and upload.body["filename"] == "weekly-digest.png"
        [(media_id, (kind, _, png))] = stack.fake.uploaded.items()
        assert kind == "image" and colours(decoded(png)) > 10
        posts = [c.body for c in stack.fake.calls_to("appchat/send") if c.body]
        figures, picture = posts[-2:]
        assert figures["msgtype"] == "markdown" and "离职案件周报" in figures["markdown"]["content"]
        assert "收集证据: 1" in figures["markdown"]["content"]
        assert picture == {"chatid": "hr-chat", "msgtype": "image", "image": {"media_id": media_id}}
        assert_private(figures["markdown"]["content"])
        assert await digest_timers(stack.runtime, tenant_key) == ([SECOND], [FIRST])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_group_robot_gets_the_chart_as_base64_with_its_md5(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await stack.phone.text("lee", "退工 @alice 不能胜任")
        await stack.settle()
        await arm(stack.runtime)
        stack.clock.set(FIRST)
        await stack.settle()
        figures, picture = [c.body for c in stack.fake.robot_posts() if c.body][-2:]
        assert figures["msgtype"] == "markdown" and "离职案件周报" in figures["markdown"]["content"]
        assert picture["msgtype"] == "image"
        png = base64.b64decode(picture["image"]["base64"])
        assert hashlib.md5(png).hexdigest() == picture["image"]["md5"]
        assert colours(decoded(png)) > 10
        assert stack.fake.calls_to("media/upload") == []  # the robot takes the image itself
