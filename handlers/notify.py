"""Who is told what after a transition: one function, driven by the trigger that happened."""

from __future__ import annotations

from datetime import datetime

from handlers.assessment import assess
from handlers.context import Ctx, hr_group_message
from handlers.evidence import next_prompt
from handlers.views import (
    employee_card,
    evidence_text,
    hr_review_card,
    local_time,
    message_for,
    signing_fields,
)
from storage.models import Case, Person
from workflow.i18n import normalise_locale, t
from workflow.machine import Decision
from workflow.model import Role, Trigger


async def hr_people(ctx: Ctx, case: Case) -> list[Person]:
    """HR members of the tenant, except the employee (HR may themselves be the subject)."""
    people = await ctx.uow.people.with_role(case.tenant_id, Role.HR.value)
    return [p for p in people if p.id != case.employee_id]


async def _person(ctx: Ctx, person_id: int | None) -> Person | None:
    return await ctx.uow.people.get(person_id) if person_id else None


def did(ctx: Ctx, case: Case, trigger: Trigger, loc: str) -> tuple[str, str]:
    """Title and text of "who did what, when, and where the case is now", in `loc`."""
    action = t(f"action.{trigger.value}", loc)
    who = ctx.actor.name if ctx.actor else t("h.system", loc)
    return (t("h.transition.title", loc, ref=case.ref, action=action),
            t("h.transition.text", loc, who=who, when=local_time(ctx, ctx.now), action=action,
              state=t(f"state.{case.state}", loc)))


async def tell(ctx: Ctx, case: Case, person: Person | None, trigger: Trigger,
               extra: str = "", actions: tuple[str, ...] = ()) -> None:
    """A short 'X did Y' card to one person (never the asker, who gets the inline reply)."""
    if person is None or (ctx.actor is not None and person.id == ctx.actor.id):
        return
    title, text = did(ctx, case, trigger, normalise_locale(person.locale))
    await ctx.send(message_for(case, person, "case_update", title, f"{text}\n{extra}".strip(), [], actions),
                   case=case)


async def tell_group(ctx: Ctx, case: Case, trigger: Trigger, text: str = "") -> None:
    loc = normalise_locale(ctx.tenant.settings.get("locale"))
    title, body = did(ctx, case, trigger, loc)
    await ctx.send(hr_group_message("case_update", case, loc, title, f"{body}\n{text}".strip()), case=case)


