"""A WeCom callback is refused like Slack's when its signed timestamp is more than five minutes
from the server's clock: a captured callback cannot be replayed hours later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import AuditEvent, Case, InboundDelivery, OutboxMessage
from tests.e2e.wecom_support import wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_a_callback_older_than_five_minutes_is_refused_and_changes_nothing(
        db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        phone, clock = stack.phone, stack.clock
        now = clock.now()

        async def counts() -> list[int]:
            async with stack.runtime.uow_factory() as uow:
                return [await uow.session.scalar(select(func.count()).select_from(model))
                        for model in (InboundDelivery, OutboxMessage, AuditEvent, Case)]

        def sealed_at(offset: timedelta, content: str) -> tuple[str, dict[str, str]]:
            clock.set(now + offset)  # the phone signs with the clock's time, as WeCom with its own
            try:
                return phone.envelope(phone.xml("lee", "text", {"Content": content}))
            finally:
                clock.set(now)

        before = await counts()
        for offset in (timedelta(hours=-5), timedelta(minutes=-5, seconds=-1), timedelta(minutes=6)):
            body, params = sealed_at(offset, "退工 @alice 不能胜任")
            response = await phone.http.post(f"{phone.url}/wecom/callback", params=params,
                                             content=body.encode())
            assert response.status_code == 403, offset
            assert "five minutes" in response.json()["reason"]
        assert await counts() == before
        # Four minutes late (a slow network, a clock a little off) is still WeCom.
        body, params = sealed_at(timedelta(minutes=-4), "帮助")
        fresh = await phone.http.post(f"{phone.url}/wecom/callback", params=params, content=body.encode())
        assert fresh.status_code == 200
        assert await counts() != before
