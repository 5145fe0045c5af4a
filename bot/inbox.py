"""The inbox worker: hands each acknowledged platform request to its channel (`take`), in order
per lane, and forgets it once handled. A request that fails (the database went away) is tried
again with backoff; after INBOX_MAX_ATTEMPTS it is kept as dead, the error is logged, and the
channel tells the person that nothing was done (`gave_up`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from storage import inbox

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from storage.inbox import InboxItem

log = logging.getLogger(__name__)

INBOX_MAX_ATTEMPTS = 8


class Taker(Protocol):
    """A channel that handles the requests it acknowledged (`Gateway.accept`)."""

    name: str

    async def take(self, body: dict[str, Any]) -> None: ...

    async def gave_up(self, body: dict[str, Any]) -> None:
        """Tell the person a request of theirs was never handled."""
        ...


def takers(runtime: Services) -> dict[str, Taker]:
    found = {}
    for name in runtime.channels.names():
        channel = runtime.channels.get(name)
        if callable(getattr(channel, "take", None)):
            found[name] = channel
    return found  # type: ignore[return-value] - checked above


async def drain_once(runtime: Services, concurrency: int) -> int:
    """Claim up to `concurrency` waiting requests and handle them side by side (they are of
    different lanes); returns how many were claimed."""
    channels = takers(runtime)
    if not channels:
        return 0
    settings = runtime.settings
    now = runtime.clock.now()
    async with runtime.uow_factory() as uow:
        items = await uow.inbox.claim(now, concurrency, timedelta(seconds=settings.CLAIM_LEASE_SECONDS),
                                      channels)
        await uow.commit()
    await asyncio.gather(*(_take(runtime, channels[item.channel], item) for item in items))
    return len(items)


async def _take(runtime: Services, channel: Taker, item: InboxItem) -> None:
    try:
        await channel.take(item.body)
    except Exception as error:  # any failure is retried later; the loop goes on
        log.exception("inbox %s (%s): handling failed", item.id, item.delivery_id)
        if await _failed(runtime, item, f"{type(error).__name__}: {error}"):
            try:
                await channel.gave_up(item.body)
            except Exception:
                log.exception("inbox %s: could not tell the person it was given up", item.id)
        return
    try:
        await inbox.done(runtime.engine, item.id)
    except Exception:
        # Handled but not forgotten: taken again after the lease, and its delivery id makes
        # the second time change nothing.
        log.exception("inbox %s: handled but could not be removed", item.id)


async def _failed(runtime: Services, item: InboxItem, error: str) -> bool:
    """Record a failed try; True when the request is now given up (dead)."""
    try:
        async with runtime.uow_factory() as uow:
            dead = await uow.inbox.failed(item.id, runtime.clock.now(), error,
                                          max_attempts=INBOX_MAX_ATTEMPTS)
            await uow.commit()
    except Exception:
        log.exception("inbox %s: could not record the failure %r", item.id, error)
        return False
    if dead:
        log.error("inbox %s (%s) given up after %d attempts: %s", item.id, item.delivery_id,
                  INBOX_MAX_ATTEMPTS, error)
    return dead
