"""The inbox: platform requests acknowledged at once (one INSERT) and handled by the worker.

A delivery id is accepted once, so a platform's retry of a request still waiting changes nothing.
Requests of one lane (one person) are handed out one at a time, oldest first: a typed answer is
never handled before the button press that asked for it. A handled request is deleted; one that
keeps failing is retried with backoff (a leased queue, storage.queue), then kept as dead for the
operator, and its tenant's HR is told.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from storage.models import InboxEntry
from storage.outbox import ALERT_ERROR_CHARS, Outbox
from storage.queue import LeasedQueue
from storage.repositories import Tenants
from storage.sql import autocommitting, insert_if_absent
from workflow.i18n import DEFAULT_LOCALE, t

log = logging.getLogger(__name__)

# How many of the oldest waiting requests a claim considers (at least four times what it takes).
WINDOW = 64


@dataclass(frozen=True)
class InboxItem:
    id: int
    delivery_id: str
    channel: str
    lane: str
    body: dict[str, Any]
    attempts: int
    waiting_behind: bool  # a later request of its lane is waiting


async def accept(engine: AsyncEngine, *, delivery_id: str, channel: str, lane: str,
                 body: dict[str, Any], now: datetime) -> bool:
    """Keep one request for the worker, committed before the platform hears "received"; False
    when `delivery_id` is already waiting (a retry). One statement on a plain connection: this
    is the whole of the request path's database work."""
    values = {"delivery_id": delivery_id, "channel": channel, "lane": lane, "body": body,
              "received_at": now, "next_attempt_at": now, "attempts": 0, "last_error": ""}
    async with engine.connect() as connection:
        connection = await autocommitting(connection)
        new = await insert_if_absent(connection, InboxEntry, values, ["delivery_id"])
        await connection.commit()
    return new


async def forget(engine: AsyncEngine, delivery_id: str) -> None:
    """Forget a request by its delivery id: one handled where it came in (its platform waited for
    the answer), or given up there with the person told."""
    table = InboxEntry.__table__
    async with engine.begin() as connection:
        await connection.execute(delete(table).where(table.c.delivery_id == delivery_id))


@functools.cache
def _claimable() -> ColumnElement[bool]:
    """Which requests a claim may take (written with parameters: built once, the claim too)."""
    m, live = InboxEntry, aliased(InboxEntry)
    # Only the oldest requests are looked at, by their key: the work is the same whatever the
    # backlog and whatever the planner's statistics (the table is often near empty). A lane
    # whose head lies further back waits for the window to move; its order is kept.
    oldest = (select(live.id).where(live.dead_at.is_(None)).order_by(live.id)
              .limit(bindparam("window", type_=Integer)))
    head = select(func.min(live.id)).where(live.lane == m.lane, live.dead_at.is_(None)).scalar_subquery()
    return (m.id.in_(oldest) & (m.id == head) & m.channel.in_(bindparam("channels", expanding=True))
            & (m.next_attempt_at <= bindparam("due", type_=m.next_attempt_at.type)))


class Inbox(LeasedQueue[InboxItem]):
    model = InboxEntry
    item = InboxItem

    async def forget_handled(self, ids: Collection[int]) -> None:
        """Forget handled requests (their effects carry their own delivery id from here on); the
        worker does it in its next claim's transaction, where their lanes' next requests are
        then free to be taken."""
        if ids:
            table = InboxEntry.__table__
            await self.session.execute(delete(table).where(table.c.id.in_(list(ids))))

    async def claim(self, now: datetime, limit: int, lease: timedelta, channels: Collection[str], *,
                    per_lane: int = 1, most: int | None = None) -> list[InboxItem]:
        """Lease up to `limit` requests for `channels` (those this process can handle), each the
        oldest live one of its lane, and (`per_lane` > 1) the requests right behind each of them,
        up to `per_lane` of a lane and `most` in all; in id order; commit to publish.

        Only a lane's head is ever claimed alone, so no other worker can take the requests behind
        one this worker holds: they are leased here with their head or wait for it."""
        heads = await self._claim(now, limit, lease, order_by=InboxEntry.id, pending=_claimable(), reuse="inbox",
                                  params={"window": max(WINDOW, 4 * limit), "channels": list(channels),
                                          "due": now})
        if per_lane <= 1 or not any(head.waiting_behind for head in heads):
            return heads
        room = len(heads) * (per_lane - 1) if most is None else most - len(heads)
        return sorted([*heads, *await self._followers(heads, now, lease, channels, per_lane, room)],
                      key=lambda item: item.id)

    async def _followers(self, heads: list[InboxItem], now: datetime, lease: timedelta,
                         channels: Collection[str], per_lane: int, room: int) -> list[InboxItem]:
        """Lease up to `room` of the requests behind `heads`, in order, as far as each is ready
        (due, not leased, for `channels`): a lane's requests are taken in order or not at all."""
        if room <= 0:
            return []
        m = InboxEntry
        behind = await self.session.execute(
            select(m.id, m.lane, m.channel, m.next_attempt_at, m.claimed_until)
            .where(m.lane.in_({head.lane for head in heads}), m.dead_at.is_(None),
                   m.id.not_in([head.id for head in heads]))
            .order_by(m.id).limit((per_lane - 1) * len(heads)))
        taken: Counter[str] = Counter(head.lane for head in heads)
        chosen: list[int] = []
        for row_id, lane, channel, due_at, claimed_until in behind:
            ready = (channel in channels and due_at <= now
                     and (claimed_until is None or claimed_until <= now))
            if 0 < taken[lane] < per_lane and ready and len(chosen) < room:
                chosen.append(row_id)
                taken[lane] += 1
            else:
                taken[lane] = 0  # the lane stops here: what lies behind waits for what is not ready
        if not chosen:
            return []
        rows = await self.session.execute(
            update(m).where(m.id.in_(chosen)).values(claimed_until=now + lease)
            .returning(*self.item_columns())
            .execution_options(synchronize_session=False))
        return [InboxItem(*row) for row in rows]

    async def dead_lettered(self, row: InboxEntry, error: str, now: datetime,
                            tenant_key: str | None) -> None:
        """A dead request frees its lane; the HR of the tenant it came from is told (a request has
        no tenant of its own until handled: the worker names it from the kept request)."""
        tenant = await Tenants(self.session).by_key(tenant_key) if tenant_key else None
        if tenant is None:
            log.error("inbox %s (%s) is dead and no tenant's HR can be told (tenant %r): %s",
                      row.id, row.delivery_id, tenant_key, error)
            return
        params = {"channel": row.channel, "failed_id": row.id, "error": error[:ALERT_ERROR_CHARS]}
        await Outbox(self.session).alert_hr(
            tenant_id=tenant.id, case_id=None, channel=row.channel, case_ref=None,
            dedup_key=f"dead:inbox:{row.id}", now=now,
            title=t("notice.dead_request.title", DEFAULT_LOCALE),
            text=t("notice.dead_request.text", DEFAULT_LOCALE, **params), params=params,
        )

    async def waiting(self) -> int:
        """How many requests are not handled yet (dead ones aside)."""
        query = select(func.count()).select_from(InboxEntry).where(InboxEntry.dead_at.is_(None))
        return int(await self.session.scalar(query) or 0)
