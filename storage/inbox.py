"""The inbox: platform requests acknowledged at once (one INSERT) and handled by the worker.

A delivery id is accepted once, so a platform's retry of a request still waiting changes nothing.
Requests of one lane (one person) are handed out one at a time, oldest first: a typed answer is
never handled before the button press that asked for it. A handled request is deleted; one that
keeps failing is retried with backoff, then kept as dead for the operator.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxEntry
from storage.outbox import backoff
from storage.sql import claim, insert_if_absent

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


async def accept(engine: AsyncEngine, *, delivery_id: str, channel: str, lane: str,
                 body: dict[str, Any], now: datetime) -> bool:
    """Keep one request for the worker, committed before the platform hears "received"; False
    when `delivery_id` is already waiting (a retry). One statement on a plain connection: this
    is the whole of the request path's database work."""
    values = {"delivery_id": delivery_id, "channel": channel, "lane": lane, "body": body,
              "received_at": now, "next_attempt_at": now, "attempts": 0, "last_error": ""}
    async with engine.begin() as connection:
        return await insert_if_absent(connection, InboxEntry, values, ["delivery_id"])


async def done(engine: AsyncEngine, item_id: int) -> None:
    """Forget a handled request (its effects carry their own delivery id from here on)."""
    async with engine.begin() as connection:
        await connection.execute(delete(InboxEntry.__table__).where(InboxEntry.__table__.c.id == item_id))


async def forget(engine: AsyncEngine, delivery_id: str) -> None:
    """Forget a request by its delivery id: one handled where it came in (its platform waited for
    the answer), or given up there with the person told."""
    table = InboxEntry.__table__
    async with engine.begin() as connection:
        await connection.execute(delete(table).where(table.c.delivery_id == delivery_id))


class Inbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, now: datetime, limit: int, lease: timedelta,
                    channels: Collection[str]) -> list[InboxItem]:
        """Lease up to `limit` requests for `channels` (those this process can handle), each the
        oldest live one of its lane; commit to publish."""
        m, live = InboxEntry, aliased(InboxEntry)
        # Only the oldest requests are looked at, by their key: the work is the same whatever the
        # backlog and whatever the planner's statistics (the table is often near empty). A lane
        # whose head lies further back waits for the window to move; its order is kept.
        oldest = select(live.id).where(live.dead_at.is_(None)).order_by(live.id).limit(max(WINDOW, 4 * limit))
        head = select(func.min(live.id)).where(live.lane == m.lane, live.dead_at.is_(None)).scalar_subquery()
        rows = await claim(
            self.session,
            m,
            pending=(m.id.in_(oldest) & (m.id == head) & m.channel.in_(channels)
                     & (m.next_attempt_at <= now)),
            order_by=m.id,
            now=now,
            limit=limit,
            lease=lease,
            returning=[getattr(m, field.name) for field in fields(InboxItem)],
        )
        return [InboxItem(*row) for row in rows]

    async def failed(self, item_id: int, now: datetime, error: str, *, max_attempts: int) -> bool:
        """Try again after a backoff, or (after `max_attempts`) keep it as dead, which frees its
        lane. True when it is dead."""
        entry = await self.session.get(InboxEntry, item_id, populate_existing=True)
        if entry is None:
            return False  # handled meanwhile by a worker whose lease outlived ours
        entry.attempts += 1
        entry.last_error = error[:2000]
        entry.claimed_until = None
        if entry.attempts < max_attempts:
            entry.next_attempt_at = now + backoff(entry.attempts)
        else:
            entry.dead_at = now
        await self.session.flush()
        return entry.dead_at is not None

    async def waiting(self) -> int:
        """How many requests are not handled yet (dead ones aside)."""
        query = select(func.count()).select_from(InboxEntry).where(InboxEntry.dead_at.is_(None))
        return int(await self.session.scalar(query) or 0)
