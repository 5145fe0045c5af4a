"""The console channel: delivers outbox items as text on the terminal, for a local trial or a demo.

It remembers the last card with buttons shown to each recipient, so the console user can type
"press 2" the way a Slack or WeCom user would tap the second button; `shown_cards` and
`recall` let a session keep those cards across a restart. The weekly digest's chart is written
as a PNG under `charts` (DATA_DIR/digests) and its path shown under the figures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cards.build import card_for
from bot.cards.model import Card
from bot.cards.text import render_text
from bot.channels.base import DeliveryError
from handlers.contracts import HR_GROUP, Message, from_payload, to_payload
from handlers.digest import WEEKLY_DIGEST
from storage.private_files import FILE_MODE, private_dir
from workflow.i18n import t

if TYPE_CHECKING:
    from storage.outbox import OutboxItem

# The directory in DATA_DIR the digest charts are written to.
DIGESTS = "digests"


class ConsoleChannel:
    name = "console"
    sends_at_once = 1  # it prints: the transcript reads in the order the messages were claimed

    def __init__(self, sink: Callable[[str], None] = print, *, charts: Path | None = None,
                 font: str | None = None) -> None:
        self.sink = sink
        self.charts = charts  # where digest charts are written (None: a temporary directory)
        self.font = font
        self._seq = 0
        # recipient -> (seq, last message whose card has buttons, that card)
        self._last: dict[str, tuple[int, Message, Card]] = {}

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        try:
            message = from_payload(item.payload)
        except (KeyError, TypeError, AttributeError) as error:
            raise DeliveryError(f"unreadable outbox payload: {error!r}", permanent=True) from None
        to = message.data.get("to") if isinstance(message.data, dict) else None
        if not to:
            to = t("console.hr_group", message.locale) if item.recipient == HR_GROUP else item.recipient
        self.show(f"→ {to}", message, recipient=item.recipient)
        if item.kind == WEEKLY_DIGEST and isinstance(message.data.get("chart"), dict):
            # matplotlib only when a digest is shown: every process builds this channel at start.
            from bot.cards.chart import render_chart

            path = self._chart_file(item.id, render_chart(message.data["chart"], self.font))
            self.sink(t("console.digest_chart", message.locale, path=str(path)))
            return {"console_seq": self._seq, "chart": str(path)}
        return {"console_seq": self._seq}

    def _chart_file(self, item_id: int, png: bytes) -> Path:
        if self.charts is None:
            self.charts = Path(tempfile.mkdtemp(prefix="offboard-digests-"))
        path = private_dir(self.charts) / f"weekly-digest-{item_id}.png"
        path.write_bytes(png)
        path.chmod(FILE_MODE)
        return path

    def show(self, heading: str, message: Message, *, recipient: str) -> int:
        """Print `message`'s card under `heading`; remember it as `recipient`'s last card if it
        has buttons."""
        card = card_for(message)
        self._seq += 1
        self.sink(f"{heading}\n{render_text(card)}")
        if card.actions:
            self._last[recipient] = (self._seq, message, card)
        return self._seq

    def last_card(self, recipients: Iterable[str]) -> Card | None:
        """The most recent card with buttons shown to any of `recipients` (a person, their groups)."""
        shown = [self._last[r] for r in recipients if r in self._last]
        return max(shown, key=lambda kept: kept[0])[2] if shown else None

    def shown_cards(self) -> dict[str, dict[str, Any]]:
        """Each recipient's last card with buttons, as JSON: {"seq": n, "message": payload}."""
        return {recipient: {"seq": seq, "message": to_payload(message)}
                for recipient, (seq, message, _card) in self._last.items()}

    def recall(self, recipient: str, kept: dict[str, Any]) -> None:
        """Remember a card `shown_cards` gave before a restart (an unreadable one is dropped)."""
        try:
            message = from_payload(kept["message"])
            seq = int(kept["seq"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return
        self._last[recipient] = (seq, message, card_for(message))
        self._seq = max(self._seq, seq)
