"""What an action does to the case once the workflow allowed it: the fields its spec records and
its named effects (actions.py `Value`, `Effect`), each implemented here once."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.casefile import approval_standing
from handlers.context import Ctx
from handlers.document import issue_certificate, issue_document
from handlers.handover import create_items
from handlers.inputs import upload
from handlers.signing.record import SigningEvidence, chat_evidence, record_signature
from handlers.transition import audit
from storage.models import EvidenceItem, HandoverItem
from workflow.actions import Action, Effect, Value
from workflow.case import Approval, Case, CaseRecord, Dispute, NoticeServed, SignatureNote

# The evidence kind of a notice served by other means (registered mail …), recorded by HR.
NOTICE_SERVICE = "notice_service"


@dataclass(frozen=True)
class Change:
    """One allowed action being applied: the request, the case, and what the request brought."""

    ctx: Ctx
    case: Case
    action: Action
    talk_at: datetime | None = None
    signing: SigningEvidence | None = None  # None: a chat confirmation (record.chat_evidence)
    item: HandoverItem | None = None


def _value(change: Change, field: str, value: Value) -> Any:
    ctx = change.ctx
    match value:
        case Value.ASKER:
            return ctx.actor.id if ctx.actor else None
        case Value.NOW:
            return ctx.now
        case Value.TEXT:
            return ctx.text
        case Value.TALK_AT:
            assert change.talk_at is not None
            return change.talk_at
        case Value.CLEARED:
            return None
        case Value.REASON_AND_TIME:
            return Dispute(reason=ctx.text, at=ctx.now)
        case Value.KEPT_OR_NOW:
            return getattr(change.case.record, field) or ctx.now
        case Value.APPROVAL:
            assert ctx.actor is not None
            standing = approval_standing(change.case, ctx.actor, ctx.principals)
            approval = Approval(by=ctx.actor.id, opened_or_manages=standing["opened_or_manages"], at=ctx.now)
            return (*(change.case.record.approvals or ()), approval)


def recorded(change: Change) -> CaseRecord:
    """The case's record with the fields the action's spec records, computed from this request."""
    return change.case.record.recorded(
        **{field: _value(change, field, value) for field, value in change.action.records})


async def apply(change: Change) -> None:
    """Record the spec's fields on the case, then run its effects in order."""
    case = change.case
    if change.action.records:
        case.record = recorded(change)
    for effect in change.action.effects:
        await EFFECT_RUNNERS[effect](change)


async def _issue_document(change: Change) -> None:
    await issue_document(change.ctx, change.case)


async def _issue_certificate(change: Change) -> None:
    await issue_certificate(change.ctx, change.case)


async def _create_items(change: Change) -> None:
    await create_items(change.ctx, change.case)


async def _record_signature(change: Change) -> None:
    """The sealed signature record, and the case's note of who signed which version when."""
    ctx, case = change.ctx, change.case
    signature = await record_signature(ctx, case, change.signing or chat_evidence(ctx))
    case.record = case.record.signed(SignatureNote(
        id=signature.id, person_id=ctx.actor.id if ctx.actor else None, identity=ctx.actor_identity,
        at=ctx.now, document_sha256=signature.document_sha256, document_version=signature.document_version,
        record_sha256=signature.record_sha256))


async def _record_notice_evidence(change: Change) -> None:
    """Notice served another way: the proof (tracking number, and any upload) becomes evidence
    in the case file, so it is hashed, chained and archived with the rest."""
    ctx, case = change.ctx, change.case
    assert ctx.actor is not None
    proof, file = ctx.text, upload(ctx)
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
    case.record = case.record.notice_served(
        NoticeServed(proof=proof, at=ctx.now, by=ctx.actor.id, evidence_id=item.id))


async def _tick_item(change: Change) -> None:
    assert change.item is not None
    change.item.done_at = change.ctx.now
    change.item.done_by_id = change.ctx.actor.id if change.ctx.actor else None


EFFECT_RUNNERS: dict[Effect, Callable[[Change], Awaitable[None]]] = {
    Effect.ISSUE_DOCUMENT: _issue_document,
    Effect.RECORD_SIGNATURE: _record_signature,
    Effect.RECORD_NOTICE_EVIDENCE: _record_notice_evidence,
    Effect.ISSUE_CERTIFICATE: _issue_certificate,
    Effect.CREATE_ITEMS: _create_items,
    Effect.TICK_ITEM: _tick_item,
}
assert set(EFFECT_RUNNERS) == set(Effect), "every named effect needs its implementation"
