"""The timer poller's use case: claim due timers and do what each one says, once in effect.

A timer armed for an older case version is stale: it is marked fired and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from handlers import digest
from handlers.context import Ctx, company_locale, hr_group_message
from handlers.contracts import Inbound
from handlers.delegates import stand_ins
from handlers.deps import Deps
from handlers.handover import item_number
from handlers.notify import hr_people
from handlers.service import run_or_answer
from handlers.snooze import HELD_FOR, SNOOZE, hold_back
from handlers.transition import audit
from handlers.views import deadline_time, employee_card, message_for, zoned_time
from handlers.webhooks import publish_item_due
from storage.models import Person
from storage.queue import MAX_ATTEMPTS
from storage.timers import ClaimedTimer
from storage.uow import UnitOfWork
from workflow.actions import ACTIONS
from workflow.case import Case
from workflow.evidence import missing, requirement_label
from workflow.fact_words import listing
from workflow.i18n import t
from workflow.model import Ground, Role, Trigger
from workflow.policy import TimerAction, message_key

CLAIM_LEASE = timedelta(seconds=60)
# Timers of up to this many cases share one transaction: a burst then costs one BEGIN/COMMIT per
# group instead of per timer (bench/timers.py). A group that fails is retried case by case.
CASES_PER_TRANSACTION = 10
_GROUP_ACTIONS = {TimerAction.TELL_HR_STALLING, TimerAction.REMIND_HR_REVIEW}
# Timers that fire a workflow action (the spec's `fired_by`); every other timer only reminds.
FIRES = {a.fired_by: a for a in ACTIONS if a.fired_by is not None}

log = logging.getLogger(__name__)


async def fire_due(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 100,
                   lease: timedelta = CLAIM_LEASE, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Claim up to `limit` due timers and fire them (`fire_claimed`); returns how many acted.

    A claim is reserved for `lease`; a worker that dies holding it delays those timers by that
    much.
    """
    now = deps.clock.now()
    async with uow_factory() as uow:
        claimed = await uow.timers.claim_due(now, limit, lease)
        await uow.commit()
        writers = uow.timers.concurrent_writers
    return await fire_claimed(uow_factory, deps, claimed, now, max_attempts=max_attempts, writers=writers)


async def fire_claimed(uow_factory: Callable[[], UnitOfWork], deps: Deps, claimed: list[ClaimedTimer],
                       now: datetime, *, max_attempts: int, writers: int) -> int:
    """Fire timers claimed at `now`, up to `writers` transactions at once (Timers.concurrent_writers);
    returns how many acted.

    Each timer fires at most once in effect: it is marked fired in the transaction that acts on
    it. A timer that fails on its own is tried again after a backoff, and after `max_attempts` it
    is dead and HR is told (storage.queue); the first failure is raised once every group had its
    turn.
    """
    # Where the database takes concurrent writers, a few groups run at once so that their
    # round trips and commit flushes overlap. One case's timers fire in due order, together.
    gate = asyncio.Semaphore(writers)
    by_case: dict[int, list[ClaimedTimer]] = {}
    workspace_timers = []
    for timer in claimed:
        if timer.case_id is None:
            workspace_timers.append(timer)  # a workspace's own (the weekly digest)
        else:
            by_case.setdefault(timer.case_id, []).append(timer)
    # Cases in id order, so two workers' groups lock rows in the same order and cannot deadlock.
    cases = [by_case[case_id] for case_id in sorted(by_case)]
    groups = [cases[i:i + CASES_PER_TRANSACTION] for i in range(0, len(cases), CASES_PER_TRANSACTION)]

    async def fire_all(timers: list[ClaimedTimer]) -> int:
        async with gate, uow_factory() as uow:
            acted = await _fire(uow, deps, timers, now)
            await uow.commit()
            return acted

    async def fire_workspace(timer: ClaimedTimer) -> int:
        async with gate, uow_factory() as uow:
            acted = await digest.fire(uow, deps, timer, now)
            await uow.commit()
            return acted

    async def fire_one(timer: ClaimedTimer) -> int:
        try:
            return await (fire_all([timer]) if timer.case_id is not None else fire_workspace(timer))
        except Exception as error:
            await _failed(uow_factory, timer, now, f"{type(error).__name__}: {error}", max_attempts)
            raise

    async def fire_group(group: list[list[ClaimedTimer]]) -> int:
        if len(group) == 1 and len(group[0]) == 1:
            return await fire_one(group[0][0])
        try:
            return await fire_all([timer for timers in group for timer in timers])
        except Exception:
            log.warning("a group of %d case(s)' timers failed; firing them one by one", len(group),
                        exc_info=True)
        # Alone, every other timer still fires and the failure is pinned to its own timer.
        outcomes = await asyncio.gather(*(fire_case(timers) for timers in group), return_exceptions=True)
        return _total(outcomes)

    async def fire_case(timers: list[ClaimedTimer]) -> int:
        return sum([await fire_one(timer) for timer in timers])

    # Every group gets its turn even if another fails; then the first failure is raised. A
    # workspace's timers go last: the digest reads the cases after their own timers due with it acted.
    outcomes = await asyncio.gather(*(fire_group(group) for group in groups), return_exceptions=True)
    outcomes += await asyncio.gather(*(fire_one(timer) for timer in workspace_timers), return_exceptions=True)
    return _total(outcomes)


