"""The bolt AsyncApp of offboard-bot: one workspace (a bot token) or many (OAuth), over HTTP or
Socket Mode, with our listeners and an error handler that never leaves a person without answer.

Requests are processed before the response (`process_before_response`): a listener does its
local work — at most one database transaction, and views.open while the trigger is fresh — and
acks with the answer; every other Slack call goes through the outbox. A failure inside is told
to the person (or, for an event, answered 503 so Slack retries; the retry is deduplicated).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot.channels.slack.inbound import listeners
from bot.channels.slack.inbound.allowed import AllowListedOAuthFlow, refuse_other_teams
from bot.channels.slack.inbound.installs import oauth_settings
from bot.channels.slack.inbound.modals import notice_view
from bot.channels.slack.inbound.steps import CONTEXT_KEY, RequestSteps
from bot.channels.slack.workspaces import Workspaces
from workflow.i18n import LOCALES, t

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


def _both(key: str) -> str:
    """Before we know who asks (an error), say it in both languages."""
    return "\n".join(t(key, locale) for locale in LOCALES)


def _json(status: int, body: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=status, body=json.dumps(body),
                        headers={"content-type": "application/json; charset=utf-8"})


async def on_error(error: Exception, body: dict[str, Any],
                   respond: AsyncRespond | None) -> BoltResponse:
    """A listener failed: the person hears so; an event is answered 503 so Slack sends it again."""
    log.error("Slack listener failed: %s: %s", type(error).__name__, error, exc_info=error)
    text = _both("slack.error")
    if body.get("command"):
        return _json(200, {"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        view = notice_view(t("slack.modal.error", "en"), text, "en")
        return _json(200, {"response_action": "update", "view": view})
    if body.get("type") == "block_actions" and respond is not None:
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:  # the error is logged above; nothing else can reach the person
            log.warning("could not tell the presser about the failure")
        return BoltResponse(status=200, body="")
    return BoltResponse(status=503, body="")


def _inject(steps: RequestSteps) -> Callable[..., Awaitable[None]]:
    async def inject(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
        context[CONTEXT_KEY] = steps
        await next_()

    return inject


def build_app(core: Core, workspaces: Workspaces | None = None) -> AsyncApp:
    """The bolt app for `core`'s settings (callers checked that Slack is configured)."""
    settings = core.settings
    workspaces = workspaces or Workspaces(settings, core.engine)
    allowed = settings.allowed("SLACK_ALLOWED_TEAMS")
    secret = settings.SLACK_SIGNING_SECRET.get_secret_value() if settings.SLACK_SIGNING_SECRET else ""
    common: dict[str, Any] = {
        "name": "offboard-bot", "logger": log, "signing_secret": secret,
        "process_before_response": True,
        # The route checks the signature before anything is parsed, and hands bolt the request
        # parsed (routes.py): bolt would check it again, on a raw body it is no longer given.
        "request_verification_enabled": False,
    }
    if settings.slack_oauth:
        client = workspaces.client()
        flow = AllowListedOAuthFlow(allowed, client=client, logger=log,
                                    settings=oauth_settings(core, workspaces))
        app = AsyncApp(client=client, installation_store=workspaces.installations, oauth_flow=flow, **common)
        # tokens_revoked / app_uninstalled delete the workspace's installation.
        app.enable_token_revocation_listeners()
    else:
        token = settings.SLACK_BOT_TOKEN.get_secret_value() if settings.SLACK_BOT_TOKEN else None
        app = AsyncApp(client=workspaces.client(token), **common)
    app.use(refuse_other_teams(allowed))
    app.use(_inject(RequestSteps(core, workspaces)))
    app.error(on_error)
    listeners.register(app)
    return app
