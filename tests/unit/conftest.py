"""The fast lane's world: the handlers' test company (tests/handlers/conftest.py) in an in-memory unit of work."""

from __future__ import annotations

import pytest

from storage.memory import MemoryDatabase
from tests.handlers.conftest import START, World, make_world
from workflow.clock import ManualClock


@pytest.fixture
async def world() -> World:
    return await make_world(MemoryDatabase().unit_of_work, ManualClock(START))
