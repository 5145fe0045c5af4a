"""Submitted modals: the form's values become the request its button (or command) stands for,
kept in the inbox and run at once (Gateway.handle_now): a refusal the person can act on is shown
in the modal itself, in the submission's response; anything else closes it and is shown like the
answer to a press."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.model import decode_action
from bot.channels.slack.blocks import clamp
from bot.channels.slack.inbound import typed
from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.modals import CALLBACK, first_input, missing, read_metadata, read_values, submitted
from bot.channels.slack.inbound.steps import steps_of
from bot.channels.slack.workspaces import PLATFORM
from handlers.contracts import Inbound
from workflow.commands import BY_VERB

# Slack shows a form error under its field; longer text is cut.
ERROR_TEXT = 1000


async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                 client: AsyncWebClient, context: AsyncBoltContext) -> None:
    steps = steps_of(context)
    origin = read_metadata(view.get("private_metadata"))
    ref = decode_action(origin.value) if origin is not None else None
    if origin is None or ref is None:
        await ack()  # not a form of ours: close it
        return
    team, user = str(context.team_id), str(context.user_id)
    asker = await steps.asker(client, team, user)
    values = read_values(view.get("state"))
    errors = missing(ref, values, asker.locale)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    action, args = submitted(ref, values)
    if action == "open" and args.get("employee"):
        args["employee"] = await steps.handle_for(client, team, str(args["employee"]))
    command = BY_VERB.get(action)
    submission = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
    inbound = Inbound(
        platform=PLATFORM, platform_tenant=team, user_id=user,
        name=command.name if command else action, case_ref=ref.case_ref,
        case_version=ref.case_version, args=args, locale=asker.locale,
        delivery_id=f"slack:{team}:view:{submission}",
    )
    source = Source(team, user, channel=origin.channel, ts=origin.ts,
                    ephemeral=bool(origin.response_url), response_url=origin.response_url,
                    title=origin.title or "")
    dedup = str(inbound.delivery_id)
    kept = typed.inbox_body(inbound, source, action=ref.action, dedup=dedup)
    reply = await steps.core.gateway.handle_now(PLATFORM, dedup, typed.lane_of(inbound), kept,
                                                lambda: steps.dispatch(inbound))
    where = first_input(view)
    current_card = any(m.kind == "case" and m.actions for m in reply.messages)
    if not reply.ok and not reply.duplicate and not current_card and where:
        # Keep the form open with what was typed, and say why under its first field.
        text = "\n".join(str(m.data.get("text") or m.data.get("title") or "")
                         for m in reply.messages)
        await ack(response_action="errors", errors={where: clamp(text, ERROR_TEXT)})
        return
    await steps.answer(source, reply, action=ref.action, locale=asker.locale, dedup=dedup)
    await ack()


def register(app: AsyncApp) -> None:
    app.view(CALLBACK)(submit)
