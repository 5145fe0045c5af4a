"""The timer poller: claims due timers and has the handlers fire them (handlers.timers); a timer
whose firing keeps failing is dead after QUEUE_MAX_ATTEMPTS and its case's HR is told. While it runs
for good (`arming`, set by the process's worker loop, not by one-off rounds such as the console's),
it arms now and then (ARM_EVERY, on the clock) the weekly digest of workspaces that have none
pending (new ones; a fired digest re-arms itself)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.admission import Admission
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers import digest
from handlers.deps import Deps
from handlers.timers import fire_claimed
from storage.cache import Cache
from storage.timers import ClaimedTimer
from storage.uow import UnitOfWork

ARM_EVERY = timedelta(hours=1)

log = logging.getLogger(__name__)


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
        self.arming = False  # arm the workspaces' weekly digests (the long-running loop does)
        self.armed_at: datetime | None = None  # when the digests were last armed

    @property
    def batch_size(self) -> int:
        return self.settings.TIMER_BATCH

    async def claim(self, now: datetime) -> list[ClaimedTimer]:
        if self.arming and (self.armed_at is None or now - self.armed_at >= ARM_EVERY):
            await self.arm_digests(now)
        async with self.uow_factory() as uow:
            claimed = await uow.timers.claim_due(now, self.batch_size, self.lease)
            await uow.commit()
            self.writers = uow.timers.concurrent_writers
        return claimed

    async def arm_digests(self, now: datetime) -> int:
        """Arm the weekly digest where a workspace has none pending; a failure waits for the
        next try (the timers themselves go on)."""
        try:
            async with self.uow_factory() as uow:
                armed = await digest.arm_all(uow, now)
                await uow.commit()
        except Exception:
            log.exception("could not arm the weekly digests")
            return 0
        self.armed_at = now
        return armed

    async def consume(self, batch: list[ClaimedTimer], now: datetime) -> int:
        acted = await fire_claimed(self.uow_factory, self.deps, batch, now, writers=self.writers,
                                   max_attempts=self.settings.QUEUE_MAX_ATTEMPTS)
        if acted and self.fired is not None:
            self.fired()
        return acted
