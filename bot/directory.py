"""The people directory from a CSV export: parse and check every row, then import all or nothing.

Columns: employee_no,name,email,department,position,manager_no,roles,locale,hire_date,
console_id,slack_id,wecom_id, and optionally birth_date,retirement_category,contract_start,
contract_end,probation_end (prefilled into a new case's facts) and timezone,work_hours (when
reminders reach the person, e.g. Europe/Berlin and 09:00-18:00; empty: the company's). Roles are separated by ";" or
"|"; manager_no names another row (in any order) or someone already in the directory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from storage.uow import UnitOfWork
from workflow.availability import parse_hours, zone
from workflow.model import Role

COLUMNS = (
    "employee_no", "name", "email", "department", "position", "manager_no", "roles", "locale",
    "hire_date", "console_id", "slack_id", "wecom_id",
    "birth_date", "retirement_category", "contract_start", "contract_end", "probation_end",
    "timezone", "work_hours",
)
# The dates the law reads (optional columns); retirement categories in English or Chinese.
DATE_COLUMNS = ("hire_date", "birth_date", "contract_start", "contract_end", "probation_end")
RETIREMENT_CATEGORIES = {"male": "male", "男": "male", "男职工": "male",
                         "female_cadre": "female_cadre", "女干部": "female_cadre",
                         "female_worker": "female_worker", "女工人": "female_worker"}
REQUIRED = ("employee_no", "name")
PLATFORM_COLUMNS = {"console": "console_id", "slack": "slack_id", "wecom": "wecom_id"}
CONSOLE_TENANT = "local"  # the console's platform_tenant: one local workspace

_ROLE_SEPARATOR = re.compile(r"[;|]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLES = frozenset(role.value for role in Role)


@dataclass(frozen=True)
class Entry:
    """One checked CSV row."""

    line: int
    employee_no: str
    name: str
    email: str
    department: str
    position: str
    manager_no: str | None
    roles: tuple[str, ...]
    locale: str
    hire_date: date | None
    birth_date: date | None
    retirement_category: str  # "" when not given
    contract_start: date | None
    contract_end: date | None
    probation_end: date | None
    timezone: str  # "" = the company's
    work_hours: str  # "HH:MM-HH:MM", "" = the company's
    console_id: str  # given, else the e-mail's local part, else the employee number
    slack_id: str | None
    wecom_id: str | None

    def user_id(self, platform: str) -> str | None:
        """This person's user id on `platform` (console, slack or wecom)."""
        return {"console": self.console_id, "slack": self.slack_id, "wecom": self.wecom_id}[
            platform
        ]


