"""The outbox: messages written with the transaction that caused them, sent later by the relay.

Delivery is at least once: claimed with a lease, retried with backoff, dead-lettered after
`max_attempts` (or a permanent error), and a dead letter tells the HR group.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import OutboxMessage
from storage.sql import claim, insert_if_absent
from workflow.i18n import DEFAULT_LOCALE, t

DEAD_LETTER = "dead_letter"
HR_GROUP = "hr_group"
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)


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


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 10 s, 20 s, 40 s … capped at 1 h."""
    return min(BACKOFF_BASE * 2 ** min(attempts, 20), BACKOFF_CAP)


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        """Queue a message unless one with `dedup_key` exists; True when queued now."""
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

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Lease up to `limit` messages due for a try, oldest due first; commit to publish."""
        m = OutboxMessage
        rows = await claim(
            self.session,
            m,
            pending=m.sent_at.is_(None) & m.dead_at.is_(None) & (m.next_attempt_at <= now),
            order_by=m.next_attempt_at,
            now=now,
            limit=limit,
            lease=lease,
            returning=[getattr(m, field.name) for field in fields(OutboxItem)],
        )
        return [OutboxItem(*row) for row in rows]

    async def mark_failed(
        self,
        message_id: int,
        now: datetime,
        error: str,
        retry_after: timedelta | None = None,
        permanent: bool = False,
        max_attempts: int = 8,
    ) -> bool:
        """Schedule the next try (`retry_after` if the platform named one, else backoff), or
        dead-letter it and alert the HR group. True when dead-lettered."""
        message = await self._get(message_id)
        if message.sent_at is not None or message.dead_at is not None:
            return False  # settled meanwhile by a worker whose lease outlived ours
        message.attempts += 1
        message.last_error = error
        message.claimed_until = None
        if not permanent and message.attempts < max_attempts:
            message.next_attempt_at = now + (retry_after or backoff(message.attempts))
            await self.session.flush()
            return False
        message.dead_at = now
        await self.session.flush()
        if message.kind != DEAD_LETTER:  # an alert about an alert would never end
            await self.enqueue(
                tenant_id=message.tenant_id,
                case_id=message.case_id,
                channel=message.channel,
                recipient=HR_GROUP,
                kind=DEAD_LETTER,
                payload=_alert(message, error),
                dedup_key=f"dead:{message.id}",
                now=now,
            )
        return True

    async def for_case(self, case_id: int) -> list[OutboxMessage]:
        query = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        return list((await self.session.scalars(query.order_by(OutboxMessage.id))).all())

    async def _get(self, message_id: int) -> OutboxMessage:
        message = await self.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:
            raise LookupError(f"no outbox message {message_id}")
        return message


class Receipts:
    """The relay's record of what the platforms accepted, on one connection held for a batch.

    Each receipt commits at once (a crash re-sends at most the message in flight), without the
    cost of a unit of work per message: one UPDATE, no read, no new connection.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @classmethod
    async def on(cls, connection: AsyncConnection) -> Receipts:
        """Receipts on `connection`; on PostgreSQL in autocommit, one round trip per receipt.
        (SQLite keeps its transactions: its BEGIN is ours, see storage.db.)"""
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return cls(connection)

    async def sent(self, message_id: int, now: datetime, platform_ref: dict[str, Any]) -> None:
        try:
            await self.connection.execute(_sent(message_id, now, platform_ref))
            await self.connection.commit()
        except BaseException:
            await self.connection.rollback()
            raise


def _sent(message_id: int, now: datetime, platform_ref: dict[str, Any]) -> Update:
    m = OutboxMessage.__table__.c
    return (update(OutboxMessage.__table__).where(m.id == message_id)
            .values(sent_at=now, platform_ref=platform_ref, attempts=m.attempts + 1, claimed_until=None))


def _alert(failed: OutboxMessage, error: str) -> dict[str, Any]:
    """The HR alert in the outbox's message shape, so every channel renders it like any card."""
    params = {"kind": failed.kind, "failed_id": failed.id, "error": error[:300]}
    return {
        "kind": DEAD_LETTER, "recipient": HR_GROUP, "locale": DEFAULT_LOCALE,
        "case_ref": (failed.payload or {}).get("case_ref"), "case_version": None, "actions": [],
        "data": {"title": t("notice.dead_letter.title", DEFAULT_LOCALE),
                 "text": t("notice.dead_letter.text", DEFAULT_LOCALE, **params), "fields": [],
                 **params},
    }
