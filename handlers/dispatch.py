"""The one entry for requests: dedup the delivery, find the asker in the directory, route to the use
case, and commit its changes — or, when it refused, roll back and keep only the audit of the attempt.
Every refusal (raised as `Refused` wherever it is decided) is answered to the asker here.

A channel may pass `then`: it runs in the transaction that commits the request's outcome, so what
the channel queues to show the reply is kept exactly when the outcome is, at no transaction's cost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from handlers import (
    company_card,
    delegates,
    evidence,
    facts,
    help,
    items,
    meeting,
    open_case,
    report,
    service,
    snooze,
    status,
)
from handlers.context import Ctx, person_recipient, reply_locale
from handlers.contracts import Inbound, Message, Reply
from handlers.deps import Deps
from handlers.refusal import Refused, answer
from handlers.signing.links import resolve_message
from storage.models import Person, Tenant
from storage.uow import UnitOfWork
from workflow.i18n import pick_locale
from workflow.model import Trigger

Route = Callable[[Ctx], Awaitable[Reply]]


@dataclass(frozen=True)
class Settled:
    """A request's outcome, handed to the channel's `then` before the transaction commits."""

    uow: UnitOfWork
    tenant: Tenant | None  # None: the workspace is unknown here
    actor: Person | None  # None: the asker is not in the directory
    reply: Reply


Then = Callable[[Settled], Awaitable[None]]

ROUTES: dict[str, Route] = {
    "open": open_case.handle,
    "evidence": evidence.handle,
    "facts": facts.handle,
    "confirm_facts": facts.handle,
    "complete_item": items.complete,
    "ask_meeting": meeting.handle,
    "status": status.handle,
    "report": report.handle,
    "company": company_card.handle,
    "help": help.handle,
    "delegate": delegates.handle,
    "snooze": snooze.handle,
    "parse_error": help.parse_error,
    **{tr.value: service.handle for tr in Trigger if tr != Trigger.COMPLETE_ITEM},
}


def tenant_key(inbound: Inbound) -> str:
    return f"{inbound.platform}:{inbound.platform_tenant}"


def _refused(refused: Refused, inbound: Inbound, actor: Person | None,
             tenant: Tenant | None) -> tuple[Message, ...]:
    """The asker's answer to a refusal: in their language (the platform's guess for a stranger)."""
    locale = reply_locale(inbound, actor, tenant) if tenant is not None else pick_locale(
        inbound.written, inbound.locale)
    return answer(refused, recipient=person_recipient(actor) if actor is not None else "", locale=locale)


async def handle(inbound: Inbound, uow_factory: Callable[[], UnitOfWork], deps: Deps, *,
                 then: Then | None = None) -> Reply:
    """Run `inbound`. `then` is not called for a duplicate delivery, nor when the case changed under
    the request (the conflict note returned then was never in a transaction)."""
    now = deps.clock.now()
    try:
        async with uow_factory() as uow:
            if inbound.delivery_id and not await uow.inbound.record(inbound.delivery_id, now):
                await uow.rollback()
                return Reply(ok=True, duplicate=True)
            tenant = await uow.tenants.by_key(tenant_key(inbound))
            actor, principals = await uow.people.asking(inbound.platform, inbound.platform_tenant,
                                                         inbound.user_id, now)
            if tenant is None or actor is None or actor.tenant_id != tenant.id or not actor.active:
                unknown = Refused("h.unknown_user", identity=f"{inbound.platform}:{inbound.user_id}")
                reply = Reply(ok=False, messages=_refused(unknown, inbound, None, tenant))
                # The delivery is handled: a retry changes nothing either.
                return await _commit(uow, Settled(uow, tenant, None, reply), then, deps)
            ctx = Ctx(uow=uow, deps=deps, inbound=inbound, actor=actor, tenant=tenant, now=now,
                      principals=tuple(principals))
            attempt: tuple[int, str, dict[str, Any]] | None = None  # a refused attempt to audit
            try:
                route = ROUTES.get(inbound.name)
                if route is None:
                    raise Refused("h.unknown_action", action=inbound.name)
                reply = await route(ctx)
            except Refused as refused:
                ctx.replies.extend(_refused(refused, inbound, actor, tenant))
                attempt = refused.audit
                reply = Reply(ok=False)
            if reply.ok:
                return await _commit(uow, Settled(uow, tenant, actor, Reply(ok=True, messages=tuple(ctx.replies))),
                                     then, deps)
        # Refused: nothing the handler touched is kept; the delivery and the attempt are.
        async with uow_factory() as uow:
            if inbound.delivery_id:
                await uow.inbound.record(inbound.delivery_id, now)
            if attempt is not None:
                case_id, action, payload = attempt
                case = await uow.cases.get(case_id, for_update=True)
                if case is not None:
                    await uow.audit.append(case, action=action, actor_id=actor.id,
                                           actor_identity=ctx.actor_identity, from_state=case.state,
                                           to_state="", payload=payload, at=now)
            return await _commit(uow, Settled(uow, tenant, actor, Reply(ok=False, messages=tuple(ctx.replies))),
                                 then, deps)
    except StaleDataError:
        conflict = Refused("h.conflict", ref=inbound.case_ref or "")
        return Reply(ok=False, messages=_refused(conflict, inbound, None))


async def _commit(uow: UnitOfWork, settled: Settled, then: Then | None, deps: Deps) -> Reply:
    if then is not None:
        await then(settled)  # what it keeps (the outbox) holds signing-link references, never links
    await uow.commit()
    reply = settled.reply
    return replace(reply, messages=tuple(resolve_message(m, deps) for m in reply.messages))
