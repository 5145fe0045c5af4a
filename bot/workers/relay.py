"""The outbox relay: claims unsent messages and hands each to its channel, recording the result.

Delivery is at least once: a message is marked sent only after the platform said "ok", each
mark committed at once, so a crash mid-batch re-sends at most the message in flight. A failure is
retried after the platform's own wait or a backoff; after QUEUE_MAX_ATTEMPTS, or at once for a
permanent error, the message is dead and the HR group is told (storage.outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admission import Admission
from bot.channels.base import ChannelRegistry, DeliveryError
from bot.gateway import WAKE_CHANNEL
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers.deps import Deps
from handlers.signing.links import resolve_links
from storage.cache import Cache
from storage.outbox import OutboxItem, Receipts
from storage.uow import UnitOfWork
from workflow.clock import Clock

log = logging.getLogger(__name__)


class OutboxRelay(QueueWorker[OutboxItem]):
    name = "relay"
    wake_channel = WAKE_CHANNEL

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], engine: AsyncEngine, clock: Clock,
                 settings: Settings, cache: Cache, channels: ChannelRegistry, deps: Deps,
                 yield_to: Admission | None = None) -> None:
        super().__init__(uow_factory=uow_factory, clock=clock, settings=settings, cache=cache,
                         yield_to=yield_to)
        self.engine = engine
        self.channels = channels
        self.deps = deps  # the signing key's secret and the public URL: signing links are made here

    @property
    def batch_size(self) -> int:
        return self.settings.OUTBOX_BATCH

    async def claim(self, now: datetime) -> list[OutboxItem]:
        async with self.uow_factory() as uow:
            items = await uow.outbox.claim(now, self.batch_size, self.lease)
            await uow.commit()
        return items

    async def consume(self, batch: list[OutboxItem], now: datetime) -> int:
        """Deliver the batch in order, one receipt per message; how many were sent."""
        sent = 0
        async with self.engine.connect() as connection:
            receipts = await Receipts.on(connection)
            for done, item in enumerate(batch):
                # Past the lease another replica may claim the rest; leave them to it.
                if self.clock.now() >= now + self.lease:
                    log.warning("outbox lease ran out; %d message(s) left for the next claim",
                                len(batch) - done)
                    break
                if await self._deliver(item, receipts):
                    sent += 1
        return sent

    async def _deliver(self, item: OutboxItem, receipts: Receipts) -> bool:
        channel = self.channels.get(item.channel)
        if channel is None:
            await self._failed(item, f"channel {item.channel!r} is not configured in this deployment",
                               retry_after=None, permanent=True)
            return False
        try:
            # The row holds signing-link references; the link exists only in what is sent.
            platform_ref = await channel.deliver(replace(item, payload=resolve_links(item.payload, self.deps)))
        except DeliveryError as error:
            retry_after = None if error.retry_after is None else timedelta(seconds=error.retry_after)
            await self._failed(item, str(error), retry_after, error.permanent)
            return False
        except Exception as error:  # a bug or an unexpected SDK error must not stop the loop
            log.exception("outbox %s: delivery via %s crashed", item.id, item.channel)
            await self._failed(item, f"{type(error).__name__}: {error}", None, False)
            return False
        try:
            await receipts.sent(item.id, self.clock.now(), platform_ref)
        except Exception:
            # Delivered but not recorded: the lease expires and it is sent again (at least once).
            log.exception("outbox %s: delivered but could not record it", item.id)
            return False
        return True

    async def _failed(self, item: OutboxItem, error: str, retry_after: timedelta | None,
                      permanent: bool) -> None:
        try:
            async with self.uow_factory() as uow:
                dead = await uow.outbox.fail(item.id, self.clock.now(), error, retry_after=retry_after,
                                             permanent=permanent,
                                             max_attempts=self.settings.QUEUE_MAX_ATTEMPTS)
                await uow.commit()
        except Exception:
            log.exception("outbox %s: could not record the failure %r", item.id, error)
            return
        if dead:
            log.error("outbox %s to %s dead-lettered: %s", item.id, item.recipient, error)
        else:
            log.warning("outbox %s to %s failed, will retry: %s", item.id, item.recipient, error)
