"""The worker loop: fires due timers and relays the outbox, forever, whatever goes wrong.

Runs inside `serve` by default and alone as `python -m bot worker` for scale-out. It polls the
database (the source of truth) and wakes early when a request queued work (Runtime.wake_workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.relay import relay_once
from bot.runtime import WAKE_CHANNEL, Runtime
from handlers.timers import fire_due

log = logging.getLogger(__name__)

# After repeated failures (database down) wait up to this long between attempts.
MAX_BACKOFF_SECONDS = 60.0


class Worker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run_once(self) -> tuple[int, int]:
        """One tick: (timers fired, messages sent)."""
        runtime = self.runtime
        fired = await fire_due(
            runtime.uow_factory, runtime.deps, limit=runtime.settings.TIMER_BATCH,
            lease=timedelta(seconds=runtime.settings.CLAIM_LEASE_SECONDS),
        )
        sent = await relay_once(runtime, runtime.clock.now())
        return fired, sent

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; a failed tick is logged and retried after a growing pause."""
        settings = self.runtime.settings
        failures = 0
        while not stop.is_set():
            try:
                fired, sent = await self.run_once()
            except Exception:
                failures += 1
                # Exponent capped: a day-long outage must not overflow the float.
                backoff = settings.POLL_INTERVAL_SECONDS * 2 ** min(failures, 16)
                delay = min(backoff, MAX_BACKOFF_SECONDS)
                log.exception("worker tick failed (%d in a row); next try in %.0f s",
                              failures, delay)
            else:
                if failures:
                    log.info("worker recovered after %d failed tick(s)", failures)
                failures = 0
                # A full batch means more is waiting: go again at once.
                busy = fired >= settings.TIMER_BATCH or sent >= settings.OUTBOX_BATCH
                delay = 0.0 if busy else settings.POLL_INTERVAL_SECONDS
            await self._pause(stop, delay)

    async def _pause(self, stop: asyncio.Event, delay: float) -> None:
        """Wait up to `delay` seconds; return early when stopped or woken."""
        if delay <= 0 or stop.is_set():
            return
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.runtime.redis.wait(WAKE_CHANNEL, delay))
        try:
            await asyncio.wait({stopped, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopped, woken):
                task.cancel()
        if woken.done() and not woken.cancelled() and woken.exception() is not None:
            # The cache never raises by contract; if it does, do not spin without a pause.
            log.warning("wake-up wait failed: %s", woken.exception())
            await _sleep_unless(stop, delay)


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
