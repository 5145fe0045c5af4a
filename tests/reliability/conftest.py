"""The reliability suite's shared fixtures: the case in every state, built once per run; the served app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import upgrade
from tests.reliability.authz_world import Snapshot, build_snapshots, sqlite_url
from tests.reliability.served import Fixture, serve_like
from tests.reliability.services import InThread
from workflow.model import State


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[State, Snapshot]:
    """C-0001 in each state, one SQLite file per state (tests copy them, never write to them)."""
    directory = tmp_path_factory.mktemp("case-states")
    migrated = directory / "migrated.db"
    upgrade(sqlite_url(migrated))
    return build_snapshots(directory, migrated)


@pytest.fixture
def served(db_url: str, engine: AsyncEngine, tmp_path: Path) -> Iterator[Fixture]:
    """The app as `serve` builds it (tests/reliability/served.py), its thread, and the row counts it
    started with. `engine` is asked for so that `db_url` is a migrated database."""
    holder = InThread(lambda: serve_like(db_url, tmp_path / "signing-key.pem"))
    with holder as app:
        yield app, holder, holder.run(app.rows())
