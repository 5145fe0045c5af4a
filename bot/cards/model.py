"""The platform-neutral card: what Slack Block Kit, WeCom template cards and the console render.

A button carries its subject (case ref, action, case version) in one compact string, so a press
arriving later can be checked against the case as it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from workflow.i18n import DEFAULT_LOCALE

Style = Literal["primary", "danger"]
InputKind = Literal["text", "date", "datetime", "select"]

ACTION_VERSION = "v1"
_ACTION = re.compile(r"[a-z][a-z_]{0,39}", re.ASCII)
_CASE_REF = re.compile(r"C-\d{4,9}", re.ASCII)
_VERSION = re.compile(r"\d{1,9}", re.ASCII)
_ARG = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)  # an item number, or a document SHA-256
# Far longer than any value we write; a guard against parsing pasted junk.
_MAX_ENCODED = 120


@dataclass(frozen=True)
class Input:
    """One value a button asks for when pressed (a modal field, a follow-up question).

    `name` is the args key the handlers read; `options` are (value, label) pairs for "select".
    """

    name: str
    label: str
    kind: InputKind = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Button:
    action: str  # a Trigger value or ask_meeting / confirm_facts / open_case
    label: str
    case_ref: str | None = None
    case_version: int | None = None
    style: Style | None = None
    confirm: str | None = None  # the "are you sure?" text, for actions that cannot be undone
    inputs: tuple[Input, ...] = ()  # what the action needs typed along with the press
    arg: str | None = None  # the first value the action reads, fixed by the card (an item number)


@dataclass(frozen=True)
class Card:
    title: str
    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value)
    state: str = ""  # the case's state, already a label in the reader's language
    footer: str = ""
    actions: tuple[Button, ...] = ()
    locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class ActionRef:
    """What a pressed button names; nothing in it is trusted until the handlers check it."""

    action: str
    case_ref: str | None
    case_version: int | None
    arg: str | None = None


def encode_action(button: Button) -> str:
    """'v1|C-0007|approve|5', plus '|<arg>' when the button fixes one (empty parts for none)."""
    if not _ACTION.fullmatch(button.action):
        raise ValueError(f"not an action name: {button.action!r}")
    if button.case_ref is not None and not _CASE_REF.fullmatch(button.case_ref):
        raise ValueError(f"not a case ref: {button.case_ref!r}")
    if button.case_version is not None and not 0 <= button.case_version < 10**9:
        raise ValueError(f"case version out of range: {button.case_version!r}")
    if button.arg is not None and not _ARG.fullmatch(button.arg):
        raise ValueError(f"not a button argument: {button.arg!r}")
    version = "" if button.case_version is None else str(button.case_version)
    parts = [ACTION_VERSION, button.case_ref or "", button.action, version]
    if button.arg is not None:
        parts.append(button.arg)
    return "|".join(parts)


def decode_action(value: object) -> ActionRef | None:
    """The ActionRef in a button value, or None for anything else (never raises)."""
    if not isinstance(value, str) or len(value) > _MAX_ENCODED:
        return None
    parts = value.split("|")
    if len(parts) not in (4, 5) or parts[0] != ACTION_VERSION:
        return None
    _, case_ref, action, version, *rest = parts
    arg = rest[0] if rest else None
    if arg is not None and not _ARG.fullmatch(arg):
        return None
    if not _ACTION.fullmatch(action):
        return None
    if case_ref and not _CASE_REF.fullmatch(case_ref):
        return None
    if version and not _VERSION.fullmatch(version):
        return None
    return ActionRef(action, case_ref or None, int(version) if version else None, arg)
