"""The Slack channel: commands, cards, modals, App Home and the HR channel, over HTTP or Socket
Mode, for one workspace or many (OAuth). Built on slack-bolt's AsyncApp.

Three parts that do not import each other's insides: `inbound/` (the bolt app, its listeners and
routes, the answers they queue), `sender.py` (the outbox's delivery) and the leaf `calls.py` (the
outbox kinds both use). `SlackChannel` (channel.py) puts sender and kept presses together for the
worker loops; `slack_server` gives `serve` its routes and socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.inbound.app import build_app
from bot.channels.slack.inbound.routes import slack_router
from bot.channels.slack.inbound.socket import socket_handler
from bot.errors import OperatorError

if TYPE_CHECKING:
    from bot.core import Core

__all__ = ["SlackChannel", "SlackServer", "slack_server"]


@dataclass
class SlackServer:
    """What `serve` runs for Slack: HTTP routes, and the Socket Mode connection if asked for."""

    app: AsyncApp
    routers: list[APIRouter] = field(default_factory=list)
    socket: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        if self.socket is not None:
            await self.socket.connect_async()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()


def slack_server(core: Core, *, socket_mode: bool = False) -> SlackServer | None:
    """None when Slack is not configured. HTTP routes whenever there is a signing secret (OAuth
    install pages need them even in Socket Mode); the socket when asked for."""
    settings = core.settings
    if "slack" not in settings.chat_platforms():
        if socket_mode:
            raise OperatorError("--slack-socket-mode needs the Slack settings: SLACK_APP_TOKEN, "
                                "and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
        return None
    app = build_app(core)
    server = SlackServer(app)
    if settings.SLACK_SIGNING_SECRET is not None:
        server.routers.append(slack_router(core, app))
    if socket_mode:
        server.socket = socket_handler(settings, app)
    return server
