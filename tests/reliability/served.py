"""The app as `serve` builds it, served over real HTTP against the fake platforms, for the fuzz tests.

`serve_like` yields a `Served`: its URL, app and runtime, the fakes (to check no call reached a
platform), the row counts (to check no request wrote), and a WeCom `Phone` that seals envelopes
with the app's own Token and EncodingAESKey (to send validly signed callbacks).
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from bot.bootstrap import Services, bootstrap, configured_channels
from bot.channels.slack import slack_server
from bot.cli.serve import web_app
from tests.bot.services_support import serving, settings_for
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.slack_support import HR_CHANNEL, SECRET
from tests.e2e.wecom_fake import FakeWeCom
from tests.e2e.wecom_support import AGENT_ID, START, Phone, new_aes_key
from tests.reliability.platforms import row_counts
from tests.reliability.services import InThread
from workflow.clock import ManualClock

WECOM_TOKEN = "test-token"


@dataclass
class Served:
    """The served app and what the tests look at around it."""

    url: str
    app: FastAPI
    runtime: Services
    slack: FakeSlack
    wecom: FakeWeCom
    aes_key: str

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    async def rows(self) -> dict[str, int]:
        async with self.runtime.engine.connect() as conn:
            return await row_counts(conn)

    @functools.cached_property
    def phone(self) -> Phone:
        """WeCom's side of the callback, for sealing envelopes with the app's keys (its client is never
        used: the fuzz tests send from their own)."""
        return Phone(self.url, self.wecom.corp_id, WECOM_TOKEN, self.aes_key, httpx.AsyncClient(), ManualClock(START))


# The served app, the thread holding it (`run` to query it from a sync test), the rows it started with.
Fixture = tuple[Served, InThread[Served], dict[str, int]]


@contextlib.asynccontextmanager
async def serve_like(database_url: str, signing_key: Path) -> AsyncIterator[Served]:
    """The fakes, then the app as `serve` builds it, with Slack (one workspace) and WeCom set up."""
    slack = FakeSlack()
    await slack.start()
    slack.tokens["xoxb-T1"] = "T1"
    wecom = FakeWeCom(corp_id=f"ww{uuid.uuid4().hex[:16]}", secret="test-secret")
    aes_key = new_aes_key()
    try:
        async with serving(wecom.app()) as wecom_url:
            settings = settings_for(
                database_url, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
                SLACK_BOT_TOKEN="xoxb-T1", SLACK_HR_CHANNEL=HR_CHANNEL["T1"],
                WECOM_CORP_ID=wecom.corp_id, WECOM_AGENT_ID=AGENT_ID, WECOM_SECRET=wecom.secret,
                WECOM_TOKEN=WECOM_TOKEN, WECOM_AES_KEY=aes_key, WECOM_API_URL=f"{wecom_url}/cgi-bin/",
                WECOM_HR_WEBHOOK=f"{wecom_url}/robot/send?key={wecom.robot_key}",
                SIGNING_KEY_PATH=str(signing_key),
            )
            runtime = bootstrap(settings, channels=configured_channels(settings))
            try:
                app = web_app(runtime, slack_server(runtime))
                async with serving(app) as url:
                    yield Served(url, app, runtime, slack, wecom, aes_key)
            finally:
                await runtime.close()
    finally:
        await slack.stop()
