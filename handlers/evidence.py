"""Add evidence to a case: text, a link or a file, stored with its SHA-256, who and when."""

from __future__ import annotations

import hashlib
from typing import Any

from handlers.casefile import asker_parties, load_case, not_on_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.inputs import mebibytes
from handlers.refusal import Refused
from handlers.transition import audit, rearm_timers
from storage.models import EvidenceItem
from workflow.actions import BY_NAME
from workflow.case import Case
from workflow.evidence import first_gap, kind_label, kinds_for, parse_kind, requirement_label, typed_label
from workflow.fact_words import listing
from workflow.i18n import t
from workflow.model import Ground, State

EVIDENCE = BY_NAME["evidence"]


async def next_prompt(ctx: Ctx, case: Case) -> None:
    """Ask for the next missing item, or say the evidence is complete."""
    kinds = [e.kind for e in await ctx.uow.evidence.for_case(case.id)]
    gap = first_gap(Ground(case.ground), kinds)
    if gap is None:
        ctx.reply("evidence_prompt", t("h.evidence_complete", ctx.locale, ref=case.ref), case=case,
                  actions=("submit",))
        return
    label = requirement_label(gap.requirement, ctx.locale)
    # A slot of several items (two review periods) says how far it is, or the manager who sent
    # one reads the same prompt again as if nothing had arrived.
    text = (t("h.prompt_next_partial", ctx.locale, n=gap.number, label=label, have=gap.have,
              need=gap.requirement.min_count, ref=case.ref) if gap.have
            else t("h.prompt_next", ctx.locale, n=gap.number, label=label, ref=case.ref))
    ctx.reply("evidence_prompt", text, case=case, actions=("evidence",))


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    parties = asker_parties(ctx, case)
    if not parties:
        raise not_on_case(case, EVIDENCE.name)
    # Who and where come from the spec; its own refusal texts say what this handler is for.
    if not parties & set(EVIDENCE.parties_in(State.COLLECTING_EVIDENCE)):
        raise Refused(EVIDENCE.refuse_party, case=case, audit=EVIDENCE.name, payload={"reason": "not_manager"})
    if EVIDENCE.step(State(case.state)) is None:
        raise Refused(EVIDENCE.refuse_state, case=case, ref=case.ref, state=t(f"state.{case.state}", ctx.locale))
    args = ctx.inbound.args
    kind = parse_kind(str(args.get("kind", "")))
    if kind is None:
        # The kinds this case takes, as they can be typed: not those of every ground.
        raise Refused("h.evidence_kind", case=case, kind=args.get("kind", ""),
                      kinds=listing((typed_label(k, ctx.locale) for k in kinds_for(Ground(case.ground))), ctx.locale))
    file: dict[str, Any] | None = args.get("file")
    content = str(args.get("content", "")).strip()
    body = file["data"] if file else content.encode()
    if not body:
        raise Refused("h.evidence_empty", case=case)
    if len(body) > ctx.deps.max_evidence_bytes:
        raise Refused("h.evidence_too_large", case=case, size=mebibytes(len(body)),
                      limit=mebibytes(ctx.deps.max_evidence_bytes))
    assert ctx.actor is not None
    digest = hashlib.sha256(body).hexdigest()
    await ctx.uow.evidence.add(EvidenceItem(
        case_id=case.id, kind=kind, content=content[:20000],
        filename=file.get("filename", "") if file else "",
        media_type=file.get("media_type", "") if file else "text/plain",
        blob=body if file else None, size=len(body), sha256=digest,
        added_by_id=ctx.actor.id, added_at=ctx.now,
    ))
    case.touch(ctx.now, case.record.touched(ctx.now))
    await audit(ctx, case, "evidence", payload={"kind": kind, "sha256": digest, "size": len(body)})
    await rearm_timers(ctx, case)
    ctx.reply("evidence_added", t("h.done", ctx.locale),
              t("h.evidence_added", ctx.locale, label=kind_label(kind, ctx.locale), short=digest[:12]),
              case=case)
    await next_prompt(ctx, case)
    return Reply(ok=True)
