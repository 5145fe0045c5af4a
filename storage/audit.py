"""The tamper-evident audit log: one hash chain per case, and the verifier that walks it.

payload_hash = sha256(canonical payload); hash = sha256(prev_hash + canonical event body), the
body naming case, seq, time, actor, action, states and payload_hash. Editing, deleting or
reordering an event breaks the chain at that event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
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
        last = await self.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        # Store exactly what was hashed: the JSON round trip turns dates etc. into strings.
        stored = json.loads(canonical_json(payload or {}))
        event = AuditEvent(
            case_id=case.id,
            seq=1 if last is None else last.seq + 1,
            at=at.astimezone(UTC),
            actor_id=actor_id,
            actor_identity=actor_identity,
            action=action,
            from_state=from_state,
            to_state=to_state,
            payload=stored,
            payload_hash=payload_hash(stored),
            prev_hash=GENESIS if last is None else last.hash,
        )
        event.hash = event_hash(event, event.prev_hash)
        self.session.add(event)
        await self.session.flush()
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


async def verify(session: AsyncSession, case_id: int | None = None) -> list[AuditProblem]:
    """Walk every chain (or one case's) in seq order; report the first bad event per case."""
    query = select(AuditEvent).order_by(AuditEvent.case_id, AuditEvent.seq)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    problems: list[AuditProblem] = []
    current: int | None = None
    expected_seq, prev_hash, broken = 1, GENESIS, False
    events = await session.stream_scalars(query.execution_options(yield_per=500))
    async for event in events:
        if event.case_id != current:
            current, expected_seq, prev_hash, broken = event.case_id, 1, GENESIS, False
        if broken:
            continue
        if reason := _problem(event, expected_seq, prev_hash):
            problems.append(AuditProblem(event.case_id, event.seq, event.id, reason))
            broken = True
        expected_seq, prev_hash = event.seq + 1, event.hash
    return problems
