"""Retention: delete what has served its purpose, and log each prune with its count.

Run daily (`python -m bot retention run`). Delivery ids outlive the platforms' retry window only;
sent and dead outbox rows and dead inbox rows (handled ones are deleted at once) outlive a
setting; unused signing links and OAuth states go once expired; closed cases go with everything
recorded for them the day after their retain-until date (Labor Contract Law Art. 50: two years).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Delete, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.documents import past_retention, purge_case
from storage.models import (
    Case,
    InboundDelivery,
    InboxEntry,
    OutboxMessage,
    RetentionRecord,
    SigningToken,
    SlackOAuthState,
)
from workflow.model import State

# Slack retries a delivery three times within minutes, WeCom within seconds: a day is ample.
DELIVERY_IDS_DEFAULT = timedelta(hours=24)
QUEUE_ROWS_DEFAULT = timedelta(days=30)
# While the employee's answer is awaited, HR's card tells "unopened since …" from the links.
_AWAITING = (State.AWAITING_EMPLOYEE.value, State.ESCALATED.value)


@dataclass(frozen=True)
class Periods:
    """How long each kind of operational row is kept after it served its purpose."""

    delivery_ids: timedelta = DELIVERY_IDS_DEFAULT
    queue_rows: timedelta = QUEUE_ROWS_DEFAULT


@dataclass(frozen=True)
class Pruned:
    """One prune: how many rows of `what` went, being past `older_than`."""

    what: str
    count: int
    older_than: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def _statements(now: datetime, periods: Periods) -> list[tuple[str, datetime, Delete]]:
    delivered = now - periods.delivery_ids
    settled = now - periods.queue_rows
    awaiting = select(Case.id).where(Case.state.in_(_AWAITING))
    # slack-sdk keeps OAuth states' expiry as naive UTC.
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    return [
        ("inbound_deliveries", delivered, delete(InboundDelivery).where(InboundDelivery.received_at < delivered)),
        ("outbox", settled, delete(OutboxMessage).where(
            or_(OutboxMessage.sent_at < settled, OutboxMessage.dead_at < settled))),
        ("inbox", settled, delete(InboxEntry).where(InboxEntry.dead_at < settled)),
        # A used link is part of how a signature was given: it goes with its case.
        ("signing_tokens", now, delete(SigningToken).where(and_(
            SigningToken.expires_at < now, SigningToken.used_at.is_(None),
            SigningToken.case_id.not_in(awaiting)))),
        ("slack_oauth_states", now, delete(SlackOAuthState).where(SlackOAuthState.expire_at < naive_now)),
    ]


async def record(session: AsyncSession, pruned: Pruned, now: datetime) -> None:
    """Log one prune (a zero count too: the log shows the job ran)."""
    session.add(RetentionRecord(at=now, what=pruned.what, count=pruned.count, older_than=pruned.older_than,
                                detail=pruned.detail))
    await session.flush()


async def prune(session: AsyncSession, now: datetime, periods: Periods = Periods()) -> list[Pruned]:
    """Delete the operational rows past their period at `now`, each kind logged with its count."""
    done = []
    for what, older_than, statement in _statements(now, periods):
        result = await session.execute(statement.execution_options(synchronize_session=False))
        pruned = Pruned(what, int(result.rowcount or 0), older_than)
        await record(session, pruned, now)
        done.append(pruned)
    return done


async def purge_cases(session: AsyncSession, today: date, now: datetime | None = None) -> list[Pruned]:
    """Delete each closed case past its retain-until date (before `today`) with all its records,
    logging the case's tenant, number and the rows deleted (its own audit chain goes with it)."""
    at = now or datetime.combine(today, time(), UTC)
    done = []
    for case in await past_retention(session, today):
        assert case.retain_until is not None
        detail = {"tenant_id": case.tenant_id, "ref": case.ref, "retain_until": case.retain_until.isoformat()}
        rows = await purge_case(session, case.id)
        pruned = Pruned("case", 1, datetime.combine(case.retain_until, time(), UTC), {**detail, "rows": rows})
        await record(session, pruned, at)
        done.append(pruned)
    return done


async def log(session: AsyncSession) -> list[RetentionRecord]:
    """Every prune logged, oldest first."""
    return list((await session.scalars(select(RetentionRecord).order_by(RetentionRecord.id))).all())
