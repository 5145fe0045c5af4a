"""Modals: a form for every button that needs inputs, and reading a submitted form back into args.

A button's `inputs` (from the card layer) decide the fields; a few get a Slack-native element:
the employee a user picker, the talk time a date and a time picker, the evidence kind a list, and
the facts one field per fact the law needs. `private_metadata` carries the pressed button's value
and the message it sat on, so the answer can update that message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.cards.build import card_for
from bot.cards.model import ActionRef, Button, Input, encode_action
from bot.channels.slack.blocks import SECTION_TEXT, clamp, escape
from handlers.assessment import BOOL_FACTS, CHOICE_FACTS, COUNT_FACTS, DATE_FACTS, LIST_FACTS, MONEY_FACTS
from handlers.contracts import Message
from workflow.evidence import all_kinds, kind_label
from workflow.i18n import t

CALLBACK = "ob.modal"
VALUE = "value"  # every input element's action_id; the block_id names the field
TITLE, BUTTON, OPTION_TEXT, OPTION_VALUE, LABEL = 24, 24, 75, 150, 2000
METADATA = 3000
TEXT_INPUT = 3000
# Inputs where people write sentences, not a word.
MULTILINE = frozenset({"reason", "comment", "note", "text", "content", "proof"})
FACT_BLOCK = "fact."
CONFIRM_BLOCK = "confirm"
DATE, TIME = ".date", ".time"


@dataclass(frozen=True)
class Origin:
    """What a modal was opened for: the pressed button's value, and the message it sat on."""

    value: str
    channel: str | None = None
    ts: str | None = None
    response_url: str | None = None  # for a press on an ephemeral message (no chat.update)
    title: str | None = None  # the pressed message's title, for redrawing it once done


def metadata(origin: Origin) -> str:
    """The modal's private_metadata (≤ 3000): what is least needed is dropped first to fit."""
    data = {k: v for k, v in asdict(origin).items() if v}
    for optional in ("title", "response_url", "ts", "channel"):
        text = json.dumps(data, separators=(",", ":"))
        if len(text) <= METADATA:
            return text
        data.pop(optional, None)
    return json.dumps({"value": origin.value}, separators=(",", ":"))[:METADATA]


def read_metadata(text: object) -> Origin | None:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("value"), str):
        return None
    fields = {k: data.get(k) if isinstance(data.get(k), str) else None
              for k in ("channel", "ts", "response_url", "title")}
    return Origin(value=data["value"], **fields)


def button_for(ref: ActionRef, locale: str) -> Button:
    """The button as its card drew it (label, confirm text, inputs), rebuilt from its value."""
    message = Message(kind="form", recipient="", locale=locale, case_ref=ref.case_ref,
                      case_version=ref.case_version, actions=(ref.action,),
                      data={"item": ref.arg} if ref.arg else {})
    return card_for(message).actions[0]


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clamp(text, limit))


def _option(value: str, label: str) -> Option:
    return Option(value=value[:OPTION_VALUE], text=_plain(label, OPTION_TEXT))


def _input(block_id: str, label: str, element: Any, *, optional: bool) -> InputBlock:
    return InputBlock(block_id=block_id, label=_plain(label, LABEL), element=element,
                      optional=optional)


def _choices(options: Sequence[Option]) -> StaticSelectElement:
    return StaticSelectElement(action_id=VALUE, options=list(options))


def _yes_no(locale: str) -> StaticSelectElement:
    return _choices([_option("yes", t("slack.yes", locale)), _option("no", t("slack.no", locale))])


def _fact_element(key: str, locale: str) -> Any:
    if key in DATE_FACTS:
        return DatePickerElement(action_id=VALUE)
    if key in MONEY_FACTS:
        return NumberInputElement(action_id=VALUE, is_decimal_allowed=True, min_value="0")
    if key in COUNT_FACTS:
        return NumberInputElement(action_id=VALUE, is_decimal_allowed=False, min_value="0")
    if key in BOOL_FACTS:
        return _yes_no(locale)
    if key in CHOICE_FACTS:
        return _choices([_option(v, t(f"slack.choice.{v}", locale)) for v in CHOICE_FACTS[key]])
    return CheckboxesElement(action_id=VALUE, options=[
        _option(v, t(f"slack.protection.{v}", locale)) for v in LIST_FACTS[key]])


def fact_keys() -> tuple[str, ...]:
    return (*DATE_FACTS, *MONEY_FACTS, *COUNT_FACTS, *BOOL_FACTS, *CHOICE_FACTS, *LIST_FACTS)


def _facts_blocks(locale: str, confirming: bool) -> list[Block]:
    blocks: list[Block] = [ContextBlock(elements=[PlainTextObject(text=t("slack.facts.hint", locale))])]
    for key in fact_keys():
        blocks.append(_input(f"{FACT_BLOCK}{key}", t(f"slack.fact.{key}", locale),
                             _fact_element(key, locale), optional=True))
    confirm = _option("yes", t("slack.facts.confirm", locale))
    element = CheckboxesElement(action_id=VALUE, options=[confirm],
                                initial_options=[confirm] if confirming else None)
    blocks.append(_input(CONFIRM_BLOCK, t("slack.input.confirm", locale), element, optional=True))
    return blocks


