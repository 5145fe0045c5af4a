"""The signing page's use cases: open a link (first open = "read"), answer it (sign or dispute),
fetch one of its documents. A link that may not be used changes nothing, whatever is sent.

The shell checks the form's CSRF token and passes only the visitor's IP and user agent, the
button pressed, the "I have read and understood" tick and a dispute reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from handlers.company import company_name, stored_image
from handlers.context import Ctx, company_locale
from handlers.contracts import Inbound
from handlers.deps import Deps
from handlers.service import run_page_answer as run
from handlers.service import signature_effect
from handlers.signing.links import AWAITING, token_hash
from handlers.signing.record import SigningEvidence, intention_for
from storage.models import Document, Person, SigningToken
from storage.uow import UnitOfWork
from workflow.case import Case
from workflow.i18n import DEFAULT_LOCALE, normalise_locale, pick_locale, t
from workflow.model import Trigger
from workflow.signing_rules import LinkState, link_state

UowFactory = Callable[[], UnitOfWork]
ANSWERS = {"sign": Trigger.SIGN, "dispute": Trigger.DISPUTE}


@dataclass(frozen=True)
class Visitor:
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Answer:
    action: str  # sign | dispute
    read_confirmed: bool
    reason: str = ""


@dataclass(frozen=True)
class PageDocument:
    id: int
    kind: str
    locale: str
    title: str
    sha256: str
    size: int
    text: str  # markup for display


@dataclass(frozen=True)
class LinkView:
    """What the page shows for a link: the documents to read, or why the link cannot be used."""

    state: LinkState
    locale: str
    case_ref: str = ""
    employee: str = ""
    version: int = 0
    sha256: str = ""
    intention: str = ""
    documents: tuple[PageDocument, ...] = ()
    at: datetime | None = None  # when it was used, or expired
    problem: str = ""  # why the last answer was not taken, in the employee's language
    done: bool = False  # this request's answer was recorded
    company: str = ""  # the company's name from its profile, in `locale`


@dataclass
class _Link:
    token: SigningToken
    case: Case
    employee: Person
    state: LinkState
    company_locale: str  # the employee's language when the directory names none


async def _load(uow: UnitOfWork, raw: str, now: datetime, *, lock: bool) -> _Link | None:
    """The link with its case and employee, the case (then the link) locked when `lock`."""
    token = await uow.signing_tokens.by_hash(token_hash(raw))
    if token is None:
        return None
    case = await uow.cases.get(token.case_id, for_update=lock)
    employee = await uow.people.get(token.person_id)
    if case is None or employee is None:
        return None
    if lock:  # re-read under the case lock: a concurrent answer may just have used it
        token = await uow.signing_tokens.by_hash(token_hash(raw), for_update=True)
        assert token is not None
    signatures = await uow.signatures.for_case(case.id)
    state = link_state(
        now=now, expires_at=token.expires_at, used_for=token.used_for or None,
        bound_to=token.person_id, employee=case.employee_id,
        link_version=token.document_version,
        current_version=case.record.document.version if case.record.document else 0,
        version_signed=any(s.document_version == token.document_version for s in signatures),
        awaiting_answer=case.state in AWAITING,
    )
    tenant = await uow.tenants.get(case.tenant_id)
    return _Link(token, case, employee, state, company_locale(tenant) if tenant else DEFAULT_LOCALE)


async def _view(uow: UnitOfWork, link: _Link, locale: str | None = None,
                problem: str = "") -> LinkView:
    loc = pick_locale(locale, link.employee.locale, link.company_locale)
    tenant = await uow.tenants.get(link.case.tenant_id)
    base = LinkView(state=link.state, locale=loc, case_ref=link.case.ref,
                    employee=link.employee.name, version=link.token.document_version,
                    sha256=link.token.document_sha256, problem=problem,
                    company=company_name(tenant, loc) if tenant else "")
    if link.state in (LinkState.SIGNED, LinkState.DISPUTED):
        return _with(base, at=link.token.used_at or (await _signed_at(uow, link)))
    if link.state == LinkState.EXPIRED:
        return _with(base, at=link.token.expires_at)
    if link.state != LinkState.VALID:
        return base
    documents = tuple(
        PageDocument(d.id, d.kind, d.locale, d.title, d.sha256, d.size, d.text)
        for d in await uow.documents.for_case(link.case.id, link.token.document_version)
    )
    return _with(base, documents=documents, intention=intention_for(link.case, loc))


def _with(view: LinkView, **changes: object) -> LinkView:
    return LinkView(**{**view.__dict__, **changes})


async def _signed_at(uow: UnitOfWork, link: _Link) -> datetime | None:
    times = [s.signed_at for s in await uow.signatures.for_case(link.case.id)
             if s.document_version == link.token.document_version]
    return min(times) if times else None


def _unknown(locale: str | None) -> LinkView:
    return LinkView(state=LinkState.UNKNOWN, locale=normalise_locale(locale))


async def open_link(uow_factory: UowFactory, deps: Deps, raw: str, visitor: Visitor,
                    locale: str | None = None) -> LinkView:
    """The page for a link. The first open of a usable link is recorded (HR sees "read")."""
    now = deps.clock.now()
    async with uow_factory() as uow:
        link = await _load(uow, raw, now, lock=True)
        if link is None:
            return _unknown(locale)
        view = await _view(uow, link, locale)
        if link.state == LinkState.VALID and link.token.opened_at is None:
            link.token.opened_at = now
            # "read" without a new case version: the employee's chat card stays current.
            link.case.mark_read(now)
            await uow.audit.append(
                link.case, action="document_opened", actor_id=link.employee.id,
                actor_identity=link.token.identity, at=now,
                payload={"link_id": link.token.id, "document_version": link.token.document_version,
                         "document_sha256": link.token.document_sha256, "ip": visitor.ip,
                         "user_agent": visitor.user_agent[:500]},
            )
            await uow.commit()
        return view


def _inbound(token: SigningToken, case: Case, trigger: Trigger, reason: str) -> Inbound:
    platform, platform_tenant, user_id = token.identity.split(":", 2)
    return Inbound(platform=platform, platform_tenant=platform_tenant, user_id=user_id,
                   name=trigger.value, case_ref=case.ref,
                   args={"text": reason, "document_hash": token.document_sha256})


async def answer(uow_factory: UowFactory, deps: Deps, raw: str, visitor: Visitor,
                 reply: Answer, locale: str | None = None) -> LinkView:
    """Sign or dispute through a link. Only a usable link, a known button and (to sign) the
    "I have read and understood" tick get through; then the workflow decides as for any press."""
    now = deps.clock.now()
    async with uow_factory() as uow:
        link = await _load(uow, raw, now, lock=True)
        if link is None:
            return _unknown(locale)
        loc = pick_locale(locale, link.employee.locale, link.company_locale)
        trigger = ANSWERS.get(reply.action)
        problem = ""
        if link.state == LinkState.VALID:
            if trigger is None:
                problem = t("signing.problem.action", loc)
            elif trigger == Trigger.SIGN and not reply.read_confirmed:
                problem = t("signing.problem.unread", loc)
            elif trigger == Trigger.DISPUTE and not reply.reason.strip():
                problem = t("machine.refuse.reason_required", loc)
        if link.state != LinkState.VALID or problem:
            return await _view(uow, link, locale, problem)
        assert trigger is not None
        tenant = await uow.tenants.get(link.case.tenant_id)
        assert tenant is not None
        ctx = Ctx(uow=uow, deps=deps, inbound=_inbound(link.token, link.case, trigger, reply.reason),
                  actor=link.employee, tenant=tenant, now=now)
        effect = signature_effect(SigningEvidence("signing_page", visitor.ip, visitor.user_agent,
                                                  link.token.id, locale=loc)) if trigger == Trigger.SIGN else None
        done = await run(ctx, link.case, trigger, effect)
        if not done.ok:  # the workflow refused: nothing of this request is kept
            why = "\n".join(str(m.data.get("text", "")) for m in ctx.replies if m.kind == "refusal")
            await uow.rollback()
            return LinkView(state=LinkState.CLOSED, locale=loc, case_ref=link.case.ref,
                            employee=link.employee.name, problem=why)
        link.token.used_at, link.token.used_for = now, reply.action
        await uow.commit()
        return LinkView(state=LinkState.SIGNED if trigger == Trigger.SIGN else LinkState.DISPUTED,
                        locale=loc, case_ref=link.case.ref, employee=link.employee.name,
                        version=link.token.document_version, sha256=link.token.document_sha256,
                        at=now, done=True)


async def link_seal(uow_factory: UowFactory, deps: Deps, raw: str, sha256: str) -> tuple[str, bytes] | None:
    """The seal image (media type, bytes) drawn on the link's documents, named by its SHA-256 as
    the documents name it (the seal they were issued with, even if the profile's changed since),
    for a link that can still be answered."""
    async with uow_factory() as uow:
        link = await _load(uow, raw, deps.clock.now(), lock=False)
        if link is None or link.state != LinkState.VALID:
            return None
        documents = await uow.documents.for_case(link.case.id, link.token.document_version)
        if not any(f'seal="{sha256}"' in (d.text or "") for d in documents):
            return None
        return stored_image(link.case.tenant_id, deps.data_dir, sha256)


async def link_document(uow_factory: UowFactory, deps: Deps, raw: str,
                        document_id: int) -> Document | None:
    """One file of the link's document version, while the link can still be answered: once it was
    signed, disputed, superseded, expired or the case moved on, it serves documents no more."""
    found = await _link_file(uow_factory, deps, raw, document_id)
    return found[1] if found and found[0].state == LinkState.VALID else None


async def withdrawn(uow_factory: UowFactory, deps: Deps, raw: str, document_id: int) -> LinkView | None:
    """The link's view when it no longer serves that file of its own (what to say instead)."""
    found = await _link_file(uow_factory, deps, raw, document_id)
    if found is None or found[0].state in (LinkState.VALID, LinkState.FOREIGN):
        return None
    async with uow_factory() as uow:
        return await _view(uow, found[0])


async def _link_file(uow_factory: UowFactory, deps: Deps, raw: str,
                     document_id: int) -> tuple[_Link, Document] | None:
    async with uow_factory() as uow:
        link = await _load(uow, raw, deps.clock.now(), lock=False)
        if link is None:
            return None
        document = await uow.documents.get(document_id)
        if (document is None or document.case_id != link.case.id
                or document.version != link.token.document_version):
            return None
        return link, document
