"""The wall clock: the one place in the project that reads the system time."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """workflow.clock.Clock backed by the system time (tests inject a ManualClock instead)."""

    def now(self) -> datetime:
        return datetime.now(UTC)
