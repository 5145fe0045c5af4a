"""HR records and confirms the facts the law needs (hire date, wages, protected statuses …)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.assessment import FactError, assess, case_facts, company_union, known_fact_keys, missing_facts, parse_fact
from handlers.casefile import asker_parties, is_hr, load_case, not_on_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.document import issue_document
from handlers.refusal import Refused
from handlers.transition import audit, rearm_timers, refuse_if_stale
from handlers.views import employee_card, hr_review_card, message_for
from handlers.webhooks import publish
from workflow.actions import BY_NAME
from workflow.case import Case, Facts
from workflow.compliance import InvalidFacts
from workflow.fact_words import fact_label, fact_names, fact_value
from workflow.i18n import t
from workflow.model import State
from workflow.webhooks import Event

# Where facts may change is the spec's (after approval they are part of what the employee is
# shown; they change only by revision); "facts" and "confirm_facts" share it.
FACTS = BY_NAME["facts"]


def _refuse_a_past_last_day(ctx: Ctx, case: Case, updates: dict[str, object]) -> None:
    """A last day before today is a typing mistake unless HR marks the case as recording a past
    separation (past_separation=yes); checked when either is entered, so later edits of other facts
    are not refused because time has passed."""
    if not {"last_day", "past_separation"} & updates.keys():
        return
    last_day, today = case.facts.last_day, ctx.now.astimezone(ZoneInfo(ctx.tenant.timezone)).date()
    if last_day is not None and last_day < today and not case.facts.past_separation:
        raise Refused("h.facts_last_day_past", case=case, last_day=last_day.isoformat(),
                      today=today.isoformat())


def changed_facts(before: Facts, after: Facts) -> list[tuple[str, object, object]]:
    """(key, old, new) for every fact whose value changed, in their entered form (None: unset)."""
    old, new = before.entries(), after.entries()
    return [(key, old.get(key), new.get(key))
            for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)]


async def _reissue_if_frozen(ctx: Ctx, case: Case, before: Facts) -> None:
    """Facts are frozen once the employee holds a document built from them: a change issues a new
    version of the documents (every one reads the facts: the settlement, dates and proposer), so
    the old version's hash no longer matches and cannot be signed, and the employee is told what
    changed, in their language."""
    changes = changed_facts(before, case.facts)
    old = case.record.document
    if old is None or not changes:
        return
    new = await issue_document(ctx, case)
    employee = await ctx.uow.people.get(case.employee_id)
    if employee is None:
        return
    locale = ctx.locale_of(employee)
    fields = [[fact_label(key, locale), t("h.fact_change", locale, was=fact_value(was, locale),
                                          now=fact_value(now, locale))] for key, was, now in changes]
    await ctx.send(message_for(case, employee, "facts_revised",
                               t("h.facts_revised.title", locale, ref=case.ref),
                               t("h.facts_revised.text", locale, old=old.version, new=new.version),
                               fields, locale=locale), case=case)
    await ctx.send(await employee_card(ctx, case, employee), case=case)


def _remember_company_union(ctx: Ctx, case: Case, updates: dict[str, object]) -> None:
    """Whether the company has a union is a company setting: HR's answer on a case sets it
    ("notified" says yes, and that this case's union was told)."""
    answer = updates.get("union")
    if answer is None:
        return
    has_union = "no" if answer == "no" else "yes"
    if ctx.tenant.settings.get("union") != has_union:
        ctx.tenant.settings = {**ctx.tenant.settings, "union": has_union}  # a new dict: stored


def _union_question_open(ctx: Ctx, case: Case) -> bool:
    """The ending needs the union told in advance (the engine says so) and nobody has said whether
    the company has one: the facts step asks for the setting."""
    if company_union(ctx.tenant) is not None or case.facts.union is not None:
        return False
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    return verdict.assessment is not None and any(
        f.code == "union_not_notified" for f in verdict.assessment.findings)


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if not asker_parties(ctx, case):
        raise not_on_case(case, FACTS.name)
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
            raise Refused("h.facts_bad", case=case, key=key, value=value,
                          why=t("h.fact_why.unknown", ctx.locale, choices=", ".join(known_fact_keys())))
        try:
            updates[key] = parse_fact(key, str(value))
        except FactError as err:
            raise Refused("h.facts_bad", case=case, key=err.key, value=err.value, why=err.reason(ctx.locale)) from err
    before = case.facts
    case.facts = case.facts.updated(updates)
    _refuse_a_past_last_day(ctx, case, updates)
    try:  # facts that parse one by one may still not describe a real case together
        case_facts(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant))
    except InvalidFacts as error:
        raise Refused(f"compliance.invalid.{error.code}", case=case, **error.params) from error
    _remember_company_union(ctx, case, updates)
    if confirm:
        gaps = missing_facts(case)
        if gaps:
            raise Refused("h.facts_missing", case=case, missing=fact_names(gaps, ctx.locale), ref=case.ref)
        if _union_question_open(ctx, case):
            raise Refused("h.facts_union_unset", case=case, ref=case.ref)
    # Any change un-confirms: HR confirms the facts as they finally stand.
    case.facts_confirmed = confirm or (case.facts_confirmed and not updates)
    case.touch(ctx.now)
    await audit(ctx, case, "facts", payload={"set": updates, "confirmed": case.facts_confirmed})
    await _reissue_if_frozen(ctx, case, before)
    await rearm_timers(ctx, case)
    await publish(ctx, case, [Event.LAST_DAY_SET] if "last_day" in updates else [])
    card = await hr_review_card(ctx, case, ctx.actor)  # type: ignore[arg-type]
    ctx.replies.append(card)
    ask = t("h.facts_union_unset", ctx.locale, ref=case.ref) if _union_question_open(ctx, case) else ""
    ctx.reply("facts_saved", t("h.facts_saved.title", ctx.locale, ref=case.ref), ask, case=case)
    return Reply(ok=True)
