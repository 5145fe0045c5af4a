"""Signing links: a fresh single-use link on every employee card, and where the employee stands
with the current document (signed / read / unopened, and since when) for HR's cards."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from handlers.context import Ctx, channel_of
from storage.models import Person, SigningToken
from workflow.case import Case
from workflow.model import State
from workflow.signing_rules import link_expiry

# States in which the employee's answer is awaited, so a link is worth sending.
AWAITING = frozenset({State.AWAITING_EMPLOYEE.value, State.ESCALATED.value})


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def identity_of(ctx: Ctx, person: Person) -> str:
    """The person's account on the tenant's platform, "platform:tenant:user" like audit events;
    the directory id when they have none there."""
    platform = channel_of(ctx.tenant)
    for identity in await ctx.uow.people.identities(person.id):
        if identity.platform == platform:
            return f"{identity.platform}:{identity.platform_tenant}:{identity.platform_user_id}"
    return f"directory:{ctx.tenant.key}:{person.id}"


async def issue_link(ctx: Ctx, case: Case, employee: Person) -> str | None:
    """A new link to sign the case's current document version, or None when none is awaited."""
    document = case.record.document
    if document is None or case.state not in AWAITING or employee.id != case.employee_id:
        return None
    raw = secrets.token_urlsafe(32)
    await ctx.uow.signing_tokens.add(SigningToken(
        token_hash=token_hash(raw), case_id=case.id, person_id=employee.id,
        identity=await identity_of(ctx, employee), document_version=document.version,
        document_sha256=document.sha256, created_at=ctx.now,
        expires_at=link_expiry(ctx.now, ctx.deps.signing_link_hours), used_for="",
    ))
    return f"{ctx.deps.public_base_url.rstrip('/')}/sign/{raw}"


@dataclass(frozen=True)
class SigningState:
    """Where the employee stands with one document version, and since when."""

    version: int
    sha256: str
    status: str  # signed | disputed | read | unopened | unsent
    since: datetime | None


async def signing_state(ctx: Ctx, case: Case) -> SigningState | None:
    """Signed / disputed / read / unopened for the current version; None before any document."""
    document = case.record.document
    if document is None:
        return None
    version = document.version
    signed = [s.signed_at for s in await ctx.uow.signatures.for_case(case.id)
              if s.document_version == version]
    links = [k for k in await ctx.uow.signing_tokens.for_case(case.id)
             if k.document_version == version]
    opened = [k.opened_at for k in links if k.opened_at]
    if case.record.read_at is not None:
        opened.append(case.record.read_at)
    dispute = case.record.dispute
    if signed:
        status, since = "signed", min(signed)
    elif dispute and case.state == State.DISPUTED.value:
        status, since = "disputed", dispute.at
    elif opened:
        status, since = "read", min(opened)
    elif links:
        status, since = "unopened", min(k.created_at for k in links)
    else:
        status, since = "unsent", None
    return SigningState(version, document.sha256, status, since)
