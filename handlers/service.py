"""The one service function every workflow action runs through, for a press, a typed command, the
signing page or a timer: load the case under lock, let the action's spec and the workflow decide,
apply its effect, then audit, timers and outbox, all in the request's one transaction.

A refusal is raised (handlers/refusal.py) and answered by the dispatcher; nothing is kept but the
audit of the attempt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from handlers import effects, notify, webhooks
from handlers.casefile import approval_standing, asker_parties, load_case, not_on_case
from handlers.context import Ctx, person_recipient
from handlers.contracts import Reply
from handlers.effects import Change
from handlers.inputs import attempt_fields
from handlers.refusal import Refused, answer
from handlers.signing.confirm import offer_confirmation
from handlers.signing.record import SigningEvidence
from handlers.transition import audit, move, rearm_timers, refuse_if_stale, snapshot
from storage.models import HandoverItem
from workflow.actions import BY_NAME, BY_TRIGGER, Action
from workflow.case import Case
from workflow.i18n import t
from workflow.machine import Attempt, decide
from workflow.model import State, Trigger


async def handle(ctx: Ctx) -> Reply:
    """The route of every workflow action a person presses or types."""
    return await run(ctx, BY_NAME[ctx.inbound.name])


async def run(ctx: Ctx, action: Action, *, case: Case | None = None, item: HandoverItem | None = None,
              signing: SigningEvidence | None = None, payload: dict[str, Any] | None = None) -> Reply:
    """Run `action` for the asker on the request's case (or `case`, already locked).

    `item` is the handover item a complete_item press is about; `signing` how a signer reached the
    button (None: the request's own chat channel); `payload` replaces the request's text in the
    audit event (a timer's name, an item).
    """
    assert action.trigger is not None, f"{action.name} is not a workflow action"
    if case is None:
        case = await load_case(ctx)
    parties = asker_parties(ctx, case, item_owner_id=item.owner_id if item else None)
    if not parties:
        # Not on this case: answer as if it did not exist (before reading any input), no card of it.
        raise not_on_case(case, action.name)
    fields = attempt_fields(ctx, case, action)
    await refuse_if_stale(ctx, case)
    today = ctx.now.astimezone(ZoneInfo(ctx.tenant.timezone)).date()
    standing = approval_standing(case, ctx.actor, ctx.principals)
    decision = decide(await snapshot(ctx, case), Attempt(trigger=action.trigger, parties=parties, now=ctx.now,
                                                         today=today, item_owned=item is not None,
                                                         **standing, **fields))
    if not decision.allowed:
        assert decision.refusal is not None
        raise Refused.by_workflow(decision.refusal, case=case, audit=action.name,
                                  payload={"code": decision.refusal.code, "parties": sorted(parties)})
    if action.intention and not any(ctx.inbound.args.get(i.name) for i in action.inputs if i.kind == "hash"):
        # Allowed, but not yet confirmed: a bare press gets the confirmation step, and nothing moves.
        await offer_confirmation(ctx, case, action)
        return Reply(ok=True)
    move(ctx, case, decision)
    await effects.apply(Change(ctx, case, action, talk_at=fields.get("talk_at"), signing=signing, item=item))
    if payload is None:
        payload = {"text": fields["text"]} if fields["text"] else {}
    await audit(ctx, case, action.name, from_state=decision.from_state.value, to_state=case.state,
                payload={"version": case.version, **payload})
    await rearm_timers(ctx, case)
    await notify.tell(ctx, case, action, decision.from_state)
    await notify.answer(ctx, case, action, item)
    await webhooks.publish_action(ctx, case, action, decision.from_state, item)
    if action.follow_up == "finish_when_items_done":
        await finish_if_done(ctx, case)
    return Reply(ok=True)


async def finish_if_done(ctx: Ctx, case: Case) -> None:
    """Close the case as the system once the last item (and the certificate) is done."""
    items = await ctx.uow.handover.for_case(case.id)
    if case.state != State.HANDOVER or any(i.done_at is None for i in items):
        return
    # The system finishes, and not by a card press: no freshness check against the asker's card.
    # Its answer is shown to the asker: in the asker's language.
    system = Ctx(uow=ctx.uow, deps=ctx.deps, inbound=replace(ctx.inbound, case_version=None, locale=ctx.locale),
                 actor=None, tenant=ctx.tenant, now=ctx.now)
    try:
        await run(system, BY_TRIGGER[Trigger.FINISH], case=case, payload={})
    except Refused as refused:
        # Not yet (say, the last day has not come): whoever ticked the last item is told why, as
        # news about the case rather than as a refusal of their tick.
        ctx.reply("finish_pending", t("h.finish_pending", ctx.locale, ref=case.ref), refused.text(ctx.locale),
                  case=case)
    ctx.replies.extend(system.replies)


async def run_or_answer(ctx: Ctx, case: Case, action: Action, *, signing: SigningEvidence | None = None,
                        payload: dict[str, Any] | None = None) -> Reply:
    """`run` for callers that are not the dispatcher (the signing page, timers, the system): a
    refusal becomes the reply in `ctx.replies`, and nothing is audited."""
    try:
        return await run(ctx, action, case=case, signing=signing, payload=payload)
    except Refused as refused:
        recipient = person_recipient(ctx.actor) if ctx.actor else ""
        ctx.replies.extend(answer(refused, recipient=recipient, locale=ctx.locale))
        return Reply(ok=False)


def signature_effect(evidence: SigningEvidence) -> SigningEvidence:
    """How the signing page's signer reached the button (passed on to `run_page_answer`)."""
    return evidence


async def run_page_answer(ctx: Ctx, case: Case, trigger: Trigger, evidence: SigningEvidence | None) -> Reply:
    """The signing page's Sign or Dispute, run as any press is."""
    return await run_or_answer(ctx, case, BY_TRIGGER[trigger], signing=evidence)
