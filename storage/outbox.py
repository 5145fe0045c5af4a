"""The outbox: messages written with the transaction that caused them, sent later by the relay.

Delivery is at least once: a leased queue (storage.queue) whose rows are claimed due first,
retried after the platform's own wait where it names one, dead-lettered after the last attempt or
a permanent error, and a dead letter tells the HR group (`alert_hr`, which the inbox and the
timers use for their dead rows too).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import OutboxMessage
from storage.queue import LeasedQueue
from storage.sql import autocommitting, insert_if_absent, insert_many_if_absent
from workflow.i18n import DEFAULT_LOCALE, t

DEAD_LETTER = "dead_letter"
HR_GROUP = "hr_group"
# How much of the error an HR alert quotes.
ALERT_ERROR_CHARS = 300


@dataclass(frozen=True)
class OutboxItem:
    id: int
    tenant_id: int
    case_id: int | None
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Queued:
    """A message to queue (Outbox.enqueue_many)."""

    tenant_id: int
    case_id: int | None
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    dedup_key: str


class Outbox(LeasedQueue[OutboxItem]):
    """The messages of one transaction are written together: `enqueue_many` keeps them until the
    unit of work commits (`flush`), one INSERT for all of a request's notices, cards and answers."""

    model = OutboxMessage
    item = OutboxItem

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._staged: list[dict[str, Any]] = []

    async def flush(self) -> None:
        """Write the messages kept by `enqueue_many` (before the commit, and before any read of the
        outbox in this transaction), in the order they were queued."""
        if self._staged:
            rows, self._staged = self._staged, []
            await insert_many_if_absent(self.session, OutboxMessage, rows, ["dedup_key"])

    def forget(self) -> None:
        """Drop what was kept and not written (the transaction rolled back)."""
        self._staged = []

    def waiting(self) -> int:
        """How many messages are kept and not written yet."""
        return len(self._staged)

    async def enqueue(
        self,
        *,
        tenant_id: int,
        case_id: int | None,
        channel: str,
        recipient: str,
        kind: str,
        payload: dict[str, Any],
        dedup_key: str,
        now: datetime,
    ) -> bool:
        """Queue a message unless one with `dedup_key` exists, now; True when queued now."""
        await self.flush()  # after those queued before it, in order
        values = {
            "dedup_key": dedup_key,
            "tenant_id": tenant_id,
            "case_id": case_id,
            "channel": channel,
            "recipient": recipient,
            "kind": kind,
            "payload": payload,
            "created_at": now,
            "next_attempt_at": now,
        }
        return await insert_if_absent(self.session, OutboxMessage, values, ["dedup_key"])

    async def enqueue_many(self, rows: Sequence[Queued], now: datetime) -> None:
        """Queue messages with the transaction, written at its commit (`flush`) with every other
        message it queued; one whose key exists already is skipped."""
        self._staged.extend({"dedup_key": r.dedup_key, "tenant_id": r.tenant_id, "case_id": r.case_id,
                             "channel": r.channel, "recipient": r.recipient, "kind": r.kind,
                             "payload": r.payload, "created_at": now, "next_attempt_at": now} for r in rows)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Lease up to `limit` messages due for a try, oldest due first; commit to publish."""
        await self.flush()
        m = OutboxMessage
        return await self._claim(now, limit, lease, order_by=m.next_attempt_at,
                                 pending=m.sent_at.is_(None) & m.dead_at.is_(None) & (m.next_attempt_at <= now))

    async def claim_waiting(self, *, tenant_id: int, channel: str, recipient: str, now: datetime,
                            limit: int, lease: timedelta) -> list[OutboxItem]:
        """Lease up to `limit` unsent messages to `recipient` on one tenant's `channel`, due now
        or put off (a digest takes them early), oldest first; commit to publish."""
        await self.flush()
        m = OutboxMessage
        return await self._claim(now, limit, lease, order_by=m.id,
                                 pending=(m.tenant_id == tenant_id) & (m.channel == channel)
                                 & (m.recipient == recipient) & m.sent_at.is_(None) & m.dead_at.is_(None))

    def settled(self, row: OutboxMessage) -> bool:
        return row.sent_at is not None or row.dead_at is not None

    async def dead_lettered(self, row: OutboxMessage, error: str, now: datetime,
                            tenant_key: str | None) -> None:
        if row.kind == DEAD_LETTER:
            return  # an alert about an alert would never end
        params = {"kind": row.kind, "failed_id": row.id, "error": error[:ALERT_ERROR_CHARS]}
        # A row for another system (a webhook) names the chat channel HR is told on.
        await self.alert_hr(
            tenant_id=row.tenant_id, case_id=row.case_id,
            channel=(row.payload or {}).get("alert_channel") or row.channel,
            case_ref=(row.payload or {}).get("case_ref"), dedup_key=f"dead:{row.id}", now=now,
            title=t("notice.dead_letter.title", DEFAULT_LOCALE),
            text=t("notice.dead_letter.text", DEFAULT_LOCALE, **params), params=params,
        )

    async def alert_hr(self, *, tenant_id: int, case_id: int | None, channel: str, case_ref: str | None,
                       title: str, text: str, params: dict[str, Any], dedup_key: str, now: datetime) -> bool:
        """Queue a dead-letter alert (`title`, `text`) to the tenant's HR group on `channel`, in the
        outbox's message shape, so every channel renders it like any card; True when queued now."""
        payload = {
            "kind": DEAD_LETTER, "recipient": HR_GROUP, "locale": DEFAULT_LOCALE, "case_ref": case_ref,
            "case_version": None, "actions": [],
            "data": {"title": title, "text": text, "fields": [], **params},
        }
        return await self.enqueue(tenant_id=tenant_id, case_id=case_id, channel=channel, recipient=HR_GROUP,
                                  kind=DEAD_LETTER, payload=payload, dedup_key=dedup_key, now=now)

    async def for_case(self, case_id: int) -> list[OutboxMessage]:
        await self.flush()
        query = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        return list((await self.session.scalars(query.order_by(OutboxMessage.id))).all())


