"""The signing rules: how long a signing link lives, when a link may no longer be used, and the
sentence a signer confirms ("I have read and understood …")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from workflow.i18n import t

DEFAULT_LINK_HOURS = 72
# A document version's package hash as the signer confirms it: SHA-256, lowercase hex.
DOCUMENT_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)


class LinkState(StrEnum):
    """What a signing link may do now, most decisive reason first."""

    VALID = "valid"
    UNKNOWN = "unknown"  # no such link (mistyped, forged, or purged)
    SIGNED = "signed"  # this link, or another for the same version, was used to sign
    DISPUTED = "disputed"  # this link was used to dispute
    FOREIGN = "foreign"  # bound to someone who is not the case's employee
    SUPERSEDED = "superseded"  # a newer document version was issued after it
    EXPIRED = "expired"
    CLOSED = "closed"  # the case no longer waits for the employee's answer


def link_expiry(issued_at: datetime, hours: int = DEFAULT_LINK_HOURS) -> datetime:
    if hours <= 0:
        raise ValueError("a signing link must live for at least an hour")
    return issued_at + timedelta(hours=hours)


def link_state(
    *,
    now: datetime,
    expires_at: datetime,
    used_for: str | None,
    bound_to: int,
    employee: int,
    link_version: int,
    current_version: int,
    version_signed: bool,
    awaiting_answer: bool,
) -> LinkState:
    """The state of one link. A used link says what it was used for even once expired, so the
    employee sees "already signed" rather than a puzzling "expired"."""
    if used_for == "sign":
        return LinkState.SIGNED
    if used_for:
        return LinkState.DISPUTED
    if bound_to != employee:
        return LinkState.FOREIGN
    if link_version != current_version:
        return LinkState.SUPERSEDED
    if version_signed:
        return LinkState.SIGNED
    if now >= expires_at:
        return LinkState.EXPIRED
    if not awaiting_answer:
        return LinkState.CLOSED
    return LinkState.VALID


def intention(agreement: bool, locale: str, version: int, sha256: str) -> str:
    """What the signer confirms. For a notice, signing acknowledges receipt, not agreement; for a
    mutual agreement it is consent to its terms."""
    key = "signing.intention.agreement" if agreement else "signing.intention.receipt"
    return t(key, locale, version=version, sha=sha256[:12])
