"""Loading a case for a request and deciding what the asker is to it (from the directory only)."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.refusal import Refused
from storage.models import Person
from workflow.case import Approval, Case
from workflow.model import Party, Role

HR_ROLES = frozenset({Role.HR.value, Role.HR_LEAD.value})


def is_hr(person: Person | None) -> bool:
    return person is not None and bool(person.role_set & HR_ROLES)


def parties_of(case: Case, person: Person | None, *, item_owner_id: int | None = None) -> frozenset[Party]:
    """What `person` is to `case`; None is the system (timers)."""
    if person is None:
        return frozenset({Party.SYSTEM})
    if person.tenant_id != case.tenant_id:
        return frozenset()
    parties: set[Party] = set()
    if person.id == case.manager_id:
        parties.add(Party.MANAGER)
    if person.id == case.employee_id:
        # The employee hears of the case from HR and the manager at the talk, never first from
        # the bot: until a talk is scheduled they are not a party to it at all.
        if case.record.talk_at is not None:
            parties.add(Party.EMPLOYEE)
    # HR may not act as HR on a case about themselves, nor on one about their own manager.
    elif is_hr(person) and not (person.manager_id is not None and person.manager_id == case.employee_id):
        parties.add(Party.HR)
    if item_owner_id is not None and person.id == item_owner_id:
        parties.add(Party.ASSIGNEE)
    return frozenset(parties)


def opened_or_manages(case: Case, person: Person) -> bool:
    """Whether `person` opened `case` or is its manager: then their approval alone is not enough."""
    return person.id in (case.opened_by_id, case.manager_id)


def approvals(case: Case) -> tuple[Approval, ...]:
    """The HR approvals recorded on `case` since it was last sent back for changes."""
    return case.record.approvals or ()


def approval_standing(case: Case, person: Person | None) -> dict[str, bool]:
    """The approve Attempt's fields about the asker (workflow/guards.py decides what they mean)."""
    if person is None:
        return {}
    return {"opened_or_manages": opened_or_manages(case, person),
            "approved_before": any(a.by == person.id for a in approvals(case))}


def normalise_ref(ref: str) -> str:
    """'c-7', '7', 'C-0007' → 'C-0007' (the router does the same; commands may reach us raw)."""
    digits = ref.strip().upper().removeprefix("C-").removeprefix("C")
    return f"C-{int(digits):04d}" if digits.isdigit() else ref.strip().upper()


async def load_case(ctx: Ctx, *, for_update: bool = True) -> Case:
    """The case the request names, within the asker's tenant (locked for the request's changes)."""
    ref = ctx.inbound.case_ref
    if not ref:
        raise Refused("h.need_case")
    case = await ctx.uow.cases.by_ref(ctx.tenant.id, normalise_ref(ref), for_update=for_update)
    if case is None:
        raise Refused("h.unknown_case", ref=normalise_ref(ref))
    return case


def not_on_case(case: Case, action: str) -> Refused:
    """The answer to someone with no relation to `case`: word for word the answer for a case that
    does not exist (load_case's), so nobody learns which references exist. The attempt is kept in
    the case's audit log, which only HR reads."""
    return Refused("h.unknown_case", about=case, audit=action, payload={"code": "not_on_case"}, ref=case.ref)
