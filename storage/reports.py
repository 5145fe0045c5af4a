"""The report's query: the histories of a tenant's cases, open and closed, opened in a period and
(optionally) of one department, as workflow.reports' plain values.

A history is the case's state-changing audit events (with the channel each came through: the
signing page where a signing link was used at that instant, else the platform of the actor's
identity), its handover items with their owners' names, and the employee's department.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Case, HandoverItem, Person, SigningToken
from workflow.reports import CaseHistory, ItemHistory, Transition

PAGE = "page"


@dataclass(frozen=True)
class ReportQuery:
    """Cases of `tenant_id` opened in [opened_from, opened_to) (None: unbounded), of `department`
    (the employee's; "" for all)."""

    tenant_id: int
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    department: str = ""

    def wants(self, case: Case, department: str) -> bool:
        return (case.tenant_id == self.tenant_id
                and (self.opened_from is None or case.opened_at >= self.opened_from)
                and (self.opened_to is None or case.opened_at < self.opened_to)
                and (not self.department or department == self.department))


def via_identity(identity: str) -> str:
    """"slack:T1:U2" -> "slack"; the system's own events -> "system"."""
    return identity.split(":", 1)[0] or "system"


def assemble(cases: Iterable[Case], departments: dict[int, str], names: dict[int, str],
             events: Iterable[AuditEvent], items: Iterable[HandoverItem],
             used_links: Iterable[SigningToken]) -> list[CaseHistory]:
    """The histories from the rows read (`departments` and `names` by person id)."""
    page_answers = {(token.case_id, token.used_at) for token in used_links}
    moves: dict[int, list[Transition]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.case_id, e.seq)):
        via = PAGE if (event.case_id, event.at) in page_answers else via_identity(event.actor_identity)
        moves[event.case_id].append(Transition(event.at, event.action, event.from_state, event.to_state, via))
    tasks: dict[int, list[ItemHistory]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.case_id, i.due_at, i.id)):
        tasks[item.case_id].append(ItemHistory(item.kind, names.get(item.owner_id, str(item.owner_id)),
                                               item.due_at, item.done_at))
    return [CaseHistory(ref=case.ref, ground=case.ground, outcome=case.outcome, state=case.state,
                        department=departments.get(case.employee_id, ""), opened_at=case.opened_at,
                        closed_at=case.closed_at, transitions=tuple(moves[case.id]), items=tuple(tasks[case.id]))
            for case in sorted(cases, key=lambda c: c.id)]


class Reports:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def histories(self, query: ReportQuery) -> list[CaseHistory]:
        wanted = select(Case, Person.department).join(Person, Person.id == Case.employee_id).where(
            Case.tenant_id == query.tenant_id)
        if query.opened_from is not None:
            wanted = wanted.where(Case.opened_at >= query.opened_from)
        if query.opened_to is not None:
            wanted = wanted.where(Case.opened_at < query.opened_to)
        if query.department:
            wanted = wanted.where(Person.department == query.department)
        rows = (await self.session.execute(wanted.order_by(Case.id))).all()
        cases = [case for case, _ in rows]
        departments = {case.employee_id: department for case, department in rows}
        ids = [case.id for case in cases]
        if not ids:
            return []
        events = (await self.session.scalars(select(AuditEvent).where(
            AuditEvent.case_id.in_(ids), AuditEvent.to_state != ""))).all()
        items = (await self.session.scalars(select(HandoverItem).where(HandoverItem.case_id.in_(ids)))).all()
        links = (await self.session.scalars(select(SigningToken).where(
            SigningToken.case_id.in_(ids), SigningToken.used_at.is_not(None)))).all()
        owners = {item.owner_id for item in items}
        names = {row.id: row.name for row in (await self.session.execute(
            select(Person.id, Person.name).where(Person.id.in_(owners)))).all()} if owners else {}
        return assemble(cases, departments, names, events, items, links)
