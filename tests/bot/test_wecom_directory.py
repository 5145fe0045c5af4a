"""`python -m bot directory sync-wecom`: people, departments and leaders from WeCom's contacts
(the fake API, reached by wechatpy's real client); a second sync keeps what WeCom cannot know."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.channels.wecom.directory import Department, manager_of
from storage.models import Person
from storage.uow import UnitOfWork
from tests.bot.services_support import in_process_cli, serving
from tests.e2e.wecom_fake import FakeWeCom
from tests.e2e.wecom_support import company, new_aes_key

UowFactory = Callable[[], UnitOfWork]


def test_the_manager_is_the_direct_leader_else_the_nearest_department_leader() -> None:
    departments = {
        1: Department(1, "公司", 0, ("ceo",)),
        2: Department(2, "研发部", 1, ("lee",)),
        3: Department(3, "后端组", 2, ()),
    }
    assert manager_of({"userid": "a", "direct_leader": ["boss"], "department": [3]},
                      departments) == "boss"
    assert manager_of({"userid": "a", "department": [3]}, departments) == "lee"
    assert manager_of({"userid": "lee", "department": [2]}, departments) == "ceo"
    assert manager_of({"userid": "ceo", "department": [1]}, departments) is None
    assert manager_of({"userid": "x", "main_department": 2, "department": [3, 2]},
                      departments) == "lee"


async def _person(uow_factory: UowFactory, corp: str, userid: str) -> Person:
    async with uow_factory() as uow:
        person = await uow.people.by_identity("wecom", corp, userid)
    assert person is not None, userid
    return person


async def test_sync_from_the_contacts_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str, uow_factory: UowFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corp = f"ww{uuid.uuid4().hex[:12]}"
    fake = FakeWeCom(corp_id=corp, secret="s3cret")
    company(fake)
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    async with serving(fake.app()) as url:
        for name, value in {"WECOM_CORP_ID": corp, "WECOM_AGENT_ID": "1000002",
                            "WECOM_SECRET": "s3cret", "WECOM_TOKEN": "t",
                            "WECOM_AES_KEY": new_aes_key(),
                            "WECOM_API_URL": f"{url}/cgi-bin"}.items():
            monkeypatch.setenv(name, value)
        assert await cli("directory", "sync-wecom", "--hr-department", "人力资源部") == 0
        assert "8 people (8 new, 1 inactive, 4 with a manager) in 4 departments" in (
            capsys.readouterr().out)

        lee, alice = await _person(uow_factory, corp, "lee"), await _person(uow_factory, corp,
                                                                            "alice")
        wangfang = await _person(uow_factory, corp, "wangfang")
        zhao = await _person(uow_factory, corp, "zhao")
        assert (alice.name, alice.department, alice.manager_id) == ("陈晓丽", "研发部", lee.id)
        assert lee.role_set == {"manager"} and lee.manager_id is None
        assert wangfang.role_set == {"hr"} and wangfang.manager_id == zhao.id
        assert zhao.role_set == {"hr", "manager"}
        assert not (await _person(uow_factory, corp, "gone")).active
        assert (await _person(uow_factory, corp, "emily")).email == "emily@example.com"

        # What only HR knows survives the next sync; what WeCom says is refreshed.
        async with uow_factory() as uow:
            stored = await uow.people.get(alice.id)
            stored.hire_date, stored.roles, stored.locale = date(2019, 3, 15), "it", "en"
            await uow.commit()
        fake.users[1]["name"] = "陈晓丽（新）"
        assert await cli("directory", "sync-wecom") == 0
        assert "8 people (0 new" in capsys.readouterr().out
        alice = await _person(uow_factory, corp, "alice")
        assert (alice.name, alice.hire_date, alice.role_set, alice.locale) == (
            "陈晓丽（新）", date(2019, 3, 15), {"it"}, "en")
        assert alice.employee_no == "alice"


async def test_sync_without_wecom_settings_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    assert await cli("directory", "sync-wecom") == 2
    assert "WeCom is not configured" in capsys.readouterr().err
