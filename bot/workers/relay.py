"""The outbox relay: claims unsent messages and hands each to its channel, recording the result.

Delivery is at least once: a message is marked sent only after the platform said "ok", each
mark committed at once, so a crash mid-batch re-sends at most the messages in flight. Different
recipients' messages go at once (OUTBOX_CONCURRENCY; each recipient's in order): a platform answers
in 50–200 ms, and one message at a time would deliver only 5–20 a second. A failure is
retried after the platform's own wait or a backoff; after QUEUE_MAX_ATTEMPTS, or at once for a
permanent error, the message is dead and the HR group is told (storage.outbox).

The relay keeps to the platforms' pace (bot/channels/pacing.py): a message the channel may not
send yet is put off, with no attempt counted. The HR group's notifications (no buttons) that wait
for one channel while it takes fewer posts than are waiting go as one digest, all marked sent by
it; people's cards and card updates are never coalesced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admission import Admission
from bot.channels.base import Channel, ChannelRegistry, DeliveryError
from bot.channels.pacing import Room
from bot.gateway import WAKE_CHANNEL
from bot.settings import Settings
from bot.workers.base import QueueWorker
from handlers.contracts import HR_GROUP, Message, from_payload, to_payload
from handlers.deps import Deps
from handlers.digest import WEEKLY_DIGEST
from handlers.signing.links import resolve_links
from storage.cache import Cache
from storage.outbox import OutboxItem, Receipts
from storage.uow import UnitOfWork
from workflow.clock import Clock
from workflow.i18n import t

# A digest's title names this many cases, then "…"; it stands for at most DIGEST_MAX messages.
DIGEST_REFS, DIGEST_MAX = 10, 50

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
        # What the round's deliveries were kept from sending by the pace: (messages, seconds, why).
        self._later: list[tuple[list[OutboxItem], float, str]] = []

    @property
    def batch_size(self) -> int:
        return self.settings.OUTBOX_BATCH

    async def claim(self, now: datetime) -> list[OutboxItem]:
        async with self.uow_factory() as uow:
            items = await uow.outbox.claim(now, self.batch_size, self.lease)
            await uow.commit()
        return items

    async def consume(self, batch: list[OutboxItem], now: datetime) -> int:
        """Deliver the batch, each recipient's messages in order and different recipients' at
        once (up to a channel's `sends_at_once`), one receipt per message; how many were sent."""
        self._later = []
        groups = await self._crowded_groups(batch)
        lanes: dict[tuple[str, str], list[OutboxItem]] = {}
        for item in batch:
            lanes.setdefault((item.channel, item.recipient), []).append(item)
        gates = {name: asyncio.Semaphore(self._sends_at_once(name)) for name, _ in lanes}
        async with self.engine.connect() as connection:
            receipts = await Receipts.on(connection)
            sent = sum(await asyncio.gather(*(self._lane(items, gates[channel], groups, receipts, now)
                                              for (channel, _), items in lanes.items())))
        await self._put_off(self._later)
        return sent

    async def _lane(self, items: list[OutboxItem], gate: asyncio.Semaphore,
                    groups: dict[int, list[OutboxItem]], receipts: Receipts, now: datetime) -> int:
        """One recipient's messages of the batch, in order, once its channel has room; how many
        were sent."""
        sent = 0
        async with gate:
            for done, item in enumerate(items):
                # Past the lease another replica may claim the rest; leave them to it.
                if self.clock.now() >= now + self.lease:
                    log.warning("outbox lease ran out; %d message(s) to %s left for the next claim",
                                len(items) - done, item.recipient)
                    break
                group = groups.get(item.id)
                if group is None:
                    sent += await self._deliver(item, receipts)
                elif group[0] is item:  # the group goes once, where its first message stood
                    sent += await self._coalesce(group, receipts)
        return sent

    def _sends_at_once(self, name: str) -> int:
        """How many recipients' messages the channel takes at once: OUTBOX_CONCURRENCY, unless
        the channel says fewer (the console prints, so its transcript keeps the claim's order)."""
        most = self.settings.OUTBOX_CONCURRENCY
        limit: Any = getattr(self.channels.get(name), "sends_at_once", None)
        return most if limit is None else min(int(limit), most)

    async def _crowded_groups(self, batch: Sequence[OutboxItem]) -> dict[int, list[OutboxItem]]:
        """The HR-group notifications of channels that take fewer posts now than are waiting:
        each such group by the ids of its messages."""
        waiting: dict[tuple[str, int], list[OutboxItem]] = {}
        for item in batch:
            if _notification(item) is not None:
                waiting.setdefault((item.channel, item.tenant_id), []).append(item)
        crowded: dict[int, list[OutboxItem]] = {}
        for (name, _tenant), items in waiting.items():
            room = await _room(self.channels.get(name), items[0])
            if room is not None and room.now < len(items):
                crowded.update({item.id: items for item in items})
        return crowded

    async def _coalesce(self, items: list[OutboxItem], receipts: Receipts) -> int:
        """One digest for the group's waiting notifications (or a single one as it is), or all
        put off until the channel takes a post; how many were sent."""
        channel = self.channels.get(items[0].channel)
        room = await _room(channel, items[0])
        if room is not None and room.now < 1:
            self._later.append((items, room.next_in, "paced: the HR group's channel is busy"))
            return 0
        items = [*items, *await self._also_waiting(items)]
        if len(items) == 1:
            return await self._deliver(items[0], receipts)
        digest = _digest(items)
        if not await self._deliver(digest, receipts, covers=items):
            return 0
        log.info("outbox: %d HR-group notifications sent as one digest (%s)", len(items),
                 ", ".join(str(i.id) for i in items))
        return len(items)

    async def _also_waiting(self, items: Sequence[OutboxItem]) -> list[OutboxItem]:
        """The group's other notifications not in this batch (put off, or not claimed yet): the
        digest takes them too. Messages with buttons among them are left for their own turn."""
        first, room = items[0], DIGEST_MAX - len(items)
        if room <= 0:
            return []
        try:
            async with self.uow_factory() as uow:
                taken = await uow.outbox.claim_waiting(tenant_id=first.tenant_id, channel=first.channel,
                                                       recipient=first.recipient, now=self.clock.now(),
                                                       limit=room, lease=self.lease)
                others = [i for i in taken if _notification(i) is None]
                if others:
                    await uow.outbox.release([i.id for i in others])
                await uow.commit()
        except Exception:
            log.exception("outbox: could not gather the HR group's waiting notifications")
            return []
        return [i for i in taken if _notification(i) is not None]

    async def _put_off(self, later: Sequence[tuple[list[OutboxItem], float, str]]) -> None:
        """Put off, in one transaction, what the platforms' pace kept from going (no attempt is
        counted; should this fail, the lease runs out and they are claimed again)."""
        if not later:
            return
        now = self.clock.now()
        try:
            async with self.uow_factory() as uow:
                for items, seconds, note in later:
                    await uow.outbox.defer([i.id for i in items], now + timedelta(seconds=max(seconds, 0.001)),
                                           note)
                await uow.commit()
        except Exception:
            log.exception("outbox: could not put off %d message(s)", sum(len(items) for items, _, _ in later))

    async def _deliver(self, item: OutboxItem, receipts: Receipts,
                       covers: Sequence[OutboxItem] = ()) -> bool:
        """Send `item`; its receipt goes to each message it `covers` (a digest), else to itself."""
        covered = list(covers) or [item]
        channel = self.channels.get(item.channel)
        if channel is None:
            for one in covered:
                await self._failed(one, f"channel {item.channel!r} is not configured in this deployment",
                                   retry_after=None, permanent=True)
            return False
        try:
            # The row holds signing-link references; the link exists only in what is sent.
            platform_ref = await channel.deliver(replace(item, payload=resolve_links(item.payload, self.deps)))
        except DeliveryError as error:
            if error.paced:
                self._later.append((covered, error.retry_after or 1.0, f"paced: {error}"))
                return False
            retry_after = None if error.retry_after is None else timedelta(seconds=error.retry_after)
            for one in covered:
                await self._failed(one, str(error), retry_after, error.permanent)
            return False
        except Exception as error:  # a bug or an unexpected SDK error must not stop the loop
            log.exception("outbox %s: delivery via %s crashed", item.id, item.channel)
            for one in covered:
                await self._failed(one, f"{type(error).__name__}: {error}", None, False)
            return False
        for one in covered:
            ref = platform_ref if not covers else {**platform_ref, "digest_of": len(covered)}
            try:
                await receipts.sent(one.id, self.clock.now(), ref)
            except Exception:
                # Delivered but not recorded: the lease expires and it is sent again (at least once).
                log.exception("outbox %s: delivered but could not record it", one.id)
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


def _notification(item: OutboxItem) -> Message | None:
    """The message of an HR-group notification that may join a digest: no buttons to press (and
    not the weekly digest, which carries its chart)."""
    if item.recipient != HR_GROUP or item.kind == WEEKLY_DIGEST:
        return None
    try:
        message = from_payload(item.payload)
    except (KeyError, TypeError, AttributeError):
        return None  # delivered alone, to be dead-lettered as unreadable
    return None if message.actions else message


async def _room(channel: Channel | None, item: OutboxItem) -> Room | None:
    """How many posts the item's group channel takes now (None: the channel keeps no pace)."""
    room: Any = getattr(channel, "room", None)
    return None if room is None else await room(item)


def _digest(items: Sequence[OutboxItem]) -> OutboxItem:
    """One HR-group message standing for `items`: their count and cases in the title, each one's
    title a line of the text; in the first one's language."""
    messages = [m for m in (_notification(item) for item in items) if m is not None]
    locale = messages[0].locale
    refs = list(dict.fromkeys(m.case_ref for m in messages if m.case_ref))
    shown = ", ".join(refs[:DIGEST_REFS]) + (", …" if len(refs) > DIGEST_REFS else "")
    updates = "\n".join(f"• {m.data.get('title') or m.kind}" for m in messages)
    digest = Message(kind="digest", recipient=HR_GROUP, locale=locale, data={
        "title": t("notice.digest.title", locale, count=len(messages), refs=shown),
        "text": t("notice.digest.text", locale, updates=updates)})
    return replace(items[0], case_id=None, kind=digest.kind, payload=to_payload(digest))
