"""The parts of a state change: what the workflow is told about a case, the stale-card check,
moving the case, its audit event and re-arming its timers (handlers/service.py runs them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.assessment import assess, company_union
from handlers.calendar_notice import tell_hr_once
from handlers.casefile import approvals
from handlers.context import Ctx
from handlers.refusal import Refused
from handlers.views import case_card, local_time
from workflow.case import Case
from workflow.compliance.service import add_years
from workflow.evidence import missing as missing_evidence
from workflow.i18n import t
from workflow.machine import CaseSnapshot, Decision
from workflow.model import Ground, Outcome, State
from workflow.policy import ItemDue, TimerContext, timers_for


@dataclass(frozen=True)
class ArmedTimer:
    kind: str
    due_at: datetime
    payload: dict[str, Any]



async def snapshot(ctx: Ctx, case: Case) -> CaseSnapshot:
    evidence_kinds = await ctx.uow.evidence.kinds(case.id)
    items = await ctx.uow.handover.for_case(case.id)
    ground = Ground(case.ground)
    verdict = assess(case, ctx.deps, ctx.tenant.city, company_union(ctx.tenant))
    return CaseSnapshot(
        state=State(case.state),
        ground=ground,
        missing_evidence=tuple(r.key for r in missing_evidence(ground, evidence_kinds)),
        facts_confirmed=case.facts_confirmed,
        blocking_findings=verdict.blocking,
        attendance_confirmed=case.record.attendance_confirmed_at is not None,
        document_hash=case.record.document.sha256 if case.record.document else None,
        open_items=sum(1 for i in items if i.done_at is None),
        certificate_issued=any(
            i.kind == "termination_certificate" and i.done_at is not None for i in items
        ),
        unilateral_allowed=ctx.deps.jurisdiction.unilateral_allowed(ground),
        approvals=len(approvals(case)),
        second_approval_required=bool(ctx.tenant.settings.get("two_hr_approvals"))
        or any(a.opened_or_manages for a in approvals(case)),
        talk_at=(case.record.talk_at.astimezone(ZoneInfo(ctx.tenant.timezone))
                 if case.record.talk_at else None),
        last_day=case.facts.last_day,
    )


async def refuse_if_stale(ctx: Ctx, case: Case) -> None:
    """A press on a card drawn for an older version: say who moved the case, show the current card."""
    seen = ctx.inbound.case_version
    # Only people press cards; the system (timers) never carries a card version.
    if seen is None or seen == case.version or ctx.actor is None:
        return
    events = await ctx.uow.audit.for_case(case.id)
    last = next((e for e in reversed(events) if e.to_state), None)
    who = "—"
    if last is not None and last.actor_id is not None:
        actor = await ctx.uow.people.get(last.actor_id)
        who = actor.name if actor else who
    raise Refused(
        "h.stale_card", case=case, ref=case.ref, who=who,
        when=local_time(ctx, last.at, ctx.actor) if last else "—",
        action=t(f"action.{last.action}", ctx.locale) if last else "—",
        then=(await case_card(ctx, case, ctx.actor),),
    )


async def rearm_timers(ctx: Ctx, case: Case) -> None:
    """Arm every timer the case's state wants, at the case's current version (older ones go stale)."""
    items = await ctx.uow.handover.for_case(case.id)
    record = case.record
    context = TimerContext(
        state=State(case.state),
        state_entered_at=case.state_entered_at,
        last_activity_at=record.last_activity_at or case.state_entered_at,
        talk_at=record.talk_at,
        employee_opened=record.read_at is not None,
        termination_date=case.facts.last_day,
        items=tuple(ItemDue(i.id, i.due_at, i.done_at is not None) for i in items),
    )
    specs = timers_for(context, ctx.deps.calendar, ctx.deps.ladder)
    # The action travels in the payload so the poller knows what to do without re-deriving it.
    await ctx.uow.timers.arm(case.id, case.version, [
        ArmedTimer(s.kind, s.due_at, {**s.payload, "action": s.action.value}) for s in specs
    ])
    # Timers (handover items' due dates among them) in a year without the official holiday
    # arrangement may fall on a day off: HR is told once per year.
    await tell_hr_once(ctx, case, [s.due_at for s in specs])


async def audit(ctx: Ctx, case: Case, action: str, *, from_state: str = "", to_state: str = "",
                payload: dict[str, Any] | None = None) -> None:
    """The case's next audit event; a delegate's names the person they stood in for as well."""
    payload = dict(payload or {})
    if ctx.acting_for is not None:
        payload["acting_for"] = {"id": ctx.acting_for.id, "name": ctx.acting_for.name}
    await ctx.uow.audit.append(
        case, action=action, actor_id=ctx.actor.id if ctx.actor else None,
        actor_identity=ctx.actor_identity if ctx.actor else "system",
        from_state=from_state, to_state=to_state, payload=payload, at=ctx.now,
    )


def move(ctx: Ctx, case: Case, decision: Decision) -> None:
    """Put the case where the workflow decided: state, outcome, closing and retention, version."""
    case.state = decision.to_state.value
    if decision.to_state != decision.from_state:
        case.state_entered_at = ctx.now
    if decision.outcome is not None:
        case.outcome = decision.outcome.value
    if decision.to_state == State.CLOSED:
        case.closed_at = ctx.now
        # Keep records >= 2 years after termination; counting from whichever is later of the
        # last working day and the closing day never keeps them too briefly.
        end = ctx.deps.calendar.local_date(ctx.now)
        if decision.outcome == Outcome.COMPLETED and case.facts.last_day:
            end = max(end, case.facts.last_day)
        # The jurisdiction's minimum, or longer where the company keeps records longer.
        case.retain_until = max(ctx.deps.jurisdiction.retention_until(end),
                                add_years(end, ctx.deps.retention_years))
    case.touch(ctx.now, case.record.touched(ctx.now))
