"""What a button press does, once Slack has had its answer: the press listener keeps the press in
the inbox and acks at once (listeners/actions.py); the worker hands it back here (through
SlackChannel.take) to run the action and update the pressed message. A press on a card
drawn for another workspace is refused outright."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.model import ActionRef, decode_action
from bot.channels.slack.blocks import team_of_block
from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.people import Asker
from bot.channels.slack.inbound.steps import RequestSteps, refusal
from bot.channels.slack.workspaces import PLATFORM
from bot.router import parse_action, to_inbound
from handlers.contracts import Reply
from workflow.i18n import t

# The inbox body of a press (Gateway.accept): who pressed, where, and the press itself.
KIND = "press"


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


def delivery_of(team: str, action: dict[str, Any]) -> str:
    """Slack's id for this one press: a retry of it is the same press, a second click is not."""
    return f"slack:{team}:act:{action.get('action_id')}:{action.get('action_ts')}"


def lane_of(team: str, user: str, ref: ActionRef) -> str:
    """Presses of one person on one case are handled in the order they came; other presses need
    not wait for them (an HR person approving a column of cards)."""
    return f"{PLATFORM}:{team}:{user}:{ref.case_ref or ''}"


def inbox_body(team: str, user: str, body: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    return {"kind": KIND, "team": team, "user": user, "body": body, "action": action}


async def pressed(steps: RequestSteps, client: AsyncWebClient, team: str, user: str, body: dict[str, Any],
                  action: dict[str, Any]) -> tuple[ActionRef, Asker, Source, Reply | None] | None:
    """What was pressed, by whom, where; with the refusal when the card is another workspace's."""
    ref = decode_action(action.get("value"))
    if ref is None:
        return None  # not one of our buttons
    asker = await steps.asker(client, team, user)
    source = source_of(body, team, user)
    drawn_for = team_of_block(action.get("block_id"))
    if drawn_for is not None and drawn_for != team:
        return ref, asker, source, refusal(t("slack.other_workspace", asker.locale), asker.locale)
    return ref, asker, source, None


async def _kept(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]
                ) -> tuple[ActionRef, Asker, Source, Reply | None] | None:
    """`pressed` for a press kept in the inbox (`inbox_body`)."""
    return await pressed(steps, client, str(kept["team"]), str(kept["user"]), kept["body"], kept["action"])


async def run(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Run a kept press: the action, then its answer where it was pressed."""
    found = await _kept(steps, client, kept)
    if found is None:
        return
    ref, asker, source, reply = found
    team, user = source.team_id, source.user_id
    delivery = delivery_of(team, kept["action"])
    if reply is None:
        inbound = to_inbound(
            parse_action(ref.action, ref.case_ref, arg=ref.arg), platform=PLATFORM,
            platform_tenant=team, user_id=user, delivery_id=delivery,
            locale=asker.locale, case_version=ref.case_version,
        )
        reply = await steps.dispatch_and_answer(inbound, source, action=ref.action, locale=asker.locale,
                                                 dedup=delivery)
    else:
        await steps.answer(source, reply, action=ref.action, locale=asker.locale, dedup=delivery)
    if source.home and not reply.duplicate:
        await steps.publish_home(asker, dedup=f"{delivery}:home")


async def gave_up(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Tell the presser that a kept press was never run (the worker gave up on it)."""
    found = await _kept(steps, client, kept)
    if found is None:
        return
    ref, asker, source, _ = found
    reply = refusal(t("slack.error", asker.locale), asker.locale)
    await steps.answer(source, reply, action=ref.action, locale=asker.locale,
                        dedup=f"{delivery_of(source.team_id, kept['action'])}:gave-up")

