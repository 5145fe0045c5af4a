"""Who may connect (Slack): with SLACK_ALLOWED_TEAMS set, a workspace not on it can neither
install the app nor be heard — refused and logged, nothing stored; install starts are limited per
address, and their OAuth states expire after ten minutes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.slack.workspaces import STATE_SECONDS
from storage.models import SlackBot, SlackInstallation
from tests.e2e.fake_slack import Install
from tests.e2e.slack_support import HR_CHANNEL, Stack, install, slack_stack


async def _stored(stack: Stack) -> tuple[int, int]:
    async with stack.runtime.uow_factory() as uow:
        installs = await uow.session.scalar(select(func.count()).select_from(SlackInstallation))
        bots = await uow.session.scalar(select(func.count()).select_from(SlackBot))
    return installs or 0, bots or 0


async def test_an_install_by_a_team_not_allowed_is_refused_and_stores_nothing(
        db_url: str, engine: AsyncEngine, caplog: pytest.LogCaptureFixture) -> None:
    async with slack_stack(db_url, oauth=True, SLACK_ALLOWED_TEAMS="T1, E7") as stack:
        stack.fake.installs = {"code-1": Install("T1", "Team One", HR_CHANNEL["T1"]),
                               "code-2": Install("T2", "Team Two", HR_CHANNEL["T2"])}
        assert (await install(stack.http, "code-1")).status_code == 200
        with caplog.at_level(logging.WARNING):
            refused = await install(stack.http, "code-2")
        assert refused.status_code == 403
        assert "not on the company's list" in refused.text and "不在公司允许" in refused.text
        assert await _stored(stack) == (1, 1)
        async with stack.runtime.uow_factory() as uow:
            assert await uow.tenants.by_key("slack:T2") is None
        assert any("T2" in r.getMessage() and "SLACK_ALLOWED_TEAMS" in r.getMessage() for r in caplog.records)


async def test_requests_from_a_team_not_allowed_are_refused_and_change_nothing(
        db_url: str, engine: AsyncEngine, caplog: pytest.LogCaptureFixture) -> None:
    async with slack_stack(db_url, SLACK_ALLOWED_TEAMS="T9") as stack:
        with caplog.at_level(logging.WARNING):
            answer = await stack.workspace("T1").command("lee", "<@UT1ALICE> incompetent")
        assert answer.status_code == 200
        assert "not allowed to use this app" in answer.json()["text"]
        await stack.settle()
        assert stack.fake.to("chat.postMessage") == []
        async with stack.runtime.uow_factory() as uow:
            assert await uow.tenants.by_key("slack:T1") is None
        assert any("T1" in r.getMessage() and "SLACK_ALLOWED_TEAMS" in r.getMessage() for r in caplog.records)


async def test_install_starts_are_limited_per_address_and_states_expire(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, oauth=True, SLACK_INSTALL_STARTS_PER_MINUTE=3) as stack:
        answers = [await stack.http.get("/slack/install") for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert answers[-1].headers["retry-after"] == "60" and "请稍等一分钟" in answers[-1].text
        # Only the admitted starts made a state, each valid for ten minutes.
        async with engine.connect() as conn:
            expiries = (await conn.execute(text("SELECT expire_at FROM slack_oauth_states"))).scalars().all()
        now = datetime.now(UTC).replace(tzinfo=None)
        assert len(expiries) == 3
        lifetimes = [(datetime.fromisoformat(str(e)).replace(tzinfo=None) - now).total_seconds() for e in expiries]
        assert all(abs(life - STATE_SECONDS) < 60 for life in lifetimes), lifetimes
        assert STATE_SECONDS == 600
        # The count is per address, for a minute.
        ttl = await stack.runtime.redis.ttl("offboard:slack:install-starts:127.0.0.1")
        assert ttl is not None and 0 < ttl <= 60
