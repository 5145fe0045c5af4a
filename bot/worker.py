"""The worker loops: one fires due timers and relays the outbox, one handles the inbox (requests
the platforms were already answered for); forever, whatever goes wrong.

Runs inside `serve` by default and alone as `python -m bot worker` for scale-out. Both loops poll
the database (the source of truth) and wake early when a request queued work
(Gateway.wake_workers, Gateway.accept).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.admission import Admission
from bot.bootstrap import Services
from bot.gateway import INBOX_CHANNEL, WAKE_CHANNEL
from bot.inbox import drain_once
from bot.relay import relay_once
from handlers.timers import fire_due

log = logging.getLogger(__name__)

# After repeated failures (database down) wait up to this long between attempts.
MAX_BACKOFF_SECONDS = 60.0


class Worker:
    """`inbox_concurrency`: requests taken at once (default INBOX_CONCURRENCY); `yield_to`: the
    admission of the web app this worker shares a process with, whose requests go first."""

    def __init__(self, runtime: Services, *, inbox_concurrency: int | None = None,
                 yield_to: Admission | None = None) -> None:
        self.runtime = runtime
        self.inbox_concurrency = inbox_concurrency or runtime.settings.INBOX_CONCURRENCY
        self.yield_to = yield_to

    async def run_once(self) -> tuple[int, int]:
        """One tick: (timers fired, messages sent)."""
        runtime = self.runtime
        fired = await fire_due(
            runtime.uow_factory, runtime.deps, limit=runtime.settings.TIMER_BATCH,
            lease=timedelta(seconds=runtime.settings.CLAIM_LEASE_SECONDS),
        )
        sent = await relay_once(runtime, runtime.clock.now())
        return fired, sent

    async def drain_inbox(self) -> int:
        """One round of the inbox: how many requests were taken."""
        return await drain_once(self.runtime, self.inbox_concurrency)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run both loops until `stop` is set."""
        local = asyncio.Event()
        self.runtime.gateway.inbox_loops.add(local)
        try:
            await asyncio.gather(self._loop(stop, "tick", self._tick, WAKE_CHANNEL),
                                 self._loop(stop, "inbox", self._inbox, INBOX_CHANNEL, local))
        finally:
            self.runtime.gateway.inbox_loops.discard(local)

    async def _tick(self) -> bool:
        """Timers and outbox; True when a full batch says more is waiting."""
        settings = self.runtime.settings
        fired, sent = await self.run_once()
        return fired >= settings.TIMER_BATCH or sent >= settings.OUTBOX_BATCH

    async def _inbox(self) -> bool:
        return await self.drain_inbox() > 0

    async def _loop(self, stop: asyncio.Event, name: str, step: Callable[[], Awaitable[bool]],
                    channel: str, local: asyncio.Event | None = None) -> None:
        """Run `step` until `stop` is set: again at once while it finds work, else after the poll
        interval or a wake-up; a failed step is logged and retried after a growing pause."""
        settings = self.runtime.settings
        failures = 0
        while not stop.is_set():
            if local is not None:
                local.clear()  # a request kept from here on wakes the next wait
            if self.yield_to is not None:
                await self.yield_to.quiet()
            try:
                busy = await step()
            except Exception:
                failures += 1
                # Exponent capped: a day-long outage must not overflow the float.
                backoff = settings.POLL_INTERVAL_SECONDS * 2 ** min(failures, 16)
                delay = min(backoff, MAX_BACKOFF_SECONDS)
                log.exception("worker %s failed (%d in a row); next try in %.0f s",
                              name, failures, delay)
            else:
                if failures:
                    log.info("worker %s recovered after %d failure(s)", name, failures)
                failures = 0
                delay = 0.0 if busy else settings.POLL_INTERVAL_SECONDS
            await self._pause(stop, delay, channel, local)

    async def _pause(self, stop: asyncio.Event, delay: float, channel: str,
                     local: asyncio.Event | None) -> None:
        """Wait up to `delay` seconds; return early when stopped or woken."""
        if delay <= 0 or stop.is_set() or (local is not None and local.is_set()):
            return
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.runtime.redis.wait(channel, delay))
        waits = {stopped, woken}
        if local is not None:
            waits.add(asyncio.ensure_future(local.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if woken.done() and not woken.cancelled() and woken.exception() is not None:
            # The cache never raises by contract; if it does, do not spin without a pause.
            log.warning("wake-up wait failed: %s", woken.exception())
            await _sleep_unless(stop, delay)


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
