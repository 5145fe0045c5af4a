"""The console's own state in the database (a clock, the last cards), so a restart resumes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from storage.models import ConsoleStateEntry
from storage.uow import UnitOfWork


class ConsoleStore:
    """Named JSON values of the local console, each written in its own short transaction."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.uow_factory = uow_factory

    async def load(self) -> dict[str, dict[str, Any]]:
        async with self.uow_factory() as uow:
            rows = await uow.session.scalars(select(ConsoleStateEntry))
            return {row.key: dict(row.value) for row in rows}

    async def save(self, key: str, value: dict[str, Any]) -> None:
        async with self.uow_factory() as uow:
            row = await uow.session.scalar(
                select(ConsoleStateEntry).where(ConsoleStateEntry.key == key))
            if row is None:
                uow.session.add(ConsoleStateEntry(key=key, value=value))
            else:
                row.value = value
            await uow.commit()
