"""`python -m bot audit verify [case]`: walk the audit hash chains and report any broken link."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import bootstrap
from bot.cli import CommandError
from bot.directory import workspace
from bot.settings import Settings
from storage.audit import AuditProblem, verify
from storage.models import AuditEvent
from storage.uow import UnitOfWork

REASONS = {
    "missing_event": "an event is missing (deleted)",
    "chain_broken": "the chain is broken (an event was deleted or reordered)",
    "payload_edited": "the event's payload was edited",
    "event_edited": "the event was edited",
    "missing_at_end": "the chain's last events are missing (deleted)",
    "rewritten": "the chain was rewritten (its events replaced and hashed anew)",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the tamper-evident audit log")
    actions = parser.add_subparsers(dest="audit_command", metavar="action", required=True)
    check = actions.add_parser("verify", help="check every case's hash chain (or one case's)")
    check.add_argument("case_ref", nargs="?", help="a case number such as C-0007 (default: all)")
    check.add_argument("--tenant", default="console", help="workspace key (default: console)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        tenant_key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    return asyncio.run(_verify(args.settings, args.case_ref, tenant_key))


async def _verify(settings: Settings, case_ref: str | None, tenant_key: str) -> int:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        async with services.uow_factory() as uow:
            case_id = None
            if case_ref is not None:
                tenant = await uow.tenants.by_key(tenant_key)
                case = tenant and await uow.cases.by_ref(tenant.id, case_ref)
                if not case:
                    raise CommandError(f"no case {case_ref} in workspace {tenant_key}")
                case_id = case.id
            problems = await verify(uow.session, case_id)
            cases, events = await _checked(uow.session, case_id)
            lines = [await _describe(uow, problem) for problem in problems]
    finally:
        await services.close()
    if not problems:
        print(f"OK: {cases} case(s), {events} audit event(s) checked, every chain intact")
        return 0
    print(f"FAILED: {len(problems)} of {cases} case(s) have a broken audit chain:")
    for line in lines:
        print(f"  {line}")
    return 1


async def _checked(session: AsyncSession, case_id: int | None) -> tuple[int, int]:
    """(cases, events) the verifier walked; to move into storage.audit once it counts them."""
    query = select(func.count(distinct(AuditEvent.case_id)), func.count(AuditEvent.id))
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    cases, events = (await session.execute(query)).one()
    return cases, events


async def _describe(uow: UnitOfWork, problem: AuditProblem) -> str:
    case = await uow.cases.get(problem.case_id)
    name = case.ref if case is not None else f"#{problem.case_id}"
    reason = REASONS.get(problem.reason, problem.reason)
    event = f"event {problem.seq}" if problem.event_id is None else f"event {problem.seq} (id {problem.event_id})"
    return f"case {name}: {event}: {reason}"
