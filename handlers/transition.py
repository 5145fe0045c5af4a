"""The one path every state change takes: check the card is fresh, let the workflow decide, then
record state + version + audit event + timers in the request's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.assessment import assess
from handlers.casefile import parties_of
from handlers.context import Ctx
from handlers.views import case_card, local_time
from storage.models import Case
from workflow.compliance.service import add_years
from workflow.evidence import missing as missing_evidence
from workflow.i18n import t
from workflow.machine import Attempt, CaseSnapshot, Decision, decide, refusal_text
from workflow.model import Ground, Outcome, Party, State, Trigger
from workflow.policy import ItemDue, TimerContext, timers_for


@dataclass(frozen=True)
class ArmedTimer:
    kind: str
    due_at: datetime
    payload: dict[str, Any]


Effects = Callable[[Case, Decision], Awaitable[None]]


async def snapshot(ctx: Ctx, case: Case) -> CaseSnapshot:
    evidence = await ctx.uow.evidence.for_case(case.id)
    items = await ctx.uow.handover.for_case(case.id)
    ground = Ground(case.ground)
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    return CaseSnapshot(
        state=State(case.state),
        ground=ground,
        missing_evidence=tuple(r.key for r in missing_evidence(ground, [e.kind for e in evidence])),
        facts_confirmed=case.facts_confirmed,
        blocking_findings=verdict.blocking,
        attendance_confirmed=bool(case.data.get("attendance_confirmed_at")),
        document_hash=(case.data.get("document") or {}).get("sha256"),
        open_items=sum(1 for i in items if i.done_at is None),
        certificate_issued=any(
            i.kind == "termination_certificate" and i.done_at is not None for i in items
        ),
        unilateral_allowed=ctx.deps.jurisdiction.unilateral_allowed(ground),
    )


async def is_stale(ctx: Ctx, case: Case) -> bool:
    """A press on a card drawn for an older version: say who moved the case, show the current card."""
    seen = ctx.inbound.case_version
    # Only people press cards; the system (timers) never carries a card version.
    if seen is None or seen == case.version or ctx.actor is None:
        return False
    events = await ctx.uow.audit.for_case(case.id)
    last = next((e for e in reversed(events) if e.to_state), None)
    who = "—"
    if last is not None and last.actor_id is not None:
        actor = await ctx.uow.people.get(last.actor_id)
        who = actor.name if actor else who
    ctx.refuse(
        "h.stale_card", case=case, ref=case.ref, who=who,
        when=local_time(ctx, last.at) if last else "—",
        action=t(f"action.{last.action}", ctx.locale) if last else "—",
    )
    ctx.replies.append(await case_card(ctx, case, ctx.actor))
    return True


async def rearm_timers(ctx: Ctx, case: Case) -> None:
    """Arm every timer the case's state wants, at the case's current version (older ones go stale)."""
    items = await ctx.uow.handover.for_case(case.id)
    last_day = case.facts.get("last_day")
    talk_at = case.data.get("talk_at")
    context = TimerContext(
        state=State(case.state),
        state_entered_at=case.state_entered_at,
        last_activity_at=datetime.fromisoformat(case.data.get("last_activity_at"))
        if case.data.get("last_activity_at") else case.state_entered_at,
        talk_at=datetime.fromisoformat(talk_at) if talk_at else None,
        employee_opened=bool(case.data.get("read_at")),
        termination_date=date.fromisoformat(last_day) if last_day else None,
        items=tuple(ItemDue(i.id, i.due_at, i.done_at is not None) for i in items),
    )
    specs = timers_for(context, ctx.deps.calendar, ctx.deps.ladder)
    # The action travels in the payload so the poller knows what to do without re-deriving it.
    await ctx.uow.timers.arm(case.id, case.version, [
        ArmedTimer(s.kind, s.due_at, {**s.payload, "action": s.action.value}) for s in specs
    ])


def touch(case: Case, now: datetime, **data: Any) -> None:
    """Record a change that keeps the state: bump the version so older cards go stale."""
    case.data = {**case.data, **data}
    case.version += 1
    case.updated_at = now


async def audit(ctx: Ctx, case: Case, action: str, *, from_state: str = "", to_state: str = "",
                payload: dict[str, Any] | None = None) -> None:
    await ctx.uow.audit.append(
        case, action=action, actor_id=ctx.actor.id if ctx.actor else None,
        actor_identity=ctx.actor_identity if ctx.actor else "system",
        from_state=from_state, to_state=to_state, payload=payload or {}, at=ctx.now,
    )


def refused(ctx: Ctx, case: Case, action: str, **payload: Any) -> None:
    """Note a refused attempt; it is audited after the request's changes are rolled back."""
    ctx.refusals.append((case.id, f"refused:{action}", payload))


async def fire(
    ctx: Ctx,
    case: Case,
    trigger: Trigger,
    *,
    payload: dict[str, Any] | None = None,
    effects: Effects | None = None,
    item_owner_id: int | None = None,
    **attempt: Any,
) -> Decision | None:
    """Try `trigger` on `case` for the asker. Returns the decision when it happened, else None after
    replying why (the refusal is audited as an attempt; nothing else changes)."""
    parties: frozenset[Party] = parties_of(case, ctx.actor, item_owner_id=item_owner_id)
    if not parties:
        # Not on this case: answer as if it did not exist, and show no card of it.
        ctx.refuse("h.unknown_case", ref=case.ref)
        refused(ctx, case, trigger.value, code="not_on_case")
        return None
    if await is_stale(ctx, case):
        return None
    decision = decide(await snapshot(ctx, case), Attempt(trigger=trigger, parties=parties,
                                                          now=ctx.now, **attempt))
    if not decision.allowed:
        assert decision.refusal is not None
        ctx.reply("refusal", t("h.refused", ctx.locale), refusal_text(decision.refusal, ctx.locale),
                  case=case)
        refused(ctx, case, trigger.value, code=decision.refusal.code, parties=sorted(parties))
        return None
    previous = case.state
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
        if decision.outcome == Outcome.COMPLETED and case.facts.get("last_day"):
            end = max(end, date.fromisoformat(case.facts["last_day"]))
        # The jurisdiction's minimum, or longer where the company keeps records longer.
        case.retain_until = max(ctx.deps.jurisdiction.retention_until(end),
                                add_years(end, ctx.deps.retention_years))
    touch(case, ctx.now, last_activity_at=ctx.now.isoformat())
    if effects is not None:
        await effects(case, decision)
    await audit(ctx, case, trigger.value, from_state=previous, to_state=case.state,
                payload={"version": case.version, **(payload or {})})
    await rearm_timers(ctx, case)
    return decision
