"""The inbox worker: hands each acknowledged platform request to its channel (`take`), in order
per lane, and forgets it once handled (in the transaction of the next claim, which follows at
once: a handled request left behind by a stopped worker is taken again after its lease and,
by its delivery id, changes nothing). Requests found waiting together are taken in one
transaction, up to `per_transaction`, one after another (each lane's in order): a burst of presses
costs a commit per batch, not one each. One that is undone there (refused, failed) spoils it: it is
rolled back, the ones before it taken together again, it alone, then the ones after it.
A request that fails (the database went away) is tried again with backoff;
after QUEUE_MAX_ATTEMPTS it is dead: its tenant's HR is told (through the outbox, like a dead
message), the error is logged, and the channel tells the person that nothing was done (`gave_up`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from bot.admission import Admission
from bot.channels.base import ChannelRegistry
from bot.gateway import INBOX_CHANNEL, WAKE_CHANNEL
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers.identity import tenant_key
from storage.cache import Cache
from storage.inbox import InboxItem
from storage.uow import UnitOfWork
from workflow.clock import Clock

log = logging.getLogger(__name__)

LOST = -1  # _take_together: the shared transaction failed as a whole (no request spoiled it)


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
    """`concurrency`: transactions at once, each of up to `per_transaction` requests (a lane's
    requests in one of them, in order)."""

    name = "inbox"
    wake_channel = INBOX_CHANNEL

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock,
                 settings: Settings, cache: Cache, takers: Mapping[str, Taker], concurrency: int,
                 per_transaction: int = 1, yield_to: Admission | None = None) -> None:
        super().__init__(uow_factory=uow_factory, clock=clock, settings=settings, cache=cache,
                         yield_to=yield_to)
        self.takers = takers
        self.concurrency = concurrency
        self.per_transaction = per_transaction
        self.handled: list[int] = []  # taken and done, to forget in the next claim's transaction

    @property
    def batch_size(self) -> int:
        return self.concurrency * self.per_transaction

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
                items = await uow.inbox.claim(now, self.batch_size, self.lease, self.takers,
                                              per_lane=self.per_transaction, most=self.batch_size)
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
        """Handle the batch in up to `concurrency` transactions side by side; how many requests
        were tried."""
        transactions, left = self._split(batch)
        await self._release(left)
        return sum(await asyncio.gather(*(self._take_all(items) for items in transactions)))

    def _split(self, batch: list[InboxItem]) -> tuple[list[list[InboxItem]], list[InboxItem]]:
        """The batch (in id order) as transactions of up to `per_transaction` requests, a lane
        in one of them (its first ones, when it does not fit); what is left over."""
        lanes: dict[str, list[InboxItem]] = {}
        for item in batch:
            lanes.setdefault(item.lane, []).append(item)
        transactions: list[list[InboxItem]] = [[]]
        left: list[InboxItem] = []
        for items in lanes.values():
            if len(transactions[-1]) >= self.per_transaction and len(transactions) < self.concurrency:
                transactions.append([])
            room = self.per_transaction - len(transactions[-1])
            transactions[-1].extend(items[:room])
            left.extend(items[room:])
        return [sorted(items, key=lambda item: item.id) for items in transactions if items], left

    async def _take_all(self, items: list[InboxItem]) -> int:
        """Take `items` in order, as many in one transaction as go through; a request that fails
        is counted and the rest of its lane given back, to be taken in order after it. How many
        were tried."""
        tried: list[InboxItem] = []
        await self._take_in_order(items, tried, set())
        done = {item.id for item in tried}
        await self._release([item for item in items if item.id not in done])
        return len(tried)

    async def _take_in_order(self, items: list[InboxItem], tried: list[InboxItem], stopped: set[str]) -> None:
        """Take `items` together; when one spoils the transaction, the ones before it together
        again, it alone, then the ones after it; when the transaction is lost, each alone (a lane
        stops at its first failure)."""
        items = [item for item in items if item.lane not in stopped]
        if not items:
            return
        spoiler = await self._take_together(items) if len(items) > 1 else 0
        if spoiler is None:
            tried.extend(items)
            return
        if spoiler == LOST:
            before, alone, after = [], items, []
        else:
            before, alone, after = items[:spoiler], items[spoiler:spoiler + 1], items[spoiler + 1:]
        await self._take_in_order(before, tried, stopped)
        for item in alone:
            if item.lane not in stopped:
                tried.append(item)
                if not await self._take(item):
                    stopped.add(item.lane)
        await self._take_in_order(after, tried, stopped)

    async def _take_together(self, items: list[InboxItem]) -> int | None:
        """Take `items` in order in one transaction and commit it: None. A request undone there
        (refused, failed: it cannot be undone alone) spoils it: rolled back, nothing kept, and its
        place is returned; LOST when the transaction itself failed (its begin or commit)."""
        try:
            async with self.uow_factory() as uow:
                with uow.shared():
                    for place, item in enumerate(items):
                        try:
                            await self.takers[item.channel].take(item.body)
                        except Exception:
                            # Counted when it is taken alone; logged here for what only a batch does.
                            log.info("inbox %s: failed in a batch; taken again alone", item.id, exc_info=True)
                            uow.spoiled = True
                        if uow.spoiled:
                            return place
                await uow.commit()
        except Exception:
            log.exception("inbox: %d requests could not be taken in one transaction; one by one", len(items))
            return LOST
        self.handled.extend(item.id for item in items)
        await self.cache.wake(WAKE_CHANNEL)  # what they queued is committed now
        return None

    async def _take(self, item: InboxItem) -> bool:
        """Take one request in its own transaction; False when it failed (retried later)."""
        try:
            await self.takers[item.channel].take(item.body)
        except Exception as error:  # any failure is retried later; the loop goes on
            await self._count_failure(item, error)
            return False
        self.handled.append(item.id)
        return True

    async def _count_failure(self, item: InboxItem, error: Exception) -> None:
        """Log a failed try and record it; the person is told when it was the last."""
        log.error("inbox %s (%s): handling failed", item.id, item.delivery_id, exc_info=error)
        channel = self.takers[item.channel]
        if await self._failed(channel, item, f"{type(error).__name__}: {error}"):
            try:
                await channel.gave_up(item.body)
            except Exception:
                log.exception("inbox %s: could not tell the person it was given up", item.id)

    async def _release(self, items: list[InboxItem]) -> None:
        """Give back the lease of requests not taken (they are taken again in order)."""
        if items:
            with contextlib.suppress(Exception):  # else their lease runs out: the same, later
                async with self.uow_factory() as uow:
                    await uow.inbox.release([item.id for item in items])
                    await uow.commit()

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
