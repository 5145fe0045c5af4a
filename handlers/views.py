"""What a case looks like to each reader: the fields, findings, money and buttons of its cards.

Money and protected-status facts appear only on cards addressed to one person who needs them
(HR members, the employee); the HR group gets counts, never amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.assessment import CaseAssessment, assess, company_union
from handlers.casefile import is_hr, parties_of
from handlers.context import Ctx, person_recipient
from handlers.contracts import Message
from handlers.signing.links import issue_link, signing_state
from storage.models import Person
from workflow.actions import BY_TRIGGER
from workflow.case import Case, DocumentVersion
from workflow.documents import for_employee
from workflow.evidence import kind_label
from workflow.fact_words import fact_names, facts_lines
from workflow.i18n import t
from workflow.machine import available
from workflow.model import Ground, State


def local_time(ctx: Ctx, instant: datetime, reader: Person | None = None) -> str:
    """Date and time without the zone named: in `reader`'s time zone (the company's for None)."""
    return instant.astimezone(ctx.zone_of(reader)).strftime("%Y-%m-%d %H:%M")


def zone_name(local: datetime) -> str:
    """A local time's offset as readers anywhere understand it: "UTC+8", "UTC-3:30"."""
    minutes = int(local.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def zoned_time(ctx: Ctx, instant: datetime, locale: str, reader: Person | None) -> str:
    """A due time as a reminder states it: date and time in `reader`'s time zone (their directory's,
    else the company's; None is the HR group, which reads the company's), and that zone named."""
    local = instant.astimezone(ctx.zone_of(reader))
    return t("h.zoned_time", locale, when=local.strftime("%Y-%m-%d %H:%M"), zone=zone_name(local))


def deadline_time(ctx: Ctx, instant: datetime, locale: str, reader: Person | None) -> str:
    """A deadline as `zoned_time`, marked provisional when its year's official holiday
    arrangement is not loaded (the day may move once it is). The year is the company's calendar
    day's, whatever zone the reader reads the time in: it is the company's holidays that count."""
    shown = zoned_time(ctx, instant, locale, reader)
    day = instant.astimezone(ctx.zone_of(None)).date()
    if ctx.deps.calendar.is_provisional(day):
        return t("h.deadline_provisional", locale, when=shown, year=day.year)
    return shown


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


def title_for(document: DocumentVersion | None, locale: str) -> str:
    """The title of a document version's first file in `locale` (the notice or the agreement)."""
    files = [f for f in document.files if f.locale == locale] if document else []
    return files[0].title if files else ""


def buttons_for(case: Case, viewer: Person | None, principals: Sequence[Person] = ()) -> tuple[str, ...]:
    """The buttons `viewer` may press on `case` now (standing in for `principals`, if any)."""
    triggers = available(State(case.state), parties_of(case, viewer, principals=principals))
    # Some happen by timer or follow from other actions: their specs offer no button.
    return tuple(tr.value for tr in triggers if BY_TRIGGER[tr].button)


def message_for(case: Case, person: Person, kind: str, title: str, text: str,
                fields: list[list[str]], actions: tuple[str, ...] = (), *, locale: str) -> Message:
    """A message to `person` whose texts were written in `locale` (the person's own, ctx.locale_of,
    or the language of what they typed, ctx.locale)."""
    return Message(
        kind=kind, recipient=person_recipient(person), locale=locale, case_ref=case.ref,
        case_version=case.version, actions=actions,
        data={"title": title, "text": text, "fields": fields, "to": person.name,
              "state": t(f"state.{case.state}", locale)},
    )


async def case_card(ctx: Ctx, case: Case, viewer: Person) -> Message:
    """The current card of a case for one viewer, with the buttons that viewer may press now; for
    the asker, in the language of their request (handlers.context.reply_locale)."""
    asker = ctx.actor is not None and viewer.id == ctx.actor.id
    locale = ctx.locale if asker else ctx.locale_of(viewer)
    fields = await basic_fields(ctx, case, locale)
    fields.append([t("h.field.state", locale), t(f"state.{case.state}", locale)])
    if is_hr(viewer):
        fields += await signing_fields(ctx, case, locale, viewer)
    if viewer.id == case.employee_id:
        fields += await link_fields(ctx, case, viewer, locale)
    return message_for(case, viewer, "case", t("h.timeline.title", locale, ref=case.ref), "",
                       fields, buttons_for(case, viewer, ctx.principals if asker else ()), locale=locale)


def findings_text(verdict: CaseAssessment, locale: str, ref: str) -> str:
    if verdict.assessment is None:
        return t("h.facts_missing", locale, missing=fact_names(verdict.missing, locale), ref=ref)
    lines = [t("h.finding", locale, level=t(f"compliance.level.{f.level}", locale), cite=f.cite(locale),
               message=f.message(locale)) for f in verdict.assessment.findings]
    return "\n".join(lines) or t("h.none", locale)


def settlement_text(verdict: CaseAssessment, locale: str, *, employee: bool = False) -> str:
    """The arithmetic, line by line; the employee's version leaves out the employer-only lines."""
    if verdict.assessment is None or verdict.assessment.settlement is None:
        return t("h.none", locale)
    lines = verdict.assessment.settlement.lines
    return "\n".join(line.text(locale) for line in lines if not employee or for_employee(line.key))


async def evidence_text(ctx: Ctx, case: Case, locale: str) -> str:
    items = await ctx.uow.evidence.for_case(case.id)
    if not items:
        return t("h.none", locale)
    return "\n".join(
        f"• {kind_label(e.kind, locale)}: {(e.filename or e.content)[:200]} (SHA-256 {e.sha256[:12]})"
        for e in items
    )


def facts_text(case: Case, locale: str) -> str:
    return facts_lines(case.facts.entries(), locale) or t("h.none", locale)


async def hr_review_card(ctx: Ctx, case: Case, hr: Person, principals: Sequence[Person] = ()) -> Message:
    """The private review card for one HR member (or the delegate of `principals`): facts, evidence,
    findings and money."""
    locale = ctx.locale_of(hr)
    verdict = assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant))
    fields = await basic_fields(ctx, case, locale)
    fields += [
        [t("h.field.note", locale), case.note or t("h.none", locale)],
        [t("h.field.evidence", locale), await evidence_text(ctx, case, locale)],
        [t("h.field.facts_confirmed" if case.facts_confirmed else "h.field.facts", locale),
         facts_text(case, locale)],
        [t("h.field.findings", locale), findings_text(verdict, locale, case.ref)],
        [t("h.field.settlement", locale), settlement_text(verdict, locale)],
        *await signing_fields(ctx, case, locale, hr),
    ]
    actions = buttons_for(case, hr, principals)
    if case.state == "hr_review":
        actions = ("confirm_facts", *actions)
    return message_for(case, hr, "hr_review", t("h.review.title", locale, ref=case.ref), "",
                       fields, actions, locale=locale)


