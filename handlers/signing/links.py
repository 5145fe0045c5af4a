"""Signing links: a fresh single-use link on every employee card, and where the employee stands
with the current document (signed / read / unopened, and since when) for HR's cards.

A link is a bearer secret. The database keeps only its SHA-256; a message (and so the outbox row)
carries an opaque reference, which `resolve_links` turns into the URL when the message is sent,
from the reference and a secret derived from the signing key (never stored)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from handlers.context import Ctx, channel_of
from handlers.contracts import Message
from handlers.deps import Deps
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


# What the outbox keeps in place of a link: the mark, then the reference (never the token).
_MARK = "<<signing-link:"


async def issue_link(ctx: Ctx, case: Case, employee: Person) -> str | None:
    """A new link to sign the case's current document version, or None when none is awaited."""
    document = case.record.document
    if document is None or case.state not in AWAITING or employee.id != case.employee_id:
        return None
    reference = secrets.token_urlsafe(24)
    await ctx.uow.signing_tokens.add(SigningToken(
        token_hash=token_hash(_raw(ctx.deps, reference)), case_id=case.id, person_id=employee.id,
        identity=await identity_of(ctx, employee), document_version=document.version,
        document_sha256=document.sha256, created_at=ctx.now,
        expires_at=link_expiry(ctx.now, ctx.deps.signing_link_hours), used_for="",
    ))
    return f"{_MARK}{reference}>>"


_REFERENCE = re.compile(re.escape(_MARK) + r"([A-Za-z0-9_-]{16,64})>>")


def _raw(deps: Deps, reference: str) -> str:
    """The link's token: what only the holder of the signing key can make from the reference."""
    digest = hmac.new(deps.signer.secret("signing-links"), reference.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def resolve_links(value: Any, deps: Deps) -> Any:
    """`value` (a message's payload or data) with each signing-link reference made its URL: the one
    place a link's URL exists, at send time (the relay, and the dispatcher's inline answer)."""
    if isinstance(value, str):
        if _MARK not in value:  # nearly every string of a payload: no regex, no base URL
            return value
        base = deps.public_base_url.rstrip("/")
        return _REFERENCE.sub(lambda m: f"{base}/sign/{_raw(deps, m.group(1))}", value)
    if isinstance(value, dict):
        return {key: resolve_links(item, deps) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(resolve_links(item, deps) for item in value)
    return value


def resolve_message(message: Message, deps: Deps) -> Message:
    return replace(message, data=resolve_links(message.data, deps))


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
