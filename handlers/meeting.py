"""The employee asks for another meeting: HR is told (the spec's notices); the case does not move."""

from __future__ import annotations

from handlers import effects, notify
from handlers.casefile import load_case, not_on_case, parties_of
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.transition import audit
from workflow.actions import BY_NAME
from workflow.guards import party_refusal
from workflow.model import State

ASK_MEETING = BY_NAME["ask_meeting"]


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    parties = parties_of(case, ctx.actor)
    if not parties:
        raise not_on_case(case, ASK_MEETING.name)
    state = State(case.state)
    allowed = ASK_MEETING.parties_in(state)
    if parties.isdisjoint(allowed):
        raise Refused.by_workflow(party_refusal(ASK_MEETING.name, allowed), case=case, audit=ASK_MEETING.name,
                                  payload={})
    case.touch(ctx.now, effects.recorded(effects.Change(ctx, case, ASK_MEETING)))
    await audit(ctx, case, ASK_MEETING.name, payload={"text": ctx.text})
    await notify.tell(ctx, case, ASK_MEETING, state)
    await notify.answer(ctx, case, ASK_MEETING)
    return Reply(ok=True)
