"""WeCom's dialogues kept in Redis with a TTL (the in-process stand-in without Redis).

A person is in at most one dialogue (bot.channels.guided): answering the guided evidence
prompts, or the questions a pressed button asks one at a time. Separately, a choice card (several
people share a name) remembers the open command it completes until it expires, so a retried
click finds it again. Losing the state loses nothing recorded: the next message is then read as
an ordinary command. While Redis is unreachable nothing can be kept: `put` says so, and
`available` tells a reader that a missing dialogue may only be out of reach.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from bot.channels.guided import Dialog, from_json, to_json
from storage.cache import Cache

log = logging.getLogger(__name__)

TTL = timedelta(hours=2)
CHOICE = "choice"


@dataclass(frozen=True)
class PendingChoice:
    """Several people matched a name: the open command waits for the one chosen."""

    employees: tuple[str, ...]  # employee numbers, in button order
    ground: str
    note: str


class Conversations:
    def __init__(self, cache: Cache, corp_id: str, ttl: timedelta = TTL) -> None:
        self.cache = cache
        self.corp_id = corp_id
        self.ttl = ttl

    def _key(self, slot: str, user_id: str) -> str:
        return f"wecom:{slot}:{self.corp_id}:{user_id}"

    async def get(self, user_id: str) -> Dialog | None:
        data = await self._read(self._key("dialog", user_id))
        dialog = from_json(data) if data is not None else None
        if data is not None and dialog is None:
            log.warning("dropping an unreadable WeCom dialog state")
        return dialog

    async def put(self, user_id: str, dialog: Dialog) -> bool:
        """False when the dialogue could not be kept (Redis unreachable)."""
        return await self._write(self._key("dialog", user_id), to_json(dialog))

    @property
    def available(self) -> bool:
        return self.cache.available

    async def clear(self, user_id: str) -> None:
        await self.cache.delete(self._key("dialog", user_id))

    async def get_choice(self, user_id: str) -> PendingChoice | None:
        data = await self._read(self._key(CHOICE, user_id))
        try:
            if data is None or data.pop("kind", None) != CHOICE:
                return None
            return PendingChoice(tuple(data["employees"]), str(data["ground"]), str(data["note"]))
        except (KeyError, TypeError):
            log.warning("dropping an unreadable WeCom choice state")
            return None

    async def put_choice(self, user_id: str, choice: PendingChoice) -> bool:
        return await self._write(self._key(CHOICE, user_id), {"kind": CHOICE, **asdict(choice)})

    async def _read(self, key: str) -> dict | None:
        raw = await self.cache.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("dropping an unreadable WeCom dialog state")
            return None
        return data if isinstance(data, dict) else None

    async def _write(self, key: str, value: dict) -> bool:
        return await self.cache.set(key, json.dumps(value, ensure_ascii=False), ex=self.ttl)