class Receipts:
    """The relay's record of what the platforms accepted, on one connection held for a batch.

    Each receipt commits before `sent` returns (a crash re-sends at most the messages in flight),
    without the cost of a unit of work per message: no read, no new connection. Receipts that
    arrive while one is being written go together in the next write, one statement for all.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._turn = asyncio.Lock()  # the relay records from several deliveries at once
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []

    @classmethod
    async def on(cls, connection: AsyncConnection) -> Receipts:
        """Receipts on `connection`; on PostgreSQL in autocommit, one round trip per write."""
        return cls(await autocommitting(connection))

    async def sent(self, message_id: int, now: datetime, platform_ref: dict[str, Any]) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(({"sent_id": message_id, "sent_now": now, "sent_ref": platform_ref}, written))
        async with self._turn:
            if not written.done():  # else an earlier turn wrote it with its own
                await self._write()
        await written

    async def _write(self) -> None:
        """Write every receipt waiting, in one statement and commit; should that fail, each alone,
        so that one receipt that cannot be written fails only its own message (the others'
        deliveries would be sent again). Each waiter learns how its own went."""
        waiting, self._waiting = self._waiting, []
        try:
            if len(waiting) > 1 and await self._together([row for row, _ in waiting]):
                for _, written in waiting:
                    _settle(written, None)
                return
            for row, written in waiting:
                try:
                    await self._commit(row)
                except Exception as error:
                    _settle(written, error)
                else:
                    _settle(written, None)
        except BaseException:  # cancelled: the others hear a failure of theirs, not a cancel
            for _, written in waiting:
                _settle(written, RuntimeError("the receipts' write was interrupted"))
            raise

    async def _together(self, rows: list[dict[str, Any]]) -> bool:
        try:
            await self._commit(rows)
        except Exception:
            return False
        return True

    async def _commit(self, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
        try:
            await self.connection.execute(_sent(), rows)
            await self.connection.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                await self.connection.rollback()
            raise


def _settle(written: asyncio.Future[None], error: Exception | None) -> None:
    if written.done():  # its waiter was cancelled meanwhile
        return
    if error is None:
        written.set_result(None)
    else:
        written.set_exception(error)


@functools.cache
def _sent() -> Update:
    """A receipt (built once, run with its values: a receipt per message is the relay's hot path)."""
    m = OutboxMessage.__table__.c
    return (update(OutboxMessage.__table__).where(m.id == bindparam("sent_id", type_=m.id.type))
            .values(sent_at=bindparam("sent_now", type_=m.sent_at.type),
                    platform_ref=bindparam("sent_ref", type_=m.platform_ref.type),
                    attempts=m.attempts + 1, claimed_until=None))
