"""The webhook subscriptions repository, the same on SQLite, PostgreSQL and the in-memory unit of work."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from storage.models import WebhookSubscription
from tests.storage.data import NOW
from tests.storage.test_memory_uow import Factory, same_on_both


def subscription(tenant_id: int, name: str, **extra: Any) -> WebhookSubscription:
    return WebhookSubscription(tenant_id=tenant_id, name=name, url=f"https://{name}.example/hook",
                               secret="whsec_c2VjcmV0", events=["case.closed"], created_at=NOW, **extra)


async def test_add_find_list_and_remove(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            acme = await uow.tenants.get_or_create("slack:T1")
            other = await uow.tenants.get_or_create("slack:T2")
            it = await uow.webhooks.add(subscription(acme.id, "it", fields=["item"], completes=["account_revocation"]))
            await uow.webhooks.add(subscription(acme.id, "payroll"))
            await uow.webhooks.add(subscription(other.id, "it"))
            await uow.commit()
        async with factory() as uow:
            found = await uow.webhooks.by_name(acme.id, "it")
            seen = (found.id == it.id, found.fields, found.completes, await uow.webhooks.by_name(acme.id, "nope"))
            await uow.webhooks.remove(it.id)
            await uow.rollback()  # a removal not committed is not kept
        async with factory() as uow:
            kept = [s.name for s in await uow.webhooks.for_tenant(acme.id)]
            await uow.webhooks.remove(it.id)
            await uow.commit()
        async with factory() as uow:
            left = [(s.tenant_id == acme.id, s.name) for s in await uow.webhooks.for_tenant(acme.id)]
            gone = await uow.webhooks.get(it.id)
            elsewhere = [s.name for s in await uow.webhooks.for_tenant(other.id)]
        return seen, kept, left, gone, elsewhere

    assert await same_on_both(scenario, uow_factory) == (
        (True, ["item"], ["account_revocation"], None), ["it", "payroll"], [(True, "payroll")], None, ["it"])


async def test_a_name_is_unique_within_a_tenant(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            acme = await uow.tenants.get_or_create("slack:T1")
            await uow.webhooks.add(subscription(acme.id, "it"))
            await uow.commit()
        async with factory() as uow:
            with pytest.raises(IntegrityError):
                await uow.webhooks.add(subscription(acme.id, "it"))
                await uow.commit()
        return True

    assert await same_on_both(scenario, uow_factory)
