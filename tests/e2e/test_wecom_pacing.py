"""The relay keeps to WeCom's limit on an app's messages to one member (30 a minute, past which
WeCom answers 45009): a burst of 45 cards to one member reaches them all, no more than 30 in any
minute, none refused, none lost — on the test's clock, nobody waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.wecom.channel import MEMBER_PER_MINUTE
from bot.channels.wecom.outbound import user_recipient
from handlers.contracts import Message, to_payload
from storage.models import OutboxMessage
from tests.e2e.wecom_support import wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CARDS = 45


async def test_a_burst_to_one_member_keeps_to_thirty_a_minute(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url, PLATFORM_PACING=True) as stack:
        stack.fake.app_per_minute = MEMBER_PER_MINUTE
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(f"wecom:{stack.phone.corp_id}")
            for n in range(CARDS):
                message = Message(kind="case_update", recipient=user_recipient("wangfang"), locale="zh-CN",
                                  data={"title": f"通知 {n + 1}", "text": "案件有更新。", "fields": []})
                await uow.outbox.enqueue(
                    tenant_id=tenant.id, case_id=None, channel="wecom", recipient=message.recipient,
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

        sends = stack.fake.calls_to("message/send")
        assert stack.fake.calls_to("message/send", accepted=False) == sends  # none refused
        titles = sorted(str(c.body["template_card"]["main_title"]["title"]) for c in sends
                        if c.body and c.body.get("msgtype") == "template_card")
        assert titles == sorted(f"通知 {n + 1}" for n in range(CARDS))
        times = sorted(c.at for c in sends if c.at is not None)
        for first in times:
            assert sum(first <= t < first + timedelta(minutes=1) for t in times) <= MEMBER_PER_MINUTE
        assert times[-1] - start < timedelta(minutes=2)
        async with stack.runtime.uow_factory() as uow:
            rows = list((await uow.session.scalars(select(OutboxMessage))).all())
        assert all(row.sent_at is not None and row.dead_at is None and row.attempts == 1 for row in rows)