async def _failed(uow_factory: Callable[[], UnitOfWork], timer: ClaimedTimer, now: datetime, error: str,
                  max_attempts: int) -> None:
    """Record a timer's failed firing (backoff, or dead with HR told)."""
    try:
        async with uow_factory() as uow:
            dead = await uow.timers.fail(timer.id, now, error, max_attempts=max_attempts)
            await uow.commit()
    except Exception:
        log.exception("timer %s: could not record the failure %r", timer.id, error)
        return
    if dead:
        log.error("timer %s (%s of case %s) given up after %d attempts: %s", timer.id, timer.kind,
                  timer.case_id, max_attempts, error)


def _total(outcomes: list[int | BaseException]) -> int:
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return sum(outcome for outcome in outcomes if isinstance(outcome, int))


async def _fire(uow: UnitOfWork, deps: Deps, timers: list[ClaimedTimer], now: datetime) -> int:
    """Lock the timers' cases, mark the timers fired, and do what each says unless it is stale
    or another worker fired it first; returns how many acted."""
    cases = await uow.cases.lock_many(timer.case_id for timer in timers)
    fired = await uow.timers.mark_fired((timer.id for timer in timers), now)
    # Every reminder names the manager and reads the tenant: load them once for the group, and
    # hold them so that later lookups in this transaction answer from the session's memory.
    held = [*await uow.tenants.get_many(case.tenant_id for case in cases.values()),
            *await uow.people.get_many(case.manager_id for case in cases.values())]
    acted = 0
    for timer in timers:
        case = cases.get(timer.case_id)
        # An earlier timer of the group may have moved the case on: this one is stale then.
        if timer.id in fired and case is not None and case.version == timer.case_version:
            await _act(uow, deps, case, timer.kind, timer.payload, now)
            acted += 1
    del held
    return acted


async def _act(uow: UnitOfWork, deps: Deps, case: Case, kind: str, payload: dict, now: datetime) -> None:
    tenant = await uow.tenants.get(case.tenant_id)
    ctx = Ctx(uow=uow, deps=deps, inbound=Inbound(platform="system", platform_tenant="", user_id="timer",
                                                  name=kind), actor=None, tenant=tenant, now=now)
    action = TimerAction(payload["action"])
    if action in FIRES:
        # A timer that moves the case is a workflow action by the system, run as any other; if the
        # workflow refuses it now, nothing happens (and nobody is there to answer).
        await run_or_answer(ctx, case, FIRES[action], payload={"timer": kind})
        return
    recipients = await _recipients(ctx, case, action, payload)
    if recipients is None:
        return  # the item it was about is done already
    day = deps.calendar.local_date(now).isoformat()
    if HELD_FOR in payload:
        # A reminder held back for one person (a snooze, their working hours) now reaches them.
        held = await uow.people.get(int(payload[HELD_FOR]))
        people = [held] if held is not None else []
    else:
        await audit(ctx, case, f"reminder:{action.value}", payload={"timer": kind})
        if action == TimerAction.REMIND_ITEM_OWNER:
            await publish_item_due(ctx, case, int(payload["item_id"]))
        if action in _GROUP_ACTIONS:
            loc = company_locale(tenant)
            await ctx.send(hr_group_message("reminder", case, loc, t("h.reminder.title", loc, ref=case.ref),
                                            await _text(ctx, case, action, payload, loc, None)),
                           case=case, dedup_key=f"rem:{case.id}:{kind}:group:{day}")
        people = [person for person, _for in await stand_ins(ctx, case, recipients)]
    for person in people:
        if await hold_back(ctx, case, person, kind, payload):
            continue
        # "Never more than once per (case, kind, day)" is the outbox's dedup key.
        dedup = f"rem:{case.id}:{kind}:{person.id}:{day}"
        loc = ctx.locale_of(person)
        if action == TimerAction.RESEND_EMPLOYEE_CARD:
            # The same card again, but saying it is a reminder: not a second, new decision.
            card = await employee_card(ctx, case, person)
            card.data["title"] = t("h.employee_card.reminder_title", loc, ref=case.ref)
            if "deadline" in payload:  # what is due, and by when
                card.data["fields"].insert(0, [t("h.field.answer_by", loc),
                                               deadline_time(ctx, datetime.fromisoformat(payload["deadline"]), loc,
                                                             person)])
            await ctx.send(card, case=case, dedup_key=dedup)
            continue
        reminder = message_for(case, person, "reminder", t("h.reminder.title", loc, ref=case.ref),
                               await _text(ctx, case, action, payload, loc, person), [], (SNOOZE,),
                               locale=loc)
        if action == TimerAction.REMIND_ITEM_OWNER:
            # The owner's nudge carries the item's own Done button before "remind me later".
            item = await uow.handover.get(int(payload["item_id"]))
            if item is not None:
                reminder = replace(reminder, actions=(Trigger.COMPLETE_ITEM.value, SNOOZE),
                                   data={**reminder.data, "item": await item_number(ctx, item)})
        await ctx.send(reminder, case=case, dedup_key=dedup)


