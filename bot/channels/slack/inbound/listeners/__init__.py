"""The bolt listeners, one module per kind of request, each with `register(app)` (the layout of
Slack's bolt starter template). They find the shared RequestSteps in the request context."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.channels.slack.inbound.listeners import actions, commands, events, views


def register(app: AsyncApp) -> None:
    for group in (commands, actions, views, events):
        group.register(app)
