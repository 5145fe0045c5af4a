"""The console channel: delivers outbox items as text on the terminal, for a local trial or a demo.

It remembers the last card with buttons shown to each recipient, so the console user can type
"press 2" the way a Slack or WeCom user would tap the second button.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bot.cards.build import card_for
from bot.cards.model import Card
from bot.cards.text import render_text
from bot.channels.base import DeliveryError
from handlers.contracts import HR_GROUP, from_payload
from workflow.i18n import t

if TYPE_CHECKING:
    from storage.outbox import OutboxItem


class ConsoleChannel:
    name = "console"

    def __init__(self, sink: Callable[[str], None] = print) -> None:
        self.sink = sink
        self._seq = 0
        self._last: dict[str, tuple[int, Card]] = {}  # recipient -> (seq, last card with buttons)

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        try:
            message = from_payload(item.payload)
        except (KeyError, TypeError, AttributeError) as error:
            raise DeliveryError(f"unreadable outbox payload: {error!r}", permanent=True) from None
        card = card_for(message)
        to = message.data.get("to") if isinstance(message.data, dict) else None
        if not to:
            to = t("console.hr_group", card.locale) if item.recipient == HR_GROUP else item.recipient
        self.show(f"→ {to}", card, recipient=item.recipient)
        return {"console_seq": self._seq}

    def show(self, heading: str, card: Card, *, recipient: str) -> int:
        """Print `card` under `heading`; remember it as `recipient`'s last card if it has buttons."""
        self._seq += 1
        self.sink(f"{heading}\n{render_text(card)}")
        if card.actions:
            self._last[recipient] = (self._seq, card)
        return self._seq

    def last_card(self, recipients: Iterable[str]) -> Card | None:
        """The most recent card with buttons shown to any of `recipients` (a person, their groups)."""
        shown = [self._last[r] for r in recipients if r in self._last]
        return max(shown, key=lambda pair: pair[0])[1] if shown else None
