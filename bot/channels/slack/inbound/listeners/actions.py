"""Button presses. A button that needs nothing typed is kept in the inbox and acknowledged at once;
the worker runs its action and updates the pressed message in place (inbound/pressed.py).
One whose action needs inputs opens a modal for them now, while the trigger_id lives."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.model import decode_action
from bot.channels.slack.blocks import ACT, FORM
from bot.channels.slack.inbound.modals import Origin
from bot.channels.slack.inbound.pressed import delivery_of, inbox_body, lane_of, pressed
from bot.channels.slack.inbound.steps import form_failed, steps_of
from bot.channels.slack.workspaces import PLATFORM


async def press(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                context: AsyncBoltContext) -> None:
    ref = decode_action(action.get("value"))
    if ref is not None:  # else not one of our buttons
        team, user = str(context.team_id), str(context.user_id)
        await steps_of(context).core.gateway.accept(PLATFORM, delivery_of(team, action), lane_of(team, user, ref),
                                                inbox_body(team, user, body, action))
    await ack()


async def press_form(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                     client: AsyncWebClient, context: AsyncBoltContext) -> None:
    steps = steps_of(context)
    team, user = str(context.team_id), str(context.user_id)
    found = await pressed(steps, client, team, user, body, action)
    if found is not None:
        ref, asker, source, reply = found
        if reply is None:
            origin = Origin(value=str(action["value"]), channel=source.channel, ts=source.ts,
                            response_url=source.response_url if source.ephemeral else None,
                            title=source.title or None)
            error = await steps.open_form(client, str(body.get("trigger_id") or ""), ref,
                                           asker.locale, origin)
            if error is not None:
                reply = form_failed(ref.action, error, asker.locale)
        if reply is not None:
            await steps.answer(source, reply, action=ref.action, locale=asker.locale,
                                dedup=delivery_of(source.team_id, action))
    await ack()


def register(app: AsyncApp) -> None:
    app.action(re.compile(rf"^{re.escape(ACT)}\d+$"))(press)
    app.action(re.compile(rf"^{re.escape(FORM)}\d+$"))(press_form)
