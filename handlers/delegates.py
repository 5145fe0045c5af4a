"""Delegates: a manager or HR member who is away names a colleague until a day (`delegate @x until
2027-01-10`, `delegate off`); `stand_ins` is the one place a person's cards and reminders are
turned to their delegate. What the delegate may do is casefile.parties_of's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.casefile import DELEGABLE, about_them, is_hr, parties_of
from handlers.context import Ctx, person_recipient
from handlers.contracts import Message, Reply
from handlers.open_case import resolve_person
from handlers.refusal import Refused
from storage.models import Person
from workflow.availability import DELEGATION_MAX_DAYS, delegation_end, delegation_fault
from workflow.case import Case
from workflow.i18n import normalise_locale, t
from workflow.model import Role

MAY_DELEGATE = frozenset({Role.MANAGER.value, Role.HR.value, Role.HR_LEAD.value})


def delegate_of(person: Person, now: datetime) -> int | None:
    """The id of `person`'s delegate while their delegation runs, else None."""
    if person.delegate_id is None or person.delegate_until is None or person.delegate_until <= now:
        return None
    return person.delegate_id


async def stand_ins(ctx: Ctx, case: Case, people: Sequence[Person]) -> list[tuple[Person, Person | None]]:
    """Who receives what is meant for each of `people`: their active delegate (with the person they
    stand in for), or the person themselves when they have none, or when the case is about the
    delegate (they never see it). Each recipient once, in order."""
    out: dict[int, tuple[Person, Person | None]] = {}
    for person in people:
        delegate_id = delegate_of(person, ctx.now)
        delegate = await ctx.uow.people.get(delegate_id) if delegate_id else None
        if delegate is None or not delegate.active or about_them(case, delegate):
            out.setdefault(person.id, (person, None))
        else:
            out.setdefault(delegate.id, (delegate, person))
    return list(out.values())


async def handle(ctx: Ctx) -> Reply:
    """Set or end the asker's delegation."""
    actor = ctx.actor
    assert actor is not None
    if not actor.role_set & MAY_DELEGATE:
        raise Refused("h.delegate.not_allowed")
    if ctx.inbound.args.get("off"):
        return await _off(ctx, actor)
    delegate = await resolve_person(ctx, str(ctx.inbound.args.get("delegate", "")))
    until = date.fromisoformat(str(ctx.inbound.args["until"]))  # the router read it as a date
    tz = ZoneInfo(ctx.tenant.timezone)
    fault = delegation_fault(until, ctx.now.astimezone(tz).date())
    if fault is not None:
        raise Refused({"past": "h.delegate.past", "too_long": "h.delegate.too_long"}[fault],
                      days=DELEGATION_MAX_DAYS)
    if delegate.id == actor.id:
        raise Refused("h.delegate.self")
    if not delegate.active:
        raise Refused("h.unknown_person", who=str(ctx.inbound.args.get("delegate", "")))
    if is_hr(actor) and not is_hr(delegate):
        # HR cards carry pay and protected status: only another HR member may hold them.
        raise Refused("h.delegate.not_hr", name=delegate.name)
    if delegate_of(delegate, ctx.now) is not None:
        raise Refused("h.delegate.away", name=delegate.name)
    for case in await ctx.uow.cases.open_cases(ctx.tenant.id):
        if parties_of(case, actor) & DELEGABLE and about_them(case, delegate):
            raise Refused("h.delegate.subject", name=delegate.name, ref=case.ref)
    await ctx.uow.people.delegate(actor, delegate.id, delegation_end(until, tz))
    ctx.reply("delegate", t("h.delegate.set.title", ctx.locale),
              t("h.delegate.set.text", ctx.locale, name=delegate.name, until=until.isoformat()))
    loc = normalise_locale(delegate.locale)
    await _tell(ctx, delegate, "set", t("h.delegate.told.title", loc),
                t("h.delegate.told.text", loc, name=actor.name, until=until.isoformat()))
    return Reply(ok=True)


async def _off(ctx: Ctx, actor: Person) -> Reply:
    delegate_id = delegate_of(actor, ctx.now)
    if delegate_id is None:
        raise Refused("h.delegate.none")
    delegate = await ctx.uow.people.get(delegate_id)
    await ctx.uow.people.delegate(actor, None, None)
    name = delegate.name if delegate else "—"
    ctx.reply("delegate", t("h.delegate.off.title", ctx.locale), t("h.delegate.off.text", ctx.locale, name=name))
    if delegate is not None:
        loc = normalise_locale(delegate.locale)
        await _tell(ctx, delegate, "off", t("h.delegate.ended.title", loc),
                    t("h.delegate.ended.text", loc, name=actor.name))
    return Reply(ok=True)


async def _tell(ctx: Ctx, person: Person, change: str, title: str, text: str) -> None:
    assert ctx.actor is not None
    message = Message(kind="delegate", recipient=person_recipient(person), locale=normalise_locale(person.locale),
                      data={"title": title, "text": text, "fields": []})
    # One notice per change: the same delegation set twice is told twice, at its own time.
    await ctx.send(message, case=None,
                   dedup_key=f"delegate:{change}:{ctx.actor.id}:{person.id}:{ctx.now.isoformat()}")
