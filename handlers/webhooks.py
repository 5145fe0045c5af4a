"""Webhooks out: case events queued in the outbox for the systems subscribed to them, in the
transaction that made them happen.

Each subscriber sees the case reference and only the fields its subscription allows; pay and
protected status only when it names them (workflow.webhooks). The relay delivers the rows on the
"webhook" channel (bot/channels/webhook) with the outbox's retries and dead letters; a dead
webhook is told to HR on the tenant's chat channel (`alert_channel`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from handlers.context import Ctx, channel_of
from storage.models import HandoverItem, WebhookSubscription
from storage.outbox import Queued
from workflow.actions import Action
from workflow.case import Case
from workflow.model import State
from workflow.webhooks import Event, events_after, payload

CHANNEL = "webhook"


def message_id(dedup_key: str) -> str:
    """The webhook-id of one event for one subscriber: the same on every retry, so the receiver
    can drop a repeat."""
    return "msg_" + hashlib.sha256(dedup_key.encode()).hexdigest()[:32]


async def _values(ctx: Ctx, case: Case, item: HandoverItem | None) -> dict[str, Any]:
    employee = await ctx.uow.people.get(case.employee_id)
    manager = await ctx.uow.people.get(case.manager_id)
    facts = case.facts
    values: dict[str, Any] = {
        "employee_no": employee.employee_no if employee else None,
        "employee_name": employee.name if employee else None,
        "employee_email": employee.email if employee else None,
        "department": employee.department if employee else None,
        "manager_name": manager.name if manager else None,
        "ground": case.ground, "state": case.state, "outcome": case.outcome,
        "last_day": facts.last_day.isoformat() if facts.last_day else None,
        "avg_wage": str(facts.avg_wage) if facts.avg_wage is not None else None,
        "protections": list(facts.protections) if facts.protections else None,
    }
    if item is not None:
        owner = await ctx.uow.people.get(item.owner_id)
        values.update(item=item.kind, item_due_at=item.due_at.isoformat(), item_owner=owner.name if owner else None)
    return values


async def publish(ctx: Ctx, case: Case, events: Iterable[Event], item: HandoverItem | None = None) -> None:
    """Queue `events` of `case` (about `item`, for handover events) for every subscriber of the
    tenant that wants them."""
    wanted = list(events)
    if not wanted or getattr(ctx.tenant, "has_webhooks", None) is False:
        return
    subscriptions = [s for s in await ctx.uow.webhooks.for_tenant(ctx.tenant.id)
                     if any(e.value in s.events for e in wanted)]
    if not subscriptions:
        return
    values = await _values(ctx, case, item)
    rows = []
    for subscription in subscriptions:
        for event in wanted:
            if event.value not in subscription.events:
                continue
            # Once per subscriber and event occurrence: an item's events once per item, a case's
            # once per case version (and last day set once per date).
            about = f"item:{item.id}" if item is not None else f"v{case.version}:{values['last_day']}"
            key = f"webhook:{subscription.id}:{event.value}:{case.id}:{about}"
            rows.append(Queued(
                tenant_id=ctx.tenant.id, case_id=case.id, channel=CHANNEL, recipient=f"webhook:{subscription.name}",
                kind=event.value, dedup_key=key,
                payload=_row(subscription, key, payload(event, case.ref, ctx.now, values, subscription.fields),
                             case.ref, channel_of(ctx.tenant)),
            ))
    await ctx.uow.outbox.enqueue_many(rows, ctx.now)


def _row(subscription: WebhookSubscription, key: str, body: dict[str, Any], case_ref: str | None,
         alert_channel: str) -> dict[str, Any]:
    return {"subscription_id": subscription.id, "webhook_id": message_id(key), "body": body,
            "case_ref": case_ref, "alert_channel": alert_channel}


async def publish_item_due(ctx: Ctx, case: Case, item_id: int) -> None:
    item = await ctx.uow.handover.get(item_id)
    if item is not None and item.done_at is None:
        await publish(ctx, case, [Event.ITEM_DUE], item)


async def publish_action(ctx: Ctx, case: Case, action: Action, from_state: State,
                          item: HandoverItem | None) -> None:
    """The events a workflow action just made happen (handlers.service runs every action)."""
    await publish(ctx, case, events_after(action.name, from_state.value, case.state), item)
