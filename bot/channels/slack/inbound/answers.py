"""How the answer to a Slack interaction is shown, and where.

A slash command is answered in its own HTTP response. Everything else goes through the outbox as
prepared Web API calls, written after the request's transaction: the pressed message is updated
in place (buttons gone, who did what and when), a press on an out-of-date card redraws it as the
current card, a refusal appears only to the presser, and anything new arrives in their DM.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.cards.build import action_label
from bot.channels.slack.blocks import (
    FALLBACK_TEXT,
    Rendered,
    clamp,
    context_block,
    escape,
    header_block,
    render_message,
    render_messages,
    without_buttons,
)
from bot.channels.slack.calls import CALL, RESPONSE_URL
from bot.channels.slack.workspaces import PLATFORM, tenant_key
from handlers.contracts import Message, Reply
from handlers.signing.confirm import KIND as CONFIRMATION
from storage.outbox import Queued
from workflow.i18n import t

if TYPE_CHECKING:
    from bot.core import Core
    from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Kinds that only say "done": already shown on the updated message, not sent again.
DONE_KINDS = frozenset({"case_update", "item_done"})


@dataclass(frozen=True)
class Source:
    """Where an interaction happened."""

    team_id: str
    user_id: str
    channel: str | None = None  # the conversation of the pressed message, or of a DM
    ts: str | None = None  # the pressed message; None for a command, a modal, the Home tab
    ephemeral: bool = False  # pressed on an ephemeral message: only its response_url can change it
    response_url: str | None = None
    blocks: tuple[dict[str, Any], ...] = ()  # the pressed message as Slack sent it
    title: str = ""  # the pressed message's title, when its blocks are not at hand (modals)
    home: bool = False  # pressed on the Home tab


@dataclass(frozen=True)
class Call:
    """One Web API call for the outbox (or a response_url post)."""

    method: str
    args: dict[str, Any]
    target: str
    case_ref: str | None = None


@dataclass
class Plan:
    calls: list[Call] = field(default_factory=list)

    def add(self, method: str, args: dict[str, Any], target: str, case_ref: str | None) -> None:
        self.calls.append(Call(method, args, target, case_ref))


def slack_date(instant: datetime, timezone: str) -> str:
    """A time each reader sees in their own zone, with the workspace's local time as fallback."""
    local = instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{local}>"


def done_note(action: str, user_id: str, locale: str, when: str) -> str:
    return t("slack.done", locale, who=f"<@{user_id}>", action=escape(action_label(action, locale)),
             when=when)


def _is_current_card(message: Message) -> bool:
    return message.kind == "case" and bool(message.actions)


def _replace(source: Source, rendered: Rendered, case_ref: str | None, plan: Plan) -> None:
    """Change the pressed message itself."""
    if source.ephemeral and source.response_url:
        body = {"replace_original": True, "blocks": rendered.blocks, "text": rendered.text}
        plan.add(RESPONSE_URL, {"url": source.response_url, "body": body}, source.user_id,
                 case_ref)
    elif source.channel and source.ts:
        plan.add("chat.update", {"channel": source.channel, "ts": source.ts,
                                 "blocks": rendered.blocks, "text": rendered.text},
                 source.channel, case_ref)


def _privately(source: Source, messages: Sequence[Message], plan: Plan) -> None:
    """Show `messages` to the presser alone, where they pressed."""
    rendered = render_messages(messages, source.team_id)
    ref = messages[0].case_ref
    if source.ephemeral and source.response_url:
        body = {"response_type": "ephemeral", "replace_original": False,
                "blocks": rendered.blocks, "text": rendered.text}
        plan.add(RESPONSE_URL, {"url": source.response_url, "body": body}, source.user_id, ref)
    elif source.channel and not source.home:
        plan.add("chat.postEphemeral", {"channel": source.channel, "user": source.user_id,
                                        "blocks": rendered.blocks, "text": rendered.text},
                 source.user_id, ref)
    else:
        _to_dm(source, messages, plan)