async def announce(ctx: Ctx, case: Case, decision: Decision) -> None:
    """Send the cards a transition calls for, and answer the asker inline."""
    trigger = decision.trigger
    manager = await _person(ctx, case.manager_id)
    employee = await _person(ctx, case.employee_id)
    reason = ctx.text
    if trigger == Trigger.SUBMIT:
        hr = await hr_people(ctx, case)
        for person in hr:
            await ctx.send(await hr_review_card(ctx, case, person), case=case)
        loc = normalise_locale(ctx.tenant.settings.get("locale"))
        verdict_counts = await _finding_counts(ctx, case)
        await ctx.send(hr_group_message(
            "hr_review", case, loc, t("h.review.title", loc, ref=case.ref),
            t("h.review_group.text", loc, manager=manager.name if manager else "—",
              name=employee.name if employee else "—",
              count=len(await ctx.uow.evidence.for_case(case.id)), **verdict_counts),
        ), case=case)
    elif trigger == Trigger.REQUEST_CHANGES:
        await tell(ctx, case, manager, trigger, reason)
        if ctx.actor is not None and manager is not None and ctx.actor.id == manager.id:
            await next_prompt(ctx, case)
    elif trigger in (Trigger.REJECT, Trigger.WITHDRAW):
        await tell(ctx, case, manager, trigger, reason)
        if decision.from_state.value in ("disputed",):
            await tell(ctx, case, employee, trigger, reason)
        await tell_group(ctx, case, trigger)
    elif trigger == Trigger.APPROVE:
        await tell(ctx, case, manager, trigger)
        await tell_group(ctx, case, trigger)
        await _schedule_prompt(ctx, case)
    elif trigger == Trigger.SCHEDULE:
        when = local_time(ctx, datetime.fromisoformat(case.data["talk_at"]))
        if manager is not None:
            loc = normalise_locale(manager.locale)
            await ctx.send(message_for(
                case, manager, "talk_confirm", t("h.talk_confirm.title", loc, ref=case.ref),
                t("h.talk_confirm.text", loc, when=when), [], ("confirm_attendance",),
            ), case=case)
        if employee is not None:
            loc = normalise_locale(employee.locale)
            await ctx.send(message_for(
                case, employee, "talk_invite", t("h.talk_invite.title", loc),
                t("h.talk_invite.text", loc, when=when, manager=manager.name if manager else "—"), [],
            ), case=case)
    elif trigger == Trigger.CONFIRM_ATTENDANCE:
        await tell(ctx, case, await _person(ctx, case.data.get("scheduled_by")), trigger)
    elif trigger in (Trigger.RECORD_TALK, Trigger.REVISE):
        if employee is not None:
            await ctx.send(await employee_card(ctx, case, employee), case=case)
        await tell(ctx, case, manager, trigger)
    elif trigger == Trigger.SIGN:
        for person in await hr_people(ctx, case):
            status = await signing_fields(ctx, case, normalise_locale(person.locale))
            await tell(ctx, case, person, trigger, "\n".join(value for _label, value in status))
        await tell(ctx, case, manager, trigger)
    elif trigger == Trigger.DISPUTE:
        for person in [*await hr_people(ctx, case), manager]:
            if person is None:
                continue
            loc = normalise_locale(person.locale)
            actions = ("revise", "withdraw", "proceed_unilateral") if person.id != case.manager_id else ()
            await ctx.send(message_for(
                case, person, "dispute", t("h.disputed.title", loc, ref=case.ref),
                t("h.disputed.text", loc, name=employee.name if employee else "—", reason=reason,
                  evidence=await evidence_text(ctx, case, loc)), [], actions,
            ), case=case)
    elif trigger == Trigger.ESCALATE:
        for person in await hr_people(ctx, case):
            loc = normalise_locale(person.locale)
            await ctx.send(message_for(
                case, person, "escalated", t("h.escalated.title", loc, ref=case.ref),
                t("h.escalated.text", loc, name=employee.name if employee else "—", ref=case.ref),
                await signing_fields(ctx, case, loc), ("record_notice_served",),
            ), case=case)
        await tell_group(ctx, case, trigger)
    elif trigger in (Trigger.PROCEED_UNILATERAL, Trigger.RECORD_NOTICE_SERVED):
        await tell(ctx, case, employee, trigger)
        await tell(ctx, case, manager, trigger)
    elif trigger == Trigger.FINISH:
        for person in (manager, employee):
            if person is not None:
                loc = normalise_locale(person.locale)
                await ctx.send(message_for(
                    case, person, "closed", t("h.closed.title", loc, ref=case.ref),
                    t("h.closed.text", loc, outcome=t(f"outcome.{case.outcome}", loc),
                      until=str(case.retain_until)), [],
                ), case=case)
        await tell_group(ctx, case, trigger)
    ctx.reply("case_update", *did(ctx, case, trigger, ctx.locale), case=case)


async def _finding_counts(ctx: Ctx, case: Case) -> dict[str, int]:
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    findings = verdict.assessment.findings if verdict.assessment else ()
    return {"blocking": sum(f.level == "blocking" for f in findings),
            "warnings": sum(f.level == "warning" for f in findings)}


async def _schedule_prompt(ctx: Ctx, case: Case) -> None:
    earliest, latest = talk_window(ctx)
    ctx.reply("schedule_prompt", t("h.schedule_prompt.title", ctx.locale, ref=case.ref),
              t("h.schedule_prompt.text", ctx.locale, ref=case.ref,
                earliest=local_time(ctx, earliest), latest=local_time(ctx, latest)),
              case=case, actions=("schedule",))


def talk_window(ctx: Ctx) -> tuple[datetime, datetime]:
    """When the talk may be held: from now to the policy's working days ahead (default 2)."""
    cal = ctx.deps.calendar
    return ctx.now, cal.add_working_days(ctx.now, ctx.deps.talk_max_working_days)
