"""The handover checklist: created from the template when the separation is settled, ticked off by
each item's owner; the case closes itself once every item is done and the certificate issued."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from handlers.casefile import load_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.notify import announce
from handlers.transition import fire, refused
from handlers.views import local_time, message_for
from storage.models import Case, HandoverItem, Person
from workflow.handover import due_at
from workflow.i18n import t
from workflow.model import Role, State, Trigger

_ROLE_OWNERS = {"it": Role.IT, "admin": Role.ADMIN, "finance": Role.FINANCE, "hr": Role.HR}


def termination_date(ctx: Ctx, case: Case) -> date:
    last_day = case.facts.get("last_day")
    return date.fromisoformat(last_day) if last_day else ctx.deps.calendar.local_date(ctx.now)


async def _owner(ctx: Ctx, case: Case, role: str) -> Person:
    """Who owns an item: the manager for the work handover, else the first person with the role,
    falling back to the HR member who approved (someone always owns every item)."""
    if role == "successor":
        return await ctx.uow.people.get(case.data.get("successor_id") or case.manager_id)
    approver = case.data.get("approved_by")
    if role == "hr" and approver:
        return await ctx.uow.people.get(approver)
    people = await ctx.uow.people.with_role(case.tenant_id, _ROLE_OWNERS[role].value)
    if people:
        return people[0]
    if approver:
        return await ctx.uow.people.get(approver)
    return (await ctx.uow.people.with_role(case.tenant_id, Role.HR.value))[0]


async def create_items(ctx: Ctx, case: Case) -> None:
    """Called inside the transition into handover: one row per template item, owners told."""
    end = termination_date(ctx, case)
    employee = await ctx.uow.people.get(case.employee_id)
    for template_item in ctx.deps.handover_template:
        owner = await _owner(ctx, case, template_item.owner_role)
        item = await ctx.uow.handover.add(HandoverItem(
            case_id=case.id, kind=template_item.key, owner_id=owner.id,
            due_at=due_at(template_item, end, ctx.deps.calendar),
        ))
        await send_item_card(ctx, case, item, owner, employee)


async def send_item_card(ctx: Ctx, case: Case, item: HandoverItem, owner: Person,
                         employee: Person | None) -> None:
    label = t(f"handover.{item.kind}", owner.locale)
    message = message_for(
        case, owner, "handover_item", t("h.item.title", owner.locale, item=label, ref=case.ref),
        t("h.item.text", owner.locale, name=employee.name if employee else "—",
          due=local_time(ctx, item.due_at), ref=case.ref, id=item.id),
        [], ("complete_item",),
    )
    # The Done button carries the item id, so a press needs nothing typed.
    message.data["item"] = item.id
    await ctx.send(message, case=case, dedup_key=f"item:{item.id}:card")


async def complete(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if case is None:
        return Reply(ok=False)
    raw = str(ctx.inbound.args.get("item", "")).strip()
    items = {str(i.id): i for i in await ctx.uow.handover.for_case(case.id)}
    item = items.get(raw)
    if item is None:
        ctx.refuse("h.item_unknown", case=case, ref=case.ref, id=raw)
        return Reply(ok=False)
    if item.done_at is not None:
        ctx.refuse("h.item_already", case=case, when=local_time(ctx, item.done_at))
        return Reply(ok=False)
    if ctx.actor is None or ctx.actor.id != item.owner_id:
        owner = await ctx.uow.people.get(item.owner_id)
        ctx.refuse("h.item_not_owner", case=case, owner=owner.name if owner else "—")
        refused(ctx, case, "complete_item", item_id=item.id)
        return Reply(ok=False)

    # Owners tick items in parallel; each press is about its own item, which is checked above,
    # so another owner's tick (a new case version) must not make this card "out of date".
    ctx.inbound = replace(ctx.inbound, case_version=None)

    async def tick(case: Case, _decision: object) -> None:
        item.done_at, item.done_by_id = ctx.now, ctx.actor.id if ctx.actor else None

    decision = await fire(ctx, case, Trigger.COMPLETE_ITEM, item_owner_id=item.owner_id,
                          item_owned=True, payload={"item_id": item.id, "kind": item.kind},
                          effects=tick)
    if decision is None:
        return Reply(ok=False)
    ctx.reply("item_done", t("h.done", ctx.locale),
              t("h.item_done", ctx.locale, item=t(f"handover.{item.kind}", ctx.locale)), case=case)
    await finish_if_done(ctx, case)
    return Reply(ok=True)


async def finish_if_done(ctx: Ctx, case: Case) -> None:
    """Close the case as the system once the last item (and the certificate) is done."""
    items = await ctx.uow.handover.for_case(case.id)
    if case.state != State.HANDOVER or any(i.done_at is None for i in items):
        return
    # The system finishes, and not by a card press: no freshness check against the asker's card.
    system = Ctx(uow=ctx.uow, deps=ctx.deps, inbound=replace(ctx.inbound, case_version=None),
                 actor=None, tenant=ctx.tenant, now=ctx.now)
    decision = await fire(system, case, Trigger.FINISH)
    if decision is not None:
        await announce(system, case, decision)
    ctx.replies.extend(system.replies)
