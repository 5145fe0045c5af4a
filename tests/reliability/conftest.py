"""The reliability suite's shared fixture: the case in every state, built once per run."""

from __future__ import annotations

import pytest

from storage.migrate import upgrade
from tests.reliability.authz_world import Snapshot, build_snapshots, sqlite_url
from workflow.model import State


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[State, Snapshot]:
    """C-0001 in each state, one SQLite file per state (tests copy them, never write to them)."""
    directory = tmp_path_factory.mktemp("case-states")
    migrated = directory / "migrated.db"
    upgrade(sqlite_url(migrated))
    return build_snapshots(directory, migrated)
