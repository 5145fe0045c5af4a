"""Events: the Home tab refreshed when opened, and messages in the bot's DM — a typed command,
or a file shared as evidence ("C-0001 performance" in the message names its case and kind)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.files import fetch
from bot.channels.slack.inbound.people import Asker
from bot.channels.slack.inbound.steps import RequestSteps, refusal, steps_of
from bot.channels.slack.workspaces import PLATFORM
from bot.router import Parsed, ParseError, parse, to_inbound
from handlers.contracts import Reply
from workflow.i18n import t

# Message subtypes that are a person writing to the bot (edits, joins … are not).
PERSON_WRITES = frozenset({None, "file_share"})


async def home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    steps = steps_of(context)
    asker = await steps.asker(client, str(context.team_id), str(event.get("user")))
    await steps.publish_home(asker, dedup=f"slack:{asker.team_id}:evt:{body.get('event_id')}")


def _evidence_words(text: str, filename: str) -> Parsed | ParseError:
    """'C-0001 performance [note]' (or 'evidence C-0001 …') with the file's name as content."""
    parsed = parse(text)
    if isinstance(parsed, Parsed) and parsed.name == "evidence":
        return parsed
    return parse(f"evidence {text} {filename}")


async def _file_reply(steps: RequestSteps, context: AsyncBoltContext, asker: Asker,
                      files: list[dict[str, Any]], text: str, delivery: str) -> Reply:
    locale = asker.locale
    if len(files) != 1:
        return refusal(t("slack.file.too_many", locale), locale)
    shared = files[0]
    name = str(shared.get("name") or "file")
    parsed = _evidence_words(text, name)
    if isinstance(parsed, ParseError):
        return refusal(t("slack.file.need_case", locale, name=name), locale)
    token = context.bot_token or await steps.workspaces.token(asker.team_id) or ""
    fetched = await fetch(steps.workspaces, token, shared, steps.core.deps.max_evidence_bytes)
    if fetched.file is None:
        return refusal(t("slack.file.failed", locale, name=name, error=fetched.error), locale)
    inbound = to_inbound(parsed, platform=PLATFORM, platform_tenant=asker.team_id,
                         user_id=asker.user_id, delivery_id=delivery, locale=locale)
    inbound = replace(inbound, args={**inbound.args, "file": fetched.file})
    return await steps.dispatch(inbound)


async def direct_message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
        return
    if event.get("subtype") not in PERSON_WRITES:
        return
    steps = steps_of(context)
    asker = await steps.asker(client, str(context.team_id), str(event["user"]))
    delivery = f"slack:{asker.team_id}:evt:{body.get('event_id')}"
    text = str(event.get("text") or "")
    files = [f for f in event.get("files") or [] if isinstance(f, dict)]
    if files:
        reply = await _file_reply(steps, context, asker, files, text, delivery)
        action = "evidence"
    else:
        inbound = to_inbound(parse(text), platform=PLATFORM, platform_tenant=asker.team_id,
                             user_id=asker.user_id, delivery_id=delivery, locale=asker.locale)
        reply = await steps.dispatch(inbound)
        action = inbound.name
    source = Source(asker.team_id, asker.user_id, channel=str(event.get("channel") or ""))
    await steps.answer(source, reply, action=action, locale=asker.locale, dedup=delivery)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.event("message")(direct_message)
