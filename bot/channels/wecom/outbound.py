"""Queueing WeCom work in the outbox: replies to the asker, card updates, media fetches.

Every call to WeCom goes through the outbox, so a failed call is retried with backoff and, in
the end, dead-lettered with an HR alert. Rows are keyed by the callback's delivery id: a WeCom
retry queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.wecom.config import WeComConfig
from handlers.contracts import Message, Reply, to_payload
from storage.models import Tenant
from storage.outbox import Queued
from storage.uow import UnitOfWork
from workflow.clock import Clock

CHANNEL = "wecom"
# Outbox kinds that are WeCom work rather than a message to render.
UPDATE_CARD = "wecom.update_card"
FETCH_MEDIA = "wecom.fetch_media"
USER_PREFIX = "wecom:"


def user_recipient(user_id: str) -> str:
    """Addresses a WeCom member directly (someone the directory may not know)."""
    return f"{USER_PREFIX}{user_id}"


@dataclass(frozen=True)
class Row:
    recipient: str
    kind: str
    payload: dict[str, Any]
    dedup_key: str


def message_row(message: Message, fallback_recipient: str, dedup_key: str) -> Row:
    """A message for the asker; handler replies to someone outside the directory carry no
    recipient, so they go to the WeCom user who wrote."""
    recipient = message.recipient or fallback_recipient
    payload = {**to_payload(message), "recipient": recipient}
    return Row(recipient, message.kind, payload, dedup_key)


def reply_rows(reply: Reply, user_id: str, delivery_id: str) -> list[Row]:
    return [message_row(message, user_recipient(user_id), f"wecom:reply:{delivery_id}:{n}")
            for n, message in enumerate(reply.messages)]


class Outbound:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], config: WeComConfig,
                 clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.config = config
        self.clock = clock

    async def queue(self, rows: Sequence[Row]) -> None:
        """All rows in one transaction (rows already queued under their key are skipped)."""
        if not rows:
            return
        async with self.uow_factory() as uow:
            await self.write(uow, rows)
            await uow.commit()

    async def write(self, uow: UnitOfWork, rows: Sequence[Row], tenant: Tenant | None = None) -> None:
        """The rows in `uow`'s transaction (one already queued under its key is skipped), for
        `tenant` when the caller has this corp's at hand."""
        if not rows:
            return
        if tenant is None or tenant.key != self.config.tenant_key:
            # Someone may write before the directory is loaded: the workspace starts here then.
            tenant = await uow.tenants.get_or_create(
                self.config.tenant_key, timezone=self.config.timezone, city=self.config.city
            )
        await uow.outbox.enqueue_many([
            Queued(tenant_id=tenant.id, case_id=None, channel=CHANNEL, recipient=row.recipient, kind=row.kind,
                   payload=row.payload, dedup_key=row.dedup_key) for row in rows], self.clock.now())
