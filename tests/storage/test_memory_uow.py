"""The in-memory unit of work keeps the contract of the real one: each scenario runs on both (SQLite and
PostgreSQL via `uow_factory`) and must see the same thing, so the fast lane's fake cannot drift."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from storage.audit import problems_in
from storage.memory import MemoryDatabase
from storage.models import (
    Base,
    Case,
    Document,
    EvidenceItem,
    HandoverItem,
    Signature,
    SigningToken,
)
from storage.uow import UnitOfWork
from tests.storage.data import NOW, Spec
from workflow.case import CaseRecord

Factory = Callable[[], UnitOfWork]
Scenario = Callable[[Factory], Awaitable[Any]]
LEASE = timedelta(minutes=5)


async def same_on_both(scenario: Scenario, uow_factory: Factory) -> Any:
    """What `scenario` sees on the real database, having checked the memory one sees the same."""
    real = await scenario(uow_factory)
    memory = await scenario(MemoryDatabase().unit_of_work)  # type: ignore[arg-type]
    assert memory == real
    return real


def values(rows: list[Base], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(getattr(row, name) for name in names) for row in rows]


async def seed(uow: UnitOfWork) -> dict[str, int]:
    """A tenant, HR, a manager and an employee; returns their ids by name."""
    tenant = await uow.tenants.get_or_create("slack:T1", name="Acme")
    hr = await uow.people.upsert(tenant.id, "E001", name="Hana", email="hana@acme.cn", roles="hr")
    lead = await uow.people.upsert(tenant.id, "E004", name="Lead", roles="manager, hr_lead")
    manager = await uow.people.upsert(tenant.id, "E002", name="Ming Li", email="ming.li@acme.cn", roles="manager")
    employee = await uow.people.upsert(tenant.id, "E003", name="Wei Zhang", email="wei@acme.cn",
                                       manager_id=manager.id)
    return {"tenant": tenant.id, "hr": hr.id, "lead": lead.id, "manager": manager.id, "employee": employee.id}


async def new_case(uow: UnitOfWork, ids: dict[str, int], tenant_id: int | None = None) -> Case:
    return await uow.cases.add(Case(
        tenant_id=tenant_id or ids["tenant"], employee_id=ids["employee"], manager_id=ids["manager"],
        opened_by_id=ids["manager"], ground="incompetent", state="collecting_evidence",
        opened_at=NOW, state_entered_at=NOW, updated_at=NOW))


async def test_tenants_and_the_directory(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            again = await uow.tenants.get_or_create("slack:T1", name="ignored")
            await uow.people.upsert(ids["tenant"], "E005", name="Gone", roles="hr", active=False)
            await uow.people.link_identity(ids["manager"], "slack", "T1", "U0MING")
            await uow.people.link_identity(ids["employee"], "slack", "T1", "U0WEI")
            await uow.commit()
        async with factory() as uow:
            await uow.people.link_identity(ids["hr"], "slack", "T1", "U0WEI")  # the directory moved it
            await uow.people.upsert(ids["tenant"], "E003", department="Sales")
            await uow.commit()
        async with factory() as uow:
            tenant = await uow.tenants.by_key("slack:T1")
            searches = {text: [p.id for p in await uow.people.search(ids["tenant"], text)]
                        for text in ("@U0MING", "ming.li", "Ming.Li@acme.cn", "ming li", "E003", "ming", "%", " ")}
            return {
                "tenant": (again.id == ids["tenant"], tenant.name, tenant.timezone, tenant.case_seq, tenant.settings),
                "many": sorted(t.key for t in await uow.tenants.get_many([ids["tenant"], 99])),
                "missing": await uow.tenants.by_key("slack:T2"),
                "searches": searches,
                "roles": {role: [p.name for p in await uow.people.with_role(ids["tenant"], role)]
                          for role in ("hr", "hr_lead", "manager")},
                "by_identity": [(p.id if p else None) for p in [
                    await uow.people.by_identity("slack", "T1", "U0WEI"),
                    await uow.people.by_identity("slack", "T2", "U0WEI")]],
                "identities": [values(await uow.people.identities(ids[who]), "platform_user_id")
                               for who in ("employee", "hr")],
                "employee": values([await uow.people.get(ids["employee"])],
                                   "name", "department", "manager_id", "locale", "active", "roles"),
                "people": sorted(p.name for p in await uow.people.get_many(ids.values())),
            }

    seen = await same_on_both(scenario, uow_factory)
    assert seen["searches"]["ming li"] == seen["searches"]["@U0MING"] != []
    assert seen["searches"]["ming"] == seen["searches"]["%"] == []
    assert seen["roles"] == {"hr": ["Hana"], "hr_lead": ["Lead"], "manager": ["Lead", "Ming Li"]}
    assert seen["identities"] == [[], [("U0WEI",)]]


async def test_cases_number_per_tenant_and_are_found(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            other = await uow.tenants.get_or_create("wecom:corp2")
            first, second = await new_case(uow, ids), await new_case(uow, ids)
            elsewhere = await new_case(uow, ids, other.id)
            second.closed_at = NOW
            await uow.commit()
        async with factory() as uow:
            await new_case(uow, ids)  # rolled back: its number is free again
        async with factory() as uow:
            return {
                "refs": [first.ref, second.ref, elsewhere.ref, first.version],
                "by_ref": [c and c.id for c in [await uow.cases.by_ref(ids["tenant"], "C-0002", for_update=True),
                                                await uow.cases.by_ref(ids["tenant"], "C-0003")]],
                "get": values([await uow.cases.get(first.id, for_update=True)], "ref", "state", "facts", "record",
                              "facts_confirmed", "opened_at", "note", "outcome"),
                "locked": [(i, c.ref) for i, c in sorted((await uow.cases.lock_many([second.id, first.id])).items())],
                "open": [c.ref for c in await uow.cases.open_cases(ids["tenant"])],
                "mine": [[c.ref for c in await uow.cases.for_person(ids[who])] for who in ("employee", "hr")],
                "seq": (await uow.tenants.get(ids["tenant"])).case_seq,
            }

    seen = await same_on_both(scenario, uow_factory)
    assert seen["refs"] == ["C-0001", "C-0002", "C-0001", 1]
    assert seen["open"] == ["C-0001"] and seen["seq"] == 2


async def test_the_case_file_evidence_handover_documents_and_signatures(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            case = await new_case(uow, ids)
            for kind in ("warning_letter", "pip"):
                await uow.evidence.add(EvidenceItem(case_id=case.id, kind=kind, sha256="0" * 64,
                                                    added_by_id=ids["manager"], added_at=NOW))
            for kind, days in (("laptop", 2), ("badge", 1)):
                await uow.handover.add(HandoverItem(case_id=case.id, kind=kind, owner_id=ids["employee"],
                                                    due_at=NOW + timedelta(days=days)))
            for version, kind in ((1, "notice"), (2, "notice"), (2, "agreement")):
                await uow.documents.add(Document(
                    case_id=case.id, version=version, kind=kind, locale="zh-CN", title="t", filename="f.pdf",
                    media_type="application/pdf", content=b"%PDF", size=4, sha256=f"{version}" * 64,
                    created_at=NOW))
            await uow.signing_tokens.add(SigningToken(
                token_hash="a" * 64, case_id=case.id, person_id=ids["employee"], identity="slack:T1:U0WEI",
                document_version=2, document_sha256="2" * 64, created_at=NOW, expires_at=NOW + LEASE))
            await uow.signatures.add(Signature(
                case_id=case.id, person_id=ids["employee"], provider="click_to_sign", document_version=2,
                document_sha256="2" * 64, signed_at=NOW, record={"v": (1, 2)}, record_sha256="b" * 64,
                seal="s", public_key="k"))
            await uow.commit()
        async with factory() as uow:
            items = await uow.handover.for_case(case.id)
            token = await uow.signing_tokens.by_hash("a" * 64, for_update=True)
            return {
                "evidence": values(await uow.evidence.for_case(case.id), "kind", "content", "size", "added_at"),
                "kinds": await uow.evidence.kinds(case.id),
                "handover": values(items, "kind", "due_at", "done_at", "note"),
                "owner": [i.kind for i in await uow.handover.for_owner(ids["employee"])],
                "item": values([await uow.handover.get(items[1].id)], "kind"),
                "latest": [await uow.documents.latest_version(case.id), await uow.documents.latest_version(99)],
                "documents": values(await uow.documents.for_case(case.id), "version", "kind", "content"),
                "version_2": values(await uow.documents.for_case(case.id, 2), "kind"),
                "document": values([await uow.documents.get(1)], "kind", "version"),
                "token": values([token], "used_at", "used_for", "opened_at", "expires_at"),
                "no_token": await uow.signing_tokens.by_hash("c" * 64),
                "tokens": len(await uow.signing_tokens.for_case(case.id)),
                "signatures": values(await uow.signatures.for_case(case.id), "record", "document_version"),
            }

    seen = await same_on_both(scenario, uow_factory)
    assert seen["owner"] == ["badge", "laptop"] and seen["latest"] == [2, 0]
    assert seen["signatures"] == [({"v": [1, 2]}, 2)]  # JSON as it reads back


async def test_a_duplicate_key_is_refused(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            case = await new_case(uow, ids)
            await uow.commit()
        document = {"case_id": case.id, "version": 1, "kind": "notice", "locale": "en", "title": "t",
                    "filename": "f", "media_type": "m", "content": b"", "size": 0, "sha256": "0", "created_at": NOW}
        async with factory() as uow:
            await uow.documents.add(Document(**document))
            with pytest.raises(IntegrityError):
                await uow.documents.add(Document(**document))
        async with factory() as uow:
            return await uow.documents.latest_version(case.id)

    assert await same_on_both(scenario, uow_factory) == 0


async def test_the_audit_chain_hashes_alike(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            case, other = await new_case(uow, ids), await new_case(uow, ids)
            for n, action in enumerate(("open", "add_evidence", "submit")):
                await uow.audit.append(case, action=action, actor_id=ids["manager"], actor_identity="slack:T1:U0MING",
                                       from_state="a", to_state="b", at=NOW + timedelta(hours=n),
                                       payload={"n": n, "when": date(2024, 6, 3), "pay": Decimal("1.50")})
            await uow.audit.append(other, action="open", actor_id=None, at=NOW)
            await uow.commit()
        async with factory() as uow:
            locked = await uow.cases.get(case.id, for_update=True)
            await uow.audit.append(locked, action="rolled_back", actor_id=None, at=NOW)
        async with factory() as uow:
            locked = await uow.cases.get(case.id, for_update=True)
            await uow.audit.append(locked, action="approve", actor_id=ids["hr"], at=NOW + timedelta(days=1))
            await uow.commit()
        async with factory() as uow:
            events = [*await uow.audit.for_case(case.id), *await uow.audit.for_case(other.id)]
            heads = [(c.audit_seq, c.audit_hash) for c in (await uow.cases.get(case.id), await uow.cases.get(other.id))]
            return {"problems": problems_in(events), "heads": heads,
                    "events": values(events, "seq", "action", "at", "payload", "payload_hash", "prev_hash", "hash")}

    seen = await same_on_both(scenario, uow_factory)
    assert seen["problems"] == []
    assert [e[:2] for e in seen["events"]] == [(1, "open"), (2, "add_evidence"), (3, "submit"), (4, "approve"),
                                               (1, "open")]
    assert seen["events"][0][3] == {"n": 0, "when": "2024-06-03", "pay": "1.50"}
    # Each case's row holds its chain's head; the rolled-back event moved nothing.
    assert seen["heads"] == [(4, seen["events"][3][6]), (1, seen["events"][4][6])]


async def test_timers_arm_once_claim_with_a_lease_and_fire_once(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            case = await new_case(uow, await seed(uow))
            specs = [Spec("late", NOW + 2 * LEASE, {"a": 2}), Spec("soon", NOW + LEASE, {"a": 1}),
                     Spec("later", NOW + 3 * LEASE, {})]
            armed = [await uow.timers.arm(case.id, 1, specs), await uow.timers.arm(case.id, 1, specs)]
            await uow.commit()
        async with factory() as uow:
            first = await uow.timers.claim_due(NOW + 2 * LEASE, 1, LEASE)
            await uow.commit()
        async with factory() as uow:
            leased = await uow.timers.claim_due(NOW + 2 * LEASE, 10, LEASE)  # the first is leased
            fired = [await uow.timers.mark_fired([t.id for t in [*first, *leased]], NOW),
                     await uow.timers.mark_fired([first[0].id], NOW)]
            await uow.commit()
        async with factory() as uow:
            # Re-armed for a new version: the fired (kind, due) pairs are skipped.
            armed.append(await uow.timers.arm(case.id, 2, specs))
            pending = values(await uow.timers.pending_for(case.id), "kind", "case_version", "due_at", "payload")
            await uow.commit()
        return {"armed": armed, "claims": [(t.kind, t.due_at, t.payload, t.case_version) for t in [*first, *leased]],
                "fired": [len(f) for f in fired], "pending": pending}

    seen = await same_on_both(scenario, uow_factory)
    assert seen["armed"] == [3, 0, 1]
    assert [c[0] for c in seen["claims"]] == ["soon", "late"]
    assert seen["fired"] == [2, 0]
    assert [p[:2] for p in seen["pending"]] == [("later", 1), ("later", 2)]


async def test_outbox_and_inbound_deliveries_are_kept_once(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            case = await new_case(uow, ids)
            queued = [await uow.outbox.enqueue(tenant_id=ids["tenant"], case_id=case.id, channel="slack",
                                               recipient=recipient, kind="notice", payload={"k": (1,), 2: "x"},
                                               dedup_key=key, now=NOW)
                      for recipient, key in (("hr_group", "k1"), ("person:1", "k2"), ("person:2", "k1"))]
            seen = [await uow.inbound.record("slack:Ev1", NOW), await uow.inbound.record("slack:Ev1", NOW)]
            await uow.commit()
        async with factory() as uow:
            seen.append(await uow.inbound.record("slack:Ev2", NOW))  # rolled back: unseen again
        async with factory() as uow:
            seen.append(await uow.inbound.record("slack:Ev2", NOW))
            messages = values(await uow.outbox.for_case(case.id), "recipient", "kind", "payload", "attempts",
                              "sent_at", "dead_at", "next_attempt_at", "last_error", "platform_ref")
            return {"queued": queued, "seen": seen, "messages": messages}

    seen = await same_on_both(scenario, uow_factory)
    assert seen["queued"] == [True, True, False] and seen["seen"] == [True, False, True, True]
    assert seen["messages"][0][2] == {"k": [1], "2": "x"}


async def test_what_is_not_committed_is_forgotten(uow_factory: Factory) -> None:
    async def scenario(factory: Factory) -> Any:
        async with factory() as uow:
            ids = await seed(uow)
            case = await new_case(uow, ids)
            await uow.commit()
        async with factory() as uow:
            changed = await uow.cases.get(case.id)
            changed.state, changed.record = "hr_review", changed.record.recorded(changes_requested="x")
            await uow.timers.arm(case.id, 1, [Spec("soon", NOW, {})])
            await uow.rollback()
            after_rollback = values([await uow.cases.get(case.id)], "state", "record")
        with pytest.raises(RuntimeError):
            async with factory() as uow:
                (await uow.cases.get(case.id)).state = "closed"
                await uow.people.upsert(ids["tenant"], "E009", name="New")
                raise RuntimeError("the request failed")
        async with factory() as uow:
            return {"rolled_back": after_rollback, "case": values([await uow.cases.get(case.id)], "state", "record"),
                    "timers": await uow.timers.pending_for(case.id),
                    "people": len(await uow.people.search(ids["tenant"], "New"))}

    seen = await same_on_both(scenario, uow_factory)
    untouched = [("collecting_evidence", CaseRecord())]
    assert seen == {"rolled_back": untouched, "case": untouched, "timers": [], "people": 0}
