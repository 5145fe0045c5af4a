"""The tamper-evident audit log: one hash chain per case, and the verifier that walks it.

payload_hash = sha256(canonical payload); hash = sha256(prev_hash + canonical event body), the
body naming case, seq, time, actor, action, states and payload_hash. Editing, deleting or
reordering an event breaks the chain at that event; the case's row holds the chain's head, so
deleting its last events shows too.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import GENESIS, AuditEvent, Case


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
def _appending(postgresql: bool) -> tuple[Insert, Update]:
    """The event's INSERT (its values are the execution's parameters) and the head's UPDATE (by
    `:moved_case`, `:moved_seq`, `:moved_hash`); on PostgreSQL the INSERT carries the UPDATE.
    Built once: building them anew was a tenth of an event's cost."""
    events, cases = AuditEvent.__table__, Case.__table__  # type: ignore[attr-defined]
    moved = update(cases).where(cases.c.id == bindparam("moved_case")).values(
        audit_seq=bindparam("moved_seq"), audit_hash=bindparam("moved_hash"))
    added = insert(events).returning(events.c.id)
    return (added.add_cte(moved.cte("moved")) if postgresql else added), moved


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        # The head is the case row's, read with its lock: no read of the chain. (Should it ever be
        # stale, the next seq is taken and the event's INSERT fails: the chain cannot fork.)
        head = (case.audit_seq, case.audit_hash) if case.audit_seq else None  # type: ignore[attr-defined]
        event = chain_link(case.id, head, action=action, actor_id=actor_id, actor_identity=actor_identity,
                           from_state=from_state, to_state=to_state, payload=payload, at=at)
        # Plain Core (the event is never changed after): cheaper than the ORM's flush. The head
        # moves in the same statement on PostgreSQL; the case object is told it is stored, so the
        # ORM does not write it again (nor a reload under lock in this transaction miss it).
        values = {c.key: getattr(event, c.key) for c in AuditEvent.__table__.c if c.key != "id"}
        head = {"moved_case": case.id, "moved_seq": event.seq, "moved_hash": event.hash}
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        added, moved = _appending(postgresql)
        event.id = (await self.session.execute(added, {**values, **head} if postgresql else values)).scalar_one()
        if not postgresql:  # SQLite has no INSERT or UPDATE inside WITH
            await self.session.execute(moved, head)
        set_committed_value(case, "audit_seq", event.seq)
        set_committed_value(case, "audit_hash", event.hash)
        return event

    async def for_case(self, case_id: int) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        return list((await self.session.scalars(query)).all())


@dataclass(frozen=True)
class AuditProblem:
    """The first broken link of one case's chain.

    reason: "missing_event" (seq gap: an event was deleted), "chain_broken" (prev_hash does not
    match the previous event: deleted or reordered), "payload_edited", "event_edited",
    "missing_at_end" (the chain stops before the head its case's row holds: the last events were
    deleted; seq is the head's, event_id None).
    """

    case_id: int
    seq: int
    event_id: int | None
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
        self.ends: dict[int, tuple[int, str]] = {}  # each intact chain's last (seq, hash)
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
            self.ends.pop(event.case_id, None)
            return
        self._expected_seq, self._prev_hash = event.seq + 1, event.hash
        self.ends[event.case_id] = (event.seq, event.hash)

    def check_heads(self, heads: Iterable[tuple[int, int, str]]) -> None:
        """Each (case, seq, hash) its row holds against where its chain ended (a broken chain is
        reported already)."""
        broken = {problem.case_id for problem in self.problems}
        for case_id, seq, hash_ in heads:
            if case_id not in broken and self.ends.get(case_id, (0, GENESIS)) != (seq, hash_):
                self.problems.append(AuditProblem(case_id, seq, None, "missing_at_end"))


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
    cases = Case.__table__.c  # type: ignore[attr-defined]
    heads = select(cases.id, cases.audit_seq, cases.audit_hash)
    if case_id is not None:
        heads = heads.where(cases.id == case_id)
    walk.check_heads((await session.execute(heads)).all())  # type: ignore[arg-type] - rows of three
    return walk.problems
