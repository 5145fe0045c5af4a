"""The values that cross between the shell and the use cases: a normalised request in, messages out.

A channel adapter turns a Slack/WeCom/console input into an `Inbound`; a handler answers with a
`Reply` for the asker and writes every other `Message` to the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HR_GROUP = "hr_group"


@dataclass(frozen=True)
class Inbound:
    """One request from one person, already authenticated by its channel.

    `name` is the command verb or card action (a workflow Trigger value or open/evidence/status/
    report/help/facts); `case_ref` and `case_version` come from the command text or from the card
    the person pressed. Nothing in here is trusted for authorisation: handlers decide from the
    directory who the sender is and what they may do.
    """

    platform: str  # console | slack | wecom
    platform_tenant: str  # slack team id, wecom corp id, "local" for the console
    user_id: str  # platform user id
    name: str
    case_ref: str | None = None
    case_version: int | None = None
    args: dict[str, Any] = field(default_factory=dict)
    delivery_id: str | None = None  # platform retry key; None = not deduplicated
    locale: str | None = None  # the platform's idea of the user's locale, if it has one
    written: str | None = None  # the language the command words were typed in, if recognised


@dataclass(frozen=True)
class Message:
    """Something to show a person or the HR group; channels turn it into a Card.

    `kind` names the card template (e.g. "hr_review", "employee_decision", "reminder",
    "refusal", "help"); `data` holds JSON-safe values it needs, already computed, in the
    recipient's locale where text is involved. `actions` are the action names the recipient may
    take now; every button carries case ref + action + case version.
    """

    kind: str
    recipient: str  # "person:<id>" or HR_GROUP
    locale: str
    case_ref: str | None = None
    case_version: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    dedup_key: str | None = None  # outbox key; None = derive from kind/case/version/recipient


@dataclass(frozen=True)
class Reply:
    """The immediate answer to the asker (shown inline: ephemeral in Slack, a reply in WeCom)."""

    ok: bool
    messages: tuple[Message, ...] = ()
    duplicate: bool = False  # a platform retry of a delivery already handled


def to_payload(message: Message) -> dict[str, Any]:
    """The JSON-safe form stored in the outbox."""
    return {
        "kind": message.kind,
        "recipient": message.recipient,
        "locale": message.locale,
        "case_ref": message.case_ref,
        "case_version": message.case_version,
        "data": message.data,
        "actions": list(message.actions),
    }


def from_payload(payload: dict[str, Any]) -> Message:
    return Message(
        kind=payload["kind"],
        recipient=payload["recipient"],
        locale=payload["locale"],
        case_ref=payload.get("case_ref"),
        case_version=payload.get("case_version"),
        data=payload.get("data") or {},
        actions=tuple(payload.get("actions") or ()),
    )
