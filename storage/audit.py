"""The tamper-evident audit log: one hash chain per case, and the verifier that walks it.

payload_hash = sha256(canonical payload); hash = sha256(prev_hash + canonical event body), the
body naming case, seq, time, actor, action, states and payload_hash. Editing, deleting or
reordering an event breaks the chain at that event.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Case

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept, dates/decimals as str."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def payload_hash(payload: dict[str, Any]) -> str:
    return _sha256(canonical_json(payload))


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    body = {
        "case_id": event.case_id,
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_identity": event.actor_identity,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "payload_hash": event.payload_hash,
    }
    return _sha256(prev_hash + canonical_json(body))


def chain_link(
    case_id: int,
    head: tuple[int, str] | None,
    *,
    action: str,
    actor_id: int | None,
    actor_identity: str,
    from_state: str,
    to_state: str,
    payload: dict[str, Any] | None,
    at: datetime,
) -> AuditEvent:
    """The event that follows `head` (the chain's last seq and hash; None: the chain is empty),
    hashed and ready to store. Every audit log, in the database or in memory, links with this."""
    # Store exactly what was hashed: the JSON round trip turns dates etc. into strings.
    stored = json.loads(canonical_json(payload or {}))
    event = AuditEvent(
        case_id=case_id,
        seq=1 if head is None else head[0] + 1,
        at=at.astimezone(UTC),
        actor_id=actor_id,
        actor_identity=actor_identity,
        action=action,
        from_state=from_state,
        to_state=to_state,
        payload=stored,
        payload_hash=payload_hash(stored),
        prev_hash=GENESIS if head is None else head[1],
    )
    event.hash = event_hash(event, event.prev_hash)
    return event


@functools.cache
def _heads_query() -> Select[tuple[int, int, str]]:
    """The last (case, seq, hash) of the chains of `:case_ids` (built once, run with its values)."""
    events = AuditEvent.__table__.c
    latest = (select(events.case_id, func.max(events.seq).label("seq"))
              .where(events.case_id.in_(bindparam("case_ids", expanding=True))).group_by(events.case_id).subquery())
    return (select(events.case_id, events.seq, events.hash)
            .join(latest, (events.case_id == latest.c.case_id) & (events.seq == latest.c.seq)))


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Each case's last (seq, hash) known in this transaction. Valid only while the case locks
        # are held, so the unit of work forgets them when it commits or rolls back.
        self._heads: dict[int, tuple[int, str] | None] = {}

    async def load_heads(self, case_ids: Iterable[int]) -> None:
        """Read the chain heads (only their seq and hash) of the cases not yet known, in one query
        (the caller holds the case locks)."""
        ids = set(case_ids) - set(self._heads)
        if not ids:
            return
        rows = await self.session.execute(_heads_query(), {"case_ids": list(ids)})
        self._heads.update(dict.fromkeys(ids))
        self._heads.update({case_id: (seq, hash_) for case_id, seq, hash_ in rows})

    def forget(self) -> None:
        self._heads.clear()

    async def _head(self, case_id: int) -> tuple[int, str] | None:
        await self.load_heads([case_id])
        return self._heads[case_id]

    async def append(
        self,
        case: Case,
        *,
        action: str,
        actor_id: int | None,
        actor_identity: str = "",
        from_state: str = "",
        to_state: str = "",
        payload: dict[str, Any] | None = None,
        at: datetime,
    ) -> AuditEvent:
        """Add the next link of the case's chain (the caller holds the case lock)."""
        if case.id is None:
            await self.session.flush()
        event = chain_link(case.id, await self._head(case.id), action=action, actor_id=actor_id,
                           actor_identity=actor_identity, from_state=from_state, to_state=to_state,
                           payload=payload, at=at)
        # A plain Core INSERT (the event is never changed after): cheaper than the ORM's flush.
        columns = {c.key: getattr(event, c.key) for c in AuditEvent.__table__.c if c.key != "id"}
        table = AuditEvent.__table__
        event.id = (await self.session.execute(insert(table).values(columns).returning(table.c.id))).scalar_one()
        self._heads[case.id] = (event.seq, event.hash)
        return event

    async def for_case(self, case_id: int) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        return list((await self.session.scalars(query)).all())


@dataclass(frozen=True)
class AuditProblem:
    """The first broken link of one case's chain.

    reason: "missing_event" (seq gap: an event was deleted), "chain_broken" (prev_hash does not
    match the previous event: deleted or reordered), "payload_edited", "event_edited".
    """

    case_id: int
    seq: int
    event_id: int
    reason: str


def _problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return "missing_event"
    if event.prev_hash != prev_hash:
        return "chain_broken"
    if event.payload_hash != payload_hash(event.payload):
        return "payload_edited"
    if event.hash != event_hash(event, event.prev_hash):
        return "event_edited"
    return None


class ChainWalk:
    """Checks events fed in (case, seq) order; `problems` holds the first bad event per case."""

    def __init__(self) -> None:
        self.problems: list[AuditProblem] = []
        self._case: int | None = None
        self._expected_seq, self._prev_hash, self._broken = 1, GENESIS, False

    def see(self, event: AuditEvent) -> None:
        if event.case_id != self._case:
            self._case, self._expected_seq, self._prev_hash, self._broken = event.case_id, 1, GENESIS, False
        if self._broken:
            return
        if reason := _problem(event, self._expected_seq, self._prev_hash):
            self.problems.append(AuditProblem(event.case_id, event.seq, event.id, reason))
            self._broken = True
        self._expected_seq, self._prev_hash = event.seq + 1, event.hash


def problems_in(events: Iterable[AuditEvent]) -> list[AuditProblem]:
    """`verify` for events already at hand (e.g. from an in-memory unit of work), in (case, seq) order."""
    walk = ChainWalk()
    for event in events:
        walk.see(event)
    return walk.problems


async def verify(session: AsyncSession, case_id: int | None = None) -> list[AuditProblem]:
    """Walk every chain (or one case's) in seq order; report the first bad event per case."""
    query = select(AuditEvent).order_by(AuditEvent.case_id, AuditEvent.seq)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    walk = ChainWalk()
    async for event in await session.stream_scalars(query.execution_options(yield_per=500)):
        walk.see(event)
    return walk.problems
