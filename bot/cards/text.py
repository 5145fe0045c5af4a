"""Card → plain text for the console: title and state, aligned fields, text, numbered buttons.

Alignment counts display columns (a Chinese character is two wide) so mixed-script labels line up.
"""

from __future__ import annotations

import unicodedata

from bot.cards.model import Card
from workflow.i18n import t


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def render_text(card: Card) -> str:
    head = f"■ {card.title}"
    if card.state:
        head += "  " + t("card.state_mark", card.locale, state=card.state)
    lines = [head]
    if card.fields:
        width = max(display_width(label) for label, _ in card.fields)
        for label, value in card.fields:
            # A multi-line value continues under its first line, not under the labels.
            first, *more = value.splitlines() or [""]
            lines.append(f"  {_pad(label, width)}  {first}".rstrip())
            lines.extend(f"  {' ' * width}  {line}".rstrip() for line in more)
    if card.text:
        lines.extend(f"  {line}".rstrip() for line in card.text.splitlines())
    if card.actions:
        lines.append("  " + "  ".join(
            f"[{n}] {button.label}{' ⚠' if button.style == 'danger' else ''}"
            for n, button in enumerate(card.actions, start=1)
        ))
    if card.footer:
        lines.append(f"  — {card.footer}")
    return "\n".join(lines)
