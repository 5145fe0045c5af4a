"""Repositories for the directory and the case file: tenants, people, cases, evidence, handover."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from storage.models import Case, EvidenceItem, HandoverItem, Identity, Person, Snooze, Tenant
from storage.sql import insert_if_absent


@functools.cache
def _case_query(by: str, for_update: bool) -> Select[tuple[Case]]:
    """A case by `:case_id` ("id") or by `:tenant_id` and `:ref` ("ref"): built once, run with
    its values."""
    where = (Case.id == bindparam("case_id") if by == "id"
             else (Case.tenant_id == bindparam("tenant_id")) & (Case.ref == bindparam("ref")))
    query = select(Case).where(where)
    if for_update:
        # Row lock on PostgreSQL (SQLite renders no FOR UPDATE: BEGIN IMMEDIATE already
        # serialises writers); reload so a copy cached in this session is not trusted.
        query = query.with_for_update().execution_options(populate_existing=True)
    return query


@functools.cache
def _evidence_kinds() -> Select[tuple[str]]:
    return select(EvidenceItem.kind).where(EvidenceItem.case_id == bindparam("case_id")).order_by(EvidenceItem.id)


@functools.cache
def _handover_items() -> Select[tuple[HandoverItem]]:
    return select(HandoverItem).where(HandoverItem.case_id == bindparam("case_id")).order_by(HandoverItem.id)


class Tenants:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Tenants read in this transaction, by key: several requests of one workspace taken in one
        # transaction read its row once. The unit of work forgets them when it ends.
        self._by_key: dict[str, Tenant] = {}

    def forget(self) -> None:
        self._by_key.clear()

    async def get(self, tenant_id: int) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def get_many(self, tenant_ids: Iterable[int]) -> list[Tenant]:
        """Several tenants in one query; while the caller holds them, `get` answers from memory."""
        return list((await self.session.scalars(select(Tenant).where(Tenant.id.in_(set(tenant_ids))))).all())

    async def by_key(self, key: str) -> Tenant | None:
        tenant = self._by_key.get(key) or await self.session.scalar(select(Tenant).where(Tenant.key == key))
        if tenant is not None:
            self._by_key[key] = tenant
        return tenant

    async def get_or_create(self, key: str, **defaults: Any) -> Tenant:
        """The tenant for `key`; two first requests from a new workspace create it once."""
        await insert_if_absent(self.session, Tenant, {"key": key, **defaults}, ["key"])
        tenant = await self.by_key(key)
        assert tenant is not None
        return tenant


class People:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # People read in this transaction, held (the session's identity map does not keep an
        # object no one holds), and who asks for whom by account: several requests taken in one
        # transaction read a manager or an asker once. Forgotten when the transaction ends, and
        # who stands in for whom as soon as a delegation, an account or a person changes.
        self._held: dict[int, Person] = {}
        self._asking: dict[tuple[str, str, str], tuple[datetime, Person | None, list[Person]]] = {}

    def forget(self) -> None:
        self._held.clear()
        self._asking.clear()

    async def get(self, person_id: int) -> Person | None:
        person = self._held.get(person_id) or await self.session.get(Person, person_id)
        if person is not None:
            self._held[person_id] = person
        return person

    async def delegate(self, person: Person, delegate_id: int | None, until: datetime | None) -> None:
        """`person`'s cards go to `delegate_id` until `until` (None, None: to them again)."""
        person.delegate_id, person.delegate_until = delegate_id, until
        self._asking.clear()

    async def get_many(self, person_ids: Iterable[int]) -> list[Person]:
        """Several people in one query; while the caller holds them, `get` answers from memory."""
        return list((await self.session.scalars(select(Person).where(Person.id.in_(set(person_ids))))).all())

    async def by_identity(self, platform: str, platform_tenant: str, user_id: str) -> Person | None:
        return await self.session.scalar(
            select(Person)
            .join(Identity, Identity.person_id == Person.id)
            .where(
                Identity.platform == platform,
                Identity.platform_tenant == platform_tenant,
                Identity.platform_user_id == user_id,
            )
        )

    async def search(self, tenant_id: int, text: str) -> list[Person]:
        """People `text` may mean: @handle (a platform user id), e-mail or its local part,
        exact name (case-insensitive), or employee number. Several hits = ambiguous."""
        term = text.strip().removeprefix("@").strip()
        if not term:
            return []
        lowered = term.lower()
        handle = select(Identity.id).where(
            Identity.person_id == Person.id, Identity.platform_user_id == term
        )
        email = func.lower(Person.email)
        matches = or_(
            handle.exists(),
            email == lowered,
            email.startswith(f"{lowered}@", autoescape=True),
            func.lower(Person.name) == lowered,
            Person.employee_no == term,
        )
        query = select(Person).where(Person.tenant_id == tenant_id, matches).order_by(Person.id)
        return list((await self.session.scalars(query)).all())

    async def with_role(self, tenant_id: int, role: str) -> list[Person]:
        """Active people holding `role` (roles is a comma-separated list; matched exactly)."""
        query = (
            select(Person)
            .where(Person.tenant_id == tenant_id, Person.active, Person.roles.contains(role))
            .order_by(Person.id)
        )
        return [p for p in (await self.session.scalars(query)).all() if role in p.role_set]

    async def asking(self, platform: str, platform_tenant: str, user_id: str,
                     now: datetime) -> tuple[Person | None, list[Person]]:
        """The person behind an account and the active people whose delegate they are at `now`
        (a delegator stands in the delegate's approvals), in one query (once a transaction)."""
        key = (platform, platform_tenant, user_id)
        known = self._asking.get(key)
        if known is not None and known[0] <= now:  # those standing in at `now` stood in then too
            _, person, standing_in = known
            return person, [p for p in standing_in if p.delegate_until is not None and p.delegate_until > now]
        asker = (select(Identity.person_id).where(
            Identity.platform == platform, Identity.platform_tenant == platform_tenant,
            Identity.platform_user_id == user_id).scalar_subquery())
        query = (select(Person, (Person.id == asker).label("is_asker"))
                 .where(or_(Person.id == asker,
                            (Person.delegate_id == asker) & (Person.delegate_until > now) & Person.active))
                 .order_by(Person.id))
        person, delegators = None, []
        for found, is_asker in (await self.session.execute(query)).all():
            if is_asker:
                person = found
            else:
                delegators.append(found)
        self._asking[key] = now, person, delegators
        return person, delegators

    async def upsert(self, tenant_id: int, employee_no: str, **fields: Any) -> Person:
        self._asking.clear()
        person = await self.session.scalar(
            select(Person).where(Person.tenant_id == tenant_id, Person.employee_no == employee_no)
        )
        if person is None:
            person = Person(tenant_id=tenant_id, employee_no=employee_no, **fields)
            self.session.add(person)
        else:
            for name, value in fields.items():
                setattr(person, name, value)
        await self.session.flush()
        return person

    async def link_identity(
        self, person_id: int, platform: str, platform_tenant: str, user_id: str
    ) -> Identity:
        """Point a platform account at a person (re-pointing it if the directory moved it)."""
        self._asking.clear()
        identity = await self.session.scalar(
            select(Identity).where(
                Identity.platform == platform,
                Identity.platform_tenant == platform_tenant,
                Identity.platform_user_id == user_id,
            )
        )
        if identity is None:
            identity = Identity(
                person_id=person_id,
                platform=platform,
                platform_tenant=platform_tenant,
                platform_user_id=user_id,
            )
            self.session.add(identity)
        else:
            identity.person_id = person_id
        await self.session.flush()
        return identity

    async def identities(self, person_id: int) -> list[Identity]:
        query = select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
        return list((await self.session.scalars(query)).all())


