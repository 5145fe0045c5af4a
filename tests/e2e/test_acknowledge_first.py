"""Acknowledge first, through real HTTP: a Slack button press and a WeCom callback are kept in the
inbox and answered at once, with nothing else done; the worker (here: of another process, as after
a crash of the one that answered) then handles them, a retry of a kept request is kept once, and
one member's requests are handled in the order they came. A request the worker gives up on is
answered too: the person hears that nothing was done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import Services, bootstrap
from bot.channels.slack import SlackChannel
from bot.worker import Worker
from storage.models import AuditEvent, InboxEntry
from tests.e2e.fake_slack import Message
from tests.e2e.slack_support import Sent, Workspace, add_people, case_state, drive, slack_stack
from tests.e2e.slack_support import Stack as SlackStack
from tests.e2e.wecom_support import Stack as WeComStack
from tests.e2e.wecom_support import wecom_stack


async def _waiting(runtime: Services) -> list[str]:
    async with runtime.uow_factory() as uow:
        query = select(InboxEntry.lane).where(InboxEntry.dead_at.is_(None)).order_by(InboxEntry.id)
        return list((await uow.session.scalars(query)).all())


async def _drain(runtime: Services) -> int:
    taken = 0
    while n := await Worker(runtime).drain_inbox():
        taken += n
    return taken


async def _count_actions(runtime: Services, action: str) -> int:
    async with runtime.uow_factory() as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        return int(await uow.session.scalar(query) or 0)


async def _approve_press(stack: SlackStack) -> tuple[Workspace, Message, Sent]:
    """A case in HR review, its card in HR's DM, and HR's press of Approve on it (not sent)."""
    add_people(stack.fake, "T1", "example.com")
    await stack.import_directory("T1")
    await drive(stack, "hr_review")
    t1 = stack.workspace("T1")
    card = t1.latest_with("wangfang", "approve")
    return t1, card, t1.press_request("wangfang", card.blocks, "approve", channel=card.channel, ts=card.ts)


async def test_a_slack_press_is_answered_at_once_and_handled_by_any_worker(db_url: str,
                                                                         engine: AsyncEngine) -> None:
    async with slack_stack(db_url, take_inbox=False) as stack:
        t1, card, press = await _approve_press(stack)
        calls_before = len(stack.fake.calls)
        for retry in (None, 1, 2):
            response = await t1.post(press, retry=retry)
            assert (response.status_code, response.text) == (200, "")

        # Answered, and only kept: once, however often Slack sent it; nothing moved, nothing said.
        assert await _waiting(stack.runtime) == [f"slack:T1:{t1.uid('wangfang')}:C-0001"]
        assert (await case_state(stack))[0] == "hr_review"
        # (bolt's own auth.test, on the first request of a single workspace, is no answer)
        assert [c.method for c in stack.fake.calls[calls_before:] if c.method != "auth.test"] == []

        # The process that answered does nothing more (as if it had died): another one's worker
        # handles the press, and the pressed message is updated once.
        other = bootstrap(stack.runtime.settings, clock=stack.clock,
                        channels=[SlackChannel])
        try:
            assert await _drain(other) == 1
        finally:
            await other.close()
        assert await _waiting(stack.runtime) == []
        assert (await case_state(stack))[0] == "scheduling_talk"
        await stack.settle()
        updates = [c for c in stack.fake.to("chat.update") if c.args["ts"] == card.ts]
        assert len(updates) == 1 and "approve" not in str(updates[0].args.get("blocks"))

        # Slack sends the press again after it was handled: kept again, and it changes nothing.
        assert (await t1.post(press, retry=3)).status_code == 200
        assert await _drain(stack.runtime) == 1
        assert await _count_actions(stack.runtime, "approve") == 1


async def _opened_card(stack: WeComStack) -> dict[str, Any]:
    await stack.phone.text("lee", "退工 @alice 不能胜任")
    await stack.settle()
    return next(c for c in stack.fake.cards(to="lee")
                if any("|withdraw|" in b["key"] for b in c.get("button_list", [])))


async def test_one_members_callbacks_are_handled_in_the_order_they_came(db_url: str, engine: AsyncEngine) -> None:
    async with wecom_stack(db_url, take_inbox=False) as stack:
        await stack.sync_directory()
        opened = await _opened_card(stack)
        # Withdraw asks for a reason; the reason is typed before any worker ran, and another
        # member writes meanwhile.
        assert (await stack.click("lee", opened, "withdraw")).status_code == 200
        assert (await stack.phone.text("lee", "已与员工协商，暂缓")).status_code == 200
        assert (await stack.phone.text("wangfang", "帮助")).status_code == 200
        lee, wangfang = f"wecom:{stack.phone.corp_id}:lee", f"wecom:{stack.phone.corp_id}:wangfang"
        assert await _waiting(stack.runtime) == [lee, lee, wangfang]

        # One round takes each lane's waiting requests in order, in one transaction: the click
        # and then the reason typed after it, and the other member's command.
        assert await Worker(stack.runtime).drain_inbox() == 3
        assert await _waiting(stack.runtime) == []
        await stack.settle()
        async with stack.runtime.uow_factory() as uow:
            reason = await uow.session.scalar(select(AuditEvent.payload).where(AuditEvent.action == "withdraw"))
        assert reason is not None and reason["text"] == "已与员工协商，暂缓"


async def _give_up(runtime: Services, clock: Any, monkeypatch: pytest.MonkeyPatch, channel: Any) -> None:
    """Every try of the waiting request fails (its handling cannot reach the database, say) until
    the worker gives up on it."""

    async def unreachable(_kept: dict[str, Any]) -> None:
        raise ConnectionRefusedError("database unreachable")

    monkeypatch.setattr(channel, "take", unreachable)
    for _ in range(runtime.settings.QUEUE_MAX_ATTEMPTS):
        assert await Worker(runtime).drain_inbox() == 1
        clock.advance(timedelta(hours=1))
    monkeypatch.undo()
    assert await _waiting(runtime) == []  # dead: not waiting, its lane free


async def test_a_press_the_worker_gives_up_on_tells_the_presser(db_url: str, engine: AsyncEngine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    async with slack_stack(db_url, take_inbox=False) as stack:
        t1, _, press = await _approve_press(stack)
        await t1.post(press)
        await _give_up(stack.runtime, stack.clock, monkeypatch, stack.runtime.channels.get("slack"))
        await stack.settle()
        assert (await case_state(stack))[0] == "hr_review"
        told = [c for c in stack.fake.calls if "nothing was done" in str(c.args) or "没有完成" in str(c.args)]
        assert len(told) == 1, [c.method for c in stack.fake.calls]


async def test_a_message_the_worker_gives_up_on_tells_its_sender(db_url: str, engine: AsyncEngine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    async with wecom_stack(db_url, take_inbox=False) as stack:
        await stack.sync_directory()
        await stack.phone.text("lee", "退工 @alice 不能胜任")
        await _give_up(stack.runtime, stack.clock, monkeypatch, stack.channel)
        await stack.settle()
        assert "这条消息没有处理" in str(stack.fake.cards(to="lee"))
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key(f"wecom:{stack.phone.corp_id}")
            assert tenant is not None and await uow.cases.by_ref(tenant.id, "C-0001") is None
