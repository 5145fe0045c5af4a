"""`python -m bot digest show|set|off`: the day and hour are validated and stored, setting them
re-arms the one pending digest; in the console (where a digest goes only once set) the digest
fires on the console clock and shows the figures and the chart's path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.digest import WEEKLY_DIGEST
from storage.models import Timer
from storage.uow import UnitOfWork
from tests.bot.services_support import in_process_cli
from tests.bot.test_digest_chart import colours, decoded

PEOPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "people.csv"
NEXT = re.compile(r"next: (\d{4}-\d\d-\d\d \d\d:\d\d)")


async def pending(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[int | None, datetime]]:
    async with uow_factory() as uow:
        rows = (await uow.session.scalars(select(Timer).where(
            Timer.kind == WEEKLY_DIGEST, Timer.fired_at.is_(None)))).all()
    return [(row.tenant_id, row.due_at) for row in rows]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_set_validates_stores_and_rearms_once(
    db_url: str, uow_factory: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    assert await cli("digest", "show") == 0
    assert "weekly digest off" in capsys.readouterr().out  # the console gets one only once set
    assert await pending(uow_factory) == []

    assert await cli("digest", "set", "--day", "wed", "--hour", "18") == 0
    out = capsys.readouterr().out
    assert "weekly digest wed 18:00 (Asia/Shanghai)" in out
    [(tenant_id, due)] = await pending(uow_factory)
    local = due.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.weekday(), local.hour, local.minute) == (2, 18, 0)
    assert timedelta(0) < due - datetime.now(due.tzinfo) <= timedelta(days=7)
    assert NEXT.search(out)[1] == local.strftime("%Y-%m-%d %H:%M")  # type: ignore[index]

    assert await cli("digest", "set", "--day", "fri", "--hour", "9") == 0
    [(again, due)] = await pending(uow_factory)  # replaced, not added
    assert again == tenant_id and due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%a %H") == "Fri 09"

    for bad, why in ((["--day", "someday", "--hour", "9"], "is not a day of the week"),
                     (["--day", "mon", "--hour", "24"], "is not an hour from 0 to 23")):
        with pytest.raises(SystemExit) as refused:  # argparse's own refusal: usage and exit 2
            await cli("digest", "set", *bad)
        assert refused.value.code == 2 and why in capsys.readouterr().err
    assert await cli("digest", "--tenant", "nowhere", "show") == 2
    assert len(await pending(uow_factory)) == 1  # refusals changed nothing

    assert await cli("digest", "preview", "--at", "2024-06-10 09:00", "--out", str(tmp_path / "week.png")) == 0
    shown = capsys.readouterr().out
    assert "■ 离职案件周报（2024-06-03 至 2024-06-10）" in shown and f"(chart: {tmp_path / 'week.png'})" in shown
    assert colours(decoded((tmp_path / "week.png").read_bytes())) > 10
    assert len(await pending(uow_factory)) == 1  # a preview sends and arms nothing

    assert await cli("digest", "off") == 0
    assert "weekly digest off (would go fri 09:00" in capsys.readouterr().out
    assert await pending(uow_factory) == []


def test_the_console_shows_the_figures_and_writes_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["directory", "import", str(PEOPLE_CSV)]) == 0
    capsys.readouterr()
    assert cli.main(["digest", "set", "--day", "mon", "--hour", "9"]) == 0
    due = datetime.strptime(NEXT.search(capsys.readouterr().out)[1], "%Y-%m-%d %H:%M")  # type: ignore[index]

    env = {**os.environ, "PYTHONPATH": str(PEOPLE_CSV.parents[1]), "LOG_LEVEL": "WARNING", "LOCALE": "en",
           "DATABASE_URL": url}
    script = f"as lee: 退工 @alice 违纪\nclock {due + timedelta(minutes=30):%Y-%m-%d %H:%M}\nquit\n"
    start = f"{due - timedelta(hours=2):%Y-%m-%d %H:%M}"
    done = subprocess.run([sys.executable, "-m", "bot", "console", "--start", start],
                          cwd=tmp_path, env=env, input=script, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "■ 离职案件周报" in done.stdout and "收集证据: 1" in done.stdout
    [path] = re.findall(r"（图表：(.+\.png)）", done.stdout)
    assert Path(path).parent == Path(os.environ["DATA_DIR"]) / "digests"
    assert colours(decoded(Path(path).read_bytes())) > 10
