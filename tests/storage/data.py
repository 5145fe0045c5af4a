"""Values the storage tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.models import Case
from storage.uow import UnitOfWork

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    tenant_id: int
    hr_id: int
    manager_id: int
    employee_id: int


@dataclass(frozen=True)
class Spec:
    """A timer spec shaped like workflow.policy.TimerSpec."""

    kind: str
    due_at: datetime
    payload: dict[str, Any]


OpenCase = Callable[[UnitOfWork], Awaitable[Case]]
