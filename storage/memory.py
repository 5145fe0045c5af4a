"""An in-memory unit of work for the fast test lane: the repositories handlers use, with the methods
and meaning of storage.uow's, over rows kept in dicts. What is committed is kept, the rest forgotten.

Each unit of work reads the committed rows into its own ORM instances (one per row, like a
session's identity map) and writes them all back on commit; rows are stored as the database would
return them (JSON columns round-tripped, times in UTC), so an instance never aliases a stored row.
One unit of work runs at a time, as with SQLite's BEGIN IMMEDIATE. Not modelled: the optimistic
version check (no other writer can interleave here) and deferred loading of evidence files.
tests/storage/test_memory_uow.py runs the same scenarios here and on both databases.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from functools import cache
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, TypeDecorator, UniqueConstraint, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from storage.audit import case_head, chain_link
from storage.models import (
    AuditEvent,
    Base,
    Case,
    Document,
    EvidenceItem,
    HandoverItem,
    Identity,
    InboundDelivery,
    OutboxMessage,
    Person,
    Signature,
    SigningToken,
    Snooze,
    Tenant,
    Timer,
    UTCDateTime,
    WebhookSubscription,
)
from storage.outbox import Queued
from storage.reports import ReportQuery, assemble
from storage.timers import ClaimedTimer, TimerSpecLike
from workflow.reports import CaseHistory

M = TypeVar("M", bound=Base)
Row = dict[str, Any]

# How long a unit of work waits for the one in progress (SQLite's busy timeout, see storage.db):
# code that opened a second unit of work inside a first fails here as it would there.
BUSY_TIMEOUT_SECONDS = 5.0
_DIALECT = postgresql.dialect()


class MemoryDatabase:
    """The committed rows of every table and the id sequences (which a rollback does not rewind)."""

    def __init__(self) -> None:
        self.tables: dict[type[Base], dict[int, Row]] = {}
        self._last_ids: dict[type[Base], int] = {}
        self.writer = asyncio.Lock()

    def next_id(self, model: type[Base]) -> int:
        self._last_ids[model] = self._last_ids.get(model, 0) + 1
        return self._last_ids[model]

    def unit_of_work(self) -> MemoryUnitOfWork:
        """The uow_factory handlers take: `handle(inbound, database.unit_of_work, deps)`."""
        return MemoryUnitOfWork(self)


@cache
def _unique_keys(model: type[Base]) -> tuple[tuple[str, ...], ...]:
    table = model.__table__
    keys = [tuple(c.key for c in con.columns) for con in table.constraints if isinstance(con, UniqueConstraint)]
    return tuple(keys + [(c.key,) for c in table.c if c.unique])


def _typed_json(column: Column[Any]) -> TypeDecorator[Any] | None:
    """The column's type when it maps JSON to a typed value (the case's record and facts)."""
    kind = column.type
    return kind if isinstance(kind, TypeDecorator) and isinstance(kind.impl_instance, JSON) else None


def _stored(column: Column[Any], value: Any) -> Any:
    """`value` as the database keeps it: JSON as JSON reads back, an instant as aware UTC."""
    if value is None:
        return None
    if (typed := _typed_json(column)) is not None:
        return json.loads(json.dumps(typed.process_bind_param(value, _DIALECT)))
    if isinstance(column.type, JSON):
        return json.loads(json.dumps(value))  # raises on what the database could not store either
    if isinstance(column.type, UTCDateTime):
        return column.type.process_bind_param(value, _DIALECT)  # refuses naive times
    return value


@cache
def _columns(model: type[Base]) -> tuple[tuple[str, Column[Any]], ...]:
    """Each column with the attribute that holds it (the case's "data" column is its `record`);
    not what is computed when read (a tenant's has_webhooks)."""
    return tuple((prop.key, prop.columns[0]) for prop in inspect(model).column_attrs
                 if isinstance(prop.columns[0], Column))


def _row(instance: Base) -> Row:
    table = type(instance).__table__
    row = {}
    for key, column in _columns(type(instance)):
        value = getattr(instance, key)
        if value is None and column.default is not None and column.default.is_scalar:
            value = column.default.arg  # type: ignore[attr-defined] - as the INSERT would
        if value is None and not column.nullable:
            raise IntegrityError(f"INSERT INTO {table.name}", None,
                                 ValueError(f"NOT NULL constraint failed: {table.name}.{column.name}"))
        row[key] = _stored(column, value)
    return row


def _instance(model: type[M], row: Row) -> M:
    """A fresh instance of a stored row, sharing no mutable value with it."""
    values = {key: _loaded(column, row[key]) for key, column in _columns(model)}
    # A domain class mapped to a table (the case) takes its own fields; the row's other columns
    # (the case's audit head) are set as the database session sets them.
    takes = _init_fields(model)
    if takes is None:
        return model(**values)
    instance = model(**{key: value for key, value in values.items() if key in takes})
    for key in values.keys() - takes:
        setattr(instance, key, values[key])
    return instance


@cache
def _init_fields(model: type[Base]) -> frozenset[str] | None:
    """The fields a dataclass's constructor takes; None for a declarative model (it takes any column)."""
    return frozenset(f.name for f in fields(model) if f.init) if is_dataclass(model) else None


def _loaded(column: Column[Any], stored: Any) -> Any:
    """A stored value as the database driver hands it back (typed JSON read into its type)."""
    if stored is not None and (typed := _typed_json(column)) is not None:
        return typed.process_result_value(json.loads(json.dumps(stored)), _DIALECT)
    return _stored(column, stored)


class _Transaction:
    """One unit of work's view: the committed rows plus its own instances (loaded or added)."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self.held: dict[type[Base], dict[int, Base]] = {}
        self.deleted: set[tuple[type[Base], int]] = set()

    def get(self, model: type[M], id_: int | None) -> M | None:
        held = self.held.setdefault(model, {})
        if (model, id_) in self.deleted:
            return None
        if id_ in held:
            return held[id_]  # type: ignore[return-value]
        row = self.database.tables.get(model, {}).get(id_) if id_ is not None else None
        if row is None:
            return None
        held[id_] = instance = _instance(model, row)
        return instance

    def all(self, model: type[M], where: Callable[[M], bool] = lambda _: True,
            order: Callable[[M], Any] | None = None) -> list[M]:
        """The matching rows in id order (or by `order`), as this unit of work sees them."""
        ids = sorted(self.database.tables.get(model, {}).keys() | self.held.get(model, {}).keys())
        found = [instance for id_ in ids if (instance := self.get(model, id_)) is not None and where(instance)]
        return sorted(found, key=order) if order else found

    def first(self, model: type[M], where: Callable[[M], bool]) -> M | None:
        return next(iter(self.all(model, where)), None)

    def add(self, instance: M) -> M:
        """Insert: column defaults filled in, the next id given, NOT NULL and unique keys checked."""
        model = type(instance)
        for key, column in _columns(model):
            if getattr(instance, key) is None and column.default is not None:
                default = column.default.arg  # type: ignore[attr-defined]
                setattr(instance, key, default(None) if column.default.is_callable else default)
        for key in _unique_keys(model):
            taken = {name: getattr(instance, name) for name in key}
            if None not in taken.values() and self._taken(model, taken):  # NULLs never clash
                raise IntegrityError(f"INSERT INTO {model.__tablename__}", None,
                                     ValueError(f"UNIQUE constraint failed: {model.__tablename__}{key}"))
        instance.id = self.database.next_id(model)  # type: ignore[attr-defined]
        _row(instance)
        self.held.setdefault(model, {})[instance.id] = instance  # type: ignore[attr-defined]
        return instance

    def insert_if_absent(self, model: type[Base], values: Row, unique: Iterable[str]) -> bool:
        """storage.sql.insert_if_absent: True when the row is new."""
        if self._taken(model, {name: values[name] for name in unique}):
            return False
        self.add(model(**values))
        return True

    def _taken(self, model: type[Base], key: Row) -> bool:
        return any(all(getattr(row, name) == value for name, value in key.items()) for row in self.all(model))

    def delete(self, model: type[Base], id_: int) -> None:
        self.held.setdefault(model, {}).pop(id_, None)
        self.deleted.add((model, id_))

    def commit(self) -> None:
        # Every row is checked before any is written: a bad one leaves the database as it was.
        rows = {model: {id_: _row(instance) for id_, instance in instances.items()}
                for model, instances in self.held.items()}
        for model, changed in rows.items():
            self.database.tables.setdefault(model, {}).update(changed)
        for model, id_ in self.deleted:
            self.database.tables.get(model, {}).pop(id_, None)
        self.deleted.clear()

    def rollback(self) -> None:
        self.held.clear()
        self.deleted.clear()


class MemoryTenants:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, tenant_id: int) -> Tenant | None:
        return self._tx.get(Tenant, tenant_id)

    async def get_many(self, tenant_ids: Iterable[int]) -> list[Tenant]:
        wanted = set(tenant_ids)
        return self._tx.all(Tenant, lambda t: t.id in wanted)

    async def by_key(self, key: str) -> Tenant | None:
        return self._tx.first(Tenant, lambda t: t.key == key)

    async def get_or_create(self, key: str, **defaults: Any) -> Tenant:
        self._tx.insert_if_absent(Tenant, {"key": key, **defaults}, ["key"])
        tenant = await self.by_key(key)
        assert tenant is not None
        return tenant


class MemoryPeople:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, person_id: int) -> Person | None:
        return self._tx.get(Person, person_id)

    async def get_many(self, person_ids: Iterable[int]) -> list[Person]:
        wanted = set(person_ids)
        return self._tx.all(Person, lambda p: p.id in wanted)

    async def by_identity(self, platform: str, platform_tenant: str, user_id: str) -> Person | None:
        identity = self._identity(platform, platform_tenant, user_id)
        return None if identity is None else self._tx.get(Person, identity.person_id)

    async def search(self, tenant_id: int, text: str) -> list[Person]:
        term = text.strip().removeprefix("@").strip()
        if not term:
            return []
        lowered = term.lower()
        handles = {i.person_id for i in self._tx.all(Identity, lambda i: i.platform_user_id == term)}

        def matches(p: Person) -> bool:
            email = p.email.lower()
            return (p.id in handles or email == lowered or email.startswith(f"{lowered}@")
                    or p.name.lower() == lowered or p.employee_no == term)

        return self._tx.all(Person, lambda p: p.tenant_id == tenant_id and matches(p))

    async def with_role(self, tenant_id: int, role: str) -> list[Person]:
        return self._tx.all(Person, lambda p: p.tenant_id == tenant_id and p.active and role in p.role_set)

    async def asking(self, platform: str, platform_tenant: str, user_id: str,
                     now: datetime) -> tuple[Person | None, list[Person]]:
        person = await self.by_identity(platform, platform_tenant, user_id)
        if person is None:
            return None, []
        return person, self._tx.all(Person, lambda p: p.delegate_id == person.id and p.active
                                    and p.delegate_until is not None and p.delegate_until > now)

    async def delegate(self, person: Person, delegate_id: int | None, until: datetime | None) -> None:
        person.delegate_id, person.delegate_until = delegate_id, until

    async def upsert(self, tenant_id: int, employee_no: str, **fields: Any) -> Person:
        person = self._tx.first(Person, lambda p: p.tenant_id == tenant_id and p.employee_no == employee_no)
        if person is None:
            return self._tx.add(Person(tenant_id=tenant_id, employee_no=employee_no, **fields))
        for name, value in fields.items():
            setattr(person, name, value)
        return person

    async def link_identity(self, person_id: int, platform: str, platform_tenant: str, user_id: str) -> Identity:
        identity = self._identity(platform, platform_tenant, user_id)
        if identity is None:
            return self._tx.add(Identity(person_id=person_id, platform=platform,
                                         platform_tenant=platform_tenant, platform_user_id=user_id))
        identity.person_id = person_id
        return identity

    async def identities(self, person_id: int) -> list[Identity]:
        return self._tx.all(Identity, lambda i: i.person_id == person_id)

    def _identity(self, platform: str, platform_tenant: str, user_id: str) -> Identity | None:
        return self._tx.first(Identity, lambda i: (i.platform, i.platform_tenant, i.platform_user_id)
                              == (platform, platform_tenant, user_id))


class MemoryCases:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, case: Case) -> Case:
        tenant = self._tx.get(Tenant, case.tenant_id)
        if tenant is None:
            raise LookupError(f"no tenant {case.tenant_id}")
        tenant.case_seq += 1
        case.ref = f"C-{tenant.case_seq:04d}"
        if case.version is None:
            case.version = 1
        return self._tx.add(case)

    async def get(self, case_id: int, *, for_update: bool = False) -> Case | None:
        return self._tx.get(Case, case_id)  # one writer at a time: nothing to lock

    async def by_ref(self, tenant_id: int, ref: str, *, for_update: bool = False) -> Case | None:
        return self._tx.first(Case, lambda c: c.tenant_id == tenant_id and c.ref == ref)

    async def lock_many(self, case_ids: Iterable[int]) -> dict[int, Case]:
        wanted = set(case_ids)
        return {case.id: case for case in self._tx.all(Case, lambda c: c.id in wanted)}

    async def open_cases(self, tenant_id: int) -> list[Case]:
        return self._tx.all(Case, lambda c: c.tenant_id == tenant_id and c.closed_at is None)

    async def for_person(self, person_id: int) -> list[Case]:
        return self._tx.all(Case, lambda c: person_id in (c.employee_id, c.manager_id))


class MemoryEvidence:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, item: EvidenceItem) -> EvidenceItem:
        return self._tx.add(item)

    async def for_case(self, case_id: int, *, with_files: bool = False) -> list[EvidenceItem]:
        return self._tx.all(EvidenceItem, lambda e: e.case_id == case_id)

    async def kinds(self, case_id: int) -> list[str]:
        return [item.kind for item in await self.for_case(case_id)]


class MemoryHandover:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, item: HandoverItem) -> HandoverItem:
        return self._tx.add(item)

    async def get(self, item_id: int) -> HandoverItem | None:
        return self._tx.get(HandoverItem, item_id)

    async def for_case(self, case_id: int) -> list[HandoverItem]:
        return self._tx.all(HandoverItem, lambda i: i.case_id == case_id)

    async def for_owner(self, person_id: int) -> list[HandoverItem]:
        return self._tx.all(HandoverItem, lambda i: i.owner_id == person_id, order=lambda i: (i.due_at, i.id))


class MemoryAuditLog:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def append(self, case: Case, *, action: str, actor_id: int | None, actor_identity: str = "",
                     from_state: str = "", to_state: str = "", payload: dict[str, Any] | None = None,
                     at: datetime) -> AuditEvent:
        # As storage.audit: link to the head the case's row holds and move it on with the event.
        # No older code runs beside this fake, so a head behind its chain is a bug: the taken
        # seq fails the insert instead of being mended as a rolling deploy's is.
        event = self._tx.add(chain_link(case.id, case_head(case), action=action, actor_id=actor_id,
                                        actor_identity=actor_identity, from_state=from_state,
                                        to_state=to_state, payload=payload, at=at))
        case.audit_seq, case.audit_hash = event.seq, event.hash  # type: ignore[attr-defined]
        return event

    async def for_case(self, case_id: int) -> list[AuditEvent]:
        return self._tx.all(AuditEvent, lambda e: e.case_id == case_id, order=lambda e: e.seq)


class MemoryTimers:
    concurrent_writers = 1  # one unit of work at a time

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def arm(self, case_id: int, case_version: int, specs: Iterable[TimerSpecLike]) -> int:
        fired = {(t.kind, t.due_at) for t in self._tx.all(
            Timer, lambda t: t.case_id == case_id and t.fired_at is not None)}
        values = ({"case_id": case_id, "kind": spec.kind, "due_at": spec.due_at, "case_version": case_version,
                   "payload": dict(spec.payload)} for spec in specs if (spec.kind, spec.due_at) not in fired)
        return sum(self._tx.insert_if_absent(Timer, v, ["case_id", "kind", "case_version"]) for v in values)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedTimer]:
        due = self._tx.all(Timer, lambda t: t.fired_at is None and t.due_at <= now
                           and (t.claimed_until is None or t.claimed_until <= now),
                           order=lambda t: (t.due_at, t.id))[:limit]
        for timer in due:
            timer.claimed_until = now + lease
        return [ClaimedTimer(*(_stored(Timer.__table__.c[f.name], getattr(t, f.name)) for f in fields(ClaimedTimer)))
                for t in due]

    async def mark_fired(self, timer_ids: Iterable[int], now: datetime) -> set[int]:
        fired = set()
        for timer_id in timer_ids:
            timer = self._tx.get(Timer, timer_id)
            if timer is not None and timer.fired_at is None:
                timer.fired_at, timer.claimed_until = now, None
                fired.add(timer_id)
        return fired

    async def pending_for(self, case_id: int) -> list[Timer]:
        return self._tx.all(Timer, lambda t: t.case_id == case_id and t.fired_at is None,
                            order=lambda t: (t.due_at, t.id))

    async def arm_for_tenant(self, tenant_id: int, kind: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        if await self.pending_for_tenant(tenant_id, kind):
            return False
        values = {"case_id": None, "tenant_id": tenant_id, "kind": kind, "due_at": due_at, "case_version": 0,
                  "payload": dict(payload)}
        return self._tx.insert_if_absent(Timer, values, ["tenant_id", "kind", "due_at"])

    async def pending_for_tenant(self, tenant_id: int, kind: str) -> list[Timer]:
        return self._tx.all(Timer, lambda t: t.tenant_id == tenant_id and t.case_id is None and t.kind == kind
                            and t.fired_at is None and t.dead_at is None, order=lambda t: (t.due_at, t.id))

    async def tenants_without_pending(self, kind: str) -> list[Tenant]:
        return [tenant for tenant in self._tx.all(Tenant, order=lambda t: t.id)
                if not await self.pending_for_tenant(tenant.id, kind)]

    async def disarm_for_tenant(self, tenant_id: int, kind: str) -> int:
        pending = await self.pending_for_tenant(tenant_id, kind)
        for timer in pending:
            self._tx.delete(Timer, timer.id)
        return len(pending)


class MemoryOutbox:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def enqueue(self, *, tenant_id: int, case_id: int | None, channel: str, recipient: str, kind: str,
                      payload: dict[str, Any], dedup_key: str, now: datetime) -> bool:
        values = {"dedup_key": dedup_key, "tenant_id": tenant_id, "case_id": case_id, "channel": channel,
                  "recipient": recipient, "kind": kind, "payload": payload, "created_at": now,
                  "next_attempt_at": now}
        return self._tx.insert_if_absent(OutboxMessage, values, ["dedup_key"])

    async def enqueue_many(self, rows: Sequence[Queued], now: datetime) -> None:
        for row in rows:
            await self.enqueue(tenant_id=row.tenant_id, case_id=row.case_id, channel=row.channel,
                               recipient=row.recipient, kind=row.kind, payload=row.payload,
                               dedup_key=row.dedup_key, now=now)

    async def for_case(self, case_id: int) -> list[OutboxMessage]:
        return self._tx.all(OutboxMessage, lambda m: m.case_id == case_id)


class MemoryInbound:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def record(self, delivery_id: str, now: datetime) -> bool:
        values = {"delivery_id": delivery_id, "received_at": now}
        return self._tx.insert_if_absent(InboundDelivery, values, ["delivery_id"])


class MemoryDocuments:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, document: Document) -> Document:
        return self._tx.add(document)

    async def get(self, document_id: int) -> Document | None:
        return self._tx.get(Document, document_id)

    async def latest_version(self, case_id: int) -> int:
        return max((d.version for d in await self.for_case(case_id)), default=0)

    async def for_case(self, case_id: int, version: int | None = None) -> list[Document]:
        return self._tx.all(Document, lambda d: d.case_id == case_id and version in (None, d.version),
                            order=lambda d: (d.version, d.id))


class MemorySigningTokens:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, token: SigningToken) -> SigningToken:
        return self._tx.add(token)

    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> SigningToken | None:
        return self._tx.first(SigningToken, lambda k: k.token_hash == token_hash)

    async def for_case(self, case_id: int) -> list[SigningToken]:
        return self._tx.all(SigningToken, lambda k: k.case_id == case_id)


class MemorySignatures:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, signature: Signature) -> Signature:
        return self._tx.add(signature)

    async def for_case(self, case_id: int) -> list[Signature]:
        return self._tx.all(Signature, lambda s: s.case_id == case_id)


class MemoryWebhookSubscriptions:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, subscription: WebhookSubscription) -> WebhookSubscription:
        return self._tx.add(subscription)

    async def get(self, subscription_id: int) -> WebhookSubscription | None:
        return self._tx.get(WebhookSubscription, subscription_id)

    async def by_name(self, tenant_id: int, name: str) -> WebhookSubscription | None:
        return self._tx.first(WebhookSubscription, lambda w: (w.tenant_id, w.name) == (tenant_id, name))

    async def for_tenant(self, tenant_id: int) -> list[WebhookSubscription]:
        return self._tx.all(WebhookSubscription, lambda w: w.tenant_id == tenant_id)

    async def remove(self, subscription_id: int) -> None:
        self._tx.delete(WebhookSubscription, subscription_id)


class MemoryReports:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def histories(self, query: ReportQuery) -> list[CaseHistory]:
        people = {p.id: p for p in self._tx.all(Person)}
        cases = self._tx.all(Case, lambda c: query.wants(c, people[c.employee_id].department))
        ids = {case.id for case in cases}
        return assemble(cases, {i: p.department for i, p in people.items()}, {i: p.name for i, p in people.items()},
                        self._tx.all(AuditEvent, lambda e: e.case_id in ids and e.to_state != ""),
                        self._tx.all(HandoverItem, lambda i: i.case_id in ids),
                        self._tx.all(SigningToken, lambda k: k.case_id in ids and k.used_at is not None))


class MemorySnoozes:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def until(self, case_id: int, person_id: int) -> datetime | None:
        snooze = self._tx.first(Snooze, lambda s: (s.case_id, s.person_id) == (case_id, person_id))
        return None if snooze is None else snooze.until

    async def set(self, case_id: int, person_id: int, until: datetime, now: datetime) -> None:
        snooze = self._tx.first(Snooze, lambda s: (s.case_id, s.person_id) == (case_id, person_id))
        if snooze is None:
            self._tx.add(Snooze(case_id=case_id, person_id=person_id, until=until, created_at=now))
        else:
            snooze.until, snooze.created_at = until, now


class MemoryUnitOfWork:
    """storage.uow.UnitOfWork in memory: `async with … as uow: …; await uow.commit()`."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database

    async def __aenter__(self) -> MemoryUnitOfWork:
        try:
            await asyncio.wait_for(self._database.writer.acquire(), BUSY_TIMEOUT_SECONDS)
        except TimeoutError:
            raise TimeoutError("database is locked: another unit of work is open (one opened inside "
                               "another never gets its turn)") from None
        self._tx = tx = _Transaction(self._database)
        self.tenants = MemoryTenants(tx)
        self.people = MemoryPeople(tx)
        self.cases = MemoryCases(tx)
        self.evidence = MemoryEvidence(tx)
        self.handover = MemoryHandover(tx)
        self.audit = MemoryAuditLog(tx)
        self.timers = MemoryTimers(tx)
        self.outbox = MemoryOutbox(tx)
        self.inbound = MemoryInbound(tx)
        self.documents = MemoryDocuments(tx)
        self.signing_tokens = MemorySigningTokens(tx)
        self.signatures = MemorySignatures(tx)
        self.reports = MemoryReports(tx)
        self.webhooks = MemoryWebhookSubscriptions(tx)
        self.snoozes = MemorySnoozes(tx)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._tx.rollback()  # whatever was not committed
        self._database.writer.release()

    async def commit(self) -> None:
        self._tx.commit()

    async def rollback(self) -> None:
        self._tx.rollback()
