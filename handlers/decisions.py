"""Every workflow trigger a person fires from a card or a typed command: approve, sign, dispute …

One table says what each trigger needs from the request and records on the case; the transition
itself, its audit event and timers go through handlers.transition.fire.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.casefile import load_case, parties_of
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.document import issue_certificate, issue_document
from handlers.handover import create_items
from handlers.notify import announce, hr_people, talk_window
from handlers.signing.record import SigningEvidence, record_signature
from handlers.transition import audit, fire, refused, touch
from storage.models import Case, EvidenceItem
from workflow.i18n import normalise_locale, register, t
from workflow.machine import Decision, refusal_text
from workflow.model import Party, Refusal, Trigger

Effect = Callable[[Ctx, Case, Decision], Awaitable[None]]
# The evidence kind of a notice served by other means (registered mail …), recorded by HR.
NOTICE_SERVICE = "notice_service"


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


def signature_effect(evidence: SigningEvidence) -> Effect:
    """Signing: the sealed signature record, then termination's documents and handover items."""
    async def effect(ctx: Ctx, case: Case, _d: Decision) -> None:
        signature = await record_signature(ctx, case, evidence)
        doc = case.data.get("document") or {}
        case.data = {**case.data, "signed_at": _now(ctx),
                     "read_at": case.data.get("read_at") or _now(ctx),
                     "signature": {"id": signature.id, "person_id": _actor_id(ctx),
                                   "identity": ctx.actor_identity, "at": _now(ctx),
                                   "document_sha256": doc.get("sha256"),
                                   "document_version": doc.get("version"),
                                   "record_sha256": signature.record_sha256}}
        await issue_certificate(ctx, case)
        await create_items(ctx, case)
    return effect


def _upload(ctx: Ctx) -> dict[str, Any] | None:
    file: dict[str, Any] | None = ctx.inbound.args.get("file")
    return file if file and file.get("data") else None


async def _notice_then_items(ctx: Ctx, case: Case, _d: Decision) -> None:
    """Notice served another way: the proof (tracking number, and any upload) becomes evidence
    in the case file, so it is hashed, chained and archived with the rest."""
    assert ctx.actor is not None
    proof, file = ctx.text, _upload(ctx)
    body = file["data"] if file else proof.encode()
    digest = hashlib.sha256(body).hexdigest()
    item = await ctx.uow.evidence.add(EvidenceItem(
        case_id=case.id, kind=NOTICE_SERVICE, content=proof,
        filename=str(file.get("filename", "")) if file else "",
        media_type=str(file.get("media_type", "")) if file else "text/plain",
        blob=body if file else None, size=len(body), sha256=digest,
        added_by_id=ctx.actor.id, added_at=ctx.now,
    ))
    await audit(ctx, case, "evidence", payload={"kind": NOTICE_SERVICE, "sha256": digest,
                                                "size": len(body), "evidence_id": item.id})
    case.data = {**case.data, "notice": {"proof": proof, "at": _now(ctx), "by": _actor_id(ctx),
                                         "evidence_id": item.id}}
    await issue_certificate(ctx, case)
    await create_items(ctx, case)


async def _revision(ctx: Ctx, case: Case, d: Decision) -> None:
    case.data = {**case.data, "revision_note": ctx.text, "read_at": None}
    await issue_document(ctx, case)


# trigger -> (extra Attempt fields from the request, effect on the case)
_EFFECTS: dict[Trigger, Effect] = {
    Trigger.APPROVE: _record(approved_by=_actor_id),
    Trigger.REQUEST_CHANGES: _record(changes_requested=lambda ctx: ctx.text),
    Trigger.SCHEDULE: _record(talk_at=lambda ctx: parse_talk_at(ctx).isoformat(),  # type: ignore[union-attr]
                              scheduled_by=_actor_id),
    Trigger.CONFIRM_ATTENDANCE: _record(attendance_confirmed_at=_now),
    Trigger.RECORD_TALK: _document,
    Trigger.ACKNOWLEDGE: _record(read_at=_now),
    Trigger.SIGN: signature_effect(SigningEvidence(channel="chat")),
    Trigger.DISPUTE: _record(read_at=_now, dispute=lambda ctx: {"reason": ctx.text,
                                                                 "at": _now(ctx)}),
    Trigger.REVISE: _revision,
    Trigger.PROCEED_UNILATERAL: _notice_then_items,
    Trigger.RECORD_NOTICE_SERVED: _notice_then_items,
}


def _attempt(ctx: Ctx, case: Case, trigger: Trigger) -> dict[str, Any] | None:
    text = ctx.text
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
    if trigger in (Trigger.PROCEED_UNILATERAL, Trigger.RECORD_NOTICE_SERVED):
        file = _upload(ctx)
        if file is not None and len(file["data"]) > ctx.deps.max_evidence_bytes:
            ctx.refuse("h.evidence_too_large", case=case,
                       size=f"{len(file['data']) / 1024 / 1024:.1f} MiB",
                       limit=f"{ctx.deps.max_evidence_bytes / 1024 / 1024:.1f} MiB")
            return None
    return fields


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if case is None:
        return Reply(ok=False)
    return await run(ctx, case, Trigger(ctx.inbound.name))


async def run(ctx: Ctx, case: Case, trigger: Trigger, effect: Effect | None = None) -> Reply:
    """Fire `trigger` on a loaded (locked) case with the request's fields; `effect` replaces the
    trigger's usual one (the signing page brings its own evidence of the signature)."""
    attempt = _attempt(ctx, case, trigger)
    if attempt is None:
        return Reply(ok=False)
    effect = effect or _EFFECTS.get(trigger)

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
    parties = parties_of(case, ctx.actor)
    if not parties:
        ctx.refuse("h.unknown_case", ref=case.ref)
        refused(ctx, case, "ask_meeting")
        return Reply(ok=False)
    if Party.EMPLOYEE not in parties:
        only_the_employee = Refusal("machine.refuse.party", {"trigger": "ask_meeting", "allowed": ("employee",)})
        ctx.reply("refusal", t("h.refused", ctx.locale), refusal_text(only_the_employee, ctx.locale), case=case)
        refused(ctx, case, "ask_meeting")
        return Reply(ok=False)
    touch(case, ctx.now, read_at=case.data.get("read_at") or _now(ctx))
    await audit(ctx, case, "ask_meeting", payload={"text": ctx.text})
    for person in await hr_people(ctx, case):
        loc = normalise_locale(person.locale)
        from handlers.views import message_for

        await ctx.send(message_for(
            case, person, "meeting_request", t("h.meeting.title", loc, ref=case.ref),
            t("h.meeting.text", loc, name=ctx.actor.name, text=ctx.text), [],
        ), case=case)
    ctx.reply("meeting_request", t("h.done", ctx.locale), t("h.meeting_sent", ctx.locale), case=case)
    return Reply(ok=True)


register({"evidence.kind.notice_service": {"zh-CN": "解除通知送达凭证",
                                           "en": "proof of service of the notice"}})
