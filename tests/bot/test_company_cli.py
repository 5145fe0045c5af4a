"""`python -m bot company set|show` on SQLite and PostgreSQL: every field set and shown; each bad
value (text or image) refused in both languages with nothing changed; the images kept owner-only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.uow import UnitOfWork
from tests.bot.company_support import ADDRESS, NAME_EN, NAME_ZH, USCC, seal_image
from tests.bot.services_support import in_process_cli
from tests.handlers.conftest import START, make_world
from workflow.clock import ManualClock


async def test_set_then_show_every_field_and_refuse_bad_values_changing_nothing(
    db_url: str, uow_factory: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await make_world(uow_factory, ManualClock(START))
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    seal, logo = tmp_path / "seal.png", tmp_path / "logo.jpg"
    seal.write_bytes(seal_image("PNG"))
    logo.write_bytes(seal_image("JPEG", 120))
    capsys.readouterr()

    assert await cli("company", "set", "--tenant", "console:local", "--name-zh", NAME_ZH,
                     "--name-en", NAME_EN, "--address", ADDRESS, "--registration-no", USCC.lower(),
                     "--hr-contact", "王芳 hr@example.com", "--timezone", "Asia/Hong_Kong",
                     "--hours", "09:30-18:30", "--union", "no", "--seal", str(seal),
                     "--logo", str(logo)) == 0
    capsys.readouterr()
    assert await cli("company", "show", "--tenant", "console:local", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in ("name_zh", "name_en", "address", "registration_no", "timezone",
                                  "hours", "union")} == {
        "name_zh": NAME_ZH, "name_en": NAME_EN, "address": ADDRESS, "registration_no": USCC,
        "timezone": "Asia/Hong_Kong", "hours": "09:30-18:30", "union": "no"}
    assert (shown["seal"]["kind"], shown["seal"]["width"], shown["logo"]["kind"]) == ("png", 240, "jpeg")
    stored = data_dir / "company"
    files = sorted(p for p in stored.rglob("*") if p.is_file())
    assert len(files) == 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    assert all(p.stat().st_mode & 0o777 == 0o700 for p in stored.rglob("*") if p.is_dir())
    async with uow_factory() as uow:  # the time zone and union are the ones the rest of the bot reads
        tenant = await uow.tenants.by_key("console:local")
        assert (tenant.timezone, tenant.settings["union"]) == ("Asia/Hong_Kong", "no")

    not_png = tmp_path / "seal2.png"
    not_png.write_bytes(b"GIF89a" + b"\0" * 100)
    forged = tmp_path / "forged.png"
    forged.write_bytes(seal_image("PNG")[:60])  # a PNG header, then nothing that decodes
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1))
    bad = (
        (("--timezone", "Asia/Atlantis"), "不是有效时区", "is not a time zone"),
        (("--hours", "18:00-09:00"), "下班时间须晚于上班时间", "must end after it starts"),
        (("--registration-no", USCC[:-1] + "4"), "校验位不正确", "check character is wrong"),
        (("--union", "perhaps"), "工会", "Answer union with yes or no"),
        (("--seal", str(not_png)), "只接受 PNG 或 JPEG", "Only PNG or JPEG"),
        (("--seal", str(forged)), "已损坏", "damaged"),
        (("--seal", str(huge)), "图片文件过大", "too big"),
    )
    for args, zh, en in bad:
        # A good value alongside the bad one is not kept either.
        assert await cli("company", "set", "--tenant", "console:local", "--name-en", "Other Ltd", *args) == 2
        err = capsys.readouterr().err
        assert zh in err and en in err and "未作任何修改" in err and "nothing was changed" in err.lower(), err
    assert await cli("company", "show", "--tenant", "console:local", "--json") == 0
    assert json.loads(capsys.readouterr().out) == shown
    assert len([p for p in stored.rglob("*") if p.is_file()]) == 2

    assert await cli("company", "show", "--tenant", "console:nowhere") == 2
    assert "no workspace console:nowhere" in capsys.readouterr().err
    assert await cli("company", "set", "--tenant", "console:local") == 2
    assert "nothing to set" in capsys.readouterr().err
