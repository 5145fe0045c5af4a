"""The HTTP face of the Slack channel: POST /slack/events (commands, interactivity and events on
one URL) and, with OAuth, GET /slack/install and /slack/oauth_redirect — all through bolt's
FastAPI adapter.

The signature is checked before bolt parses anything: bolt reads the body first, so a malformed
unsigned body would otherwise fail as a server error instead of being refused (401).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.channels.slack.installs import INSTALL_PATH, REDIRECT_PATH

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Counts refused (unsigned, wrongly signed or replayed) requests, for the operator.
REJECTED_COUNTER = "offboard:slack:rejected"


def slack_router(runtime: Runtime, app: AsyncApp) -> APIRouter:
    settings = runtime.settings
    if settings.SLACK_SIGNING_SECRET is None:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET.get_secret_value())
    handler = AsyncSlackRequestHandler(app)
    router = APIRouter()

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def events(request: Request) -> Response:
        body = await request.body()
        if not verifier.is_valid_request(body, dict(request.headers)):
            await runtime.redis.incr(REJECTED_COUNTER)
            log.warning("refused a Slack request with a bad or stale signature")
            return JSONResponse({"status": "unauthorized", "reason": "invalid signature"},
                                status_code=401)
        try:
            return await handler.handle(request)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return JSONResponse({"status": "bad_request", "reason": f"malformed body: {error}"},
                                status_code=400)

    if settings.slack_oauth:

        @router.get(INSTALL_PATH, include_in_schema=False)
        async def install(request: Request) -> Response:
            return await handler.handle(request)

        @router.get(REDIRECT_PATH, include_in_schema=False)
        async def oauth_redirect(request: Request) -> Response:
            return await handler.handle(request)

    return router
