"""The timer poller: claims due timers and has the handlers fire them (handlers.timers); a timer
whose firing keeps failing is dead after QUEUE_MAX_ATTEMPTS and its case's HR is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.admission import Admission
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers.deps import Deps
from handlers.timers import fire_claimed
from storage.cache import Cache
from storage.timers import ClaimedTimer
from storage.uow import UnitOfWork


class TimerPoller(QueueWorker[ClaimedTimer]):
    """`fired`: called when timers acted (they queued messages), e.g. to wake the relay."""

    name = "timers"

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], deps: Deps, settings: Settings,
                 cache: Cache, fired: Callable[[], None] | None = None,
                 yield_to: Admission | None = None) -> None:
        super().__init__(uow_factory=uow_factory, clock=deps.clock, settings=settings, cache=cache,
                         yield_to=yield_to)
        self.deps = deps
        self.fired = fired
        self.writers = 1  # transactions fired at once; the database's own, learnt at each claim

    @property
    def batch_size(self) -> int:
        return self.settings.TIMER_BATCH

    async def claim(self, now: datetime) -> list[ClaimedTimer]:
        async with self.uow_factory() as uow:
            claimed = await uow.timers.claim_due(now, self.batch_size, self.lease)
            await uow.commit()
            self.writers = uow.timers.concurrent_writers
        return claimed

    async def consume(self, batch: list[ClaimedTimer], now: datetime) -> int:
        acted = await fire_claimed(self.uow_factory, self.deps, batch, now, writers=self.writers,
                                   max_attempts=self.settings.QUEUE_MAX_ATTEMPTS)
        if acted and self.fired is not None:
            self.fired()
        return acted
