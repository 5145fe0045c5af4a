"""Schemathesis over the app's own OpenAPI document: every endpoint, generated requests, real HTTP.

The app is the one `serve` runs (`bot.cli.serve.web_app`: probes, worker, WeCom, signing and
Slack routes), with Slack and WeCom pointed at the fake platforms, served by uvicorn; its
document comes from `app.openapi()` (the app does not serve it). No generated request carries a
valid Slack signature, WeCom msg_signature or signing link, so every one must be answered
without a 5xx or a traceback, and without a row written or a call made to a platform.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.slack import slack_server
from bot.cli.serve import web_app
from bot.runtime import Runtime, configured_channels
from tests.bot.runtime_support import serving, settings_for
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.slack_support import HR_CHANNEL, SECRET
from tests.e2e.wecom_fake import FakeWeCom
from tests.e2e.wecom_support import AGENT_ID, new_aes_key
from tests.reliability.platforms import TRACEBACK_MARKERS, row_counts
from tests.reliability.services import InThread

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]


@dataclass
class Served:
    url: str
    app: FastAPI
    runtime: Runtime
    slack: FakeSlack
    wecom: FakeWeCom

    async def rows(self) -> dict[str, int]:
        async with self.runtime.engine.connect() as conn:
            return await row_counts(conn)


Fixture = tuple[Served, InThread[Served], dict[str, int]]


@contextlib.asynccontextmanager
async def serve_like(database_url: str, signing_key: Path) -> AsyncIterator[Served]:
    """The fakes, then the app as `serve` builds it, with Slack (one workspace) and WeCom set up."""
    slack = FakeSlack()
    await slack.start()
    slack.tokens["xoxb-T1"] = "T1"
    wecom = FakeWeCom(corp_id=f"ww{uuid.uuid4().hex[:16]}", secret="test-secret")
    try:
        async with serving(wecom.app()) as wecom_url:
            settings = settings_for(
                database_url, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
                SLACK_BOT_TOKEN="xoxb-T1", SLACK_HR_CHANNEL=HR_CHANNEL["T1"],
                WECOM_CORP_ID=wecom.corp_id, WECOM_AGENT_ID=AGENT_ID, WECOM_SECRET=wecom.secret,
                WECOM_TOKEN="test-token", WECOM_AES_KEY=new_aes_key(), WECOM_API_URL=f"{wecom_url}/cgi-bin/",
                WECOM_HR_WEBHOOK=f"{wecom_url}/robot/send?key={wecom.robot_key}",
                SIGNING_KEY_PATH=str(signing_key),
            )
            runtime = Runtime(settings, channels=configured_channels(settings))
            try:
                app = web_app(runtime, slack_server(runtime))
                async with serving(app) as url:
                    yield Served(url, app, runtime, slack, wecom)
            finally:
                await runtime.close()
    finally:
        await slack.stop()


@pytest.fixture
def served(db_url: str, engine: AsyncEngine, tmp_path: Path) -> Iterator[Fixture]:
    """The served app, its thread, and the row counts it started with."""
    holder = InThread(lambda: serve_like(db_url, tmp_path / "signing-key.pem"))
    with holder as app:
        yield app, holder, holder.run(app.rows())


EXAMPLES = 20  # per operation and mode: bounded, and derandomized, so every run sends the same requests


def test_every_endpoint_refuses_unauthenticated_requests_without_a_5xx_or_a_write(
    served: Fixture,
) -> None:
    app, holder, rows = served
    schema = schemathesis.openapi.from_dict(app.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        # Negative data needs something to get wrong: a parameter or a body.
        takes = any(len(getattr(operation, where))
                    for where in ("path_parameters", "query", "headers", "cookies", "body"))
        for mode in GenerationMode if takes else [GenerationMode.POSITIVE]:

            @given(case=operation.as_strategy(mode))
            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def answered(case: Any) -> None:
                response = case.call(base_url=app.url, timeout=30)
                case.validate_response(response, checks=[not_a_server_error])
                label = case.operation.label
                assert not any(marker in response.text for marker in TRACEBACK_MARKERS), (label, response.text[:500])
                assert holder.run(app.rows()) == rows, f"{label}: an unauthenticated request wrote to the database"
                assert app.slack.calls == [] and app.wecom.calls == [], f"{label}: a request reached a platform"

            answered()


def test_the_document_describes_every_route_and_is_not_served(
    served: Fixture,
) -> None:
    app = served[0]
    documented = {(path, method.upper()) for path, item in app.app.openapi()["paths"].items() for method in item}
    routes = {(route.path, method) for route in app.app.routes
              for method in getattr(route, "methods", None) or () if method != "HEAD"}
    assert routes <= documented, routes - documented
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert httpx.get(app.url + path, timeout=10).status_code == 404
