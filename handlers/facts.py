"""HR records and confirms the facts the law needs (hire date, wages, protected statuses …)."""

from __future__ import annotations

from handlers.assessment import FactError, case_facts, known_fact_keys, missing_facts, parse_fact
from handlers.casefile import is_hr, load_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.transition import audit, rearm_timers, refuse_if_stale
from handlers.views import hr_review_card
from handlers.webhooks import announce
from workflow.actions import BY_NAME
from workflow.compliance import InvalidFacts
from workflow.i18n import t
from workflow.model import State
from workflow.webhooks import Event

# Where facts may change is the spec's (after approval they are part of what the employee is
# shown; they change only by revision); "facts" and "confirm_facts" share it.
FACTS = BY_NAME["facts"]


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if not is_hr(ctx.actor) or (ctx.actor is not None and ctx.actor.id == case.employee_id):
        raise Refused(FACTS.refuse_party, case=case, audit=FACTS.name)
    await refuse_if_stale(ctx, case)
    if FACTS.step(State(case.state)) is None:
        raise Refused(FACTS.refuse_state, case=case, ref=case.ref)
    raw: dict[str, str] = dict(ctx.inbound.args.get("facts") or {})
    # Popped whatever the command: typed "confirm_facts" carries confirm=yes among the facts.
    flagged = str(raw.pop("confirm", "")).lower() in {"yes", "true", "1", "是"}
    confirm = ctx.inbound.name == "confirm_facts" or flagged
    updates = {}
    for key, value in raw.items():
        if key not in known_fact_keys():
            raise Refused("h.facts_bad", case=case, key=key, value=value, why=", ".join(known_fact_keys()))
        try:
            updates[key] = parse_fact(key, str(value))
        except FactError as err:
            raise Refused("h.facts_bad", case=case, key=err.key, value=err.value, why=err.why) from err
    case.facts = case.facts.updated(updates)
    try:  # facts that parse one by one may still not describe a real case together
        case_facts(case, ctx.deps, ctx.tenant.city)
    except InvalidFacts as error:
        raise Refused(f"compliance.invalid.{error.code}", case=case, **error.params) from error
    if confirm:
        gaps = missing_facts(case)
        if gaps:
            raise Refused("h.facts_missing", case=case, missing=", ".join(gaps), ref=case.ref)
    # Any change un-confirms: HR confirms the facts as they finally stand.
    case.facts_confirmed = confirm or (case.facts_confirmed and not updates)
    case.touch(ctx.now)
    await audit(ctx, case, "facts", payload={"set": updates, "confirmed": case.facts_confirmed})
    await rearm_timers(ctx, case)
    await announce(ctx, case, [Event.LAST_DAY_SET] if "last_day" in updates else [])
    card = await hr_review_card(ctx, case, ctx.actor)  # type: ignore[arg-type]
    ctx.replies.append(card)
    ctx.reply("facts_saved", t("h.facts_saved.title", ctx.locale, ref=case.ref), case=case)
    return Reply(ok=True)
