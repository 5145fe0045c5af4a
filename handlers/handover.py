"""The handover checklist: created from the template when the separation is settled, each item's
owner told (ticking an item off is handlers/items.py)."""

from __future__ import annotations

from datetime import date

from handlers.context import Ctx
from handlers.views import deadline_time, message_for
from storage.models import HandoverItem, Person
from workflow.case import Case
from workflow.handover import due_at
from workflow.i18n import t
from workflow.model import Role

_ROLE_OWNERS = {"it": Role.IT, "admin": Role.ADMIN, "finance": Role.FINANCE, "hr": Role.HR}


def termination_date(ctx: Ctx, case: Case) -> date:
    return case.facts.last_day or ctx.deps.calendar.local_date(ctx.now)


async def _owner(ctx: Ctx, case: Case, role: str) -> Person:
    """Who owns an item: the manager for the work handover, else the first person with the role,
    falling back to the HR member who approved (someone always owns every item)."""
    if role == "successor":
        return await ctx.uow.people.get(case.record.successor_id or case.manager_id)
    approver = case.record.approved_by
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


async def item_number(ctx: Ctx, item: HandoverItem) -> int:
    """The item's number within its case (1..n, in the order the items were made): what cards
    show and commands take; the row id never reaches a person."""
    items = await ctx.uow.handover.for_case(item.case_id)
    return next(n for n, each in enumerate(items, start=1) if each.id == item.id)


async def send_item_card(ctx: Ctx, case: Case, item: HandoverItem, owner: Person,
                         employee: Person | None) -> None:
    locale = ctx.locale_of(owner)
    label = t(f"handover.{item.kind}", locale)
    number = await item_number(ctx, item)
    message = message_for(
        case, owner, "handover_item", t("h.item.title", locale, item=label, ref=case.ref),
        t("h.item.text", locale, name=employee.name if employee else "—",
          due=deadline_time(ctx, item.due_at, locale, owner), ref=case.ref, id=number),
        [], ("complete_item",), locale=locale,
    )
    # The Done button carries the item's number, so a press needs nothing typed.
    message.data["item"] = number
    await ctx.send(message, case=case, dedup_key=f"item:{item.id}:card")
