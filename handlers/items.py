"""Ticking off a handover item: the item's owner presses Done; the case closes itself once every
item is done and the certificate issued (the spec's follow-up, in handlers/service.py)."""

from __future__ import annotations

from dataclasses import replace

from handlers.casefile import asker_parties, load_case, not_on_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.service import run
from handlers.views import local_time
from workflow.actions import BY_TRIGGER
from workflow.model import Party, Trigger


async def complete(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    raw = str(ctx.inbound.args.get("item", "")).strip()
    # Items are numbered 1..n within the case (handlers.handover.item_number), in id order.
    items = await ctx.uow.handover.for_case(case.id)
    owns_one = any(asker_parties(ctx, case, item_owner_id=i.owner_id) & {Party.ASSIGNEE} for i in items)
    if not owns_one and not asker_parties(ctx, case):
        raise not_on_case(case, Trigger.COMPLETE_ITEM.value)
    number = int(raw) if raw.isdigit() else 0
    if not 1 <= number <= len(items):
        raise Refused("h.item_unknown", case=case, ref=case.ref, id=raw, count=len(items))
    item = items[number - 1]
    if item.done_at is not None:
        raise Refused("h.item_already", case=case, when=local_time(ctx, item.done_at, ctx.actor))
    if Party.ASSIGNEE not in asker_parties(ctx, case, item_owner_id=item.owner_id):
        owner = await ctx.uow.people.get(item.owner_id)
        raise Refused("h.item_not_owner", case=case, audit=Trigger.COMPLETE_ITEM.value,
                      payload={"item_id": item.id}, owner=owner.name if owner else "—")
    # Owners tick items in parallel; each press is about its own item, which is checked above,
    # so another owner's tick (a new case version) must not make this card "out of date".
    ctx.inbound = replace(ctx.inbound, case_version=None)
    return await run(ctx, BY_TRIGGER[Trigger.COMPLETE_ITEM], case=case, item=item,
                     payload={"item_id": item.id, "kind": item.kind})