@dataclass(frozen=True)
class DirectoryProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class DirectoryError(Exception):
    """The file cannot be imported; `problems` lists every bad row."""

    def __init__(self, problems: Sequence[DirectoryProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Summary:
    people: int
    identities: int
    ignored_ids: dict[str, int]  # platform -> ids in the file that this tenant does not use


def _locale(value: str) -> str | None:
    lowered = value.lower().replace("_", "-")
    if lowered.startswith("en"):
        return "en"
    if lowered.startswith("zh"):
        return "zh-CN"
    return None


def _entry(line: int, row: dict[str, str], default_locale: str) -> tuple[Entry | None, list[str]]:
    field = {name: (row.get(name) or "").strip() for name in COLUMNS}
    reasons = [f"{name} is empty" for name in REQUIRED if not field[name]]
    email = field["email"]
    if email and not _EMAIL.match(email):
        reasons.append(f"email {email!r} is not an e-mail address")
    roles = tuple(dict.fromkeys(
        part.strip().lower() for part in _ROLE_SEPARATOR.split(field["roles"]) if part.strip()
    ))
    unknown = [role for role in roles if role not in _ROLES]
    if unknown:
        reasons.append(
            f"unknown role(s) {', '.join(unknown)} (known: {', '.join(sorted(_ROLES))})"
        )
    locale = _locale(field["locale"]) if field["locale"] else default_locale
    if locale is None:
        reasons.append(f"locale {field['locale']!r} is not zh-CN or en")
    dates: dict[str, date | None] = {}
    for name in DATE_COLUMNS:
        dates[name] = None
        if field[name]:
            try:
                dates[name] = date.fromisoformat(field[name])
            except ValueError:
                reasons.append(f"{name} {field[name]!r} is not a date (YYYY-MM-DD)")
    category = RETIREMENT_CATEGORIES.get(field["retirement_category"].lower())
    if field["retirement_category"] and category is None:
        reasons.append(f"retirement_category {field['retirement_category']!r} is not one of "
                       "male, female_cadre, female_worker (男, 女干部, 女工人)")
    start, end = dates["contract_start"], dates["contract_end"]
    if start and end and end < start:
        reasons.append(f"contract_end {end} is before contract_start {start}")
    if field["timezone"] and zone(field["timezone"], "").key != field["timezone"]:
        reasons.append(f"timezone {field['timezone']!r} is not a time zone name such as Asia/Shanghai")
    if field["work_hours"] and parse_hours(field["work_hours"]) is None:
        reasons.append(f"work_hours {field['work_hours']!r} is not HH:MM-HH:MM (e.g. 09:00-18:00)")
    if field["manager_no"] and field["manager_no"] == field["employee_no"]:
        reasons.append("manager_no is the person themself")
    if reasons:
        return None, reasons
    assert locale is not None
    return Entry(
        line=line, employee_no=field["employee_no"], name=field["name"], email=email,
        department=field["department"], position=field["position"],
        manager_no=field["manager_no"] or None, roles=roles, locale=locale,
        hire_date=dates["hire_date"], birth_date=dates["birth_date"],
        retirement_category=category or "", contract_start=start, contract_end=end,
        probation_end=dates["probation_end"], timezone=field["timezone"], work_hours=field["work_hours"],
        console_id=field["console_id"] or email.partition("@")[0] or field["employee_no"],
        slack_id=field["slack_id"] or None, wecom_id=field["wecom_id"] or None,
    ), []


def parse(text: str, *, default_locale: str = "") -> list[Entry]:
    """Every row checked on its own and against the others; DirectoryError lists each problem.

    A row without a locale keeps it empty: the person then reads the company's language
    (Tenant.settings["locale"]), whatever it is when they are written to."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or ()]
    reader.fieldnames = header
    problems = []
    missing = [name for name in REQUIRED if name not in header]
    # Optional columns may be left out of the header (older exports); every cell then reads as empty.
    extra = [name for name in header if name not in COLUMNS]
    if missing or extra:
        what = [f"missing column(s) {', '.join(missing)}"] if missing else []
        what += [f"unknown column(s) {', '.join(extra)}"] if extra else []
        raise DirectoryError([DirectoryProblem(1, f"{'; '.join(what)} (expected {','.join(COLUMNS)})")])
    entries: list[Entry] = []
    for row in reader:
        if None in row:  # more cells than header columns
            problems.append(DirectoryProblem(reader.line_num, "more values than columns"))
            continue
        if not any((value or "").strip() for value in row.values()):
            continue  # blank line
        entry, reasons = _entry(reader.line_num, row, default_locale)
        problems.extend(DirectoryProblem(reader.line_num, reason) for reason in reasons)
        if entry is not None:
            entries.append(entry)
    problems.extend(_cross_check(entries))
    if not entries and not problems:
        problems.append(DirectoryProblem(1, "no people in the file"))
    if problems:
        raise DirectoryError(sorted(problems, key=lambda problem: problem.line))
    return entries


def _cross_check(entries: Sequence[Entry]) -> list[DirectoryProblem]:
    """Duplicates and manager cycles; managers missing from the file are checked at import."""
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        keys = [("employee_no", entry.employee_no)]
        keys += [(column, uid) for platform, column in PLATFORM_COLUMNS.items()
                 if (uid := entry.user_id(platform))]
        for key in keys:
            if key in seen:
                problems.append(DirectoryProblem(
                    entry.line, f"{key[0]} {key[1]!r} already used on line {seen[key]}"
                ))
            else:
                seen[key] = entry.line
    managers = {entry.employee_no: entry.manager_no for entry in entries}
    for entry in entries:
        chain = [entry.employee_no]
        boss = entry.manager_no
        while boss in managers and boss not in chain:
            chain.append(boss)
            boss = managers[boss]
        if boss == entry.employee_no and len(chain) > 1:
            problems.append(DirectoryProblem(
                entry.line, f"manager chain loops: {' → '.join([*chain, entry.employee_no])}"
            ))
    return problems


@dataclass(frozen=True)
class Workspace:
    """A tenant as the handlers key it: f"{platform}:{platform_tenant}"."""

    platform: str
    platform_tenant: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.platform_tenant}"


def workspace(name: str) -> Workspace:
    """Parse --tenant: "console" (the local console), "slack:<team id>" or "wecom:<corp id>"."""
    platform, _, platform_tenant = name.partition(":")
    if platform == "console":
        return Workspace("console", platform_tenant or CONSOLE_TENANT)
    if platform not in PLATFORM_COLUMNS or not platform_tenant:
        raise ValueError(f"tenant {name!r} is not console, slack:<team id> or wecom:<corp id>")
    return Workspace(platform, platform_tenant)


async def import_entries(
    uow_factory: Callable[[], UnitOfWork],
    entries: Sequence[Entry],
    where: Workspace,
    *,
    timezone: str,
    city: str,
    locale: str = "",
) -> Summary:
    """Upsert every person and their identity on the tenant's platform, in one transaction.

    Managers absent from the file must already be in the directory; otherwise nothing is
    written and DirectoryError names the rows. `locale` (LOCALE) becomes the company's language
    when the company has none yet: the language of everyone whose row names none.
    """
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(where.key, timezone=timezone, city=city)
        if locale and not tenant.settings.get("locale"):
            tenant.settings = {**tenant.settings, "locale": locale}  # a new dict: stored
        ids = {}
        for entry in entries:
            person = await uow.people.upsert(
                tenant.id, entry.employee_no, name=entry.name, email=entry.email,
                department=entry.department, position=entry.position,
                roles=",".join(entry.roles), locale=entry.locale, hire_date=entry.hire_date,
                birth_date=entry.birth_date, retirement_category=entry.retirement_category,
                contract_start=entry.contract_start, contract_end=entry.contract_end,
                probation_end=entry.probation_end, timezone=entry.timezone, work_hours=entry.work_hours,
                active=True,
            )
            ids[entry.employee_no] = person.id
        problems = []
        for entry in entries:
            manager_id = None
            if entry.manager_no is not None:
                manager_id = ids.get(entry.manager_no) or await _existing(
                    uow, tenant.id, entry.manager_no
                )
                if manager_id is None:
                    problems.append(DirectoryProblem(
                        entry.line, f"manager_no {entry.manager_no!r} is neither in the file "
                        "nor in the directory",
                    ))
                    continue
            await uow.people.upsert(tenant.id, entry.employee_no, manager_id=manager_id)
        if problems:
            raise DirectoryError(problems)
        linked = 0
        ignored: dict[str, int] = {}
        for entry in entries:
            user_id = entry.user_id(where.platform)
            if user_id:
                await uow.people.link_identity(
                    ids[entry.employee_no], where.platform, where.platform_tenant, user_id
                )
                linked += 1
            for other in ("slack", "wecom"):
                if other != where.platform and entry.user_id(other):
                    ignored[other] = ignored.get(other, 0) + 1
        await uow.commit()
    return Summary(people=len(entries), identities=linked, ignored_ids=ignored)


async def _existing(uow: UnitOfWork, tenant_id: int, employee_no: str) -> int | None:
    for person in await uow.people.search(tenant_id, employee_no):
        if person.employee_no == employee_no:
            return person.id
    return None
