"""`python -m bot directory import`: the example company goes in whole; a bad file changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.directory import DirectoryError, parse
from handlers.context import person_locale
from storage.models import Person
from storage.uow import UnitOfWork
from tests.bot.services_support import Cli, in_process_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "people.csv"
HEADER = ("employee_no,name,email,department,position,manager_no,roles,locale,hire_date,"
          "console_id,slack_id,wecom_id\n")

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Cli:
    return in_process_cli(monkeypatch, tmp_path, db_url)


async def person(uow_factory: UowFactory, user_id: str, platform: str = "console",
                 platform_tenant: str = "local") -> Person | None:
    async with uow_factory() as uow:
        return await uow.people.by_identity(platform, platform_tenant, user_id)


async def test_the_example_company_is_imported(
    cli: Cli, uow_factory: UowFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("directory", "import", str(EXAMPLE)) == 0
    assert "11 people, 11 console identities" in capsys.readouterr().out

    lee, alice, bob = [await person(uow_factory, name) for name in ("lee", "alice", "bob")]
    assert alice.name == "陈晓丽" and alice.manager_id == lee.id and bob.manager_id == lee.id
    assert alice.hire_date == date(2019, 3, 15) and alice.locale == "zh-CN"
    assert lee.role_set == {"manager"} and alice.role_set == frozenset()

    wangfang, zhao = await person(uow_factory, "wangfang"), await person(uow_factory, "zhao")
    assert wangfang.name == "王芳" and wangfang.role_set == {"hr"}
    assert zhao.role_set == {"hr_lead"} and wangfang.manager_id == zhao.id  # row after hers
    for handle, role in (("sun", "it"), ("zhou", "admin"), ("wu", "finance")):
        assert (await person(uow_factory, handle)).role_set == {role}
    zheng, qian = await person(uow_factory, "zheng"), await person(uow_factory, "qian")
    assert zheng.role_set == {"manager"} and qian.manager_id == zheng.id
    assert (await person(uow_factory, "emily")).locale == "en"

    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert tenant is not None and alice.tenant_id == tenant.id
        assert [p.name for p in await uow.people.with_role(tenant.id, "hr")] == ["王芳"]


async def test_importing_again_updates_in_place(
    cli: Cli, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert await cli("directory", "import", str(EXAMPLE)) == 0
    first = await person(uow_factory, "alice")
    changed = EXAMPLE.read_text(encoding="utf-8").replace("后端工程师", "架构师")
    (tmp_path / "people.csv").write_text(changed, encoding="utf-8")
    assert await cli("directory", "import", str(tmp_path / "people.csv")) == 0
    again = await person(uow_factory, "alice")
    assert again.id == first.id and again.position == "架构师"


async def test_a_bad_file_names_each_line_and_imports_nothing(
    cli: Cli, uow_factory: UowFactory, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n".join([
        "E1,Good Person,good@example.com,,,,manager,zh-CN,2020-01-01,good,,",  # line 2: fine
        "E2,No Role,no@example.com,,,E1,wizard,zh-CN,,,,",                     # line 3
        "E3,Bad Date,bd@example.com,,,E1,,zh-CN,2020-13-40,,,",                # line 4
        "E1,Twin,twin@example.com,,,,,,,,,",                                   # line 5
        "E5,,nameless@example.com,,,,,,,,,",                                   # line 6
    ]) + "\n", encoding="utf-8")
    assert await cli("directory", "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err
    assert "line 3: unknown role(s) wizard" in err
    assert "line 4: hire_date '2020-13-40'" in err
    assert "line 5: employee_no 'E1' already used on line 2" in err
    assert "line 6: name is empty" in err
    async with uow_factory() as uow:
        assert await uow.tenants.by_key("console:local") is None  # not even the good row


async def test_an_unknown_manager_rolls_back_the_whole_file(
    cli: Cli, uow_factory: UowFactory, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "orphan.csv"
    bad.write_text(HEADER + "E1,First,first@example.com,,,,,,,,,\n"
                   "E2,Orphan,orphan@example.com,,,E99,,,,,,\n", encoding="utf-8")
    assert await cli("directory", "import", str(bad)) == 2
    assert "line 3: manager_no 'E99' is neither in the file nor in the directory" in (
        capsys.readouterr().err
    )
    assert await person(uow_factory, "first") is None


async def test_a_slack_workspace_links_slack_ids_only(
    cli: Cli, uow_factory: UowFactory, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    csv = tmp_path / "slack.csv"
    csv.write_text(HEADER + "E1,李伟,lee@example.com,,,,manager|hr,en,,lee,U01,lw\n"
                   "E2,陈晓丽,alice@example.com,,,E1,,,,,U02,\n", encoding="utf-8")
    assert await cli("directory", "import", str(csv), "--tenant", "slack:T42") == 0
    assert "1 wecom id(s) ignored" in capsys.readouterr().out
    lee = await person(uow_factory, "U01", "slack", "T42")
    assert lee.role_set == {"manager", "hr"} and lee.locale == "en"
    alice = await person(uow_factory, "U02", "slack", "T42")
    # Her row names no language: she reads the company's, which the import set from LOCALE.
    assert alice.manager_id == lee.id and alice.locale == ""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("slack:T42")
    assert tenant.settings["locale"] == "zh-CN" and person_locale(alice, tenant) == "zh-CN"
    assert await person(uow_factory, "lee") is None  # no console identity in a Slack tenant


async def test_an_unknown_workspace_kind_is_refused(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("directory", "import", str(EXAMPLE), "--tenant", "teams:X") == 2
    assert "slack:<team id>" in capsys.readouterr().err


def test_a_manager_loop_is_reported() -> None:
    with pytest.raises(DirectoryError) as caught:
        parse(HEADER + "E1,A,a@example.com,,,E2,,,,,,\nE2,B,b@example.com,,,E1,,,,,,\n")
    assert "manager chain loops: E1 → E2 → E1" in str(caught.value)


def test_missing_and_unknown_columns_are_reported() -> None:
    with pytest.raises(DirectoryError, match=r"missing column.*name.*unknown column.*salary"):
        parse("employee_no,salary\nE1,1000\n")


def test_time_zone_and_working_hours_are_read_and_checked() -> None:
    header = "employee_no,name,timezone,work_hours\n"
    [entry] = parse(header + "E9,Hans,Europe/Berlin,09:00-17:30\n")
    assert (entry.timezone, entry.work_hours) == ("Europe/Berlin", "09:00-17:30")
    [plain] = parse(header + "E9,Hans,,\n")
    assert (plain.timezone, plain.work_hours) == ("", "")
    with pytest.raises(DirectoryError) as bad:
        parse(header + "E9,Hans,Mars/Olympus,18:00-09:00\n")
    reasons = str(bad.value)
    assert "timezone 'Mars/Olympus'" in reasons and "work_hours '18:00-09:00'" in reasons