class Cases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # The cases locked in this transaction, by (tenant, ref): no one else can change or delete
        # them until it ends, so a later look-up by ref is answered from here, not re-read. The
        # unit of work forgets them when it commits or rolls back.
        self._locked: dict[tuple[int, str], Case] = {}

    def forget(self) -> None:
        self._locked.clear()

    async def add(self, case: Case) -> Case:
        """Store a new case and give it the tenant's next human number, e.g. "C-0007"."""
        # The UPDATE takes the tenant row's lock until commit, so numbers never repeat.
        number = await self.session.scalar(
            update(Tenant)
            .where(Tenant.id == case.tenant_id)
            .values(case_seq=Tenant.case_seq + 1)
            .returning(Tenant.case_seq)
        )
        if number is None:
            raise LookupError(f"no tenant {case.tenant_id}")
        case.ref = f"C-{number:04d}"
        if case.version is None:
            case.version = 1
        self.session.add(case)
        await self.session.flush()
        return case

    async def get(self, case_id: int, *, for_update: bool = False) -> Case | None:
        return await self._one(_case_query("id", for_update), {"case_id": case_id}, for_update)

    async def by_ref(self, tenant_id: int, ref: str, *, for_update: bool = False) -> Case | None:
        locked = self._locked.get((tenant_id, ref))
        if locked is not None and not for_update:
            return locked
        return await self._one(_case_query("ref", for_update), {"tenant_id": tenant_id, "ref": ref}, for_update)

    async def lock_many(self, case_ids: Iterable[int]) -> dict[int, Case]:
        """Lock several cases in id order (two lockers of overlapping sets cannot deadlock)."""
        query = (select(Case).where(Case.id.in_(set(case_ids))).order_by(Case.id)
                 .with_for_update().execution_options(populate_existing=True))
        locked = {case.id: case for case in (await self.session.scalars(query)).all()}
        self._locked.update({(case.tenant_id, case.ref): case for case in locked.values()})
        return locked

    async def _one(self, query: Select[tuple[Case]], params: dict[str, Any], for_update: bool) -> Case | None:
        case = await self.session.scalar(query, params)
        if for_update and case is not None:
            self._locked[(case.tenant_id, case.ref)] = case
        return case

    async def open_cases(self, tenant_id: int) -> list[Case]:
        query = (
            select(Case)
            .where(Case.tenant_id == tenant_id, Case.closed_at.is_(None))
            .order_by(Case.id)
        )
        return list((await self.session.scalars(query)).all())

    async def for_person(self, person_id: int) -> list[Case]:
        """Cases where the person is the employee or the manager, oldest first."""
        query = (
            select(Case)
            .where(or_(Case.employee_id == person_id, Case.manager_id == person_id))
            .order_by(Case.id)
        )
        return list((await self.session.scalars(query)).all())


