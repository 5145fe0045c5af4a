"""The HR report: open cases by state, overdue handover items, and how long cases sit in each stage."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

from handlers.casefile import is_hr
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.views import local_time
from workflow.i18n import t


async def handle(ctx: Ctx) -> Reply:
    if not is_hr(ctx.actor):
        raise Refused("h.report.only_hr")
    cases = await ctx.uow.cases.open_cases(ctx.tenant.id)
    by_state = Counter(c.state for c in cases)
    overdue: list[str] = []
    hours: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        for item in await ctx.uow.handover.for_case(case.id):
            if item.done_at is None and item.due_at <= ctx.now:
                overdue.append(f"{case.ref} · {t(f'handover.{item.kind}', ctx.locale)} · "
                               f"{local_time(ctx, item.due_at)}")
        # Stage durations from the audit trail: time between consecutive state entries.
        events = [e for e in await ctx.uow.audit.for_case(case.id) if e.to_state]
        for this, following in pairwise(events):
            if this.to_state != following.to_state:
                hours[this.to_state].append((following.at - this.at).total_seconds() / 3600)
    state_lines = [f"{t(f'state.{s}', ctx.locale)}: {n}" for s, n in sorted(by_state.items())]
    duration_lines = [f"{t(f'state.{s}', ctx.locale)}: {sum(v) / len(v):.1f}"
                      for s, v in sorted(hours.items())]
    none = t("h.none", ctx.locale)
    ctx.reply("report", t("h.report.title", ctx.locale), "", fields=[
        [t("h.report.by_state", ctx.locale), "\n".join(state_lines) or none],
        [t("h.report.overdue", ctx.locale), "\n".join(overdue) or none],
        [t("h.report.durations", ctx.locale), "\n".join(duration_lines) or none],
    ])
    return Reply(ok=True)

