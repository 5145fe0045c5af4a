"""What a message in the bot's DM does, once Slack has had its answer: the events listener keeps
the message in the inbox and acks at once (listeners/events.py); the worker hands it back here
(through SlackChannel.take) to run it — a typed command, or a file shared as evidence ("C-0001
performance" in the message names its case and kind) — and answer in the DM."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.files import fetch
from bot.channels.slack.inbound.people import Asker
from bot.channels.slack.inbound.steps import RequestSteps, refusal
from bot.channels.slack.workspaces import PLATFORM
from bot.router import Parsed, ParseError, parse, to_inbound
from handlers.contracts import Reply
from workflow.i18n import t

# The inbox body of a DM message: who wrote, where, and the Slack event itself.
KIND = "message"


def delivery_of(team: str, event_id: object) -> str:
    """Slack's id for this one event: a retry of it is the same message."""
    return f"slack:{team}:evt:{event_id}"


def lane_of(team: str, user: str, text: str) -> str:
    """A message is handled in order with the presses of the same person on the same case."""
    parsed = parse(text)
    case_ref = parsed.case_ref if isinstance(parsed, Parsed) else None
    return f"{PLATFORM}:{team}:{user}:{case_ref or ''}"


def inbox_body(team: str, user: str, event_id: object, event: dict[str, Any]) -> dict[str, Any]:
    return {"kind": KIND, "team": team, "user": user, "event_id": str(event_id), "event": event}


def _evidence_words(text: str, filename: str) -> Parsed | ParseError:
    """'C-0001 performance [note]' (or 'evidence C-0001 …') with the file's name as content."""
    parsed = parse(text)
    if isinstance(parsed, Parsed) and parsed.name == "evidence":
        return parsed
    return parse(f"evidence {text} {filename}")


async def _file_reply(steps: RequestSteps, asker: Asker, files: list[dict[str, Any]], text: str,
                      delivery: str) -> Reply:
    locale = asker.locale
    if len(files) != 1:
        return refusal(t("slack.file.too_many", locale), locale)
    shared = files[0]
    name = str(shared.get("name") or "file")
    parsed = _evidence_words(text, name)
    if isinstance(parsed, ParseError):
        return refusal(t("slack.file.need_case", locale, name=name), locale)
    token = await steps.workspaces.token(asker.team_id) or ""
    fetched = await fetch(steps.workspaces, token, shared, steps.core.deps.max_evidence_bytes)
    if fetched.file is None:
        return refusal(t("slack.file.failed", locale, name=name, error=fetched.error), locale)
    inbound = to_inbound(parsed, platform=PLATFORM, platform_tenant=asker.team_id,
                         user_id=asker.user_id, delivery_id=delivery, locale=locale)
    inbound = replace(inbound, args={**inbound.args, "file": fetched.file})
    return await steps.dispatch(inbound)


async def run(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Run a kept message, then answer it in the DM."""
    team, event = str(kept["team"]), kept["event"]
    asker = await steps.asker(client, team, str(kept["user"]))
    delivery = delivery_of(team, kept["event_id"])
    text = str(event.get("text") or "")
    files = [f for f in event.get("files") or [] if isinstance(f, dict)]
    if files:
        reply = await _file_reply(steps, asker, files, text, delivery)
        action = "evidence"
    else:
        inbound = to_inbound(parse(text), platform=PLATFORM, platform_tenant=team,
                             user_id=asker.user_id, delivery_id=delivery, locale=asker.locale)
        reply = await steps.dispatch(inbound)
        action = inbound.name
    source = Source(team, asker.user_id, channel=str(event.get("channel") or ""))
    await steps.answer(source, reply, action=action, locale=asker.locale, dedup=delivery)


async def gave_up(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Tell the writer that a kept message was never handled (the worker gave up on it)."""
    team, event = str(kept["team"]), kept["event"]
    asker = await steps.asker(client, team, str(kept["user"]))
    source = Source(team, asker.user_id, channel=str(event.get("channel") or ""))
    await steps.answer(source, refusal(t("slack.error", asker.locale), asker.locale),
                       action="message", locale=asker.locale,
                       dedup=f"{delivery_of(team, kept['event_id'])}:gave-up")
