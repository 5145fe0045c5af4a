"""`directory import` takes the dates the law reads (birth date, retirement category, contract start and
end, probation end), refuses bad ones naming the line, and a case opened for the person starts with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.directory import DirectoryError, parse
from handlers.contracts import Inbound
from handlers.deps import build_deps
from handlers.dispatch import handle
from storage.uow import UnitOfWork
from tests.bot.runtime_support import Cli, in_process_cli
from workflow.clock import ManualClock

CSV = """employee_no,name,email,manager_no,roles,locale,hire_date,console_id,birth_date,retirement_category,\
contract_start,contract_end,probation_end
M1,李雷,lee@example.com,,manager,zh-CN,2015-01-05,lee,,,,,
H1,王芳,wang@example.com,,hr,zh-CN,2016-02-01,wangfang,,,,,
E1,陈晓丽,alice@example.com,M1,,zh-CN,2019-03-15,alice,1966-03-10,男,2019-03-15,2025-03-14,2019-05-14
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Cli:
    return in_process_cli(monkeypatch, tmp_path, db_url)


def test_the_columns_are_read_and_checked() -> None:
    alice = parse(CSV)[2]
    assert (alice.birth_date, alice.retirement_category, alice.contract_start, alice.contract_end,
            alice.probation_end) == (date(1966, 3, 10), "male", date(2019, 3, 15), date(2025, 3, 14),
                                     date(2019, 5, 14))
    bad = CSV.replace("1966-03-10,男,2019-03-15,2025-03-14", "1966-13-10,robot,2019-03-15,2018-03-14")
    with pytest.raises(DirectoryError) as caught:
        parse(bad)
    reasons = " ".join(p.reason for p in caught.value.problems)
    assert "birth_date" in reasons and "retirement_category" in reasons and "before contract_start" in reasons
    assert {p.line for p in caught.value.problems} == {4}
    # An export without the new columns still imports (they are optional).
    assert parse("employee_no,name\nE9,Someone\n")[0].birth_date is None


async def test_a_new_case_starts_with_the_directorys_dates(
        cli: Cli, uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(CSV, encoding="utf-8")
    assert await cli("directory", "import", str(people)) == 0
    deps = build_deps(ManualClock(datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))))
    reply = await handle(Inbound(platform="console", platform_tenant="local", user_id="lee", name="open",
                                 case_ref=None, args={"employee": "@alice", "ground": "expiry"}),
                         uow_factory, deps)
    assert reply.ok, reply
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        case = await uow.cases.by_ref(tenant.id, "C-0001")
    facts = case.facts
    assert (facts.hired, facts.birth_date, facts.retirement_category, facts.contract_start,
            facts.contract_end, facts.probation_end) == (
        date(2019, 3, 15), date(1966, 3, 10), "male", date(2019, 3, 15), date(2025, 3, 14), date(2019, 5, 14))
