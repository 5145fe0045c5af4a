"""The server's Ed25519 signing key in a file: created on first start (mode 0600, in a 0700
directory), loaded after; `serve` refuses a key other than the one the database's seals were made
with, unless told the key was rotated.

The key never reaches a log or a repr; only its public half and fingerprint are shown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import OperatorError
from handlers.seal import ClickToSign, Seal, SignatureProvider, key_id
from storage.models import Signature
from storage.private_files import private_dir

log = logging.getLogger(__name__)


class KeyFileError(OperatorError):
    """The key file cannot be created or read; the message names the path and the setting."""


def _create(path: Path) -> None:
    """Write a new key without ever exposing a half-written file: two replicas starting together
    both write a temporary file, and only the first `link` into place wins."""
    private_dir(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)


def load_or_create(path: Path) -> Ed25519PrivateKey:
    try:
        if not path.exists():
            _create(path)
            log.info("created the signing key %s", path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(
            f"invalid setting SIGNING_KEY_PATH: cannot use {path}: {type(error).__name__}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"invalid setting SIGNING_KEY_PATH: {path} is not an Ed25519 key")
    return key


class KeyFileSigner:
    """The click-to-sign provider with its key in SIGNING_KEY_PATH, read on first use."""

    name = ClickToSign.name

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._provider: ClickToSign | None = None
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    def _load(self) -> ClickToSign:
        with self._lock:
            if self._provider is None:
                self._key = load_or_create(self.path)
                self._provider = ClickToSign(self._key)
                log.info("signing key %s ready (key id %s)", self.path,
                         key_id(self._provider.public_key))
            return self._provider

    @property
    def public_key(self) -> str:
        return self._load().public_key

    async def seal(self, record: bytes) -> Seal:
        return await self._load().seal(record)

    def secret(self, purpose: str) -> bytes:
        """A secret for `purpose` (e.g. CSRF tokens) derived from the key, so every replica that
        shares the key file agrees on it and nothing else needs configuring."""
        self._load()
        assert self._key is not None
        raw = self._key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption())
        return hmac.new(raw, f"offboard-bot/{purpose}".encode(), hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"KeyFileSigner(path={str(self.path)!r})"


async def check_sealing_key(signer: SignatureProvider, sessions: async_sessionmaker[AsyncSession], *,
                            rotated: bool) -> None:
    """Refuse to go on with a key file that is not the one the newest seal in the database was
    made with (a missing file would silently become a new key): KeyFileError names both keys."""
    async with sessions() as session:
        sealed = await session.scalar(
            select(Signature.public_key).where(Signature.provider == ClickToSign.name)
            .order_by(Signature.id.desc()).limit(1))
    if sealed is None or rotated:
        return
    if isinstance(signer, KeyFileSigner) and not signer.path.exists():
        raise KeyFileError(
            f"invalid setting SIGNING_KEY_PATH: {signer.path} does not exist, but the database holds "
            f"records sealed with key {key_id(sealed)}: put that key file there (from your backups), "
            "or set SIGNING_KEY_ROTATED=true to seal new records with a new key")
    if key_id(signer.public_key) != key_id(sealed):
        raise KeyFileError(
            f"invalid setting SIGNING_KEY_PATH: {signer!r} holds key {key_id(signer.public_key)}, "
            f"but the database's records were sealed with key {key_id(sealed)}: point "
            "SIGNING_KEY_PATH at that key, or set SIGNING_KEY_ROTATED=true if the change is meant")