async def employee_card(ctx: Ctx, case: Case, employee: Person) -> Message:
    """The decision card: reasons, evidence summary, the money and its arithmetic, the document."""
    locale = ctx.locale_of(employee)
    verdict = assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant))
    doc = case.record.document
    article = t(f"h.article.{case.ground}", locale)
    fields = [
        [t("h.field.ground", locale), ground_text(case, locale)],
        [t("h.field.reasons", locale), case.note or t("h.none", locale)],
        [t("h.field.evidence", locale), await evidence_text(ctx, case, locale)],
        [t("h.field.settlement", locale), settlement_text(verdict, locale, employee=True)],
        [t("h.field.document", locale),
         t("signing.document", locale, title=title_for(doc, locale), version=doc.version if doc else "?",
           sha=doc.sha256[:12] if doc else "")],
    ]
    fields += await link_fields(ctx, case, employee, locale)
    actions = (*buttons_for(case, employee), "ask_meeting")
    # An Art. 44 ending is the contract ending by law (终止), not the company rescinding it (解除).
    rules = ctx.deps.jurisdiction.documents(Ground(case.ground))
    ends = bool(rules) and rules[0].wording == "end"
    return message_for(case, employee, "employee_decision",
                       t("h.employee_card.title", locale, ref=case.ref),
                       t("h.employee_card.text_end" if ends else "h.employee_card.text", locale,
                         article=article), fields, actions, locale=locale)


async def link_fields(ctx: Ctx, case: Case, employee: Person, locale: str) -> list[list[str]]:
    """A fresh signing link for the employee while their answer is awaited (each is single use)."""
    url = await issue_link(ctx, case, employee)
    if url is None:
        return []
    return [[t("signing.field.link", locale),
             t("signing.field.link_note", locale, url=url, hours=ctx.deps.signing_link_hours)]]


async def signing_fields(ctx: Ctx, case: Case, locale: str, reader: Person | None) -> list[list[str]]:
    """For HR: whether the employee signed, read or has not opened the current document, and when
    (on `reader`'s clock; None: the HR group's, the company's)."""
    state = await signing_state(ctx, case)
    if state is None:
        return []
    when = local_time(ctx, state.since, reader) if state.since else ""
    status = t(f"signing.status.{state.status}", locale, when=when)
    return [[t("signing.field.status", locale),
             t("signing.status.line", locale, version=state.version, sha=state.sha256[:12],
               status=status)]]
