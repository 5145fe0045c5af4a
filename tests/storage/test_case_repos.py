"""Tenants, the people directory, cases (numbers, locks, optimistic version), evidence, handover."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm.exc import StaleDataError

from storage.models import Case, EvidenceItem, HandoverItem
from tests.storage.data import NOW


async def test_get_or_create_tenant_is_idempotent(uow_factory) -> None:
    async with uow_factory() as uow:
        first = await uow.tenants.get_or_create("slack:T1", name="Acme")
        again = await uow.tenants.get_or_create("slack:T1", name="ignored")
        await uow.commit()
    assert first.id == again.id
    async with uow_factory() as uow:
        stored = await uow.tenants.by_key("slack:T1")
        assert stored is not None and stored.name == "Acme"
        assert stored.timezone == "Asia/Shanghai" and stored.case_seq == 0
        assert (await uow.tenants.get(first.id)).key == "slack:T1"
        assert await uow.tenants.by_key("slack:T2") is None


async def test_people_found_by_handle_email_name_and_number(uow_factory, world) -> None:
    async with uow_factory() as uow:
        await uow.people.link_identity(world.manager_id, "slack", "T1", "U0MING")
        await uow.commit()
    async with uow_factory() as uow:

        async def ids(text: str) -> list[int]:
            return [p.id for p in await uow.people.search(world.tenant_id, text)]

        assert await ids("@U0MING") == [world.manager_id]
        assert await ids("ming.li") == [world.manager_id]
        assert await ids("Ming.Li@acme.cn") == [world.manager_id]
        assert await ids("ming li") == [world.manager_id]
        assert await ids("E003") == [world.employee_id]
        assert await ids("ming") == []  # no partial names: ambiguity must be explicit
        assert await ids("%") == []
        assert await ids("  ") == []


async def test_search_stays_inside_the_tenant(uow_factory, world) -> None:
    async with uow_factory() as uow:
        other = await uow.tenants.get_or_create("wecom:corp2")
        await uow.people.upsert(other.id, "E002", name="Ming Li", email="ming.li@other.cn")
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.people.search(world.tenant_id, "Ming Li")
    assert [p.id for p in found] == [world.manager_id]


async def test_identity_links_and_moves(uow_factory, world) -> None:
    async with uow_factory() as uow:
        await uow.people.link_identity(world.employee_id, "wecom", "corp1", "weizhang")
        await uow.people.link_identity(world.employee_id, "wecom", "corp1", "weizhang")
        await uow.commit()
    async with uow_factory() as uow:
        person = await uow.people.by_identity("wecom", "corp1", "weizhang")
        assert person is not None and person.id == world.employee_id
        assert len(await uow.people.identities(world.employee_id)) == 1
        await uow.people.link_identity(world.hr_id, "wecom", "corp1", "weizhang")
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.people.by_identity("wecom", "corp1", "weizhang")).id == world.hr_id
        assert await uow.people.identities(world.employee_id) == []
        assert await uow.people.by_identity("wecom", "corp2", "weizhang") is None


async def test_upsert_updates_by_employee_number(uow_factory, world) -> None:
    async with uow_factory() as uow:
        person = await uow.people.upsert(world.tenant_id, "E003", department="Sales", roles="it")
        await uow.commit()
    assert person.id == world.employee_id
    async with uow_factory() as uow:
        stored = await uow.people.get(world.employee_id)
        assert (stored.name, stored.department, stored.role_set) == ("Wei Zhang", "Sales", {"it"})


async def test_with_role_matches_whole_roles_of_active_people(uow_factory, world) -> None:
    async with uow_factory() as uow:
        await uow.people.upsert(world.tenant_id, "E010", name="Lead", roles="manager, hr_lead")
        await uow.people.upsert(world.tenant_id, "E011", name="Gone", roles="hr", active=False)
        await uow.commit()
    async with uow_factory() as uow:
        hr = [p.name for p in await uow.people.with_role(world.tenant_id, "hr")]
        leads = [p.name for p in await uow.people.with_role(world.tenant_id, "hr_lead")]
        managers = [p.name for p in await uow.people.with_role(world.tenant_id, "manager")]
    assert (hr, leads, managers) == (["Hana"], ["Lead"], ["Ming Li", "Lead"])


async def test_case_numbers_count_per_tenant(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        first, second = await open_case(uow), await open_case(uow)
        other = await uow.tenants.get_or_create("wecom:corp2")
        boss = await uow.people.upsert(other.id, "X1", name="Boss")
        elsewhere = await uow.cases.add(
            Case(
                tenant_id=other.id,
                employee_id=boss.id,
                manager_id=boss.id,
                opened_by_id=boss.id,
                ground="mutual",
                state="evidence",
                opened_at=NOW,
                state_entered_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
    assert (first.ref, second.ref, elsewhere.ref) == ("C-0001", "C-0002", "C-0001")
    assert first.version == 1


async def test_cases_are_found_by_ref_person_and_openness(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        first, second = await open_case(uow), await open_case(uow)
        second.closed_at = NOW
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.cases.by_ref(world.tenant_id, "C-0001", for_update=True)
        assert found is not None and found.id == first.id
        assert (await uow.cases.get(second.id)).ref == "C-0002"
        assert await uow.cases.by_ref(world.tenant_id, "C-0009") is None
        assert [c.id for c in await uow.cases.open_cases(world.tenant_id)] == [first.id]
        assert len(await uow.cases.for_person(world.manager_id)) == 2
        assert len(await uow.cases.for_person(world.employee_id)) == 2
        assert await uow.cases.for_person(world.hr_id) == []


async def test_for_update_reloads_a_copy_cached_in_the_session(uow_factory, open_case) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.commit()
    async with uow_factory() as reader:
        cached = await reader.cases.get(case.id)
        await reader.commit()  # ends the transaction; the object stays cached, unexpired
        async with uow_factory() as writer:
            changed = await writer.cases.get(case.id)
            changed.state, changed.version = "hr_review", 2
            await writer.commit()
        assert (await reader.cases.get(case.id)).state == "evidence"  # the cached copy
        locked = await reader.cases.get(cached.id, for_update=True)
    assert (locked.state, locked.version) == ("hr_review", 2)


async def test_a_concurrent_update_loses_with_stale_data(uow_factory, open_case) -> None:
    """Both load version 1; the first to commit wins; the other's UPDATE matches no row."""
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.commit()
    async with uow_factory() as first:
        mine = await first.cases.get(case.id)
        await first.commit()  # version 1 stays in the identity map (expire_on_commit=False)
        async with uow_factory() as second:
            theirs = await second.cases.get(case.id)
            theirs.state, theirs.version = "hr_review", 2
            await second.commit()
        mine.state, mine.version = "withdrawn", 2
        with pytest.raises(StaleDataError):
            await first.commit()
    async with uow_factory() as uow:
        assert (await uow.cases.get(case.id)).state == "hr_review"


async def test_evidence_and_handover_items(uow_factory, open_case, world) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        for kind in ("warning_letter", "pip"):
            await uow.evidence.add(
                EvidenceItem(
                    case_id=case.id,
                    kind=kind,
                    sha256="0" * 64,
                    added_by_id=world.manager_id,
                    added_at=NOW,
                )
            )
        late = await uow.handover.add(
            HandoverItem(
                case_id=case.id,
                kind="laptop",
                owner_id=world.employee_id,
                due_at=NOW + timedelta(days=2),
            )
        )
        soon = await uow.handover.add(
            HandoverItem(
                case_id=case.id,
                kind="badge",
                owner_id=world.employee_id,
                due_at=NOW + timedelta(days=1),
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        kinds = [e.kind for e in await uow.evidence.for_case(case.id)]
        assert kinds == ["warning_letter", "pip"]
        assert [h.id for h in await uow.handover.for_case(case.id)] == [late.id, soon.id]
        assert [h.id for h in await uow.handover.for_owner(world.employee_id)] == [soon.id, late.id]
        assert (await uow.handover.get(soon.id)).kind == "badge"
        assert await uow.handover.for_owner(world.hr_id) == []