class Evidence:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item: EvidenceItem) -> EvidenceItem:
        self.session.add(item)
        await self.session.flush()
        return item

    async def for_case(self, case_id: int, *, with_files: bool = False) -> list[EvidenceItem]:
        """The case's evidence, oldest first; the files' bytes only `with_files`."""
        query = select(EvidenceItem).where(EvidenceItem.case_id == case_id).order_by(EvidenceItem.id)
        if with_files:
            query = query.options(undefer(EvidenceItem.blob))
        return list((await self.session.scalars(query)).all())

    async def kinds(self, case_id: int) -> list[str]:
        """The kinds of a case's evidence, without loading the items (and their files)."""
        return list((await self.session.scalars(_evidence_kinds(), {"case_id": case_id})).all())


class Handover:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Each case's items as read in this transaction (the service reads them for the decision
        # and again for the timers); items are only added through `add`, which keeps this in step.
        # The unit of work forgets them when it commits or rolls back.
        self._by_case: dict[int, list[HandoverItem]] = {}

    def forget(self) -> None:
        self._by_case.clear()

    async def add(self, item: HandoverItem) -> HandoverItem:
        self.session.add(item)
        await self.session.flush()
        known = self._by_case.get(item.case_id)
        if known is not None:
            known.append(item)  # ids grow: still in id order
        return item

    async def get(self, item_id: int) -> HandoverItem | None:
        return await self.session.get(HandoverItem, item_id)

    async def for_case(self, case_id: int) -> list[HandoverItem]:
        known = self._by_case.get(case_id)
        if known is None:
            items = await self.session.scalars(_handover_items(), {"case_id": case_id})
            known = self._by_case[case_id] = list(items.all())
        return list(known)

    async def for_owner(self, person_id: int) -> list[HandoverItem]:
        """Every item the person must tick, earliest due first."""
        query = (
            select(HandoverItem)
            .where(HandoverItem.owner_id == person_id)
            .order_by(HandoverItem.due_at, HandoverItem.id)
        )
        return list((await self.session.scalars(query)).all())


class Snoozes:
    """Each person's snooze of a case's reminders (one per case and person; the last one counts)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def until(self, case_id: int, person_id: int) -> datetime | None:
        return await self.session.scalar(select(Snooze.until).where(
            Snooze.case_id == case_id, Snooze.person_id == person_id))

    async def set(self, case_id: int, person_id: int, until: datetime, now: datetime) -> None:
        values = {"case_id": case_id, "person_id": person_id, "until": until, "created_at": now}
        if not await insert_if_absent(self.session, Snooze, values, ["case_id", "person_id"]):
            await self.session.execute(update(Snooze).where(
                Snooze.case_id == case_id, Snooze.person_id == person_id).values(until=until, created_at=now))
