"""Button presses. A button that needs nothing typed runs its action at once; one whose action
needs inputs opens a modal for them. Either way the pressed message is then updated in place
(see answers.py), and a press on a card drawn for another workspace is refused outright."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.model import ActionRef, decode_action
from bot.channels.slack.answers import Source
from bot.channels.slack.blocks import ACT, FORM, team_of_block
from bot.channels.slack.bridge import Bridge, bridge_of, form_failed, refusal
from bot.channels.slack.modals import Origin
from bot.channels.slack.people import Asker
from bot.channels.slack.workspaces import PLATFORM
from bot.router import parse_action, to_inbound
from handlers.contracts import Reply
from workflow.i18n import t


def _title(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        if block.get("type") == "header":
            return str((block.get("text") or {}).get("text") or "")
    return ""


def source_of(body: dict[str, Any], team: str, user: str) -> Source:
    """Where the press happened: a message (in a channel or DM, maybe ephemeral) or the Home tab."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ephemeral = bool(container.get("is_ephemeral"))
    home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
    ts = None if ephemeral or home else container.get("message_ts") or message.get("ts")
    blocks = [b for b in message.get("blocks") or [] if isinstance(b, dict)]
    return Source(team, user, channel=channel, ts=ts, ephemeral=ephemeral,
                  response_url=body.get("response_url"), blocks=tuple(blocks),
                  title=_title(blocks), home=home)


def _delivery(team: str, action: dict[str, Any]) -> str:
    """Slack's id for this one press: a retry of it is the same press, a second click is not."""
    return f"slack:{team}:act:{action.get('action_id')}:{action.get('action_ts')}"


async def _pressed(bridge: Bridge, client: AsyncWebClient, context: AsyncBoltContext,
                   body: dict[str, Any], action: dict[str, Any]
                   ) -> tuple[ActionRef, Asker, Source, Reply | None] | None:
    """What was pressed, by whom, where; with the refusal when the card is another workspace's."""
    ref = decode_action(action.get("value"))
    if ref is None:
        return None  # not one of our buttons
    team, user = str(context.team_id), str(context.user_id)
    asker = await bridge.asker(client, team, user)
    source = source_of(body, team, user)
    drawn_for = team_of_block(action.get("block_id"))
    if drawn_for is not None and drawn_for != team:
        return ref, asker, source, refusal(t("slack.other_workspace", asker.locale), asker.locale)
    return ref, asker, source, None


async def press(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                client: AsyncWebClient, context: AsyncBoltContext) -> None:
    bridge = bridge_of(context)
    pressed = await _pressed(bridge, client, context, body, action)
    if pressed is not None:
        ref, asker, source, reply = pressed
        delivery = _delivery(source.team_id, action)
        if reply is None:
            inbound = to_inbound(
                parse_action(ref.action, ref.case_ref, arg=ref.arg), platform=PLATFORM,
                platform_tenant=source.team_id, user_id=source.user_id, delivery_id=delivery,
                locale=asker.locale, case_version=ref.case_version,
            )
            reply = await bridge.dispatch_and_answer(inbound, source, action=ref.action, locale=asker.locale,
                                                     dedup=delivery)
        else:
            await bridge.answer(source, reply, action=ref.action, locale=asker.locale, dedup=delivery)
        if source.home and not reply.duplicate:
            await bridge.publish_home(asker, dedup=f"{delivery}:home")
    await ack()


async def press_form(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                     client: AsyncWebClient, context: AsyncBoltContext) -> None:
    bridge = bridge_of(context)
    pressed = await _pressed(bridge, client, context, body, action)
    if pressed is not None:
        ref, asker, source, reply = pressed
        if reply is None:
            origin = Origin(value=str(action["value"]), channel=source.channel, ts=source.ts,
                            response_url=source.response_url if source.ephemeral else None,
                            title=source.title or None)
            error = await bridge.open_form(client, str(body.get("trigger_id") or ""), ref,
                                           asker.locale, origin)
            if error is not None:
                reply = form_failed(ref.action, error, asker.locale)
        if reply is not None:
            await bridge.answer(source, reply, action=ref.action, locale=asker.locale,
                                dedup=_delivery(source.team_id, action))
    await ack()


def register(app: AsyncApp) -> None:
    app.action(re.compile(rf"^{re.escape(ACT)}\d+$"))(press)
    app.action(re.compile(rf"^{re.escape(FORM)}\d+$"))(press_form)
