"""A person's home view: the cases they manage, what they have to do, and — for HR — the queue of
open cases, overdue first. Read-only; each entry carries the buttons its reader may press now."""

from __future__ import annotations

from collections.abc import Callable

from handlers.casefile import about_them, is_hr
from handlers.context import Ctx, person_recipient
from handlers.contracts import Inbound, Message
from handlers.deps import Deps
from handlers.handover import item_number
from handlers.views import buttons_for, deadline_time, ground_text
from storage.models import HandoverItem
from storage.uow import UnitOfWork
from workflow.case import Case
from workflow.i18n import t
from workflow.model import Role

SECTION = "home_section"
CASE = "home_case"
ITEM = "home_item"


def _section(ctx: Ctx, key: str) -> Message:
    return Message(kind=SECTION, recipient="", locale=ctx.locale,
                   data={"title": t(key, ctx.locale), "text": "", "fields": []})


def _empty(ctx: Ctx) -> Message:
    return Message(kind=SECTION, recipient="", locale=ctx.locale,
                   data={"title": "", "text": t("home.empty", ctx.locale), "fields": []})


async def overdue(ctx: Ctx, case: Case) -> bool:
    """A deadline passed in the case's current state (a reminder fired), or a handover item is late."""
    items = await ctx.uow.handover.for_case(case.id)
    if any(i.done_at is None and i.due_at <= ctx.now for i in items):
        return True
    events = await ctx.uow.audit.for_case(case.id)
    return any(e.action.startswith("reminder:") and e.at >= case.state_entered_at for e in events)


async def _case_entry(ctx: Ctx, case: Case, *, late: bool, title_key: str = "home.case") -> Message:
    assert ctx.actor is not None
    employee = await ctx.uow.people.get(case.employee_id)
    state = t(f"state.{case.state}", ctx.locale)
    text = t("home.case_text", ctx.locale, ground=ground_text(case, ctx.locale), state=state)
    return Message(
        kind=CASE, recipient=person_recipient(ctx.actor), locale=ctx.locale, case_ref=case.ref,
        case_version=case.version, actions=buttons_for(case, ctx.actor, ctx.principals),
        data={"title": t(title_key, ctx.locale, ref=case.ref, name=employee.name if employee else "—"),
              "text": f"{text} · {t('home.overdue', ctx.locale)}" if late else text,
              "fields": [], "state": state},
    )


async def _item_entry(ctx: Ctx, item: HandoverItem) -> Message | None:
    assert ctx.actor is not None
    case = await ctx.uow.cases.get(item.case_id)
    if case is None:
        return None
    employee = await ctx.uow.people.get(case.employee_id)
    text = t("home.item_text", ctx.locale, name=employee.name if employee else "—",
             due=deadline_time(ctx, item.due_at, ctx.locale, ctx.actor))
    late = item.due_at <= ctx.now
    return Message(
        kind=ITEM, recipient=person_recipient(ctx.actor), locale=ctx.locale, case_ref=case.ref,
        case_version=case.version, actions=("complete_item",),
        data={"title": t("home.item", ctx.locale, item=t(f"handover.{item.kind}", ctx.locale),
                         ref=case.ref),
              "text": f"{text} · {t('home.overdue', ctx.locale)}" if late else text,
              "fields": [], "item": await item_number(ctx, item)},
    )


async def _build(ctx: Ctx) -> list[Message]:
    actor = ctx.actor
    assert actor is not None
    uow = ctx.uow
    theirs = [c for c in await uow.cases.for_person(actor.id) if c.closed_at is None]
    managed = [c for c in theirs if c.manager_id == actor.id]
    own = [c for c in theirs if c.employee_id == actor.id]
    items = [i for i in await uow.handover.for_owner(actor.id) if i.done_at is None]
    for principal in ctx.principals:  # a delegate also sees the cases and items they stand in for
        managed += [c for c in await uow.cases.for_person(principal.id) if c.closed_at is None
                    and c.manager_id == principal.id and not about_them(c, actor)]
        items += [i for i in await uow.handover.for_owner(principal.id) if i.done_at is None]
    managed = list({c.id: c for c in managed}.values())
    messages: list[Message] = []
    if managed or Role.MANAGER.value in actor.role_set:
        messages.append(_section(ctx, "home.mine"))
        messages += [await _case_entry(ctx, c, late=await overdue(ctx, c)) for c in managed]
        if not managed:
            messages.append(_empty(ctx))
    messages.append(_section(ctx, "home.items"))
    todo = [await _case_entry(ctx, c, late=False, title_key="home.own_case") for c in own]
    todo += [entry for i in items if (entry := await _item_entry(ctx, i)) is not None]
    messages += todo or [_empty(ctx)]
    if is_hr(actor):
        messages.append(_section(ctx, "home.queue"))
        queue = [c for c in await uow.cases.open_cases(ctx.tenant.id) if c.employee_id != actor.id]
        flagged = [(await overdue(ctx, c), c) for c in queue]
        flagged.sort(key=lambda pair: (not pair[0], pair[1].state_entered_at, pair[1].id))
        messages += [await _case_entry(ctx, c, late=late) for late, c in flagged] or [_empty(ctx)]
    return messages


async def home(uow_factory: Callable[[], UnitOfWork], deps: Deps, platform: str,
               platform_tenant: str, user_id: str) -> tuple[Message, ...] | None:
    """The home view's entries for the account, or None when the directory does not know it."""
    now = deps.clock.now()
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(f"{platform}:{platform_tenant}")
        actor, principals = await uow.people.asking(platform, platform_tenant, user_id, now)
        if tenant is None or actor is None or actor.tenant_id != tenant.id or not actor.active:
            return None
        inbound = Inbound(platform=platform, platform_tenant=platform_tenant, user_id=user_id,
                          name="home")
        ctx = Ctx(uow=uow, deps=deps, inbound=inbound, actor=actor, tenant=tenant, now=now,
                  principals=tuple(principals))
        title = Message(kind=SECTION, recipient="", locale=ctx.locale,
                        data={"title": t("home.title", ctx.locale, name=actor.name), "text": "",
                              "fields": []})
        return (title, *await _build(ctx))
