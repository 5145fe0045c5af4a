"""The case's documents: drawn up per kind and language from the case as it stands, stored as a new
version with each file's SHA-256 (older versions stay), and the version's package hash that the
employee's signature is bound to.

Rendering is the shell's job (handlers.rendering): handlers hand it a `DocumentSpec` and store
the bytes it returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from handlers.assessment import assess, company_union
from handlers.company import company_calendar, company_name, image, profile
from handlers.context import Ctx
from handlers.rendering import DocumentSpec
from handlers.transition import audit
from storage.audit import canonical_json
from storage.models import Document
from workflow.case import Case, Certificate, DocumentVersion, IssuedFile
from workflow.company import IMAGE_FIELDS
from workflow.compliance import Assessment, DocumentRule, Line, cite
from workflow.compliance.settlement import fmt_money, fmt_years
from workflow.documents import (
    AT_TERMINATION,
    decision_documents,
    for_employee,
    is_agreement,
    service_length,
    termination_documents,
)
from workflow.i18n import LOCALES, t
from workflow.model import Ground


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_hash(case_ref: str, version: int, files: Iterable[Mapping[str, Any]]) -> str:
    """The hash a signature binds to: every file of one version, by kind, language and SHA-256."""
    listed = sorted((f["kind"], f["locale"], f["sha256"]) for f in files)
    body = {"case": case_ref, "version": version,
            "files": [{"kind": k, "locale": loc, "sha256": h} for k, loc, h in listed]}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _line(line: Line, locale: str) -> dict[str, str]:
    value = line.value_text()
    calc = value if line.formula == value else f"{line.formula} = {value}"
    return {"label": line.label(locale), "calc": calc,
            "article": cite(line.article, locale) if line.article else ""}


def _money(assessment: Assessment | None, locale: str) -> dict[str, Any] | None:
    if assessment is None:
        return None
    s, notice = assessment.settlement, assessment.notice
    return {
        "n": fmt_years(s.n), "base": fmt_money(s.base), "compensation": fmt_money(s.compensation),
        "pay_in_lieu": fmt_money(s.pay_in_lieu), "total": fmt_money(s.total),
        "pay_in_lieu_chosen": s.pay_in_lieu > 0,
        "notice_days": notice.days, "notice_article": cite(notice.article, locale),
        "lines": [_line(line, locale) for line in s.lines if for_employee(line.key)],
    }


# The terms a new version is compared on, and how each change is said (doc.change.*).
CHANGE_TEXTS = {
    "ground": "doc.change.ground", "last_day": "doc.change.last_day", "reasons": "doc.change.reasons",
    "compensation": "doc.change.compensation", "pay_in_lieu": "doc.change.pay_in_lieu",
    "total": "doc.change.total",
}


def terms(ctx: Ctx, case: Case) -> dict[str, str]:
    """What a version of the documents says that matters to the employee, to compare versions on."""
    money = _money(assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant)).assessment, "en")
    last_day = case.facts.last_day
    return {"ground": case.ground, "last_day": last_day.isoformat() if last_day else "",
            "reasons": case.note or "",
            **{key: money[key] if money else "" for key in ("compensation", "pay_in_lieu", "total")}}


def _changes(before: Mapping[str, str], after: Mapping[str, str], locale: str) -> list[str]:
    said = []
    for key, text in CHANGE_TEXTS.items():
        old, new = before.get(key, ""), after.get(key, "")
        if old != new:
            if key == "ground":
                old, new = (t(f"h.ground.{g}", locale) if g else "-" for g in (old, new))
            said.append(t(text, locale, old=old or "-", new=new or "-"))
    return said


async def _terms_of(ctx: Ctx, case: Case, version: int) -> dict[str, str] | None:
    """The terms recorded when `version` was issued (None: issued before terms were recorded)."""
    for event in reversed(await ctx.uow.audit.for_case(case.id)):
        payload = event.payload or {}
        if event.action == "documents_issued" and payload.get("version") == version:
            found = payload.get("terms")
            return dict(found) if isinstance(found, Mapping) else None
    return None


async def document_data(ctx: Ctx, case: Case, rule: DocumentRule, locale: str,
                        version: int, revision: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a template may show, in `locale`; the certificate's service is Regs Art. 24's.
    `revision` (a later version): the version it replaces and the changed terms, by locale."""
    employee = await ctx.uow.people.get(case.employee_id)
    assert employee is not None  # a foreign key
    facts = case.facts
    company = profile(ctx.tenant)
    hired = facts.hired or employee.hire_date
    last_day = facts.last_day
    service = None
    issued_on = company_calendar(ctx.deps.calendar, ctx.tenant).local_date(ctx.now)
    if rule.kind in AT_TERMINATION and last_day is not None:
        issued_on = max(issued_on, last_day)  # it certifies an ending: never dated before the last day
    if hired and last_day:
        length = service_length(hired, last_day)
        service = {"years": length.years, "months": length.months}
    return {
        "case_ref": case.ref,
        "version": version,
        "issued_on": issued_on.isoformat(),
        "company": company_name(ctx.tenant, locale),
        "company_address": company.address,
        "company_registration_no": company.registration_no,
        "company_hr_contact": company.hr_contact,
        # The images' SHA-256 bind them to the document (and its package hash).
        "company_seal": company.seal.sha256 if company.seal else "",
        "company_logo": company.logo.sha256 if company.logo else "",
        "employee": {"name": employee.name, "employee_no": employee.employee_no,
                     "department": employee.department, "position": employee.position},
        "ground": t(f"h.ground.{case.ground}", locale),
        "ground_article": cite(ctx.deps.jurisdiction.article(Ground(case.ground)), locale),
        "document_article": cite(rule.article, locale),
        "wording": rule.wording,  # "end" (终止) for an Art. 44 ending, else "rescind" (解除)
        "proposed_by": facts.proposed_by or "",
        "reasons": case.note,
        "revision_note": case.record.revision_note or "",
        "revision": {"previous": revision["previous"], "changes": revision["changes"][locale]}
        if revision else None,
        "hired": hired.isoformat() if hired else "",
        "last_day": last_day.isoformat() if last_day else "",
        "service": service,
        "settlement": _money(assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant)).assessment, locale),
    }


