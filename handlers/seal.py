"""Sealing signature records: the `SignatureProvider` interface and the built-in click-to-sign
provider, an Ed25519 server signature over the canonical record.

A licensed e-signature service plugs in as another provider: it seals the same record bytes and
says how its seal is checked. Verification here needs no database, so the archive checks offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CLICK_TO_SIGN = "click_to_sign"


@dataclass(frozen=True)
class Seal:
    """A provider's signature over one record, and the public key that checks it."""

    provider: str
    value: str  # base64
    public_key: str  # PEM (SubjectPublicKeyInfo)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)


class SignatureProvider(Protocol):
    """Seals signature records. `name` is stored with every signature it made."""

    name: str

    @property
    def public_key(self) -> str:
        """The PEM public key that checks this provider's seals (it goes into every archive)."""
        ...

    async def seal(self, record: bytes) -> Seal: ...

    def secret(self, purpose: str) -> bytes:
        """A secret for `purpose` derived from the key (signing links, CSRF tokens): every process
        sharing the key agrees on it, and it is never stored."""
        ...


def derive_secret(key: Ed25519PrivateKey, purpose: str) -> bytes:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return hmac.new(raw, f"offboard-bot/{purpose}".encode(), hashlib.sha256).digest()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(public_key_pem: str) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of SHA-256 over its PEM."""
    return hashlib.sha256(public_key_pem.strip().encode()).hexdigest()[:16]


class ClickToSign:
    """Evidence-grade click-to-sign: the server signs what the signer saw, when, from where."""

    name = CLICK_TO_SIGN

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = public_pem(key.public_key())

    @classmethod
    def ephemeral(cls) -> ClickToSign:
        """A provider with a key that lives as long as the process: for tests and trials only;
        its seals still verify later, because every signature keeps its public key."""
        return cls(Ed25519PrivateKey.generate())

    async def seal(self, record: bytes) -> Seal:
        value = base64.b64encode(self._key.sign(record)).decode()
        return Seal(self.name, value, self.public_key)

    def secret(self, purpose: str) -> bytes:
        return derive_secret(self._key, purpose)

    def __repr__(self) -> str:  # never show key material
        return f"ClickToSign(key_id={key_id(self.public_key)})"


def verify_seal(record: bytes, value: str, public_key_pem: str) -> bool:
    """Whether a click-to-sign seal is the key's signature over exactly these record bytes."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(value, validate=True), record)
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False
    return True
