"""The process's worker: the three queue workers (bot.workers) run side by side, forever.

Runs inside `serve` by default and alone as `python -m bot worker` for scale-out. Each loop polls
the database (the source of truth) and wakes early when work is queued: a handled request wakes
the relay (Gateway.wake_workers), a kept one the inbox worker (Gateway.accept), fired timers the
relay of this process.
"""

from __future__ import annotations

import asyncio

from bot.admission import Admission
from bot.bootstrap import Services
from bot.workers.inbox import InboxWorker, takers
from bot.workers.relay import OutboxRelay
from bot.workers.timers import TimerPoller


class Worker:
    """The inbox worker, the timer poller and the outbox relay of one process, wired from its
    runtime. `inbox_concurrency`: inbox transactions at once (default INBOX_CONCURRENCY), each of
    up to INBOX_BATCH requests;
    `yield_to`: the admission of the web app this worker shares a process with, whose requests
    go first."""

    def __init__(self, runtime: Services, *, inbox_concurrency: int | None = None,
                 yield_to: Admission | None = None) -> None:
        self.runtime = runtime
        settings = runtime.settings
        common = {"uow_factory": runtime.uow_factory, "settings": settings, "cache": runtime.redis,
                  "yield_to": yield_to}
        self.relay = OutboxRelay(engine=runtime.engine, clock=runtime.clock, channels=runtime.channels,
                                 deps=runtime.deps, **common)
        self.timers = TimerPoller(deps=runtime.deps, fired=self.relay.wake, **common)
        self.inbox = InboxWorker(clock=runtime.clock, takers=takers(runtime.channels),
                                 concurrency=inbox_concurrency or settings.INBOX_CONCURRENCY,
                                 per_transaction=settings.INBOX_BATCH, **common)

    async def run_once(self) -> tuple[int, int]:
        """One round of the timers, then one of the outbox: (timers fired, messages sent)."""
        fired = await self.timers.run_once()
        return fired, await self.relay.run_once()

    async def drain_inbox(self) -> int:
        """One round of the inbox: how many requests were taken (and the handled ones forgotten)."""
        taken = await self.inbox.run_once()
        await self.inbox.settle()
        return taken

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run the three loops until `stop` is set; a request kept in this process wakes its
        inbox loop directly (Gateway.accept)."""
        self.runtime.gateway.inbox_loops.add(self.inbox.woken)
        self.timers.arming = True  # running for good: it keeps every workspace's digest armed
        try:
            await asyncio.gather(*(worker.run_forever(stop) for worker in (self.inbox, self.timers, self.relay)))
        finally:
            self.runtime.gateway.inbox_loops.discard(self.inbox.woken)
