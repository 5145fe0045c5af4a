"""Open a case: the manager (or HR) names the employee and the ground; the bot says what evidence
the law needs and asks for the first item."""

from __future__ import annotations

from handlers.assessment import FactError, parse_fact
from handlers.casefile import is_hr
from handlers.context import Ctx, company_locale, hr_group_message
from handlers.contracts import Reply
from handlers.evidence import next_prompt
from handlers.refusal import Refused
from handlers.transition import audit, rearm_timers
from handlers.views import ground_text, message_for
from storage.models import Person
from workflow.case import LAYOFF_ROUND_FACTS, Case, CaseRecord, Facts
from workflow.compliance import InvalidFacts
from workflow.evidence import requirement_label, requirements
from workflow.fact_words import fact_label, fact_names
from workflow.i18n import t
from workflow.model import Ground, State


async def resolve_person(ctx: Ctx, who: str) -> Person:
    """A directory match for '@alice', '张三', an e-mail or an employee number; refused when not one."""
    handle = who.strip().lstrip("@＠")
    matches = await ctx.uow.people.search(ctx.tenant.id, handle) if handle else []
    if not matches:
        raise Refused("h.unknown_person", who=who)
    if len(matches) > 1:
        names = "、".join(f"{p.name}（{p.employee_no}）" for p in matches[:10])
        # Channels with buttons offer a choice card: [employee number, label] per candidate.
        choices = [[p.employee_no, f"{p.name}（{p.employee_no}）"] for p in matches[:6]]
        raise Refused("h.ambiguous_person", data={"choices": choices}, who=who, names=names)
    return matches[0]


def directory_facts(employee: Person) -> Facts:
    """What the directory already knows, prefilled for HR to check: the hire date, and the dates the
    law reads from the person and their contract (a column the directory lacks stays unknown)."""
    return Facts(hired=employee.hire_date, birth_date=employee.birth_date,
                 retirement_category=employee.retirement_category or None,
                 contract_start=employee.contract_start, contract_end=employee.contract_end,
                 probation_end=employee.probation_end)


async def handle(ctx: Ctx) -> Reply:
    args = ctx.inbound.args
    ground = Ground(args["ground"])
    if ground == Ground.LAYOFF:
        raise _layoff_refusal(ctx, args.get("facts") or {})
    employee = await resolve_person(ctx, str(args.get("employee", "")))
    assert ctx.actor is not None
    if employee.id == ctx.actor.id:
        raise Refused("h.self_case")
    if ctx.actor.manager_id is not None and ctx.actor.manager_id == employee.id:
        raise Refused("h.own_manager_case")  # separation of duties: not about one's own manager
    if employee.manager_id != ctx.actor.id and not is_hr(ctx.actor):
        raise Refused("h.not_a_manager", name=employee.name)
    existing = [c for c in await ctx.uow.cases.for_person(employee.id)
                if c.employee_id == employee.id and c.state != State.CLOSED]
    if existing:
        raise Refused("h.case_exists", name=employee.name, ref=existing[0].ref)
    manager_id = employee.manager_id or ctx.actor.id
    case = await ctx.uow.cases.add(Case(
        tenant_id=ctx.tenant.id, employee_id=employee.id, manager_id=manager_id,
        opened_by_id=ctx.actor.id, ground=ground.value, note=str(args.get("note", ""))[:4000],
        state=State.COLLECTING_EVIDENCE.value, version=1,
        facts=directory_facts(employee), record=CaseRecord(),
        opened_at=ctx.now, state_entered_at=ctx.now, updated_at=ctx.now,
    ))
    await audit(ctx, case, "open", to_state=case.state,
                payload={"employee_id": employee.id, "ground": ground.value, "note": case.note})
    await rearm_timers(ctx, case)

    ctx.reply("case_opened", *_opened(case, employee.name, ctx.locale), case=case, actions=("withdraw",))
    await next_prompt(ctx, case)
    if manager_id != ctx.actor.id:
        # HR opened it: the line manager is told it is theirs to evidence (no hiding behind HR).
        manager = await ctx.uow.people.get(manager_id)
        if manager is not None:
            locale = ctx.locale_of(manager)
            title, text = _opened(case, employee.name, locale)
            await ctx.send(message_for(case, manager, "case_opened", title, text, [], locale=locale),
                           case=case)
    locale = company_locale(ctx.tenant)
    await ctx.send(hr_group_message(
        "case_opened", case, locale, t("h.new_case_hr.title", locale, ref=case.ref),
        t("h.new_case_hr.text", locale, manager=ctx.actor.name, name=employee.name,
          department=employee.department or "—", ground=ground_text(case, locale)),
    ), case=case)
    return Reply(ok=True)


# The refusal for a layoff round, by the finding the calculator gives for its numbers.
_LAYOFF_REFUSALS = {"layoff_collective": "h.layoff_collective",
                    "layoff_below_threshold": "h.layoff_below_threshold"}


def _layoff_refusal(ctx: Ctx, typed: dict[str, str]) -> Refused:
    """A layoff is never one case: say which rule the round's numbers (if given) call for, from the
    jurisdiction's own rule, in the asker's language."""
    if not typed:
        return Refused("h.layoff")
    missing = [key for key in LAYOFF_ROUND_FACTS if key not in typed]
    if missing:
        return Refused("h.layoff_numbers_missing", missing=fact_names(missing, ctx.locale))
    try:
        headcount, reduced = (parse_fact(key, typed[key]) for key in LAYOFF_ROUND_FACTS)
        finding = ctx.deps.jurisdiction.layoff_round(headcount, reduced)
    except FactError as error:
        return Refused("h.layoff_number_bad", name=fact_label(error.key, ctx.locale),
                       value=error.value, why=error.reason(ctx.locale))
    except InvalidFacts as error:
        return Refused("h.layoff_numbers_bad", why=error.message(ctx.locale))
    return Refused(_LAYOFF_REFUSALS[finding.code], cite=finding.cite(ctx.locale),
                   finding=finding.message(ctx.locale))


def _opened(case: Case, employee_name: str, locale: str) -> tuple[str, str]:
    """Title and text of "case opened, the law needs this evidence", wholly in `locale`."""
    needs = "\n".join(f"{n}. {requirement_label(r, locale)}"
                      for n, r in enumerate(requirements(Ground(case.ground)), 1))
    return (t("h.opened.title", locale, ref=case.ref),
            t("h.opened.text", locale, name=employee_name, ground=ground_text(case, locale),
              article=t(f"h.article.{case.ground}", locale), needs=needs))
