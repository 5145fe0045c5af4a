"""Card → WeCom payloads: `template_card` (button_interaction / text_notice) and markdown.

wechatpy has no template cards, so the JSON is built here, within WeCom's limits. WeCom states
its text limits in characters ("建议不超过 26 个字"); we measure display width, so a Chinese
character counts one and two Latin letters count one. What does not fit on the card (long
findings, the settlement arithmetic) goes into a markdown message sent with it: nothing the
reader must see is ever cut away (a long one is split over several messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.cards.model import Button, Card, encode_action
from bot.cards.text import display_width
from workflow.i18n import t

TITLE, TITLE_DESC, SUB_TITLE, SOURCE_DESC = 26, 30, 112, 13
KEYNAME, VALUE, BUTTON_TEXT = 5, 26, 10
MAX_ROWS, MAX_BUTTONS = 6, 6
TASK_ID_BYTES, KEY_BYTES = 128, 1024
APP_MARKDOWN_BYTES, ROBOT_MARKDOWN_BYTES = 2048, 4096
# WeCom's button palette is 1-4, 1 (its default) being the accented one; 3 is the warning colour.
_STYLES = {"primary": 1, None: 2, "danger": 3}
_TASK_ID_JUNK = re.compile(r"[^A-Za-z0-9_\-@]")


@dataclass(frozen=True)
class CardButton:
    text: str
    key: str  # comes back as the click event's EventKey
    style: int = _STYLES[None]


def fit(text: str, chars: int) -> str:
    """`text` cut to `chars` WeCom characters (2 display columns each), with "…" when cut."""
    if display_width(text) <= chars * 2:
        return text
    kept, width = [], 0
    for ch in text:
        width += display_width(ch)
        if width > chars * 2 - 2:  # room for the ellipsis
            break
        kept.append(ch)
    return "".join(kept) + "…"


def fit_bytes(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-8 bytes on a character boundary, with "…" when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def task_id(*parts: object) -> str:
    """A task_id from `parts` (case ref, version, outbox id, attempt): WeCom allows letters,
    digits and _-@, at most 128 bytes, and never the same one twice within an app."""
    joined = "-".join(str(p) for p in parts if p is not None and p != "")
    return _TASK_ID_JUNK.sub("_", joined)[:TASK_ID_BYTES]


def buttons_of(card: Card) -> tuple[CardButton, ...]:
    return tuple(_button(b) for b in card.actions)


def _button(button: Button) -> CardButton:
    return CardButton(fit(button.label, BUTTON_TEXT), encode_action(button), _STYLES[button.style])


def _first_line(value: str) -> str:
    return value.splitlines()[0] if value.strip() else "—"


def _sub_title(card: Card) -> str:
    """The card's text on one line; a title too long for the title line is repeated here whole."""
    parts = [card.title] if fit(card.title, TITLE) != card.title else []
    parts += card.text.splitlines()
    return " ".join(part.strip() for part in parts if part.strip())


def shows_everything(card: Card, buttons: tuple[CardButton, ...]) -> bool:
    """Whether the template card carries all of `card`; if not, a markdown copy goes along."""
    return (
        len(card.fields) <= MAX_ROWS
        and len(buttons) <= MAX_BUTTONS
        and fit(card.state, TITLE_DESC) == card.state
        and fit(_sub_title(card), SUB_TITLE) == _sub_title(card)
        and not card.footer
        and all(fit(label, KEYNAME) == label and "\n" not in value and fit(value, VALUE) == value
                for label, value in card.fields)
    )


def template_card(
    card: Card,
    *,
    task: str,
    source: str,
    card_url: str,
    buttons: tuple[CardButton, ...] | None = None,
) -> dict[str, Any]:
    """The `template_card` object of a message/send body.

    With buttons (the card's actions, or `buttons` given) it is a button_interaction card whose
    clicks come back as template_card_event; without, a text_notice that opens `card_url`.
    """
    chosen = buttons_of(card) if buttons is None else buttons
    payload: dict[str, Any] = {
        "card_type": "button_interaction" if chosen else "text_notice",
        "source": {"desc": fit(source, SOURCE_DESC)},
        "main_title": {"title": fit(card.title, TITLE) or "—"},
        "task_id": task,
    }
    if card.state:
        payload["main_title"]["desc"] = fit(card.state, TITLE_DESC)
    if sub_title := _sub_title(card):
        payload["sub_title_text"] = fit(sub_title, SUB_TITLE)
    if card.fields:
        payload["horizontal_content_list"] = [
            {"keyname": fit(label, KEYNAME) or "—", "value": fit(_first_line(value), VALUE)}
            for label, value in card.fields[:MAX_ROWS]
        ]
    if chosen:
        payload["button_list"] = [
            {"text": b.text, "style": b.style, "key": b.key} for b in chosen[:MAX_BUTTONS]
        ]
    else:
        payload["card_action"] = {"type": 1, "url": card_url}
    return payload


def markdown(card: Card, *, limit: int = APP_MARKDOWN_BYTES) -> str:
    """The whole card as one WeCom markdown message of at most `limit` bytes (the HR group)."""
    return fit_bytes("\n".join(_markdown_lines(card)), limit)


def markdown_parts(card: Card, *, limit: int = APP_MARKDOWN_BYTES) -> list[str]:
    """The whole card as markdown messages of at most `limit` bytes each, split between lines:
    a review or decision card with its arithmetic can run past one message."""
    parts: list[str] = []
    current = ""
    for line in _markdown_lines(card):
        line = fit_bytes(line, limit)
        joined = f"{current}\n{line}" if current else line
        if len(joined.encode()) <= limit:
            current = joined
        else:
            parts.append(current)
            current = line
    return [*parts, current] if current else parts


def _markdown_lines(card: Card) -> list[str]:
    # The punctuation is the reader's language's (a full-width colon has no place in English).
    head = f"**{card.title}**"
    if card.state:
        head += f" <font color=\"comment\">{t('card.state_mark', card.locale, state=card.state)}</font>"
    lines = [head]
    for label, value in card.fields:
        first, *more = value.splitlines() or ["—"]
        lines.append("> " + t("card.field_line", card.locale, label=f"**{label}**", value=first))
        lines.extend("> " + t("card.more_line", card.locale, line=line) for line in more)
    if card.text:
        lines.extend(card.text.splitlines())
    if card.actions:
        labels = " · ".join(b.label for b in card.actions)
        lines.append(f"<font color=\"info\">{labels}</font>")
    if card.footer:
        lines.append(f"<font color=\"comment\">{card.footer}</font>")
    return lines
