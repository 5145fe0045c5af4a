"""The HR report over all of the tenant's cases, open and closed: counts, stage durations, rates,
answer time per channel, overdue handover items. `figures` is what the CLI prints too.

Only HR asks for it, and it names no salary, wage or protected status: it may be read in a group.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from handlers.casefile import is_hr
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.views import local_time
from storage.reports import ReportQuery
from storage.uow import UnitOfWork
from workflow.i18n import t
from workflow.reports import Durations, Report, build

STAGE_LABELS = {
    "evidence": "h.report.stage.evidence",
    "hr_review": "h.report.stage.hr_review",
    "talk": "h.report.stage.talk",
    "employee_response": "h.report.stage.employee_response",
    "handover": "h.report.stage.handover",
}
CHANNEL_LABELS = {
    "slack": "h.report.channel.slack",
    "wecom": "h.report.channel.wecom",
    "page": "h.report.channel.page",
    "console": "h.report.channel.console",
}
RATE_LABELS = {
    "disputed": "h.report.rate.disputed",
    "escalated": "h.report.rate.escalated",
    "notice_served": "h.report.rate.notice_served",
}


async def figures(uow: UnitOfWork, now: datetime, query: ReportQuery, *, period_from: str = "",
                  period_to: str = "") -> Report:
    """The report over the cases `query` selects, as of `now`."""
    histories = await uow.reports.histories(query)
    return build(histories, now, period_from=period_from, period_to=period_to,
                 department=query.department)


def _label(labels: dict[str, str], key: str, locale: str) -> str:
    return t(labels[key], locale) if key in labels else key


def figure_lines(table: dict[str, Durations], labels: dict[str, str], locale: str) -> list[str]:
    return [t("h.report.figure_line", locale, label=_label(labels, key, locale), median=f"{d.median_hours:.1f}",
              p90=f"{d.p90_hours:.1f}", cases=d.cases) for key, d in table.items() if d.cases]


async def handle(ctx: Ctx) -> Reply:
    if not is_hr(ctx.actor):
        raise Refused("h.report.only_hr")
    loc = ctx.locale
    report = await figures(ctx.uow, ctx.now, ReportQuery(ctx.tenant.id))
    open_cases = await ctx.uow.cases.open_cases(ctx.tenant.id)
    by_state = Counter(c.state for c in open_cases)
    overdue: list[str] = []
    for case in open_cases:
        for item in await ctx.uow.handover.for_case(case.id):
            if item.done_at is None and item.due_at <= ctx.now:
                overdue.append(f"{case.ref} · {t(f'handover.{item.kind}', loc)} · "
                               f"{local_time(ctx, item.due_at, ctx.actor)}")
    rates = [t("h.report.rate_line", loc, label=t(label, loc), cases=rate.cases, of=rate.of,
               percent=f"{rate.rate * 100:.0f}")
             for name, label in RATE_LABELS.items() for rate in [getattr(report, name)]]
    none = t("h.none", loc)
    ctx.reply("report", t("h.report.title", loc), "", fields=[
        [t("h.report.by_state", loc),
         "\n".join(f"{t(f'state.{s}', loc)}: {n}" for s, n in sorted(by_state.items())) or none],
        [t("h.report.by_ground", loc),
         "\n".join(f"{t(f'h.ground.{g}', loc)}: {n}" for g, n in report.by_ground.items()) or none],
        [t("h.report.by_outcome", loc),
         "\n".join(f"{outcome_label(o, loc)}: {n}" for o, n in report.by_outcome.items()) or none],
        [t("h.report.durations", loc), "\n".join(figure_lines(report.stages, STAGE_LABELS, loc)) or none],
        [t("h.report.slowest", loc),
         _label(STAGE_LABELS, report.slowest_stage, loc) if report.slowest_stage else none],
        [t("h.report.rates", loc), "\n".join(rates)],
        [t("h.report.channels", loc),
         "\n".join(figure_lines(report.response_by_channel, CHANNEL_LABELS, loc)) or none],
        [t("h.report.overdue", loc), "\n".join(overdue) or none],
        [t("h.report.overdue_by_owner", loc),
         "\n".join(f"{owner}: {n}" for owner, n in report.overdue_by_owner.items()) or none],
    ])
    return Reply(ok=True)


def outcome_label(outcome: str, locale: str) -> str:
    return t("h.report.open_cases", locale) if outcome == "open" else t(f"outcome.{outcome}", locale)
