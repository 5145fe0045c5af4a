"""Outbound webhooks, pure: which case events exist and when they happen, which payload fields a
subscriber may see, and the Standard Webhooks signature (HMAC-SHA256 over "id.timestamp.body"
with a "whsec_" base64 secret, sent as "v1,<base64>") that both directions use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from workflow.model import State

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
# How far a callback's timestamp may be from now, either way (the convention's replay window).
TOLERANCE_SECONDS = 5 * 60


class Event(StrEnum):
    CASE_APPROVED = "case.approved"
    LAST_DAY_SET = "case.last_day_set"
    CASE_SIGNED = "case.signed"
    ITEM_DUE = "handover_item.due"
    ITEM_DONE = "handover_item.done"
    CASE_CLOSED = "case.closed"
    TEST = "webhook.test"  # `python -m bot webhook test`: no case


# The fields a payload can carry beyond the case reference; a subscription names those it may see.
FIELDS = ("employee_no", "employee_name", "employee_email", "department", "manager_name", "ground",
          "state", "outcome", "last_day", "item", "item_due_at", "item_owner", "avg_wage", "protections")
# Never sent unless a subscription names them itself: pay and protected status (payroll may need
# the wage; nobody else should see either).
SENSITIVE = frozenset({"avg_wage", "protections"})
DEFAULT_FIELDS = tuple(f for f in FIELDS if f not in SENSITIVE)
# The workflow actions that publish an event, besides any move into CLOSED.
_BY_ACTION = {"sign": Event.CASE_SIGNED, "complete_item": Event.ITEM_DONE}
# Events that mean a state was entered: a first of two HR approvals leaves the case in review, so
# "approved" is the move into scheduling the talk, not the press.
_BY_STATE_ENTERED = {State.SCHEDULING_TALK: Event.CASE_APPROVED, State.CLOSED: Event.CASE_CLOSED}


class SignatureError(Exception):
    """A request whose signature does not hold; the message says which check failed."""


def events_after(action: str, from_state: str, to_state: str) -> list[Event]:
    """The events a workflow action that moved the case from `from_state` to `to_state` publishes."""
    events = [_BY_ACTION[action]] if action in _BY_ACTION else []
    if to_state != from_state and to_state in _BY_STATE_ENTERED:
        events.append(_BY_STATE_ENTERED[State(to_state)])
    return events


def unknown_fields(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in FIELDS]


def payload(event: Event, case_ref: str | None, at: datetime, values: Mapping[str, Any],
            allowed: Iterable[str]) -> dict[str, Any]:
    """The body of one event: {type, timestamp, data}, data holding the case reference and only the
    `allowed` fields among `values`."""
    data: dict[str, Any] = {"case_ref": case_ref}
    data.update({name: values[name] for name in allowed if name in FIELDS and values.get(name) is not None})
    return {"type": event.value, "timestamp": at.isoformat(), "data": data}


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("a webhook secret is base64 after its prefix") from error


def secret_of(key: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(key).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, msg_id, timestamp, body)}


def verify(secret: str, received: Mapping[str, str], body: bytes, now: datetime) -> str:
    """Check a signed request (header names lower case); its webhook-id when it holds, else
    SignatureError. Any of the space-separated v1 signatures may match (secret rotation)."""
    msg_id, stamp, signatures = (received.get(name, "") for name in
                                 ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not stamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not whole seconds") from None
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is outside the 5-minute window")
    expected = signature(secret, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in signatures.split(" ") if given):
        raise SignatureError("no signature matches")
    return msg_id
