"""The queue worker every loop is: claim a batch from its leased queue (storage.queue), consume
it, and go on forever, whatever goes wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar, Generic, TypeVar

from bot.admission import Admission
from bot.settings import Settings
from storage.cache import Cache
from storage.uow import UnitOfWork
from workflow.clock import Clock

log = logging.getLogger(__name__)

# After repeated failures (database down) wait up to this long between attempts.
MAX_BACKOFF_SECONDS = 60.0

Item = TypeVar("Item")


class QueueWorker(ABC, Generic[Item]):
    """One queue's worker. A use says how to `claim` a batch (under a lease, at `now`) and how to
    `consume` it; `run_forever` claims again at once while batches come back full, else after the
    poll interval, a wake-up through the cache (`wake_channel`) or one in this process (`wake`);
    a failed round is logged and tried again after a growing pause.

    `yield_to`: the admission of the web app this worker shares a process with, whose requests go
    first.
    """

    name: ClassVar[str]
    wake_channel: ClassVar[str | None] = None

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, settings: Settings,
                 cache: Cache, yield_to: Admission | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.settings = settings
        self.cache = cache
        self.yield_to = yield_to
        self.woken = asyncio.Event()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.CLAIM_LEASE_SECONDS)

    @property
    @abstractmethod
    def batch_size(self) -> int:
        """The most one claim takes."""

    @abstractmethod
    async def claim(self, now: datetime) -> list[Item]:
        """Lease up to `batch_size` rows due at `now` (committed, so other workers pass them)."""

    @abstractmethod
    async def consume(self, batch: list[Item], now: datetime) -> int:
        """Work through a batch claimed at `now`, recording each row's outcome (storage.queue);
        returns how many were done."""

    def more_waiting(self, batch: list[Item]) -> bool:
        """After this round, is more work likely waiting (claim again at once)?"""
        return len(batch) >= self.batch_size

    def wake(self) -> None:
        """Cut this process's wait short: work was queued here."""
        self.woken.set()

    async def run_once(self) -> int:
        """One round: claim a batch and consume it; how many rows were done."""
        return (await self._round())[1]

    async def _round(self) -> tuple[list[Item], int]:
        now = self.clock.now()
        batch = await self.claim(now)
        return batch, (await self.consume(batch, now) if batch else 0)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run rounds until `stop` is set."""
        failures = 0
        poll = self.settings.POLL_INTERVAL_SECONDS
        while not stop.is_set():
            self.woken.clear()  # work queued from here on wakes the next wait
            if self.yield_to is not None:
                await self.yield_to.quiet()
            try:
                batch, _ = await self._round()
            except Exception:
                failures += 1
                # Exponent capped: a day-long outage must not overflow the float.
                delay = min(poll * 2 ** min(failures, 16), MAX_BACKOFF_SECONDS)
                log.exception("worker %s failed (%d in a row); next try in %.0f s", self.name, failures, delay)
            else:
                if failures:
                    log.info("worker %s recovered after %d failure(s)", self.name, failures)
                failures = 0
                delay = 0.0 if self.more_waiting(batch) else poll
            await self._pause(stop, delay)

    async def _pause(self, stop: asyncio.Event, delay: float) -> None:
        """Wait up to `delay` seconds; return early when stopped or woken."""
        if delay <= 0 or stop.is_set() or self.woken.is_set():
            return
        waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.woken.wait())}
        woken = None
        if self.wake_channel is not None:
            woken = asyncio.ensure_future(self.cache.wait(self.wake_channel, delay))
            waits.add(woken)
        try:
            await asyncio.wait(waits, timeout=delay if woken is None else None,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if woken is not None and woken.done() and not woken.cancelled() and woken.exception() is not None:
            # The cache never raises by contract; if it does, do not spin without a pause.
            log.warning("wake-up wait failed: %s", woken.exception())
            await _sleep_unless(stop, delay)


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
