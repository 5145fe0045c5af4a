"""The retention job on a stopped clock: exactly what is past its period goes, each prune is logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta

from sqlalchemy import func, select

from storage.models import (
    Case,
    InboundDelivery,
    InboxEntry,
    OutboxMessage,
    SigningToken,
    SlackOAuthState,
)
from storage.retention import Periods, log, prune, purge_cases
from storage.uow import UnitOfWork
from tests.storage.data import NOW, OpenCase, World

DAY = timedelta(days=1)
JUST = timedelta(seconds=1)


def _outbox(key: str, *, sent: timedelta | None = None, dead: timedelta | None = None,
            created: timedelta = 60 * DAY, tenant_id: int) -> OutboxMessage:
    return OutboxMessage(dedup_key=key, tenant_id=tenant_id, channel="slack", recipient="person:1", kind="k",
                         payload={}, created_at=NOW - created, next_attempt_at=NOW - created,
                         sent_at=NOW - sent if sent else None, dead_at=NOW - dead if dead else None)


def _inbox(key: str, *, dead: timedelta | None, received: timedelta = 60 * DAY) -> InboxEntry:
    return InboxEntry(delivery_id=key, channel="slack", lane="l", body={}, received_at=NOW - received,
                      next_attempt_at=NOW - received, dead_at=NOW - dead if dead else None)


def _token(key: str, case: Case, person_id: int, *, expires: timedelta, used: bool = False) -> SigningToken:
    return SigningToken(token_hash=key.ljust(64, "0"), case_id=case.id, person_id=person_id, identity="x",
                        document_version=1, document_sha256="0" * 64, created_at=NOW - 10 * DAY,
                        expires_at=NOW + expires, used_at=NOW - 5 * DAY if used else None,
                        used_for="sign" if used else "")


async def _remaining(uow: UnitOfWork, model: type, column: object) -> set[object]:
    return set((await uow.session.scalars(select(column))).all())


async def test_prune_removes_exactly_what_is_past_its_period(
        uow_factory: Callable[[], UnitOfWork], world: World, open_case: OpenCase) -> None:
    async with uow_factory() as uow:
        closed, awaiting = await open_case(uow), await open_case(uow)
        closed.state, awaiting.state = "closed", "awaiting_employee"
        session = uow.session
        session.add_all([
            InboundDelivery(delivery_id="old", received_at=NOW - 24 * 3600 * JUST - JUST),
            InboundDelivery(delivery_id="at-cutoff", received_at=NOW - DAY),
            InboundDelivery(delivery_id="recent", received_at=NOW - 23 * 3600 * JUST),
            _outbox("sent-old", sent=30 * DAY + JUST, tenant_id=world.tenant_id),
            _outbox("sent-recent", sent=29 * DAY, tenant_id=world.tenant_id),
            _outbox("dead-old", dead=31 * DAY, tenant_id=world.tenant_id),
            _outbox("pending-old", tenant_id=world.tenant_id),  # never sent: still to deliver
            _inbox("dead-old", dead=31 * DAY),
            _inbox("dead-recent", dead=29 * DAY),
            _inbox("waiting-old", dead=None),
            _token("expired", closed, world.employee_id, expires=-JUST),
            _token("expired-used", closed, world.employee_id, expires=-DAY, used=True),
            _token("live", closed, world.employee_id, expires=DAY),
            _token("expired-awaiting", awaiting, world.employee_id, expires=-DAY),
            SlackOAuthState(state="old", expire_at=(NOW - JUST).replace(tzinfo=None)),
            SlackOAuthState(state="new", expire_at=(NOW + 10 * 60 * JUST).replace(tzinfo=None)),
        ])
        await uow.commit()

    async with uow_factory() as uow:
        done = await prune(uow.session, NOW, Periods(delivery_ids=DAY, queue_rows=30 * DAY))
        await uow.commit()

    assert {p.what: p.count for p in done} == {"inbound_deliveries": 1, "outbox": 2, "inbox": 1,
                                               "signing_tokens": 1, "slack_oauth_states": 1}
    async with uow_factory() as uow:
        assert await _remaining(uow, InboundDelivery, InboundDelivery.delivery_id) == {"at-cutoff", "recent"}
        assert await _remaining(uow, OutboxMessage, OutboxMessage.dedup_key) == {"sent-recent", "pending-old"}
        assert await _remaining(uow, InboxEntry, InboxEntry.delivery_id) == {"dead-recent", "waiting-old"}
        tokens = await _remaining(uow, SigningToken, SigningToken.token_hash)
        assert {t.rstrip("0") for t in tokens} == {"expired-used", "live", "expired-awaiting"}
        assert await _remaining(uow, SlackOAuthState, SlackOAuthState.state) == {"new"}
        logged = await log(uow.session)
    assert [(r.what, r.count, r.at) for r in logged] == [(p.what, p.count, NOW) for p in done]

    # A second run the same instant finds nothing more, and says so in the log.
    async with uow_factory() as uow:
        again = await prune(uow.session, NOW, Periods(delivery_ids=DAY, queue_rows=30 * DAY))
        await uow.commit()
    assert all(p.count == 0 for p in again)


async def test_closed_cases_go_the_day_after_their_retain_until_date(
        uow_factory: Callable[[], UnitOfWork], world: World, open_case: OpenCase) -> None:
    today = date(2028, 3, 2)
    async with uow_factory() as uow:
        past, due_today, still_open = await open_case(uow), await open_case(uow), await open_case(uow)
        for case, until in ((past, today - DAY), (due_today, today)):
            case.state, case.closed_at, case.retain_until = "closed", NOW, until
        refs = (past.ref, due_today.ref, still_open.ref)
        await uow.audit.append(past, action="open", actor_id=None, at=NOW)
        await uow.commit()

    now = NOW.replace(year=2028).astimezone(UTC)
    async with uow_factory() as uow:
        purged = await purge_cases(uow.session, today, now)
        await uow.commit()
    assert [(p.what, p.count, p.detail["ref"]) for p in purged] == [("case", 1, refs[0])]
    assert purged[0].detail["rows"]["audit_events"] == 1 and purged[0].detail["rows"]["cases"] == 1
    async with uow_factory() as uow:
        left = set((await uow.session.scalars(select(Case.ref))).all())
        assert left == {refs[1], refs[2]}
        (entry,) = await log(uow.session)
        assert (entry.what, entry.count, entry.at, entry.detail["ref"]) == ("case", 1, now, refs[0])
        assert await uow.session.scalar(select(func.count()).select_from(Case)) == 2
