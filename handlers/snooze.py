"""Snooze: a person holds back their reminders about one case for a while (`snooze C-0001 2d`, or the
button on a reminder), never past the case's next deadline and never moving one; and `hold_back`,
the one place a reminder waits for the end of a snooze or for the recipient's working hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.casefile import asker_parties, load_case, not_on_case
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from handlers.transition import ArmedTimer, audit
from handlers.views import local_time
from storage.models import Person
from workflow.availability import SNOOZE_DEFAULT, SNOOZE_MAX, Reach, next_reachable, parse_hours, snooze_end, zone
from workflow.case import Case
from workflow.i18n import t
from workflow.model import State
from workflow.policy import DEADLINES, TimerAction

SNOOZE = "snooze"  # the command, its button on reminder cards and its audit event
HELD_FOR = "held_for"  # a held reminder's payload: the one person it is for


async def handle(ctx: Ctx) -> Reply:
    case = await load_case(ctx)
    if not asker_parties(ctx, case):
        raise not_on_case(case, SNOOZE)
    assert ctx.actor is not None
    if case.state == State.CLOSED:
        raise Refused("h.snooze.closed", case=case, ref=case.ref)
    minutes = ctx.inbound.args.get("minutes")
    asked = timedelta(minutes=int(minutes)) if minutes else SNOOZE_DEFAULT
    deadlines = await deadlines_of(ctx, case)
    end = snooze_end(ctx.now, asked, deadlines)
    if end is None:
        raise Refused("h.snooze.too_close", case=case, ref=case.ref,
                      deadline=local_time(ctx, min(d for d in deadlines if d > ctx.now), ctx.actor))
    await ctx.uow.snoozes.set(case.id, ctx.actor.id, end.until, ctx.now)
    await audit(ctx, case, SNOOZE, payload={"until": end.until.isoformat(),
                                            "asked_minutes": int(asked.total_seconds() // 60)})
    key = {None: "h.snooze.set", "limit": "h.snooze.set_limit", "deadline": "h.snooze.set_deadline"}[end.capped_by]
    ctx.reply(SNOOZE, t("h.snooze.title", ctx.locale, ref=case.ref),
              t(key, ctx.locale, ref=case.ref, until=local_time(ctx, end.until, ctx.actor),
                days=SNOOZE_MAX.days), case=case)
    return Reply(ok=True)


async def deadlines_of(ctx: Ctx, case: Case) -> list[datetime]:
    """The instants of the case's pending deadlines (its deadline timers and the talk)."""
    timers = await ctx.uow.timers.pending_for(case.id)
    instants = [tm.due_at for tm in timers if tm.case_version == case.version and HELD_FOR not in tm.payload
                and tm.payload.get("action") in DEADLINES]
    if case.record.talk_at is not None and State(case.state) == State.TALK_SCHEDULED:
        instants.append(case.record.talk_at)
    return instants


def reach_of(ctx: Ctx, person: Person) -> Reach:
    """Where and when `person` may be reminded: their working hours (else the company's), and the
    company's quiet hours in their own time zone when it differs (the ladder already kept the
    reminder out of the company's own quiet hours)."""
    calendar = ctx.deps.calendar
    tz = zone(person.timezone, ctx.tenant.timezone)
    hours = parse_hours(person.work_hours) or parse_hours(ctx.tenant.settings.get("work_hours"))
    own_zone = bool(person.timezone) and tz.key != ctx.tenant.timezone
    quiet = (calendar.quiet_start, calendar.quiet_end) if own_zone else (calendar.quiet_end, calendar.quiet_end)
    return Reach(tz, hours, *quiet)


async def hold_back(ctx: Ctx, case: Case, person: Person, kind: str, payload: dict[str, Any]) -> bool:
    """Whether the reminder `kind` for `person` must wait; if so it is armed again, for them alone,
    for when it may reach them: after their snooze (cut short at the case's next deadline; a
    deadline's own notice is never snoozed) and inside their working hours."""
    at = ctx.now
    snoozed = await ctx.uow.snoozes.until(case.id, person.id)
    if snoozed is not None and snoozed > at and TimerAction(payload["action"]) not in DEADLINES:
        upcoming = [d for d in await deadlines_of(ctx, case) if d > at]
        at = min([snoozed, *upcoming])
    at = next_reachable(at, reach_of(ctx, person), ctx.deps.calendar.is_working_day)
    if at <= ctx.now:
        return False
    base = kind.split("@", 1)[0]
    held = ArmedTimer(f"{base}@{person.id}@{int(at.timestamp())}", at, {**payload, HELD_FOR: person.id})
    await ctx.uow.timers.arm(case.id, case.version, [held])
    return True
