"""The webhook subscriptions of each tenant: which systems hear of which case events."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebhookSubscription


class WebhookSubscriptions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, subscription: WebhookSubscription) -> WebhookSubscription:
        self.session.add(subscription)
        await self.session.flush()
        return subscription

    async def get(self, subscription_id: int) -> WebhookSubscription | None:
        return await self.session.get(WebhookSubscription, subscription_id)

    async def by_name(self, tenant_id: int, name: str) -> WebhookSubscription | None:
        return await self.session.scalar(select(WebhookSubscription).where(
            WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.name == name))

    async def for_tenant(self, tenant_id: int) -> list[WebhookSubscription]:
        query = select(WebhookSubscription).where(WebhookSubscription.tenant_id == tenant_id)
        return list((await self.session.scalars(query.order_by(WebhookSubscription.id))).all())

    async def remove(self, subscription_id: int) -> None:
        await self.session.execute(delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id))
