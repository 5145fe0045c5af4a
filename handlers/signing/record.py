"""The signature record: who signed which document version (its package hash), when, from where,
and the sentence they confirmed; sealed by the signature provider and chained into the audit log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from handlers.context import Ctx
from handlers.transition import audit
from storage.audit import canonical_json
from storage.models import Signature
from workflow.case import Case
from workflow.i18n import normalise_locale
from workflow.signing_rules import intention

RECORD_TYPE = "offboard-bot/signature-record/1"


@dataclass(frozen=True)
class SigningEvidence:
    """How the signer reached the Sign button: the signing page (with IP and browser) or a chat
    card's confirmation step (the platform vouches for the account; it tells no IP)."""

    channel: str  # signing_page | the chat platform (slack, wecom, console)
    ip: str = ""
    user_agent: str = ""
    link_id: int | None = None
    locale: str = ""  # the language the intention statement was shown in ("": the signer's)


def chat_evidence(ctx: Ctx) -> SigningEvidence:
    """A chat confirmation: the request's platform, and the language its statement was shown in."""
    return SigningEvidence(channel=ctx.inbound.platform, locale=ctx.locale)


def record_bytes(record: dict[str, Any]) -> bytes:
    """The exact bytes a seal covers: the record's canonical JSON."""
    return canonical_json(record).encode()


def intention_for(case: Case, locale: str) -> str:
    document = case.record.document
    if document is None:
        return intention(False, locale, 0, "")
    return intention(document.agreement, locale, document.version, document.sha256)


async def record_signature(ctx: Ctx, case: Case, evidence: SigningEvidence) -> Signature:
    """Seal and store the record of the employee signing the case's current document version.

    The one builder of the record, for the signing page and every chat alike: the same fields,
    the intention statement in the language it was shown in; only the channel (and the page's IP,
    browser and link) tell them apart."""
    assert ctx.actor is not None
    document = case.record.document
    assert document is not None  # the sign action's guard: a document was issued
    # The statement is recorded in the language it was shown in (the page or the chat step).
    locale = normalise_locale(evidence.locale) if evidence.locale else ctx.locale_of(ctx.actor)
    record = {
        "type": RECORD_TYPE,
        "provider": ctx.deps.signer.name,
        "case": {"ref": case.ref, "tenant": ctx.tenant.key},
        "signer": {"person_id": ctx.actor.id, "employee_no": ctx.actor.employee_no,
                   "name": ctx.actor.name, "identity": ctx.actor_identity},
        "document": {"version": document.version, "sha256": document.sha256,
                     "files": [{"kind": f.kind, "locale": f.locale, "sha256": f.sha256}
                               for f in document.files]},
        "intention": intention_for(case, locale),
        "locale": locale,
        "signed_at": ctx.now.astimezone(UTC).isoformat(),
        "channel": evidence.channel,
        "ip": evidence.ip,
        "user_agent": evidence.user_agent[:500],
        "link_id": evidence.link_id,
    }
    body = record_bytes(record)
    seal = await ctx.deps.signer.seal(body)
    signature = await ctx.uow.signatures.add(Signature(
        case_id=case.id, person_id=ctx.actor.id, provider=seal.provider,
        document_version=document.version, document_sha256=document.sha256,
        signed_at=ctx.now, record=record, record_sha256=hashlib.sha256(body).hexdigest(),
        seal=seal.value, public_key=seal.public_key,
    ))
    await audit(ctx, case, "signature", payload={
        "signature_id": signature.id, "provider": seal.provider, "key_id": seal.key_id,
        "record_sha256": signature.record_sha256, "seal": seal.value,
        "document_version": document.version, "document_sha256": document.sha256,
    })
    return signature
