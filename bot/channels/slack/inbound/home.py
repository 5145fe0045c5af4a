"""The App Home tab: the handlers' home entries as one view of at most 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.cards.build import card_for
from bot.channels.slack.blocks import (
    HEADER_TEXT,
    SECTION_TEXT,
    VIEW_BLOCKS,
    action_blocks,
    clamp,
    escape,
)
from handlers.contracts import Message
from handlers.home import SECTION
from workflow.i18n import t


def _entry(message: Message, team_id: str) -> list[Block]:
    card = card_for(message)
    if message.kind == SECTION:
        if card.title and not card.text:
            header = HeaderBlock(text=PlainTextObject(text=clamp(card.title, HEADER_TEXT)))
            return [DividerBlock(), header]
        return [ContextBlock(elements=[MarkdownTextObject(text=clamp(escape(card.text), 2000))])]
    text = f"*{escape(card.title)}*\n{escape(card.text)}"
    return [SectionBlock(text=MarkdownTextObject(text=clamp(text, SECTION_TEXT))),
            *action_blocks(card.actions, team_id, card.locale)]


def home_view(messages: Sequence[Message], team_id: str, locale: str) -> dict[str, Any]:
    """The Home tab; entries past the 100-block limit are left out with a note saying so."""
    blocks: list[Block] = []
    for n, message in enumerate(messages):
        entry = _entry(message, team_id)
        if not blocks and isinstance(entry[0], DividerBlock):
            entry = entry[1:]
        if len(blocks) + len(entry) > VIEW_BLOCKS - 1:  # one block stays free for the note
            note = t("slack.more", locale, count=len(messages) - n)
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
            break
        blocks.extend(entry)
    view = View(type="home", blocks=blocks)
    view.validate_json()
    return view.to_dict()


def notice_home(title: str, text: str) -> dict[str, Any]:
    """A Home tab that only says something (to someone the directory does not know)."""
    view = View(type="home", blocks=[
        HeaderBlock(text=PlainTextObject(text=clamp(title, HEADER_TEXT))),
        SectionBlock(text=MarkdownTextObject(text=clamp(escape(text), SECTION_TEXT))),
    ])
    view.validate_json()
    return view.to_dict()
