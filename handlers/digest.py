"""The weekly HR digest: a workspace timer (armed once, re-armed for the next week when it fires)
that queues one HR-group message with the week's figures and the chart's data; the channels draw
the chart (a PNG) when they send it. The day and hour are the tenant setting "digest".

Group rules hold: the digest names cases by reference and state only — no employee, no pay, no
protected status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.context import Ctx, channel_of
from handlers.contracts import HR_GROUP, Inbound, Message
from handlers.deps import Deps
from handlers.report import STAGE_LABELS, figure_lines, outcome_label
from storage.models import Tenant
from storage.reports import ReportQuery
from storage.timers import ClaimedTimer
from storage.uow import UnitOfWork
from workflow.digest import Schedule, WeekFigures, next_due, schedule_from, week_figures
from workflow.i18n import normalise_locale, t

# The timer's kind and the outbox message's kind (the channels draw its chart).
WEEKLY_DIGEST = "weekly_digest"
# The tenant setting: {"day": "mon", "hour": 9, "enabled": true}.
SETTING = "digest"
# The console is a trial desk: it gets a digest only once someone sets one for it.
CONSOLE = "console"


def schedule_of(tenant: Tenant) -> Schedule:
    return schedule_from(tenant.settings.get(SETTING))


def wanted(tenant: Tenant) -> bool:
    """Does the workspace get a weekly digest (chat workspaces by default, the console if set)?"""
    if channel_of(tenant) == CONSOLE and SETTING not in tenant.settings:
        return False
    return schedule_of(tenant).enabled


async def arm(uow: UnitOfWork, tenant: Tenant, now: datetime) -> datetime | None:
    """Arm the workspace's next digest unless one is pending; its due time, None when off."""
    if not wanted(tenant):
        return None
    due = next_due(now, schedule_of(tenant), ZoneInfo(tenant.timezone))
    await uow.timers.arm_for_tenant(tenant.id, WEEKLY_DIGEST, due, {})
    pending = await uow.timers.pending_for_tenant(tenant.id, WEEKLY_DIGEST)
    return pending[0].due_at if pending else None


async def arm_all(uow: UnitOfWork, now: datetime) -> int:
    """Arm the digest of every workspace that wants one and has none pending; how many."""
    armed = 0
    for tenant in await uow.timers.tenants_without_pending(WEEKLY_DIGEST):
        armed += await arm(uow, tenant, now) is not None
    return armed


async def set_schedule(uow: UnitOfWork, tenant: Tenant, schedule: Schedule, now: datetime) -> datetime | None:
    """Store the workspace's schedule and re-arm its digest for it; the next due time (None: off)."""
    tenant.settings = {**tenant.settings, SETTING: schedule.as_setting()}  # a new dict: stored
    await uow.timers.disarm_for_tenant(tenant.id, WEEKLY_DIGEST)
    return await arm(uow, tenant, now)


async def fire(uow: UnitOfWork, deps: Deps, timer: ClaimedTimer, now: datetime) -> int:
    """Fire a claimed digest timer: queue the week's digest to the HR group and arm next week's,
    in this transaction; 1 when it acted (0: fired by another worker, or the digest is off)."""
    tenant = await uow.tenants.get(timer.tenant_id) if timer.tenant_id is not None else None
    if timer.id not in await uow.timers.mark_fired([timer.id], now) or tenant is None or not wanted(tenant):
        return 0
    ctx = Ctx(uow=uow, deps=deps, actor=None, tenant=tenant, now=now,
              inbound=Inbound(platform="system", platform_tenant="", user_id="timer", name=WEEKLY_DIGEST))
    await ctx.send(await week_message(uow, tenant, timer.due_at, now), case=None,
                   dedup_key=f"{WEEKLY_DIGEST}:{tenant.id}:{timer.due_at.isoformat()}")
    await arm(uow, tenant, now)
    return 1


async def week_message(uow: UnitOfWork, tenant: Tenant, end: datetime, now: datetime) -> Message:
    """The digest of the week ending at `end`, read at `now`, in the HR group's language."""
    histories = await uow.reports.histories(ReportQuery(tenant.id))
    return digest_message(week_figures(histories, end, now), normalise_locale(tenant.settings.get("locale")),
                          ZoneInfo(tenant.timezone))


def digest_message(figures: WeekFigures, locale: str, zone: ZoneInfo) -> Message:
    """The HR group's digest: title, summary, figure fields and the chart's data, in `locale`."""
    loc = locale
    none = t("h.none", loc)
    first, last = figures.start.astimezone(zone), figures.end.astimezone(zone)
    attention = [t("h.digest.attention_line", loc, ref=a.ref, state=t(f"state.{a.state}", loc),
                   reasons=t("h.digest.reason_separator", loc).join(t(f"h.digest.reason.{r}", loc) for r in a.reasons))
                 for a in figures.attention]
    fields = [
        [t("h.digest.closed_by_outcome", loc),
         "\n".join(f"{outcome_label(o, loc)}: {n}" for o, n in figures.closed_by_outcome.items()) or none],
        [t("h.report.by_state", loc),
         "\n".join(f"{t(f'state.{s}', loc)}: {n}" for s, n in figures.open_by_state.items()) or none],
        [t("h.digest.durations", loc), "\n".join(figure_lines(figures.stages, STAGE_LABELS, loc)) or none],
        [t("h.digest.events", loc), t("h.digest.events_line", loc, disputed=figures.disputed,
                                      escalated=figures.escalated, overdue=figures.overdue_items)],
        [t("h.digest.attention", loc), "\n".join(attention) or none],
    ]
    return Message(kind=WEEKLY_DIGEST, recipient=HR_GROUP, locale=loc, data={
        "title": t("h.digest.title", loc, start=first.strftime("%Y-%m-%d"), end=last.strftime("%Y-%m-%d")),
        "text": t("h.digest.summary", loc, opened=figures.opened, closed=figures.closed,
                  open=sum(figures.open_by_state.values())),
        "fields": fields,
        "chart": chart_data(figures, loc),
    })


def chart_data(figures: WeekFigures, loc: str) -> dict[str, Any]:
    """What the chart shows, labelled in `loc`: the channels draw it (bot/cards/chart.py)."""
    return {
        "stages_title": t("h.digest.chart.stages", loc),
        "states_title": t("h.digest.chart.states", loc),
        "hours": t("h.digest.chart.hours", loc),
        "cases": t("h.digest.chart.cases", loc),
        "median": t("h.digest.chart.median", loc),
        "p90": t("h.digest.chart.p90", loc),
        "empty": t("h.digest.chart.empty", loc),
        # The stays counted beside each stage: a stage with none is drawn as "—", not as 0 hours.
        "stages": [[t(STAGE_LABELS[stage], loc), d.median_hours, d.p90_hours, d.cases]
                   for stage, d in figures.stages.items()],
        "states": [[t(f"state.{state}", loc), n] for state, n in figures.open_by_state.items()],
    }
