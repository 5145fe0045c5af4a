"""The IT system's signed callback: a handover item it is responsible for (accounts revoked) is
completed as if its owner had pressed Done, and the audit event names the subscription.

The request is signed like the webhooks it receives (Standard Webhooks, the subscription's secret,
a 5-minute timestamp window); its webhook-id is kept, so a replay changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from handlers.context import Ctx
from handlers.contracts import Inbound
from handlers.deps import Deps
from handlers.refusal import Refused
from handlers.service import run
from handlers.webhooks import CHANNEL
from storage.models import WebhookSubscription
from storage.uow import UnitOfWork
from workflow.actions import BY_TRIGGER
from workflow.model import Trigger
from workflow.webhooks import SignatureError, verify


class CallbackResult(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"
    REPEATED = "repeated"  # this webhook-id was handled before
    UNAUTHORIZED = "unauthorized"  # no subscription's secret verifies it (or it is stale)
    NOT_FOUND = "not_found"  # no such case or item
    NOT_ALLOWED = "not_allowed"  # the subscription may not complete this item
    REFUSED = "refused"  # the workflow said no (e.g. the case is not in handover)


@dataclass(frozen=True)
class Callback:
    tenant_key: str
    case_ref: str
    item: str  # the item's kind (account_revocation) or its id
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def _signed_by(subscriptions: Iterable[WebhookSubscription], callback: Callback,
               now: datetime) -> tuple[WebhookSubscription, str] | None:
    for subscription in subscriptions:
        try:
            return subscription, verify(subscription.secret, callback.headers, callback.body, now)
        except (SignatureError, ValueError):
            continue
    return None


async def complete_from_callback(uow_factory: Callable[[], UnitOfWork], deps: Deps,
                                 callback: Callback) -> CallbackResult:
    """Complete a handover item because the system responsible says it is done, as the item's
    owner would by pressing Done; the audit event names the subscription that called."""
    now = deps.clock.now()
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(callback.tenant_key)
        signed = _signed_by(await uow.webhooks.for_tenant(tenant.id), callback, now) if tenant else None
        if tenant is None or signed is None:
            return CallbackResult.UNAUTHORIZED
        subscription, msg_id = signed
        case = await uow.cases.by_ref(tenant.id, callback.case_ref, for_update=True)
        items = await uow.handover.for_case(case.id) if case else []
        item = next((i for i in items if callback.item in (i.kind, str(i.id))), None)
        if case is None or item is None:
            return CallbackResult.NOT_FOUND
        if item.kind not in subscription.completes:
            return CallbackResult.NOT_ALLOWED
        if not await uow.inbound.record(f"webhook:{subscription.id}:{msg_id}", now):
            return CallbackResult.REPEATED
        if item.done_at is not None:
            await uow.commit()
            return CallbackResult.ALREADY_DONE
        owner = await uow.people.get(item.owner_id)
        inbound = Inbound(platform=CHANNEL, platform_tenant=tenant.key, user_id=f"subscription.{subscription.name}",
                          name=Trigger.COMPLETE_ITEM.value, case_ref=case.ref, delivery_id=msg_id)
        ctx = Ctx(uow=uow, deps=deps, inbound=inbound, actor=owner, tenant=tenant, now=now)
        try:
            await run(ctx, BY_TRIGGER[Trigger.COMPLETE_ITEM], case=case, item=item,
                      payload={"item_id": item.id, "kind": item.kind, "via": CHANNEL,
                               "subscription": subscription.name, "webhook_id": msg_id})
        except Refused:
            return CallbackResult.REFUSED  # nothing of it is kept: the unit of work rolls back
        await uow.commit()
        return CallbackResult.DONE
