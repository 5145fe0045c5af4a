"""`python -m bot …` as an operator meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import bot.cli
from storage.models import Case
from storage.uow import UnitOfWork
from tests.bot.services_support import closed_port, in_process_cli

ROOT = Path(__file__).resolve().parents[2]
UPGRADE = "python -m bot db upgrade"


def bot_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "PORT")}
    return {**env, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, **extra}


def run_bot(*args: str, cwd: Path, database_url: str, **extra: str) -> subprocess.CompletedProcess:
    # cwd is a temp dir, so a developer's .env in the checkout cannot leak in.
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=bot_env(database_url, **extra),
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'offboard.db'}"


def test_db_upgrade_creates_the_sqlite_file_and_current_agrees(
    tmp_path: Path, sqlite_url: str
) -> None:
    before = run_bot("db", "current", cwd=tmp_path, database_url=sqlite_url)
    assert before.returncode == 1 and UPGRADE in before.stdout

    upgraded = run_bot("db", "upgrade", cwd=tmp_path, database_url=sqlite_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "offboard.db").is_file()
    assert "revision" in upgraded.stdout

    after = run_bot("db", "current", cwd=tmp_path, database_url=sqlite_url)
    assert after.returncode == 0 and "(current)" in after.stdout


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unmigrated_database_is_refused_naming_the_fix(
    tmp_path: Path, sqlite_url: str, command: str
) -> None:
    result = run_bot(command, cwd=tmp_path, database_url=sqlite_url, PORT=str(closed_port()))
    assert result.returncode == 2
    assert UPGRADE in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres:hunter2@127.0.0.1:{closed_port()}/offboard"
    result = run_bot("db", "upgrade", cwd=tmp_path, database_url=url)
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr
    assert "hunter2" not in result.stderr  # the password is masked
    assert "Traceback" not in result.stderr


def test_a_bad_setting_exits_2_naming_the_variable(tmp_path: Path, sqlite_url: str) -> None:
    result = run_bot("db", "current", cwd=tmp_path, database_url=sqlite_url, PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid setting PORT:")
    assert "Traceback" not in result.stderr


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    assert run_bot("db", "upgrade", cwd=tmp_path, database_url=sqlite_url).returncode == 0
    port = closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=tmp_path,
        env=bot_env(sqlite_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        health = _first_answer(f"http://127.0.0.1:{port}/healthz", process)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert health.json() == {"status": "ok"} and ready.json() == {"status": "ok"}
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Application shutdown complete" in err


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    assert run_bot("db", "upgrade", cwd=tmp_path, database_url=sqlite_url).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"], cwd=tmp_path, env=bot_env(sqlite_url),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for_line(process, "worker started")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "worker stopped" in err and "Traceback" not in err


def test_no_command_migrates_then_opens_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded default, in-process with a stand-in console that records its call."""
    calls: list[argparse.Namespace] = []
    console = ModuleType("console")

    def register(subparsers: argparse._SubParsersAction) -> None:
        subparsers.add_parser("console").set_defaults(func=lambda args: calls.append(args) or 0)

    console.register = register  # type: ignore[attr-defined]
    real_modules = bot.cli._command_modules
    monkeypatch.setattr(bot.cli, "_command_modules", lambda argv: {**real_modules(argv), "console": console})
    monkeypatch.setattr(bot.cli, "configure_logging", lambda level: None)
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)

    assert bot.cli.main([]) == 0
    assert (tmp_path / "offboard.db").is_file()  # the default database, migrated
    assert len(calls) == 1 and calls[0].settings.DATABASE_URL.endswith("offboard.db")


async def test_audit_verify_finds_an_edited_event(
    db_url: str, uow_factory: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("console:local")
        boss = await uow.people.upsert(tenant.id, "E1", name="李伟")
        case = await uow.cases.add(Case(
            tenant_id=tenant.id, employee_id=boss.id, manager_id=boss.id, opened_by_id=boss.id,
            ground="misconduct", state="collecting_evidence", opened_at=at, state_entered_at=at,
            updated_at=at,
        ))
        for action in ("open", "submit", "approve"):
            await uow.audit.append(case, action=action, actor_id=boss.id, payload={"a": action},
                                   at=at)
        await uow.commit()

    assert await cli("audit", "verify") == 0
    assert "OK: 1 case(s), 3 audit event(s)" in capsys.readouterr().out

    async with uow_factory() as uow:
        events = await uow.audit.for_case(case.id)
        events[1].payload = {"a": "reject"}
        await uow.commit()
    assert await cli("audit", "verify", case.ref) == 1
    out = capsys.readouterr().out
    assert f"case {case.ref}: event 2" in out and "payload was edited" in out

    assert await cli("audit", "verify", "C-9999") == 2
    assert "no case C-9999" in capsys.readouterr().err


def _first_answer(url: str, process: subprocess.Popen) -> httpx.Response:
    """Poll until the server answers (start-up takes a few seconds on a slow machine)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}: {process.stderr.read()}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("serve did not answer within 60 s")


def _wait_for_line(process: subprocess.Popen, text: str) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if text in line:
            return
    pytest.fail(f"process ended ({process.wait()}) without logging {text!r}")


def test_a_named_command_loads_only_its_own_module() -> None:
    """`python -m bot worker` must not wait for the chat SDKs that only `serve` needs."""
    assert list(bot.cli._command_modules(["worker", "--help"])) == ["worker"]
    assert list(bot.cli._command_modules(["--help"])) == list(bot.cli.COMMANDS)
