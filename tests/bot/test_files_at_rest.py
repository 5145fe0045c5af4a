"""Files and secrets at rest: the signing key lives in the configured data directory (never the
working directory), `serve` refuses a key other than the one the database's seals were made with,
and the database, its WAL/SHM files, the key and the archive are owner-only."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.archive.bundle import write
from bot.logs import log_to_file
from bot.settings import Settings
from bot.signing.keys import KeyFileError, KeyFileSigner, check_sealing_key
from handlers.archive import BundleFile, CaseBundle
from handlers.signing.page import Answer, Visitor, answer
from storage.db import make_engine
from tests.bot.services_support import Cli, in_process_cli
from tests.bot.signing_support import Site, latest_link, site_fixture  # noqa: F401
from tests.handlers.test_flow import to_employee


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_lives_beside_the_database_whatever_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere, site = tmp_path / "elsewhere", tmp_path / "site"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("DATA_DIR", raising=False)
    settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{site}/offboard.db")
    assert str(site / "var") == settings.DATA_DIR
    assert str(site / "var" / "signing-key.pem") == settings.SIGNING_KEY_PATH
    assert str(site / "var" / "archive") == settings.ARCHIVE_DIR
    assert KeyFileSigner(settings.SIGNING_KEY_PATH).public_key  # created on first use …
    assert list(elsewhere.iterdir()) == []  # … where configured, not in the working directory
    assert mode(site / "var" / "signing-key.pem") == 0o600 and mode(site / "var") == 0o700
    # Relative paths are inside DATA_DIR; absolute ones are kept.
    configured = Settings(_env_file=None, DATA_DIR=str(tmp_path / "data"), SIGNING_KEY_PATH="keys/k.pem",
                          ARCHIVE_DIR="/srv/archive")
    assert str(tmp_path / "data" / "keys" / "k.pem") == configured.SIGNING_KEY_PATH
    assert configured.ARCHIVE_DIR == "/srv/archive"
    # PostgreSQL has no database file to sit beside: the user's data directory.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    postgres = Settings(_env_file=None, DATABASE_URL="postgresql+asyncpg://u@h/offboard")
    assert str(tmp_path / "xdg" / "offboard-bot" / "signing-key.pem") == postgres.SIGNING_KEY_PATH


def test_the_database_its_wal_and_shm_and_the_archive_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "offboard.db"

    async def use() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (a INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            for suffix in ("-wal", "-shm"):  # while a connection is open, they exist
                assert mode(database.with_name(database.name + suffix)) == 0o600, suffix
        await engine.dispose()

    asyncio.run(use())
    assert mode(database) == 0o600 and mode(database.parent) == 0o700
    # A database an older version left readable by everyone is tightened on the next start.
    database.chmod(0o644)
    asyncio.run(make_engine(f"sqlite+aiosqlite:///{database}").dispose())
    assert mode(database) == 0o600

    bundle = CaseBundle(tenant="console:local", ref="C-0001", retain_until=date(2030, 1, 1),
                        files=(BundleFile("manifest.json", b"{}"),))
    path = write(bundle, tmp_path / "archive" / "console_local" / "C-0001.zip")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(tmp_path / "archive") == 0o700


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, site: Site) -> Cli:
    return in_process_cli(monkeypatch, tmp_path, site.runtime.settings.DATABASE_URL)


async def test_serve_refuses_a_key_other_than_the_one_the_seals_were_made_with(
        site: Site, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    world = site.world
    await to_employee(world)
    token = await latest_link(world, "alice")
    assert (await answer(world.uow_factory, world.deps, token, Visitor("203.0.113.9", "Mozilla/5.0"),
                         Answer("sign", True))).done
    sessions = site.runtime.session_factory
    await check_sealing_key(site.runtime.deps.signer, sessions, rotated=False)  # the same key: fine

    # Started from elsewhere (or with the key file lost): no new key is made, serve says why.
    missing = tmp_path / "elsewhere" / "signing-key.pem"
    monkeypatch.setenv("SIGNING_KEY_PATH", str(missing))
    assert await cli("serve", "--port", "1") != 0
    error = capsys.readouterr().err
    assert "SIGNING_KEY_PATH" in error and "sealed with key" in error
    assert not missing.exists()
    # Another key file: refused too, naming both keys.
    other = KeyFileSigner(tmp_path / "other.pem")
    with pytest.raises(KeyFileError, match="sealed with key"):
        await check_sealing_key(other, sessions, rotated=False)
    # Told that the key was rotated on purpose: accepted.
    await check_sealing_key(other, sessions, rotated=True)


def test_the_console_log_made_first_leaves_the_data_directory_owner_only(tmp_path: Path) -> None:
    # The console writes its log before anything else is kept in DATA_DIR (the signing key later).
    log = tmp_path / "site" / "var" / "console-session.log"
    root = logging.getLogger()
    saved, umask = root.handlers[:], os.umask(0o022)  # the usual umask, which would leave them readable
    try:
        log_to_file(log)
        assert mode(log) == 0o600 and mode(log.parent) == 0o700 and mode(log.parent.parent) == 0o700
    finally:
        os.umask(umask)
        for handler in root.handlers[:]:
            handler.close()
        root.handlers[:] = saved
