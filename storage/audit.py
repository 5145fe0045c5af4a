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
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Update, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import GENESIS, AuditEvent, Case

log = logging.getLogger(__name__)


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


def case_head(case: Case) -> tuple[int, str] | None:
    """The head of the case's chain as its row holds it (read with the case's lock), for
    chain_link; None while the chain is empty."""
    return (case.audit_seq, case.audit_hash) if case.audit_seq else None  # type: ignore[attr-defined]


@functools.cache
def _appending(postgresql: bool) -> tuple[Executable, Update]:
    """The event's INSERT, doing nothing when its seq is taken (`:event_<column>`), and the head's
    UPDATE (`:moved_case`, `:moved_seq`, `:moved_hash`). On PostgreSQL one statement does both:
    the UPDATE, joined to the INSERT's row, moves the head only when the event went in, and
    returns the event's id. Built once: building them anew was a tenth of an event's cost."""
    events, cases = AuditEvent.__table__, Case.__table__  # type: ignore[attr-defined]
    dialect_insert = postgresql_insert if postgresql else sqlite_insert
    added = (dialect_insert(events)
             .values({c.key: bindparam(f"event_{c.key}", type_=c.type) for c in events.c if c.key != "id"})
             .on_conflict_do_nothing(index_elements=[events.c.case_id, events.c.seq])
             .returning(events.c.id, events.c.case_id))
    head = update(cases).values(audit_seq=bindparam("moved_seq"), audit_hash=bindparam("moved_hash"))
    moved = head.where(cases.c.id == bindparam("moved_case"))
    if not postgresql:  # SQLite has no INSERT or UPDATE inside WITH
        return added, moved
    row = added.cte("added")
    return head.add_cte(row).where(cases.c.id == row.c.case_id).returning(row.c.id), moved


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._postgresql = session.get_bind().dialect.name == "postgresql"  # once, not per event

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
        # The head is the case row's, read with its lock: no read of the chain.
        head = case_head(case)
        link = {"action": action, "actor_id": actor_id, "actor_identity": actor_identity,
                "from_state": from_state, "to_state": to_state, "payload": payload, "at": at}
        event = chain_link(case.id, head, **link)
        if not await self._add(case, event):
            # Its seq is taken: the head is behind the chain. Events were added by code that did
            # not move it (a replica still running the version before migration 0014, during a
            # rolling deploy); link to the chain's real end, and the head moves on with it.
            end = await self._chain_end(case.id)
            log.warning("audit: case %s's head (seq %s) was behind its chain (seq %s); linked to the chain",
                        case.id, head and head[0], end and end[0])
            event = chain_link(case.id, end, **link)
            if not await self._add(case, event):
                raise RuntimeError(f"audit: case {case.id}'s chain moved while its lock was held")
        set_committed_value(case, "audit_seq", event.seq)
        set_committed_value(case, "audit_hash", event.hash)
        return event

    async def _add(self, case: Case, event: AuditEvent) -> bool:
        """Store `event` and move the case row's head to it; False (nothing done) when its seq is
        taken. Plain Core (the event is never changed after): cheaper than the ORM's flush; the
        case object is told its head is stored, so the ORM does not write it again."""
        values = {f"event_{c.key}": getattr(event, c.key) for c in AuditEvent.__table__.c if c.key != "id"}
        moved = {"moved_case": case.id, "moved_seq": event.seq, "moved_hash": event.hash}
        postgresql = self._postgresql
        added, move = _appending(postgresql)
        event_id = (await self.session.execute(added, {**values, **moved} if postgresql else values)).scalar()
        if event_id is None:
            return False
        if not postgresql:
            await self.session.execute(move, moved)
        event.id = event_id
        return True

    async def _chain_end(self, case_id: int) -> tuple[int, str] | None:
        events = AuditEvent.__table__.c
        query = (select(events.seq, events.hash).where(events.case_id == case_id)
                 .order_by(events.seq.desc()).limit(1))
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def for_case(self, case_id: int) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        return list((await self.session.scalars(query)).all())


@dataclass(frozen=True)
class AuditProblem:
    """The first broken link of one case's chain.

    reason: "missing_event" (seq gap: an event was deleted), "chain_broken" (prev_hash does not
    match the previous event: deleted or reordered), "payload_edited", "event_edited",
    "missing_at_end" (the chain stops before the head its case's row holds: the last events were
    deleted), "rewritten" (the chain holds, but its event at the head's seq is not the head: events
    were replaced and the chain hashed anew); for these two, seq is the head's and event_id None.
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
    """Checks events fed in (case, seq) order; `problems` holds the first bad event per case.
    Given the heads the case rows hold (read before the events), `finish` also names a chain that
    does not reach its head (a chain that grew past it since is fine)."""

    def __init__(self, heads: dict[int, tuple[int, str]] | None = None) -> None:
        self.problems: list[AuditProblem] = []
        self._heads = heads or {}
        self._at_head: dict[int, str] = {}  # the hash each intact chain has at its head's seq
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
            return
        self._expected_seq, self._prev_hash = event.seq + 1, event.hash
        head = self._heads.get(event.case_id)
        if head is not None and head[0] == event.seq:
            self._at_head[event.case_id] = event.hash

    def finish(self) -> None:
        broken = {problem.case_id for problem in self.problems}
        for case_id, (seq, hash_) in sorted(self._heads.items()):
            if seq == 0 or case_id in broken:
                continue
            reached = self._at_head.get(case_id)
            if reached != hash_:
                reason = "missing_at_end" if reached is None else "rewritten"
                self.problems.append(AuditProblem(case_id, seq, None, reason))


def problems_in(events: Iterable[AuditEvent]) -> list[AuditProblem]:
    """`verify` for events already at hand (e.g. from an in-memory unit of work), in (case, seq) order."""
    walk = ChainWalk()
    for event in events:
        walk.see(event)
    return walk.problems


async def verify(session: AsyncSession, case_id: int | None = None) -> list[AuditProblem]:
    """Walk every chain (or one case's) in seq order; report the first bad event per case, and a
    chain that does not reach the head its case's row holds."""
    cases = Case.__table__.c  # type: ignore[attr-defined]
    heads_query = select(cases.id, cases.audit_seq, cases.audit_hash)
    query = select(AuditEvent).order_by(AuditEvent.case_id, AuditEvent.seq)
    if case_id is not None:
        heads_query = heads_query.where(cases.id == case_id)
        query = query.where(AuditEvent.case_id == case_id)
    # The heads first: an event added while the chains are read only takes a chain past its head.
    heads = {row[0]: (row[1], row[2]) for row in (await session.execute(heads_query)).all()}
    walk = ChainWalk(heads)
    async for event in await session.stream_scalars(query.execution_options(yield_per=500)):
        walk.see(event)
    walk.finish()
    return walk.problems
