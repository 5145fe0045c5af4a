"""Inbound dedup: a platform delivery id is handled once; its retries change nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery
from storage.sql import insert_if_absent


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, delivery_id: str, now: datetime) -> bool:
        """True the first time `delivery_id` is seen (committed with the work it caused)."""
        values = {"delivery_id": delivery_id, "received_at": now}
        return await insert_if_absent(self.session, InboundDelivery, values, ["delivery_id"])
