"""Who is told what after an action: the spec's notices (actions.py `Notice`) sent to each reader in
their language, then the asker's inline answer and prompts. Every text parameter is computed here once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from handlers.assessment import assess, company_union
from handlers.casefile import parties_of
from handlers.context import Ctx, company_locale, hr_group_message
from handlers.delegates import stand_ins
from handlers.evidence import next_prompt
from handlers.inputs import talk_window
from handlers.views import (
    employee_card,
    evidence_text,
    hr_review_card,
    local_time,
    message_for,
    signing_fields,
    zoned_time,
)
from storage.models import HandoverItem, Person
from workflow.actions import TOLD_TITLE, Action, Notice, Param, To
from workflow.case import Case
from workflow.i18n import t
from workflow.model import Party, Role, State


async def hr_people(ctx: Ctx, case: Case) -> list[Person]:
    """HR members who may act as HR on the case: not the employee, nor anyone the employee manages."""
    people = await ctx.uow.people.with_role(case.tenant_id, Role.HR.value)
    return [p for p in people if Party.HR in parties_of(case, p)]


async def _person(ctx: Ctx, person_id: int | None) -> Person | None:
    return await ctx.uow.people.get(person_id) if person_id else None


def did(ctx: Ctx, case: Case, action: str, loc: str, reader: Person | None) -> tuple[str, str]:
    """Title and text of "who did what, when, and where the case is now", in `loc`, the time on
    `reader`'s clock (None: the HR group, the company's)."""
    label = t(f"action.{action}", loc)
    who = ctx.asker_name(loc)
    return (t(TOLD_TITLE, loc, ref=case.ref, action=label),
            t("h.transition.text", loc, who=who, when=local_time(ctx, ctx.now, reader), action=label,
              state=t(f"state.{case.state}", loc)))


async def _recipients(ctx: Ctx, case: Case, to: To) -> list[Person]:
    match to:
        case To.MANAGER:
            people = [await _person(ctx, case.manager_id)]
        case To.EMPLOYEE:
            people = [await _person(ctx, case.employee_id)]
        case To.SCHEDULER:
            people = [await _person(ctx, case.record.scheduled_by)]
        case _:
            people = list(await hr_people(ctx, case))
    return [p for p in people if p is not None]


async def _name(ctx: Ctx, person_id: int | None) -> str:
    person = await _person(ctx, person_id)
    return person.name if person else "—"


async def _counts(ctx: Ctx, case: Case, level: str) -> int:
    verdict = assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant))
    findings = verdict.assessment.findings if verdict.assessment else ()
    return sum(f.level == level for f in findings)


async def _evidence_count(ctx: Ctx, case: Case, _loc: str, _reader: Person | None) -> int:
    return len(await ctx.uow.evidence.for_case(case.id))




# A text parameter for one reader: (ctx, case, their language, them; None for the HR group).
Provider = Callable[[Ctx, Case, str, Person | None], Awaitable[Any]]


async def _ref(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return case.ref


async def _when(ctx: Ctx, case: Case, loc: str, reader: Person | None) -> Any:
    assert case.record.talk_at is not None  # told only once a talk is scheduled
    return zoned_time(ctx, case.record.talk_at, loc, reader)  # each reader's own clock, named


async def _manager(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return await _name(ctx, case.manager_id)


async def _employee(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return await _name(ctx, case.employee_id)


async def _text(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return ctx.text


async def _evidence(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return await evidence_text(ctx, case, loc)


async def _blocking(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return await _counts(ctx, case, "blocking")


async def _warnings(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return await _counts(ctx, case, "warning")


async def _outcome(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return t(f"outcome.{case.outcome}", loc)


async def _until(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return str(case.retain_until)


async def _approver(ctx: Ctx, case: Case, loc: str, _reader: Person | None) -> Any:
    return ctx.actor.name if ctx.actor else t("h.system", loc)


PARAMS: dict[Param, Provider] = {
    Param.REF: _ref, Param.WHEN: _when, Param.MANAGER: _manager, Param.NAME: _employee,
    Param.REASON: _text, Param.TEXT: _text, Param.EVIDENCE: _evidence, Param.COUNT: _evidence_count,
    Param.BLOCKING: _blocking, Param.WARNINGS: _warnings, Param.OUTCOME: _outcome, Param.UNTIL: _until,
    Param.APPROVER: _approver,
}
assert set(PARAMS) == set(Param), "every notice parameter needs its provider"


async def _signing_status(ctx: Ctx, case: Case, loc: str, reader: Person | None) -> str:
    return "\n".join(value for _label, value in await signing_fields(ctx, case, loc, reader))


EXTRAS: dict[str, Provider] = {"reason": _text, "signing_status": _signing_status}


async def _texts(ctx: Ctx, case: Case, action: Action, notice: Notice, loc: str,
                 reader: Person | None) -> tuple[str, str]:
    if notice.title == TOLD_TITLE:
        title, text = did(ctx, case, action.name, loc, reader)
        extra = await EXTRAS[notice.extra](ctx, case, loc, reader) if notice.extra else ""
        return title, f"{text}\n{extra}".strip()
    params = {p.value: await PARAMS[p](ctx, case, loc, reader) for p in (Param.REF, *notice.params)}
    return t(notice.title, loc, **params), t(notice.text, loc, **params)


async def _card(ctx: Ctx, case: Case, notice: Notice, person: Person, principal: Person | None) -> Any:
    if notice.card == "hr_review":
        return await hr_review_card(ctx, case, person, (principal,) if principal else ())
    return await employee_card(ctx, case, person)


async def tell(ctx: Ctx, case: Case, action: Action, from_state: State) -> None:
    """Send every notice of `action`'s spec, to each of its readers, in the request's transaction."""
    for notice in action.notices:
        if notice.only_from and from_state not in notice.only_from:
            continue
        if notice.only_to and State(case.state) not in notice.only_to:
            continue
        if notice.to is To.HR_GROUP:
            loc = company_locale(ctx.tenant)
            title, text = await _texts(ctx, case, action, notice, loc, None)
            await ctx.send(hr_group_message(notice.kind, case, loc, title, text), case=case)
            continue
        for person, principal in await stand_ins(ctx, case, await _recipients(ctx, case, notice.to)):
            meant_for = principal or person
            if notice.not_the_asker and ctx.actor is not None and ctx.actor.id in (person.id, meant_for.id):
                continue
            if notice.card:
                await ctx.send(await _card(ctx, case, notice, person, principal), case=case)
                continue
            loc = ctx.locale_of(person)
            title, text = await _texts(ctx, case, action, notice, loc, person)
            fields = await signing_fields(ctx, case, loc, person) if notice.fields == "signing_status" else []
            buttons = () if notice.no_buttons_for_manager and meant_for.id == case.manager_id else notice.buttons
            await ctx.send(message_for(case, person, notice.kind, title, text, fields, buttons, locale=loc),
                           case=case)


async def _schedule_prompt(ctx: Ctx, case: Case) -> None:
    if case.state != State.SCHEDULING_TALK:
        return  # a first of two approvals leaves the case in review
    # The company's clock whoever asks: the time HR types back is read in it (handlers.inputs).
    earliest, latest = talk_window(ctx)
    ctx.reply("schedule_prompt", t("h.schedule_prompt.title", ctx.locale, ref=case.ref),
              t("h.schedule_prompt.text", ctx.locale, ref=case.ref,
                earliest=local_time(ctx, earliest), latest=local_time(ctx, latest)),
              case=case, actions=("schedule",))


async def _second_approval_prompt(ctx: Ctx, case: Case) -> None:
    if case.state == State.HR_REVIEW:
        ctx.reply("second_approval", t("h.second_approval.title", ctx.locale, ref=case.ref),
                  t("h.second_approval.recorded", ctx.locale, ref=case.ref), case=case)


async def _evidence_prompt_for_the_manager(ctx: Ctx, case: Case) -> None:
    if ctx.actor is not None and ctx.actor.id == case.manager_id:
        await next_prompt(ctx, case)


PROMPTS: dict[str, Callable[[Ctx, Case], Awaitable[None]]] = {
    "schedule": _schedule_prompt,
    "second_approval": _second_approval_prompt,
    "evidence_if_manager": _evidence_prompt_for_the_manager,
}


async def answer(ctx: Ctx, case: Case, action: Action, item: HandoverItem | None = None) -> None:
    """The asker's inline answer: the spec's prompts, then what was done."""
    for prompt in action.prompts:
        await PROMPTS[prompt](ctx, case)
    match action.answer:
        case "told":
            ctx.reply("case_update", *did(ctx, case, action.name, ctx.locale, ctx.actor), case=case)
        case "item_done":
            assert item is not None
            ctx.reply("item_done", t("h.done", ctx.locale),
                      t("h.item_done", ctx.locale, item=t(f"handover.{item.kind}", ctx.locale)), case=case)
        case "meeting_request":
            ctx.reply("meeting_request", t("h.done", ctx.locale), t("h.meeting_sent", ctx.locale), case=case)
