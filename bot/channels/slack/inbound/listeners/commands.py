"""/offboard: a typed command, kept in the inbox and run at once (Gateway.handle_now), answered in
the command's own response (seen only by the asker). With nothing typed, or a form command missing
what its form asks, the modal opens at once (views.open, within the trigger's 3 s; no action runs)."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.build import inputs_for
from bot.cards.model import ActionRef
from bot.channels.slack.blocks import render_messages
from bot.channels.slack.inbound import typed
from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.modals import Origin, value_of
from bot.channels.slack.inbound.steps import RequestSteps, form_failed, steps_of
from bot.channels.slack.workspaces import PLATFORM
from bot.router import Parsed, ParseError, normalise_case_ref, parse, to_inbound
from handlers.contracts import Reply
from workflow.i18n import DEFAULT_LOCALE

COMMAND = "/offboard"


def form_for(text: str) -> ActionRef | None:
    """The modal a command asks for: '/offboard' alone opens a case; a command lacking only
    what its form asks for ('evidence C-0001', 'reject C-0001') opens that form for the case."""
    if not text.strip():
        return ActionRef("open", None, None)
    parsed = parse(text)
    if not isinstance(parsed, ParseError) or not parsed.code.startswith("router.missing_arg."):
        return None
    name = parsed.usage_key.removeprefix("router.usage.")
    if name == "open":
        return ActionRef("open", None, None)
    if parsed.code == "router.missing_arg.case" or not inputs_for(name, DEFAULT_LOCALE):
        return None
    case_ref = next((ref for word in text.split() if (ref := normalise_case_ref(word))), None)
    return ActionRef(name, case_ref, None) if case_ref else None


async def _with_people(steps: RequestSteps, client: AsyncWebClient, team: str, text: str,
                       parsed: Parsed | ParseError) -> Parsed | ParseError:
    """An @mentioned employee is looked up (and linked) like the asker, by e-mail if need be."""
    if isinstance(parsed, Parsed) and parsed.name == "open":
        employee = str(parsed.args.get("employee", ""))
        if employee and f"<@{employee}" in text:
            handle = await steps.handle_for(client, team, employee)
            return Parsed(parsed.name, parsed.case_ref, {**parsed.args, "employee": handle},
                          parsed.written)
    return parsed


async def _answer(ack: AsyncAck, reply: Reply, team: str) -> None:
    if reply.duplicate or not reply.messages:
        await ack()
        return
    rendered = render_messages(reply.messages, team)
    await ack(response_type="ephemeral", blocks=rendered.blocks, text=rendered.text)


async def offboard(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                   context: AsyncBoltContext) -> None:
    steps = steps_of(context)
    team, user = str(context.team_id), str(context.user_id)
    text = str(body.get("text") or "")
    trigger = str(body.get("trigger_id") or "")
    asker = await steps.asker(client, team, user)
    form = form_for(text)
    if form is not None and trigger and asker.member is not None:
        error = await steps.open_form(client, trigger, form, asker.locale,
                                       Origin(value=value_of(form)))
        if error is None:
            await ack()
            return
        await _answer(ack, form_failed(form.action, error, asker.locale), team)
        return
    parsed = await _with_people(steps, client, team, text, parse(text))
    inbound = to_inbound(parsed, platform=PLATFORM, platform_tenant=team, user_id=user,
                         delivery_id=f"slack:{team}:cmd:{trigger}" if trigger else None,
                         locale=asker.locale)
    key = inbound.delivery_id or f"slack:{team}:cmd:{uuid.uuid4().hex}"
    source = Source(team, user, ephemeral=True, response_url=body.get("response_url"))
    kept = typed.inbox_body(inbound, source, action=inbound.name, dedup=key)
    reply = await steps.core.gateway.handle_now(PLATFORM, key, typed.lane_of(inbound), kept,
                                                lambda: steps.dispatch(inbound))
    await _answer(ack, reply, team)


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(offboard)
