"""Secrets kept in database columns (webhook signing secrets) are sealed with the cipher the shell
hands over at start (`use`): a `Sealed` column encrypts on write and decrypts on read.

Sealed values read "fernet:<token>". A value without the prefix was stored before sealing and is
read as it is; migration 0012 seals those. Without a cipher (tests that write rows directly, a
development database) values are written as they are: the CLI refuses to add a secret then.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

PREFIX = "fernet:"


class Cipher(Protocol):
    def encrypt(self, value: str | None) -> str | None: ...
    def decrypt(self, value: str | None) -> str | None: ...


class KeyMissing(RuntimeError):
    """A sealed value was read, or a clear one must be sealed, and no key was given."""


_cipher: Cipher | None = None


def use(cipher: Cipher | None) -> None:
    """Seal from now on with `cipher` (the shell's, built from its settings)."""
    global _cipher  # one process, one key set, handed over once at start
    _cipher = cipher


def cipher() -> Cipher | None:
    return _cipher


def seal(value: str | None) -> str | None:
    return _cipher.encrypt(value) if _cipher is not None and value else value


def unseal(value: str | None) -> str | None:
    if not value or not value.startswith(PREFIX):
        return value
    if _cipher is None:
        raise KeyMissing("a sealed secret was read without SECRET_KEYS (or SLACK_TOKEN_KEYS) set")
    return _cipher.decrypt(value)


class Sealed(TypeDecorator[str]):
    """A text column whose values are encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return unseal(value)
