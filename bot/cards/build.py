"""Message (what the handlers want shown) → Card (what the channels render).

Reads the Message data convention: data = {title, text, fields, state, to, footer?}, all already
in the reader's language; each action becomes a button carrying case ref + action + version, with
a localized label, a style, an "are you sure?" prompt where it cannot be undone, and the inputs
the action reads (all from the action's spec, workflow/actions.py, as typed commands are).
Convention for a card about one handover item: data["item"] = its number within the case,
fixed on the button.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.cards.model import Button, Card, Input, Style
from handlers.contracts import Message
from workflow.actions import BY_NAME, Action
from workflow.commands import BY_VERB
from workflow.i18n import has, normalise_locale, t
from workflow.model import Ground


def action_label(action: str, locale: str) -> str:
    """The button text for `action`; the raw name when no text is registered (never fails)."""
    key = f"action.{action}"
    return t(key, locale) if has(key) else action


def _input(name: str, locale: str, **options: Any) -> Input:
    return Input(name=name, label=t(f"card.input.{name}", locale), **options)


def spec_for(action: str) -> Action | None:
    """The spec of a button's action, named by the action or by any of its command verbs."""
    command = BY_VERB.get(action)
    return BY_NAME.get(command.name if command else action)


def inputs_for(action: str, locale: str) -> tuple[Input, ...]:
    """What pressing `action` needs typed (its spec's form inputs), named as Inbound.args carry them."""
    spec = spec_for(action)
    if spec is None:
        return ()
    inputs = []
    for field in spec.inputs:
        if not field.on_form:
            continue
        if field.kind == "datetime":
            inputs.append(_input(field.name, locale, kind="datetime", required=field.required))
        elif field.kind == "grounds":
            grounds = tuple((g.value, t(f"card.ground.{g.value}", locale)) for g in Ground)
            inputs.append(_input(field.name, locale, kind="select", options=grounds, required=field.required))
        else:  # free text, an item number, key=value facts
            inputs.append(_input(field.name, locale, required=field.required))
    return tuple(inputs)


def _style(action: str) -> Style | None:
    spec = BY_NAME.get(action)
    return spec.style if spec else None


def _button(action: str, message: Message, locale: str) -> Button:
    spec = spec_for(action)
    if spec is not None and spec.intention and message.data.get("document_hash"):
        return _confirmation(spec.name, message, locale)
    item = message.data.get("item")
    fixed = spec is not None and any(field.kind == "item" for field in spec.inputs)
    arg = str(item) if fixed and item is not None else None
    return Button(
        action=action,
        label=action_label(action, locale),
        case_ref=message.case_ref,
        case_version=message.case_version,
        style=_style(action),
        confirm=t(f"card.confirm.{action}", locale, ref=message.case_ref or "—")
        if action in BY_NAME and BY_NAME[action].confirm else None,
        inputs=() if arg is not None else inputs_for(action, locale),
        arg=arg,
    )


def _confirmation(action: str, message: Message, locale: str) -> Button:
    """The button of a confirmation step (data["document_hash"]): it names the hash it showed, so
    only a press on it does the action, and only while that version is current."""
    return Button(
        action=action,
        label=t("signing.confirm.button", locale),
        case_ref=message.case_ref,
        case_version=message.case_version,
        style=_style(action),
        confirm=t("signing.confirm.dialog", locale, ref=message.case_ref or "—"),
        arg=str(message.data["document_hash"]),
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
