"""Secrets the bot keeps in its database (OAuth-installed Slack tokens) are encrypted with Fernet
under keys from the settings; several keys let an operator rotate without losing a token.

Stored values read "fernet:<token>". A value without the prefix was stored before encryption and
is read as it is until the next start re-encrypts it (`rotate`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import OperatorError
from storage.sealed import PREFIX

_LOST_KEY = ("a stored Slack token was encrypted with a key that is not in SLACK_TOKEN_KEYS: put "
             "the old key back after the new one")


class TokenKeyError(OperatorError):
    """A stored token was encrypted with a key no longer in the settings."""


def parse_keys(value: str) -> list[str]:
    """The comma-separated keys of the setting; ValueError naming what is wrong."""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        raise ValueError("needs at least one key")
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError("each key must be a Fernet key: 32 url-safe base64-encoded bytes "
                             "(make one with `python -c \"from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())\"`)") from None
    return keys


class TokenCipher:
    """Encrypts with the first key; decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        return cls(parse_keys(value))

    def encrypt(self, value: str | None) -> str | None:
        """Encrypted with the first key; None, "" and already encrypted values are kept."""
        if not value or value.startswith(PREFIX):
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if not value or not value.startswith(PREFIX):
            return value
        try:
            return self._fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise TokenKeyError(_LOST_KEY) from None

    def rotate(self, value: str | None) -> str | None:
        """Re-encrypted with the first key (a value stored in clear is encrypted)."""
        if not value:
            return value
        if not value.startswith(PREFIX):
            return self.encrypt(value)
        try:
            return PREFIX + self._fernet.rotate(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise TokenKeyError(_LOST_KEY) from None

    def __repr__(self) -> str:  # never show key material
        return "TokenCipher()"