def _blocks_for(item: Input, locale: str, action: str) -> list[Block]:
    optional = not item.required
    if item.name == "facts":
        return _facts_blocks(locale, confirming=action == "confirm_facts")
    if item.name == "employee":
        return [_input(item.name, item.label, UserSelectElement(action_id=VALUE), optional=optional)]
    if item.name == "kind":
        kinds = [_option(k, kind_label(k, locale)) for k in all_kinds()]
        return [_input(item.name, item.label, _choices(kinds), optional=optional)]
    if item.kind == "datetime":
        return [
            _input(f"{item.name}{DATE}", t("slack.input.talk_date", locale),
                   DatePickerElement(action_id=VALUE), optional=optional),
            _input(f"{item.name}{TIME}", t("slack.input.talk_time", locale),
                   TimePickerElement(action_id=VALUE), optional=optional),
        ]
    if item.kind == "date":
        return [_input(item.name, item.label, DatePickerElement(action_id=VALUE), optional=optional)]
    if item.kind == "select":
        options = [_option(value, label) for value, label in item.options]
        return [_input(item.name, item.label, _choices(options), optional=optional)]
    element = PlainTextInputElement(action_id=VALUE, multiline=item.name in MULTILINE,
                                    max_length=TEXT_INPUT)
    return [_input(item.name, item.label, element, optional=optional)]


def _title(ref: ActionRef, button: Button, locale: str) -> str:
    if ref.action == "open":
        return t("slack.modal.open", locale)
    if ref.action == "evidence":
        return t("slack.modal.evidence", locale)
    if ref.action in ("facts", "confirm_facts"):
        return t("slack.modal.facts", locale)
    return button.label


def form_view(ref: ActionRef, locale: str, origin: Origin) -> dict[str, Any]:
    """The modal asking for what `ref`'s action needs."""
    button = button_for(ref, locale)
    blocks: list[Block] = []
    intro = [t("slack.modal.case", locale, ref=ref.case_ref)] if ref.case_ref else []
    if button.confirm:
        intro.append(button.confirm)
    if intro:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=clamp(escape("\n".join(intro)), SECTION_TEXT))))
    for item in button.inputs:
        blocks.extend(_blocks_for(item, locale, ref.action))
    view = View(
        type="modal", callback_id=CALLBACK,
        title=_plain(_title(ref, button, locale), TITLE),
        submit=_plain(t("slack.submit", locale), BUTTON),
        close=_plain(t("slack.cancel", locale), BUTTON),
        blocks=blocks, private_metadata=metadata(origin),
    )
    view.validate_json()
    return view.to_dict()


def notice_view(title: str, text: str, locale: str) -> dict[str, Any]:
    """A modal that only says something (an error while handling a form)."""
    view = View(type="modal", title=_plain(title, TITLE), close=_plain(t("slack.close", locale), BUTTON),
                blocks=[SectionBlock(text=MarkdownTextObject(text=clamp(escape(text), SECTION_TEXT)))])
    view.validate_json()
    return view.to_dict()


def _value(element: Mapping[str, Any]) -> Any:
    """What one input element holds, as text (or a list of texts for checkboxes)."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        option = element.get("selected_option") or {}
        return option.get("value")
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or [] if o.get("value")]
    return element.get("value")


def read_values(state: object) -> dict[str, Any]:
    """view.state.values → {block_id: value}; empty inputs are left out."""
    values: dict[str, Any] = {}
    if not isinstance(state, Mapping):
        return values
    for block_id, elements in (state.get("values") or {}).items():
        if not isinstance(elements, Mapping):
            continue
        element = elements.get(VALUE)
        value = _value(element) if isinstance(element, Mapping) else None
        if isinstance(value, str):
            value = value.strip()
        if value:
            values[block_id] = value
    return values


def _block_ids(item: Input) -> tuple[str, ...]:
    if item.kind == "datetime":
        return (f"{item.name}{DATE}", f"{item.name}{TIME}")
    return (item.name,)


def missing(ref: ActionRef, values: Mapping[str, Any], locale: str) -> dict[str, str]:
    """Errors for required inputs left empty (Slack checks too, but a request can be forged)."""
    required = [i for i in button_for(ref, locale).inputs if i.required and i.name != "facts"]
    return {block: t("slack.required", locale)
            for item in required for block in _block_ids(item) if block not in values}


def first_input(view: Mapping[str, Any]) -> str | None:
    """The block a form-wide error is shown under."""
    for block in view.get("blocks") or []:
        if isinstance(block, Mapping) and block.get("type") == "input":
            return str(block.get("block_id"))
    return None


def submitted(ref: ActionRef, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The request a submitted form makes: (action name, args), the args named as the handlers
    read them (the same keys a typed command fills)."""
    args: dict[str, Any] = {}
    facts: dict[str, str] = {}
    for key, value in values.items():
        if key.startswith(FACT_BLOCK):
            facts[key.removeprefix(FACT_BLOCK)] = ",".join(value) if isinstance(value, list) else value
        elif key.endswith((DATE, TIME)):
            continue
        elif key != CONFIRM_BLOCK:
            args[key] = value
    for name in {key.rsplit(".", 1)[0] for key in values if key.endswith((DATE, TIME))}:
        day, clock = values.get(f"{name}{DATE}"), values.get(f"{name}{TIME}")
        args[name] = f"{day} {clock}" if day and clock else day or clock
    action = ref.action
    if action in ("facts", "confirm_facts"):
        action = "confirm_facts" if values.get(CONFIRM_BLOCK) else "facts"
        args = {"facts": facts}
    return action, args


def value_of(ref: ActionRef) -> str:
    """The button value a form was opened for (what private_metadata carries)."""
    return encode_action(Button(action=ref.action, label="", case_ref=ref.case_ref,
                                case_version=ref.case_version, arg=ref.arg))