def _to_dm(source: Source, messages: Sequence[Message], plan: Plan) -> None:
    """New cards (with buttons to press later) go to the person's DM with the app."""
    rendered = render_messages(messages, source.team_id)
    channel = source.channel if source.channel and source.channel.startswith("D") else source.user_id
    plan.add("chat.postMessage", {"channel": channel, "blocks": rendered.blocks,
                                  "text": rendered.text, "unfurl_links": False},
             source.user_id, messages[0].case_ref)


def _done(source: Source, note: str) -> list[dict[str, Any]]:
    """The pressed message once done: as it was, minus its buttons, plus who did what and when
    (from a modal only its title is at hand)."""
    if source.blocks:
        return without_buttons(source.blocks, note)
    return [*([header_block(source.title)] if source.title else []), context_block(note)]


def plan_answer(source: Source, reply: Reply, *, action: str, locale: str, when: str) -> Plan:
    """The calls that show `reply` to a press of `action` (or a form submitted for it)."""
    plan = Plan()
    if reply.duplicate or not reply.messages:
        return plan
    messages = list(reply.messages)
    pressed = bool(source.ts or (source.ephemeral and source.response_url))
    if not reply.ok:
        current = next((m for m in messages if _is_current_card(m)), None)
        if pressed and current is not None:
            notes = [str(m.data.get("text", "")) for m in messages if m is not current]
            note = clamp(" ".join(n for n in notes if n), 2000)
            _replace(source, render_message(current, source.team_id, note=note),
                     current.case_ref, plan)
            return plan
        _privately(source, messages, plan)
        return plan
    if any(m.kind == CONFIRMATION for m in messages):
        # Nothing was done yet: the pressed card stays as it was; the confirmation step arrives in
        # the person's DM (not as an ephemeral, which a phone loses when the app is switched).
        _to_dm(source, messages, plan)
        return plan
    if pressed:
        note = done_note(action, source.user_id, locale, when)
        _replace(source, Rendered(_done(source, note), clamp(source.title or note, FALLBACK_TEXT)),
                 messages[0].case_ref, plan)
        messages = [m for m in messages if m.kind not in DONE_KINDS]
    if messages:
        _to_dm(source, messages, plan)
    return plan


async def queue(core: Core, source: Source, plan: Plan, dedup: str) -> bool:
    """Write the plan's calls to the outbox (one transaction); False when the workspace is not a
    tenant here (nothing can be queued for it)."""
    if not plan.calls:
        return True
    async with core.uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key(source.team_id))
        if tenant is None:
            return False
        await write(uow, tenant.id, plan, dedup, core.clock.now())
        await uow.commit()
    await core.gateway.wake_workers()
    return True


async def write(uow: UnitOfWork, tenant_id: int, plan: Plan, dedup: str, now: datetime) -> None:
    """The plan's calls as outbox rows, in `uow`'s transaction (keyed `dedup`:n: written once)."""
    case_ids: dict[str, int | None] = {}
    for call in plan.calls:
        if call.case_ref and call.case_ref not in case_ids:
            case = await uow.cases.by_ref(tenant_id, call.case_ref)
            case_ids[call.case_ref] = case.id if case else None
    await uow.outbox.enqueue_many([
        Queued(tenant_id=tenant_id, case_id=case_ids.get(call.case_ref or ""), channel=PLATFORM,
               recipient=f"slack:{call.target}", kind=CALL,
               payload={"method": call.method, "args": call.args, "case_ref": call.case_ref},
               dedup_key=f"{dedup}:{n}")
        for n, call in enumerate(plan.calls)], now)


async def answer_directly(source: Source, reply: Reply) -> None:
    """For a workspace we have no tenant for (nothing can be queued for it): the answer goes
    straight back on the response_url. Best effort: the request changed nothing anyway."""
    if not source.response_url or not reply.messages:
        return
    rendered = render_messages(reply.messages, source.team_id)
    body = {"response_type": "ephemeral", "replace_original": False,
            "blocks": rendered.blocks, "text": rendered.text}
    try:
        await AsyncWebhookClient(source.response_url, timeout=3).send_dict(body)
    except Exception:  # the person sees nothing more; the request changed nothing
        log.warning("could not answer on the response_url of workspace %s", source.team_id)
