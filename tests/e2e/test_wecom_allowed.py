"""Who may connect (WeCom): with WECOM_ALLOWED_CORPS set, callbacks for a corp not on it are
refused (403) and logged — URL verification too — and change nothing; the allowed corp is heard."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import AuditEvent, Case, InboundDelivery, OutboxMessage
from tests.e2e.wecom_support import Stack, wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _counts(stack: Stack) -> list[int]:
    async with stack.runtime.uow_factory() as uow:
        return [await uow.session.scalar(select(func.count()).select_from(model)) or 0
                for model in (InboundDelivery, OutboxMessage, AuditEvent, Case)]


async def test_a_corp_not_allowed_is_refused_and_logged(
        db_url: str, engine: Any, caplog: pytest.LogCaptureFixture) -> None:
    async with wecom_stack(db_url, WECOM_ALLOWED_CORPS="ww-some-other-corp, ww-another") as stack:
        await stack.sync_directory()
        before = await _counts(stack)
        with caplog.at_level(logging.WARNING):
            refused = await stack.phone.post(stack.phone.xml("lee", "text", {"Content": "退工 @alice 不能胜任"}))
            verify = await stack.phone.verify("1616140317555161061")
        assert refused.status_code == 403 and verify.status_code == 403
        assert "WECOM_ALLOWED_CORPS" in refused.json()["reason"]
        assert await _counts(stack) == before
        await stack.settle()
        assert stack.fake.sent() == []
        refusals = [r.getMessage() for r in caplog.records if "WECOM_ALLOWED_CORPS" in r.getMessage()]
        assert len(refusals) == 2 and stack.phone.corp_id in refusals[0]


async def test_the_allowed_corp_is_heard(db_url: str, engine: Any) -> None:
    corp = f"ww{uuid.uuid4().hex[:16]}"
    async with wecom_stack(db_url, corp_id=corp, WECOM_ALLOWED_CORPS=f"ww-another,{corp}") as stack:
        await stack.sync_directory()
        assert (await stack.phone.verify("1616140317555161061")).status_code == 200
        answer = await stack.phone.post(stack.phone.xml("lee", "text", {"Content": "退工 @alice 不能胜任"}))
        assert answer.status_code == 200
        await stack.settle()
        assert (await _counts(stack))[3] == 1  # the case was opened
