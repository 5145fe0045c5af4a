"""`directory sync-wecom`: people from WeCom's contacts (departments, users, leaders).

An alternative to the CSV import. Each member becomes (or updates) a person linked to their
WeCom userid; a person already linked keeps their employee number, roles and hire date (WeCom
does not know those), new people are numbered by userid. The manager is the member's direct
leader (直属上级), else the leader of their department or the nearest department above it.
Department leaders gain the manager role; members of the named HR departments the hr role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.wecom.api import WeComApi
from bot.channels.wecom.config import WeComConfig
from storage.uow import UnitOfWork
from workflow.model import Role

PLATFORM = "wecom"
LEFT = 5  # WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left


@dataclass(frozen=True)
class SyncSummary:
    departments: int
    people: int
    created: int
    inactive: int
    with_manager: int


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    parent: int
    leaders: tuple[str, ...]


def departments_of(raw: Iterable[Mapping[str, Any]],
                   users: Iterable[Mapping[str, Any]]) -> dict[int, Department]:
    """Departments with their leaders, from department/list and the users' leader flags."""
    users = list(users)
    found: dict[int, Department] = {}
    for item in raw:
        dept_id = int(item["id"])
        leaders = [str(u) for u in item.get("department_leader") or ()]
        for user in users:
            flags = dict(zip(user.get("department") or (), user.get("is_leader_in_dept") or (),
                             strict=False))
            if flags.get(dept_id) and user["userid"] not in leaders:
                leaders.append(str(user["userid"]))
        found[dept_id] = Department(dept_id, str(item.get("name", "")),
                                    int(item.get("parentid") or 0), tuple(leaders))
    return found


def main_department(user: Mapping[str, Any]) -> int | None:
    main = user.get("main_department")
    if main:
        return int(main)
    departments = user.get("department") or ()
    return int(departments[0]) if departments else None


def manager_of(user: Mapping[str, Any], departments: Mapping[int, Department]) -> str | None:
    """The userid of `user`'s manager, or None (the top of the company)."""
    me = str(user["userid"])
    direct = [str(u) for u in user.get("direct_leader") or () if str(u) != me]
    if direct:
        return direct[0]
    dept_id = main_department(user)
    seen: set[int] = set()
    while dept_id in departments and dept_id not in seen:
        seen.add(dept_id)
        others = [u for u in departments[dept_id].leaders if u != me]
        if others:
            return others[0]
        dept_id = departments[dept_id].parent
    return None


async def fetch(api: WeComApi) -> tuple[dict[int, Department], dict[str, dict[str, Any]]]:
    """Every department and every member (from each top department down)."""
    raw = await api.departments()
    ids = {int(d["id"]) for d in raw}
    users: dict[str, dict[str, Any]] = {}
    for top in (d for d in raw if int(d.get("parentid") or 0) not in ids):
        for user in await api.users(int(top["id"])):
            users[str(user["userid"])] = user
    return departments_of(raw, users.values()), users


async def sync_directory(
    api: WeComApi,
    uow_factory: Callable[[], UnitOfWork],
    config: WeComConfig,
    *,
    hr_departments: Iterable[str] = (),
) -> SyncSummary:
    """Create or update everyone in one transaction."""
    departments, users = await fetch(api)
    hr_names = set(hr_departments)
    leaders = {u for d in departments.values() for u in d.leaders}
    created = inactive = with_manager = 0
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(config.tenant_key, timezone=config.timezone,
                                                 city=config.city)
        ids: dict[str, int] = {}
        for user_id, user in users.items():
            existing = await uow.people.by_identity(PLATFORM, config.corp_id, user_id)
            dept = departments.get(main_department(user) or -1)
            roles = set(existing.role_set) if existing else set()
            if user_id in leaders:
                roles.add(Role.MANAGER.value)
            if dept is not None and dept.name in hr_names:
                roles.add(Role.HR.value)
            active = int(user.get("status") or 1) != LEFT
            fields: dict[str, Any] = {
                "name": str(user.get("name") or user_id), "department": dept.name if dept else "",
                "position": str(user.get("position") or ""), "roles": ",".join(sorted(roles)),
                "active": active,
            }
            email = user.get("email") or user.get("biz_mail")
            if email:
                fields["email"] = str(email)
            if existing is None:
                fields["locale"] = config.locale
                created += 1
            inactive += not active
            person = await uow.people.upsert(
                tenant.id, existing.employee_no if existing else user_id, **fields
            )
            await uow.people.link_identity(person.id, PLATFORM, config.corp_id, user_id)
            ids[user_id] = person.id
        for user_id, user in users.items():
            boss = manager_of(user, departments)
            if boss in ids and ids[boss] != ids[user_id]:
                person = await uow.people.get(ids[user_id])
                assert person is not None
                person.manager_id = ids[boss]
                with_manager += 1
        await uow.commit()
    return SyncSummary(len(departments), len(users), created, inactive, with_manager)
