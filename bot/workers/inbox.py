"""The inbox worker: hands each acknowledged platform request to its channel (`take`), in order
per lane, and forgets it once handled (in the transaction of the next claim, which follows at
once: a handled request left behind by a stopped worker is taken again after its lease and,
by its delivery id, changes nothing). A request that fails (the database went away) is tried
again with backoff; after QUEUE_MAX_ATTEMPTS it is dead: its tenant's HR is told (through the
outbox, like a dead message), the error is logged, and the channel tells the person that nothing
was done (`gave_up`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from bot.admission import Admission
from bot.channels.base import ChannelRegistry
from bot.gateway import INBOX_CHANNEL
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers.identity import tenant_key
from storage.cache import Cache
from storage.inbox import InboxItem
from storage.uow import UnitOfWork
from workflow.clock import Clock

log = logging.getLogger(__name__)


class Taker(Protocol):
    """A channel that handles the requests it acknowledged and kept in the inbox."""

    name: str

    async def take(self, body: dict[str, Any]) -> None: ...

    async def gave_up(self, body: dict[str, Any]) -> None:
        """Tell the person a request of theirs was never handled."""
        ...

    def origin(self, body: dict[str, Any]) -> tuple[str, str]:
        """(platform, platform tenant) a kept request came from: whose HR hears it went dead."""
        ...


def takers(channels: ChannelRegistry) -> dict[str, Taker]:
    """The channels that take kept requests, by name."""
    found = {}
    for name in channels.names():
        channel = channels.get(name)
        if callable(getattr(channel, "take", None)):
            found[name] = channel
    return found  # type: ignore[return-value] - checked above


class InboxWorker(QueueWorker[InboxItem]):
    """`concurrency`: requests taken at once, each the head of its own lane."""

    name = "inbox"
    wake_channel = INBOX_CHANNEL

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock,
                 settings: Settings, cache: Cache, takers: Mapping[str, Taker], concurrency: int,
                 yield_to: Admission | None = None) -> None:
        super().__init__(uow_factory=uow_factory, clock=clock, settings=settings, cache=cache,
                         yield_to=yield_to)
        self.takers = takers
        self.concurrency = concurrency
        self.handled: list[int] = []  # taken and done, to forget in the next claim's transaction

    @property
    def batch_size(self) -> int:
        return self.concurrency

    def more_waiting(self, batch: list[InboxItem]) -> bool:
        # A lane's next request becomes its head only once this one is done: look again at once.
        return bool(batch)

    async def claim(self, now: datetime) -> list[InboxItem]:
        if not self.takers:
            return []
        handled, self.handled = self.handled, []
        try:
            async with self.uow_factory() as uow:
                await uow.inbox.forget_handled(handled)
                items = await uow.inbox.claim(now, self.concurrency, self.lease, self.takers)
                await uow.commit()
        except BaseException:
            self.handled = handled + self.handled  # forgotten next time (or taken again, to no effect)
            raise
        return items

    async def settle(self) -> None:
        """Forget the handled requests now, not at the next claim (the worker stops, or a caller
        wants the inbox as it is once this round is done)."""
        if self.handled:
            async with self.uow_factory() as uow:
                await uow.inbox.forget_handled(self.handled)
                await uow.commit()
            self.handled = []

    async def run_forever(self, stop: asyncio.Event) -> None:
        try:
            await super().run_forever(stop)
        finally:
            with contextlib.suppress(Exception):  # else taken again after their lease, to no effect
                await self.settle()

    async def consume(self, batch: list[InboxItem], now: datetime) -> int:
        """Handle the requests side by side (they are of different lanes)."""
        await asyncio.gather(*(self._take(self.takers[item.channel], item) for item in batch))
        return len(batch)

    async def _take(self, channel: Taker, item: InboxItem) -> None:
        try:
            await channel.take(item.body)
        except Exception as error:  # any failure is retried later; the loop goes on
            log.exception("inbox %s (%s): handling failed", item.id, item.delivery_id)
            if await self._failed(channel, item, f"{type(error).__name__}: {error}"):
                try:
                    await channel.gave_up(item.body)
                except Exception:
                    log.exception("inbox %s: could not tell the person it was given up", item.id)
            return
        self.handled.append(item.id)

    async def _failed(self, channel: Taker, item: InboxItem, error: str) -> bool:
        """Record a failed try; True when the request is now given up (dead, HR told)."""
        try:
            platform, platform_tenant = channel.origin(item.body)
            tenant: str | None = tenant_key(platform, platform_tenant)
        except Exception:  # an unreadable request still goes dead; only HR cannot be found
            log.exception("inbox %s: cannot tell which tenant it came from", item.id)
            tenant = None
        max_attempts = self.settings.QUEUE_MAX_ATTEMPTS
        try:
            async with self.uow_factory() as uow:
                dead = await uow.inbox.fail(item.id, self.clock.now(), error, max_attempts=max_attempts,
                                            tenant_key=tenant)
                await uow.commit()
        except Exception:
            log.exception("inbox %s: could not record the failure %r", item.id, error)
            return False
        if dead:
            log.error("inbox %s (%s) given up after %d attempts: %s", item.id, item.delivery_id,
                      max_attempts, error)
        return dead
