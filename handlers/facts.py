"""HR records and confirms the facts the law needs (hire date, wages, protected statuses …)."""

from __future__ import annotations

from handlers.assessment import FactError, case_facts, known_fact_keys, missing_facts, parse_fact
from handlers.casefile import is_hr, load_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.transition import audit, is_stale, rearm_timers, refused, touch
from handlers.views import hr_review_card
from workflow.compliance import InvalidFacts
from workflow.i18n import t
from workflow.model import State

# After approval the facts are part of what the employee is shown; they change only by revision.
_EDITABLE = {State.COLLECTING_EVIDENCE, State.HR_REVIEW, State.DISPUTED, State.ESCALATED}


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if case is None:
        return Reply(ok=False)
    if not is_hr(ctx.actor) or (ctx.actor is not None and ctx.actor.id == case.employee_id):
        ctx.refuse("h.facts_only_hr", case=case)
        refused(ctx, case, "facts")
        return Reply(ok=False)
    if await is_stale(ctx, case):
        return Reply(ok=False)
    if State(case.state) not in _EDITABLE:
        ctx.refuse("h.facts_locked", case=case, ref=case.ref)
        return Reply(ok=False)
    raw: dict[str, str] = dict(ctx.inbound.args.get("facts") or {})
    # Popped whatever the command: typed "confirm_facts" carries confirm=yes among the facts.
    flagged = str(raw.pop("confirm", "")).lower() in {"yes", "true", "1", "是"}
    confirm = ctx.inbound.name == "confirm_facts" or flagged
    updates = {}
    for key, value in raw.items():
        if key not in known_fact_keys():
            ctx.refuse("h.facts_bad", case=case, key=key, value=value,
                       why=", ".join(known_fact_keys()))
            return Reply(ok=False)
        try:
            updates[key] = parse_fact(key, str(value))
        except FactError as err:
            ctx.refuse("h.facts_bad", case=case, key=err.key, value=err.value, why=err.why)
            return Reply(ok=False)
    case.facts = {**case.facts, **updates}
    try:  # facts that parse one by one may still not describe a real case together
        case_facts(case, ctx.deps, ctx.tenant.city)
    except InvalidFacts as error:
        ctx.reply("refusal", t("h.refused", ctx.locale), error.message(ctx.locale), case=case)
        return Reply(ok=False)
    if confirm:
        gaps = missing_facts(case)
        if gaps:
            ctx.refuse("h.facts_missing", case=case, missing=", ".join(gaps), ref=case.ref)
            return Reply(ok=False)
    # Any change un-confirms: HR confirms the facts as they finally stand.
    case.facts_confirmed = confirm or (case.facts_confirmed and not updates)
    touch(case, ctx.now)
    await audit(ctx, case, "facts", payload={"set": updates, "confirmed": case.facts_confirmed})
    await rearm_timers(ctx, case)
    card = await hr_review_card(ctx, case, ctx.actor)  # type: ignore[arg-type]
    ctx.replies.append(card)
    ctx.reply("facts_saved", t("h.facts_saved.title", ctx.locale, ref=case.ref), case=case)
    return Reply(ok=True)
