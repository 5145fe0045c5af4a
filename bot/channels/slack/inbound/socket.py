"""Socket Mode: the same bolt app, fed over a websocket the app opens itself (needs no public
URL; `python -m bot serve --slack-socket-mode` with SLACK_APP_TOKEN)."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import OperatorError
from bot.settings import Settings


def socket_handler(settings: Settings, app: AsyncApp) -> AsyncSocketModeHandler:
    """The websocket client; apps.connections.open goes to SLACK_API_URL like every Web API call."""
    if settings.SLACK_APP_TOKEN is None:
        raise OperatorError("--slack-socket-mode needs SLACK_APP_TOKEN (an app-level token, xapp-…, "
                            "with the connections:write scope)")
    return AsyncSocketModeHandler(
        app, settings.SLACK_APP_TOKEN.get_secret_value(),
        web_client=AsyncWebClient(base_url=settings.SLACK_API_URL),
    )
