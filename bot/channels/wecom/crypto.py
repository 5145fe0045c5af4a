"""Callback security: check WeCom's msg_signature and open the AES-encrypted body (wechatpy).

Every failure becomes `CallbackRejected` with the HTTP status to answer: 403 for anything that
is not provably from WeCom for our corp (bad signature, another corp id, undecryptable), 400 for
a body that is not the XML envelope WeCom sends. Nothing else happens for a rejected callback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.wecom.config import WeComConfig

# Entity declarations are never part of a WeCom envelope; refusing them rules out entity bombs.
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


class CallbackRejected(Exception):
    """Why a callback is refused; `status` is the HTTP answer (400 or 403)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """The children of a WeCom <xml> document as a dict; CallbackRejected(400) otherwise."""
    raw = body.encode() if isinstance(body, str) else body
    if any(marker in raw.upper() for marker in _FORBIDDEN):
        raise CallbackRejected(400, "XML with a DOCTYPE or entities is not accepted")
    try:
        document = xmltodict.parse(raw)
    except Exception:  # expat raises several types for broken XML; all mean the same here
        raise CallbackRejected(400, "malformed XML") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise CallbackRejected(400, "expected an <xml> document with child elements")
    return root


# As Slack's signed requests: a callback whose signed timestamp is further than this from our
# clock is refused, so a captured callback cannot be replayed later.
MAX_AGE = timedelta(minutes=5)


def check_fresh(timestamp: str, now: datetime) -> None:
    """CallbackRejected(403) unless the (signed) timestamp is within MAX_AGE of `now`."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise CallbackRejected(403, "the timestamp is not a time") from None
    if abs(now - sent) > MAX_AGE:
        raise CallbackRejected(403, "the timestamp is more than five minutes from now (a replay?)")


class CallbackCrypto:
    """The app's Token and EncodingAESKey for one corp."""

    def __init__(self, config: WeComConfig) -> None:
        self._crypto = WeChatCrypto(
            config.token.get_secret_value(), config.aes_key.get_secret_value(), config.corp_id
        )

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification: the decrypted echostr, which must be answered verbatim."""
        return self._open(
            lambda: self._crypto.check_signature(signature, timestamp, nonce, echostr)
        )

    def open(self, body: bytes, signature: str, timestamp: str, nonce: str) -> str:
        """The decrypted message XML of a POSTed callback."""
        envelope = parse_xml(body)
        if not isinstance(envelope.get("Encrypt"), str):
            raise CallbackRejected(400, "the callback has no <Encrypt> element")
        return self._open(
            lambda: self._crypto.decrypt_message(envelope, signature, timestamp, nonce)
        )

    @staticmethod
    def _open(decrypt: Any) -> str:
        try:
            plain = decrypt()
        except InvalidSignatureException:
            raise CallbackRejected(403, "bad msg_signature") from None
        except InvalidCorpIdException:
            raise CallbackRejected(403, "the message is for another corp") from None
        except Exception:  # bad base64, padding or length: whatever was sent, it is not ours
            raise CallbackRejected(403, "the body cannot be decrypted") from None
        return plain if isinstance(plain, str) else plain.decode("utf-8", "replace")
