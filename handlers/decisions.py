"""Every workflow trigger a person fires from a card or a typed command: approve, sign, dispute …

One table says what each trigger needs from the request and records on the case; the transition
itself, its audit event and timers go through handlers.transition.fire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.casefile import load_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.document import issue_document
from handlers.handover import create_items
from handlers.notify import announce, hr_people, talk_window
from handlers.transition import audit, fire, refused, touch
from storage.models import Case
from workflow.i18n import normalise_locale, t
from workflow.machine import Decision
from workflow.model import Trigger

Effect = Callable[[Ctx, Case, Decision], Awaitable[None]]


def request_text(ctx: Ctx) -> str:
    args = ctx.inbound.args
    for key in ("text", "reason", "comment", "proof", "note"):
        if args.get(key):
            return str(args[key]).strip()[:4000]
    return ""


def parse_talk_at(ctx: Ctx) -> datetime | None:
    """The talk time from a form (aware datetime) or text ('YYYY-MM-DD HH:MM', tenant local time)."""
    raw = ctx.inbound.args.get("talk_at") or ctx.inbound.args.get("when")
    if isinstance(raw, datetime):
        return raw
    try:
        parsed = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(ctx.tenant.timezone))
    return parsed


def _record(**data: Any) -> Effect:
    async def effect(ctx: Ctx, case: Case, _d: Decision) -> None:
        case.data = {**case.data, **{k: v(ctx) if callable(v) else v for k, v in data.items()}}
    return effect


def _actor_id(ctx: Ctx) -> int | None:
    return ctx.actor.id if ctx.actor else None


def _now(ctx: Ctx) -> str:
    return ctx.now.isoformat()


async def _document(ctx: Ctx, case: Case, _d: Decision) -> None:
    await issue_document(ctx, case)


async def _signature(ctx: Ctx, case: Case, _d: Decision) -> None:
    doc = case.data.get("document") or {}
    case.data = {**case.data, "signed_at": _now(ctx), "read_at": case.data.get("read_at") or _now(ctx),
                 "signature": {"person_id": _actor_id(ctx), "identity": ctx.actor_identity,
                               "at": _now(ctx), "document_sha256": doc.get("sha256"),
                               "document_version": doc.get("version")}}
    await create_items(ctx, case)


async def _notice_then_items(ctx: Ctx, case: Case, _d: Decision) -> None:
    case.data = {**case.data, "notice": {"proof": request_text(ctx), "at": _now(ctx),
                                         "by": _actor_id(ctx)}}
    await create_items(ctx, case)


async def _revision(ctx: Ctx, case: Case, d: Decision) -> None:
    case.data = {**case.data, "revision_note": request_text(ctx), "read_at": None}
    await issue_document(ctx, case)


# trigger -> (extra Attempt fields from the request, effect on the case)
_EFFECTS: dict[Trigger, Effect] = {
    Trigger.APPROVE: _record(approved_by=_actor_id),
    Trigger.REQUEST_CHANGES: _record(changes_requested=request_text),
    Trigger.SCHEDULE: _record(talk_at=lambda ctx: parse_talk_at(ctx).isoformat(),  # type: ignore[union-attr]
                              scheduled_by=_actor_id),
    Trigger.CONFIRM_ATTENDANCE: _record(attendance_confirmed_at=_now),
    Trigger.RECORD_TALK: _document,
    Trigger.ACKNOWLEDGE: _record(read_at=_now),
    Trigger.SIGN: _signature,
    Trigger.DISPUTE: _record(read_at=_now, dispute=lambda ctx: {"reason": request_text(ctx),
                                                                 "at": _now(ctx)}),
    Trigger.REVISE: _revision,
    Trigger.PROCEED_UNILATERAL: _notice_then_items,
    Trigger.RECORD_NOTICE_SERVED: _notice_then_items,
}


def _attempt(ctx: Ctx, case: Case, trigger: Trigger) -> dict[str, Any] | None:
    text = request_text(ctx)
    fields: dict[str, Any] = {"text": text}
    if trigger == Trigger.SCHEDULE:
        talk_at = parse_talk_at(ctx)
        if talk_at is None:
            ctx.refuse("h.bad_time", case=case,
                       value=ctx.inbound.args.get("talk_at") or ctx.inbound.args.get("when") or "")
            return None
        fields.update(talk_at=talk_at, talk_window=talk_window(ctx))
    elif trigger == Trigger.RECORD_TALK:
        fields["override_reason"] = text
    elif trigger == Trigger.SIGN:
        current = (case.data.get("document") or {}).get("sha256")
        fields["document_hash_seen"] = ctx.inbound.args.get("document_hash") or current
    elif trigger == Trigger.PROCEED_UNILATERAL:
        fields["notice_served"] = bool(text)
    return fields


async def handle(ctx: Ctx) -> Reply:
    trigger = Trigger(ctx.inbound.name)
    case = await load_case(ctx)
    if case is None:
        return Reply(ok=False)
    attempt = _attempt(ctx, case, trigger)
    if attempt is None:
        return Reply(ok=False)
    effect = _EFFECTS.get(trigger)

    async def effects(case: Case, decision: Decision) -> None:
        if effect is not None:
            await effect(ctx, case, decision)

    decision = await fire(ctx, case, trigger, payload={"text": attempt["text"]} if attempt["text"] else {},
                          effects=effects, **attempt)
    if decision is None:
        return Reply(ok=False)
    await announce(ctx, case, decision)
    return Reply(ok=True)


async def ask_meeting(ctx: Ctx) -> Reply:
    """The employee asks for another meeting: HR is told; the case does not move."""
    case = await load_case(ctx)
    if case is None or ctx.actor is None:
        return Reply(ok=False)
    if ctx.actor.id != case.employee_id:
        ctx.refuse("machine.refuse.party", case=case, trigger=t("action.ask_meeting", ctx.locale),
                   who=t("party.employee", ctx.locale))
        refused(ctx, case, "ask_meeting")
        return Reply(ok=False)
    touch(case, ctx.now, read_at=case.data.get("read_at") or _now(ctx))
    await audit(ctx, case, "ask_meeting", payload={"text": request_text(ctx)})
    for person in await hr_people(ctx, case):
        loc = normalise_locale(person.locale)
        from handlers.views import message_for

        await ctx.send(message_for(
            case, person, "meeting_request", t("h.meeting.title", loc, ref=case.ref),
            t("h.meeting.text", loc, name=ctx.actor.name, text=request_text(ctx)), [],
        ), case=case)
    ctx.reply("meeting_request", t("h.done", ctx.locale), t("h.meeting_sent", ctx.locale), case=case)
    return Reply(ok=True)
