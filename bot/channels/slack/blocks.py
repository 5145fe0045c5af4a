"""Card → Slack Block Kit, held to every limit Slack enforces.

The blocks are written as the JSON Slack reads (built once a card and sent as they are; building
them through slack_sdk.models cost more than the rest of an approval's reply). Every length is cut
here — a header's 150 characters, a button's 75, a section's 3000, a field's 2000 — and a message
keeps to 50 blocks, a modal or the Home tab to 100. Content that does not fit is shortened with a
note saying where the whole is; buttons are never dropped. The tests hold every shape to
slack_sdk.models (each block parses back to itself and passes its validation) and the fake Web
API checks every payload sent: what this module produces never makes Slack answer `invalid_blocks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards.build import card_for
from bot.cards.model import Button, Card, encode_action
from handlers.contracts import Message
from workflow.i18n import t

# One block, or one of its text objects, as the JSON Slack reads.
Block = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
LABEL_TEXT = 200  # a field's label, ours to choose
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
BUTTONS_PER_BLOCK = 25
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
# The notification text beside the blocks (Slack accepts 40,000; a preview needs far less).
FALLBACK_TEXT = 3000
# Values this short (and on one line) sit two to a row; longer ones get a section of their own.
SHORT_VALUE = 60

# action_id prefixes: a press to dispatch at once, or one that first asks for inputs in a modal.
ACT = "ob.act."
FORM = "ob.form."
# The actions block's id names the workspace the buttons were drawn for: a press from another
# workspace (a shared channel) is refused before anything runs.
ACTIONS_BLOCK = "ob|"


def escape(text: str) -> str:
    """Slack's three control characters, so user text never becomes a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clamp(text: str, limit: int, tail: str = "…") -> str:
    return text if len(text) <= limit else text[: max(limit - len(tail), 0)] + tail


def team_of_block(block_id: object) -> str | None:
    """The workspace an actions block was drawn for (None for blocks this module did not draw)."""
    if not isinstance(block_id, str) or not block_id.startswith(ACTIONS_BLOCK):
        return None
    return block_id.split("|")[1] or None


@dataclass(frozen=True)
class Rendered:
    blocks: list[dict[str, Any]]
    text: str  # the notification / fallback text


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def header_block(title: str) -> Block:
    return {"type": "header", "text": _plain(clamp(title, HEADER_TEXT))}


def _chunks(text: str, limit: int) -> list[str]:
    """`text` cut into pieces of at most `limit` characters, at line ends where possible."""
    limit = max(limit, 1)
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def _sections(text: str) -> list[Block]:
    return [{"type": "section", "text": _mrkdwn(piece)} for piece in _chunks(escape(text), SECTION_TEXT)]


def _field_blocks(fields: Sequence[tuple[str, str]]) -> list[Block]:
    blocks: list[Block] = []
    row: list[Block] = []

    def flush() -> None:
        if row:
            blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for raw_label, value in fields:
        label = clamp(escape(raw_label), LABEL_TEXT)
        shown = value if value.strip() else "—"
        if len(shown) <= SHORT_VALUE and "\n" not in shown:
            row.append(_mrkdwn(clamp(f"*{label}*\n{escape(shown)}", FIELD_TEXT)))
            if len(row) == FIELDS_PER_SECTION:
                flush()
            continue
        flush()
        for n, piece in enumerate(_chunks(escape(shown), SECTION_TEXT - len(label) - 4)):
            head = f"*{label}*\n" if n == 0 else ""
            blocks.append({"type": "section", "text": _mrkdwn(head + piece)})
    flush()
    return blocks


def context_block(text: str) -> Block:
    """A line of small print (mrkdwn: the caller escapes what a person wrote)."""
    return {"type": "context", "elements": [_mrkdwn(clamp(text, CONTEXT_TEXT))]}


