"""Loading a case for a request and deciding what the asker is to it (from the directory only)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import Ctx
from handlers.refusal import Refused
from storage.models import Person
from workflow.case import Approval, Case
from workflow.model import Party, Role

HR_ROLES = frozenset({Role.HR.value, Role.HR_LEAD.value})


def is_hr(person: Person | None) -> bool:
    return person is not None and bool(person.role_set & HR_ROLES)


# What a delegate may be for the person they stand in for: never the employee.
DELEGABLE = frozenset({Party.MANAGER, Party.HR, Party.ASSIGNEE})


def about_them(case: Case, person: Person) -> bool:
    """Whether `case` is about `person` or about their own manager (separation of duties)."""
    return person.id == case.employee_id or (person.manager_id is not None and person.manager_id == case.employee_id)


def parties_of(case: Case, person: Person | None, *, item_owner_id: int | None = None,
               principals: Sequence[Person] = ()) -> frozenset[Party]:
    """What `person` is to `case` (with what they may be for the `principals` they stand in for);
    None is the system (timers)."""
    own = _own_parties(case, person, item_owner_id)
    if person is None or about_them(case, person):
        return own  # a delegate never acts on a case about themselves or their manager
    for principal in principals:
        own |= _own_parties(case, principal, item_owner_id) & DELEGABLE
    return own


def stood_in_for(case: Case, person: Person, principals: Sequence[Person], *,
                 item_owner_id: int | None = None) -> Person | None:
    """The principal whose standing `person` needs on `case` (None: their own is enough)."""
    if about_them(case, person):
        return None
    own = _own_parties(case, person, item_owner_id)
    for principal in principals:
        if (_own_parties(case, principal, item_owner_id) & DELEGABLE) - own:
            return principal
    return None


def asker_parties(ctx: Ctx, case: Case, *, item_owner_id: int | None = None) -> frozenset[Party]:
    """What the asker is to `case`, standing in for whoever made them their delegate; notes on
    `ctx` whom they act for, so that the audit and the people told name both."""
    ctx.acting_for = (stood_in_for(case, ctx.actor, ctx.principals, item_owner_id=item_owner_id)
                      if ctx.actor is not None else None)
    return parties_of(case, ctx.actor, item_owner_id=item_owner_id, principals=ctx.principals)


def _own_parties(case: Case, person: Person | None, item_owner_id: int | None) -> frozenset[Party]:
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


def approval_standing(case: Case, person: Person | None, principals: Sequence[Person] = ()) -> dict[str, bool]:
    """The approve Attempt's fields about the asker (workflow/guards.py decides what they mean): an
    approval counts as the asker's own, and a delegate of the opener or manager is as close to
    the case as they are."""
    if person is None:
        return {}
    return {"opened_or_manages": any(opened_or_manages(case, p) for p in (person, *principals)),
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
