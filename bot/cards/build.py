"""Message (what the handlers want shown) → Card (what the channels render).

Reads the Message data convention: data = {title, text, fields, state, to, footer?}, all already
in the reader's language; each action becomes a button carrying case ref + action + version, with
a localized label, a style, an "are you sure?" prompt where it cannot be undone, and the inputs
the action reads (from the router's command table, so typing and pressing ask for the same).
Convention for a card about one handover item: data["item"] = its id, fixed on the button.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.cards.model import Button, Card, Input, Style
from handlers.contracts import Message
from workflow.commands import BY_VERB, Rest
from workflow.i18n import has, normalise_locale, t
from workflow.model import Ground, Trigger

# Cannot be undone: red, and the platform asks first.
DANGER = frozenset({Trigger.REJECT, Trigger.WITHDRAW, Trigger.DISPUTE, Trigger.PROCEED_UNILATERAL})
# The step that moves the case forward for its reader.
PRIMARY = frozenset({
    Trigger.SUBMIT, Trigger.APPROVE, Trigger.SCHEDULE, Trigger.CONFIRM_ATTENDANCE,
    Trigger.RECORD_TALK, Trigger.SIGN, Trigger.COMPLETE_ITEM,
})


def action_label(action: str, locale: str) -> str:
    """The button text for `action`; the raw name when no text is registered (never fails)."""
    key = f"action.{action}"
    return t(key, locale) if has(key) else action


def _input(name: str, locale: str, **options: Any) -> Input:
    return Input(name=name, label=t(f"card.input.{name}", locale), **options)


def inputs_for(action: str, locale: str) -> tuple[Input, ...]:
    """What pressing `action` needs typed, named as the handlers read it from Inbound.args."""
    command = BY_VERB.get(action)
    if command is None:
        return ()
    match command.rest:
        case Rest.TEXT:
            return (_input(command.key, locale, required=command.required),)
        case Rest.TIME:
            return (_input("talk_at", locale, kind="datetime"),)
        case Rest.ITEM:
            return (_input("item", locale),)
        case Rest.FACTS:
            return (_input("facts", locale),)
        case Rest.CONFIRM_FACTS:
            return (_input("facts", locale, required=False),)
        case Rest.EVIDENCE:
            return (_input("kind", locale), _input("content", locale))
        case Rest.OPEN:
            grounds = tuple((g.value, t(f"card.ground.{g.value}", locale)) for g in Ground)
            return (
                _input("employee", locale),
                _input("ground", locale, kind="select", options=grounds),
                _input("note", locale, required=False),
            )
    return ()


def _style(action: str) -> Style | None:
    if action in DANGER:
        return "danger"
    return "primary" if action in PRIMARY else None


def _button(action: str, message: Message, locale: str) -> Button:
    item = message.data.get("item")
    fixed = BY_VERB.get(action) is not None and BY_VERB[action].rest is Rest.ITEM
    arg = str(item) if fixed and item is not None else None
    confirm_key = f"card.confirm.{action}"
    return Button(
        action=action,
        label=action_label(action, locale),
        case_ref=message.case_ref,
        case_version=message.case_version,
        style=_style(action),
        confirm=t(confirm_key, locale, ref=message.case_ref or "—") if has(confirm_key) else None,
        inputs=() if arg is not None else inputs_for(action, locale),
        arg=arg,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _fields(raw: Any) -> tuple[tuple[str, str], ...]:
    """[[label, value], …]; anything malformed is skipped rather than breaking the card."""
    if not isinstance(raw, Iterable) or isinstance(raw, str | bytes | dict):
        return ()
    pairs = []
    for entry in raw:
        if isinstance(entry, list | tuple) and len(entry) == 2:
            pairs.append((_text(entry[0]), _text(entry[1])))
    return tuple(pairs)


def card_for(message: Message) -> Card:
    locale = normalise_locale(message.locale)
    data = message.data if isinstance(message.data, dict) else {}
    return Card(
        title=_text(data.get("title")) or message.kind,
        text=_text(data.get("text")),
        fields=_fields(data.get("fields")),
        state=_text(data.get("state")),
        footer=_text(data.get("footer")),
        actions=tuple(_button(a, message, locale) for a in message.actions),
        locale=locale,
    )
