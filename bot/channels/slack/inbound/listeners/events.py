"""Events: the Home tab refreshed when opened, and messages in the bot's DM, kept in the inbox and
acknowledged at once (the worker runs them: bot/channels/slack/inbound/messages.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.inbound import messages
from bot.channels.slack.inbound.steps import steps_of
from bot.channels.slack.workspaces import PLATFORM

# Message subtypes that are a person writing to the bot (edits, joins … are not).
PERSON_WRITES = frozenset({None, "file_share"})


async def home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    steps = steps_of(context)
    asker = await steps.asker(client, str(context.team_id), str(event.get("user")))
    await steps.publish_home(asker, dedup=f"slack:{asker.team_id}:evt:{body.get('event_id')}")


async def direct_message(body: dict[str, Any], event: dict[str, Any],
                         context: AsyncBoltContext) -> None:
    """Keep a person's DM in the inbox for the worker (bot.channels.slack.inbound.messages)."""
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
        return
    if event.get("subtype") not in PERSON_WRITES:
        return
    team, user = str(context.team_id), str(event["user"])
    event_id = body.get("event_id")
    await steps_of(context).core.gateway.accept(
        PLATFORM, messages.delivery_of(team, event_id),
        messages.lane_of(team, user, str(event.get("text") or "")),
        messages.inbox_body(team, user, event_id, event))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.event("message")(direct_message)