def button_element(button: Button, position: int, locale: str) -> Block:
    """One card button; a press carries only its encoded subject (case, action, version)."""
    element: Block = {"type": "button", "text": _plain(clamp(button.label, BUTTON_TEXT)),
                      "action_id": f"{FORM if button.inputs else ACT}{position}",
                      "value": encode_action(button)}
    if button.style:
        element["style"] = button.style
    # A button that opens a modal is confirmed by the modal's own Submit.
    if button.confirm and not button.inputs:
        element["confirm"] = {
            "title": _plain(clamp(button.label, CONFIRM_TITLE)),
            "text": _plain(clamp(button.confirm, CONFIRM_TEXT)),
            "confirm": _plain(clamp(button.label, CONFIRM_BUTTON)),
            "deny": _plain(clamp(t("slack.cancel", locale), CONFIRM_BUTTON)),
        }
    return element


def action_blocks(buttons: Sequence[Button], team_id: str, locale: str) -> list[Block]:
    blocks: list[Block] = []
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        group = buttons[start:start + BUTTONS_PER_BLOCK]
        blocks.append({"type": "actions", "block_id": f"{ACTIONS_BLOCK}{team_id}|{start // BUTTONS_PER_BLOCK}",
                       "elements": [button_element(b, start + n, locale) for n, b in enumerate(group)]})
    return blocks


def content_blocks(card: Card, *, note: str = "") -> list[Block]:
    """Everything of a card except its buttons, in reading order."""
    blocks: list[Block] = [header_block(card.title)]
    if note:
        blocks.append(context_block(escape(note)))
    if card.state:
        blocks.append(context_block(f"*{escape(card.state)}*"))
    if card.text:
        blocks.extend(_sections(card.text))
    blocks.extend(_field_blocks(card.fields))
    if card.footer:
        blocks.append(context_block(escape(card.footer)))
    return blocks


def shortened_note(locale: str, case_ref: str | None) -> str:
    if case_ref:
        return t("slack.truncated", locale, ref=case_ref)
    return t("slack.truncated_plain", locale)


def fit(content: list[Block], actions: list[Block], limit: int, note: str) -> list[Block]:
    """At most `limit` blocks: the content is cut (with `note`) so the buttons always fit."""
    if len(content) + len(actions) <= limit:
        return [*content, *actions]
    room = max(limit - len(actions) - 1, 1)
    return [*content[:room], context_block(note), *actions][:limit]


def fallback_text(card: Card) -> str:
    return clamp("\n".join(part for part in (card.title, card.text) if part), FALLBACK_TEXT)


def render_card(
    card: Card,
    team_id: str,
    *,
    case_ref: str | None = None,
    note: str = "",
    limit: int = MESSAGE_BLOCKS,
    buttons: bool = True,
) -> Rendered:
    """The blocks of `card` for a message (or, with limit=VIEW_BLOCKS, a modal or Home)."""
    content = content_blocks(card, note=note)
    actions = action_blocks(card.actions, team_id, card.locale) if buttons else []
    return Rendered(fit(content, actions, limit, shortened_note(card.locale, case_ref)), fallback_text(card))


def render_message(message: Message, team_id: str, *, note: str = "") -> Rendered:
    return render_card(card_for(message), team_id, case_ref=message.case_ref, note=note)


def render_messages(messages: Sequence[Message], team_id: str) -> Rendered:
    """Several reply messages as one Slack message (a slash command answers with one)."""
    rendered = [render_message(message, team_id) for message in messages]
    blocks = [block for r in rendered for block in r.blocks]
    text = clamp("\n".join(r.text for r in rendered), FALLBACK_TEXT)
    if len(blocks) > MESSAGE_BLOCKS:
        # Keep the last message whole: it carries the buttons the reader acts on.
        last = rendered[-1].blocks
        earlier = blocks[: len(blocks) - len(last)][: max(MESSAGE_BLOCKS - len(last) - 1, 0)]
        note = shortened_note(messages[-1].locale, messages[-1].case_ref)
        blocks = [*earlier, context_block(note), *last][:MESSAGE_BLOCKS]
    return Rendered(blocks, text)


def without_buttons(blocks: Sequence[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """A message's blocks as pressed, its buttons replaced by `note` (who did what, and when)."""
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    return [*kept[: MESSAGE_BLOCKS - 1], context_block(note)]
