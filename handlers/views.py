"""What a case looks like to each reader: the fields, findings, money and buttons of its cards.

Money and protected-status facts appear only on cards addressed to one person who needs them
(HR members, the employee); the HR group gets counts, never amounts.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.assessment import CaseAssessment, assess
from handlers.casefile import parties_of
from handlers.context import Ctx, person_recipient
from handlers.contracts import Message
from storage.models import Case, Person
from workflow.evidence import kind_label
from workflow.i18n import normalise_locale, t
from workflow.machine import available
from workflow.model import State, Trigger

# Buttons are for people; these happen by timer or follow from other actions.
_NOT_BUTTONS = {Trigger.ESCALATE.value, Trigger.FINISH.value, Trigger.COMPLETE_ITEM.value}


def local_time(ctx: Ctx, instant: datetime) -> str:
    return instant.astimezone(ZoneInfo(ctx.tenant.timezone)).strftime("%Y-%m-%d %H:%M")


def ground_text(case: Case, locale: str) -> str:
    return t(f"h.ground.{case.ground}", locale)


async def basic_fields(ctx: Ctx, case: Case, locale: str) -> list[list[str]]:
    employee = await ctx.uow.people.get(case.employee_id)
    manager = await ctx.uow.people.get(case.manager_id)
    return [
        [t("h.field.employee", locale), f"{employee.name} ({employee.employee_no})" if employee else "—"],
        [t("h.field.department", locale), employee.department if employee else "—"],
        [t("h.field.manager", locale), manager.name if manager else "—"],
        [t("h.field.ground", locale), ground_text(case, locale)],
    ]


def buttons_for(case: Case, viewer: Person | None) -> tuple[str, ...]:
    triggers = available(State(case.state), parties_of(case, viewer))
    return tuple(tr.value for tr in triggers if tr.value not in _NOT_BUTTONS)


def message_for(case: Case, person: Person, kind: str, title: str, text: str,
                fields: list[list[str]], actions: tuple[str, ...] = ()) -> Message:
    locale = normalise_locale(person.locale)
    return Message(
        kind=kind, recipient=person_recipient(person), locale=locale, case_ref=case.ref,
        case_version=case.version, actions=actions,
        data={"title": title, "text": text, "fields": fields, "to": person.name,
              "state": t(f"state.{case.state}", locale)},
    )


async def case_card(ctx: Ctx, case: Case, viewer: Person | None) -> Message:
    """The current card of a case for one viewer, with the buttons that viewer may press now."""
    locale = normalise_locale(viewer.locale if viewer else ctx.locale)
    fields = await basic_fields(ctx, case, locale)
    fields.append([t("h.field.state", locale), t(f"state.{case.state}", locale)])
    if viewer is None:
        return message_for(case, ctx.actor, "case", case.ref, "", fields)  # type: ignore[arg-type]
    return message_for(case, viewer, "case", t("h.timeline.title", locale, ref=case.ref), "",
                       fields, buttons_for(case, viewer))


def findings_text(verdict: CaseAssessment, locale: str, ref: str) -> str:
    if verdict.assessment is None:
        return t("h.facts_missing", locale, missing=", ".join(verdict.missing), ref=ref)
    lines = [f"[{f.level}] {f.cite(locale)}: {f.message(locale)}" for f in verdict.assessment.findings]
    return "\n".join(lines) or t("h.none", locale)


def settlement_text(verdict: CaseAssessment, locale: str) -> str:
    if verdict.assessment is None or verdict.assessment.settlement is None:
        return t("h.none", locale)
    return "\n".join(verdict.assessment.settlement.lines_text(locale))


async def evidence_text(ctx: Ctx, case: Case, locale: str) -> str:
    items = await ctx.uow.evidence.for_case(case.id)
    if not items:
        return t("h.none", locale)
    return "\n".join(
        f"• {kind_label(e.kind, locale)}: {(e.filename or e.content)[:200]} (SHA-256 {e.sha256[:12]})"
        for e in items
    )


def facts_text(case: Case, locale: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(case.facts.items())) or t("h.none", locale)


async def hr_review_card(ctx: Ctx, case: Case, hr: Person) -> Message:
    """The private review card for one HR member: facts, evidence, findings and money."""
    locale = normalise_locale(hr.locale)
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    fields = await basic_fields(ctx, case, locale)
    fields += [
        [t("h.field.note", locale), case.note or t("h.none", locale)],
        [t("h.field.evidence", locale), await evidence_text(ctx, case, locale)],
        [t("h.field.facts_confirmed" if case.facts_confirmed else "h.field.facts", locale),
         facts_text(case, locale)],
        [t("h.field.findings", locale), findings_text(verdict, locale, case.ref)],
        [t("h.field.settlement", locale), settlement_text(verdict, locale)],
    ]
    actions = buttons_for(case, hr)
    if case.state == "hr_review":
        actions = ("confirm_facts", *actions)
    return message_for(case, hr, "hr_review", t("h.review.title", locale, ref=case.ref), "",
                       fields, actions)


async def employee_card(ctx: Ctx, case: Case, employee: Person) -> Message:
    """The decision card: reasons, evidence summary, the money and its arithmetic, the document."""
    locale = normalise_locale(employee.locale)
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    doc = case.data.get("document") or {}
    article = t(f"h.article.{case.ground}", locale)
    fields = [
        [t("h.field.ground", locale), ground_text(case, locale)],
        [t("h.field.reasons", locale), case.note or t("h.none", locale)],
        [t("h.field.evidence", locale), await evidence_text(ctx, case, locale)],
        [t("h.field.settlement", locale), settlement_text(verdict, locale)],
        [t("h.field.document", locale),
         f"v{doc.get('version', '?')} · SHA-256 {str(doc.get('sha256', ''))[:12]}"],
    ]
    actions = (*buttons_for(case, employee), "ask_meeting")
    return message_for(case, employee, "employee_decision",
                       t("h.employee_card.title", locale, ref=case.ref),
                       t("h.employee_card.text", locale, article=article), fields, actions)