async def _issue(ctx: Ctx, case: Case, rules: tuple[DocumentRule, ...], version: int,
                 revision: Mapping[str, Any] | None = None) -> tuple[IssuedFile, ...]:
    """Render and store every rule's document in every language; the files' summaries."""
    files = []
    images = {name: found[1] for name in IMAGE_FIELDS
              if (found := image(ctx.tenant, ctx.deps.data_dir, name)) is not None}
    for rule in rules:
        for locale in LOCALES:
            spec = DocumentSpec(rule.kind, locale, version,
                                await document_data(ctx, case, rule, locale, version, revision),
                                images=images)
            done = await ctx.deps.renderer.render(spec)
            digest = sha256(done.content)
            row = await ctx.uow.documents.add(Document(
                case_id=case.id, version=version, kind=rule.kind, locale=locale, title=done.title,
                filename=f"{case.ref}-v{version}-{rule.kind}-{locale}.{done.extension}",
                media_type=done.media_type, content=done.content, text=done.text,
                size=len(done.content), sha256=digest, created_at=ctx.now,
            ))
            files.append(IssuedFile(id=row.id, kind=rule.kind, locale=locale, title=done.title,
                                    sha256=digest))
    return tuple(files)


def _summary(files: Iterable[IssuedFile]) -> list[dict[str, Any]]:
    return [{"id": f.id, "kind": f.kind, "locale": f.locale, "sha256": f.sha256} for f in files]


def _rules(case: Case, ctx: Ctx) -> tuple[DocumentRule, ...]:
    return ctx.deps.jurisdiction.documents(Ground(case.ground))


async def issue_document(ctx: Ctx, case: Case) -> DocumentVersion:
    """Draw up the next version of the decision documents and record their hashes on the case
    and in the audit chain (the signature is later bound to the package hash)."""
    version = await ctx.uow.documents.latest_version(case.id) + 1
    rules = decision_documents(_rules(case, ctx))
    now_terms = terms(ctx, case)
    revision = None
    if version > 1:  # a later version says which it replaces and what changed (HR's note too)
        before = await _terms_of(ctx, case, version - 1)
        revision = {"previous": version - 1, "changes": {
            loc: _changes(before, now_terms, loc) if before is not None else [] for loc in LOCALES}}
    files = await _issue(ctx, case, rules, version, revision)
    document = DocumentVersion(
        version=version, sha256=package_hash(case.ref, version, _summary(files)), issued_at=ctx.now,
        agreement=is_agreement(tuple(r.kind for r in rules)), files=files,
    )
    case.record = case.record.with_document(document)
    await audit(ctx, case, "documents_issued", payload={
        "version": version, "package_sha256": document.sha256, "files": _summary(files),
        "terms": now_terms,
    })
    return document


async def issue_certificate(ctx: Ctx, case: Case) -> None:
    """At termination: the documents issued when employment ends (LCL Art. 50), once per case."""
    if case.record.certificate is not None:
        return
    # It belongs to the version the employee answered (or, without one, to a version of its own).
    document = case.record.document
    version = document.version if document else await ctx.uow.documents.latest_version(case.id) + 1
    files = await _issue(ctx, case, termination_documents(_rules(case, ctx)), version)
    case.record = case.record.with_certificate(Certificate(version=version, issued_at=ctx.now, files=files))
    await audit(ctx, case, "documents_issued", payload={"version": version, "files": _summary(files)})