async def _recipients(ctx: Ctx, case: Case, action: TimerAction, payload: dict) -> list[Person] | None:
    uow = ctx.uow
    if action in _GROUP_ACTIONS:
        return []
    if action == TimerAction.REMIND_MANAGER_EVIDENCE:
        return [await uow.people.get(case.manager_id)]
    if action == TimerAction.ESCALATE_HR_LEAD:
        return await uow.people.with_role(case.tenant_id, Role.HR_LEAD.value) or await hr_people(ctx, case)
    if action == TimerAction.REMIND_TALK:
        talk_at = case.record.talk_at
        if talk_at and ctx.now >= talk_at:
            return None  # a worker that was down past the talk time must not remind of the past
        scheduler = case.record.scheduled_by
        return [p for p in [await uow.people.get(case.manager_id),
                            await uow.people.get(scheduler) if scheduler else None] if p]
    if action == TimerAction.RESEND_EMPLOYEE_CARD:
        # Opening the signing page marks the card read without a new case version.
        return None if case.record.read_at else [await uow.people.get(case.employee_id)]
    if action == TimerAction.REMIND_ITEM_OWNER:
        item = await uow.handover.get(int(payload["item_id"]))
        return None if item is None or item.done_at else [await uow.people.get(item.owner_id)]
    if action == TimerAction.ESCALATE_ITEM:
        item = await uow.handover.get(int(payload["item_id"]))
        return None if item is None or item.done_at else await hr_people(ctx, case)
    return await hr_people(ctx, case)


async def _text(ctx: Ctx, case: Case, action: TimerAction, payload: dict, loc: str,
                reader: Person | None) -> str:
    """The policy's sentence for this reminder, with every parameter any sentence may use; times in
    `reader`'s time zone (None: the HR group, the company's)."""
    manager = await ctx.uow.people.get(case.manager_id)
    kinds = await ctx.uow.evidence.kinds(case.id)  # a reminder needs no evidence files
    gaps = listing((requirement_label(r, loc) for r in missing(Ground(case.ground), kinds)), loc)
    item_label, owner_name, due = "", "", "—"
    if "item_id" in payload:
        item = await ctx.uow.handover.get(int(payload["item_id"]))
        if item is not None:
            owner = await ctx.uow.people.get(item.owner_id)
            item_label = t(f"handover.{item.kind}", loc)
            owner_name = owner.name if owner else ""
            due = deadline_time(ctx, item.due_at, loc, reader)
    elif "termination_date" in payload:
        due = payload.get("due", payload["termination_date"])  # a date: the day the law counts from
    elif "deadline" in payload:  # when the ladder's next rung acts (workflow.policy.DEADLINE_OF)
        due = deadline_time(ctx, datetime.fromisoformat(payload["deadline"]), loc, reader)
    talk = case.record.talk_at
    return t(message_key(action), loc, case=case.ref, missing=gaps or t("h.none", loc),
             manager=manager.name if manager else "", days=ctx.deps.ladder.waited(action) or "",
             talk=zoned_time(ctx, talk, loc, reader) if talk else "",
             read=t("policy.read.opened" if case.record.read_at else "policy.read.unopened", loc),
             item=item_label, due=due, owner=owner_name,
             since=zoned_time(ctx, case.state_entered_at, loc, reader))  # how long it has waited
