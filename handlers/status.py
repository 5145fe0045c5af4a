"""Status: the asker's cases, or one case with its timeline (for the people on that case)."""

from __future__ import annotations

from handlers.casefile import asker_parties, is_hr, load_case, not_on_case, parties_of
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.views import case_card, ground_text, local_time, zone_name, zoned_time
from workflow.i18n import has, t


async def handle(ctx: Ctx) -> Reply:
    assert ctx.actor is not None
    if ctx.inbound.case_ref:
        return await _one(ctx)
    mine = [c for p in (ctx.actor, *ctx.principals) for c in await ctx.uow.cases.for_person(p.id)]
    cases = list({c.id: c for c in mine if parties_of(c, ctx.actor, principals=ctx.principals)}.values())
    if is_hr(ctx.actor):
        seen = {c.id for c in cases}
        cases += [c for c in await ctx.uow.cases.open_cases(ctx.tenant.id) if c.id not in seen]
    lines = []
    for case in sorted(cases, key=lambda c: c.ref):
        employee = await ctx.uow.people.get(case.employee_id)
        lines.append(t("h.status.line", ctx.locale, ref=case.ref, name=employee.name if employee else "—",
                       ground=ground_text(case, ctx.locale), state=t(f"state.{case.state}", ctx.locale)))
    ctx.reply("status", t("h.status.title", ctx.locale), "\n".join(lines) or t("h.status.empty", ctx.locale))
    return Reply(ok=True)


def _action(action: str, locale: str) -> str:
    """Timeline verbs in the reader's language where the catalogue has them ("reminder:…" too)."""
    head, _, detail = action.partition(":")
    tagged = head in ("reminder", "refused")
    name = detail or head if tagged else head
    # A button's label says what to do ("Add evidence"); an event that happened says what was
    # done, where the two differ. A refused attempt keeps the button's words.
    keys = (f"action.{name}",) if tagged else (f"h.timeline.action.{name}", f"action.{name}")
    key = next((k for k in keys if has(k)), None)
    label = t(key, locale) if key else name
    if not tagged:
        return label
    return t("h.timeline.tagged", locale, tag=t(f"h.timeline.{head}", locale), label=label)


async def _one(ctx: Ctx) -> Reply:
    case = await load_case(ctx, for_update=False)
    if not asker_parties(ctx, case):
        # Not theirs to see: answer as if it did not exist (no leaking of who is being let go).
        raise not_on_case(case, "status")
    events = await ctx.uow.audit.for_case(case.id)
    # The asker's own clock, its offset today named once in the heading; a line from the other side
    # of a clock change names its own.
    tz = ctx.zone_of(ctx.actor)
    offset = zone_name(ctx.now.astimezone(tz))
    lines = []
    for event in events:
        who = (await ctx.uow.people.get(event.actor_id)).name if event.actor_id else t("h.system", ctx.locale)
        if principal := (event.payload or {}).get("acting_for"):
            who = t("h.delegate.acting", ctx.locale, delegate=who, principal=principal["name"])
        moved = event.to_state and event.from_state != event.to_state
        move = (f" {t(f'state.{event.from_state}', ctx.locale) if event.from_state else ''} → "
                f"{t(f'state.{event.to_state}', ctx.locale)}" if moved else "")
        same = zone_name(event.at.astimezone(tz)) == offset
        when = local_time(ctx, event.at, ctx.actor) if same else zoned_time(ctx, event.at, ctx.locale, ctx.actor)
        lines.append(f"{when} · {who} · {_action(event.action, ctx.locale)}{move}")
    card = await case_card(ctx, case, ctx.actor)
    ctx.replies.append(card)
    title = t("h.timeline.heading", ctx.locale, ref=case.ref, zone=offset)
    ctx.reply("timeline", title, "\n".join(lines), case=case)
    return Reply(ok=True)
