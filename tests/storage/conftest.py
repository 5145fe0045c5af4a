"""Storage test data: one tenant with an HR member, a manager and an employee, and open cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.models import Case
from storage.uow import UnitOfWork
from tests.storage.data import NOW, OpenCase, World


@pytest.fixture
async def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console", name="Acme")
        people = uow.people
        hr = await people.upsert(tenant.id, "E001", name="Hana", email="hana@acme.cn", roles="hr")
        manager = await people.upsert(
            tenant.id, "E002", name="Ming Li", email="ming.li@acme.cn", roles="manager"
        )
        employee = await people.upsert(
            tenant.id, "E003", name="Wei Zhang", email="wei@acme.cn", manager_id=manager.id
        )
        await uow.commit()
    return World(tenant.id, hr.id, manager.id, employee.id)


@pytest.fixture
def open_case(world: World) -> OpenCase:
    """Adds a new case (in the caller's unit of work, uncommitted)."""

    async def add(uow: UnitOfWork) -> Case:
        case = Case(
            tenant_id=world.tenant_id,
            employee_id=world.employee_id,
            manager_id=world.manager_id,
            opened_by_id=world.manager_id,
            ground="incompetence",
            state="evidence",
            opened_at=NOW,
            state_entered_at=NOW,
            updated_at=NOW,
        )
        return await uow.cases.add(case)

    return add
