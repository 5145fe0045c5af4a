"""The outbox relay: claims unsent messages and hands each to its channel, recording the result.

Delivery is at least once: a message is marked sent only after the platform said "ok", each
mark committed at once, so a crash mid-batch re-sends at most the message in flight.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import DeliveryError
from storage.outbox import Receipts

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


async def relay_once(runtime: Services, now: datetime) -> int:
    """Deliver one batch of due outbox messages; returns how many were sent."""
    settings = runtime.settings
    lease = timedelta(seconds=settings.CLAIM_LEASE_SECONDS)
    async with runtime.uow_factory() as uow:
        items = await uow.outbox.claim(now, settings.OUTBOX_BATCH, lease)
        await uow.commit()
    if not items:
        return 0
    sent = 0
    async with runtime.engine.connect() as connection:
        receipts = await Receipts.on(connection)
        for done, item in enumerate(items):
            # Past the lease another replica may claim the rest; leave them to it.
            if runtime.clock.now() >= now + lease:
                log.warning("outbox lease ran out; %d message(s) left for the next claim",
                            len(items) - done)
                break
            if await _deliver(runtime, item, receipts):
                sent += 1
    return sent


async def _deliver(runtime: Services, item: OutboxItem, receipts: Receipts) -> bool:
    channel = runtime.channels.get(item.channel)
    if channel is None:
        await _mark_failed(
            runtime, item, f"channel {item.channel!r} is not configured in this deployment",
            retry_after=None, permanent=True,
        )
        return False
    try:
        platform_ref = await channel.deliver(item)
    except DeliveryError as error:
        retry_after = None if error.retry_after is None else timedelta(seconds=error.retry_after)
        await _mark_failed(runtime, item, str(error), retry_after, error.permanent)
        return False
    except Exception as error:  # a bug or an unexpected SDK error must not stop the loop
        log.exception("outbox %s: delivery via %s crashed", item.id, item.channel)
        await _mark_failed(runtime, item, f"{type(error).__name__}: {error}", None, False)
        return False
    try:
        await receipts.sent(item.id, runtime.clock.now(), platform_ref)
    except Exception:
        # Delivered but not recorded: the lease expires and it is sent again (at least once).
        log.exception("outbox %s: delivered but could not record it", item.id)
        return False
    return True


async def _mark_failed(
    runtime: Services,
    item: OutboxItem,
    error: str,
    retry_after: timedelta | None,
    permanent: bool,
) -> None:
    try:
        async with runtime.uow_factory() as uow:
            dead = await uow.outbox.mark_failed(
                item.id, runtime.clock.now(), error, retry_after, permanent,
                max_attempts=runtime.settings.OUTBOX_MAX_ATTEMPTS,
            )
            await uow.commit()
    except Exception:
        log.exception("outbox %s: could not record the failure %r", item.id, error)
        return
    if dead:
        log.error("outbox %s to %s dead-lettered: %s", item.id, item.recipient, error)
    else:
        log.warning("outbox %s to %s failed, will retry: %s", item.id, item.recipient, error)
