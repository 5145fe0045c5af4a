"""CSRF protection for the signing forms: a signed double-submit token bound to one link.

Opening the page sets a random nonce in a Secure, HttpOnly, SameSite=Strict cookie; the form
carries HMAC(secret, nonce + link). A post is accepted only when both arrive and match, so another
site cannot submit the form, and one link's page cannot post for another link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "offboard_sign"
COOKIE_PATH = "/sign/"
COOKIE_SECONDS = 24 * 3600


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def form_token(secret: bytes, nonce: str, link: str) -> str:
    message = f"{nonce}\n{hashlib.sha256(link.encode()).hexdigest()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def valid(secret: bytes, nonce: str | None, link: str, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters, and a forged form may send any.
    return hmac.compare_digest(form_token(secret, nonce, link).encode(), submitted.encode())


def cookie_header(nonce: str) -> str:
    return (f"{COOKIE}={nonce}; Path={COOKIE_PATH}; Max-Age={COOKIE_SECONDS}; Secure; HttpOnly; "
            "SameSite=Strict")
