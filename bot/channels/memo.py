"""A small time-limited memo for lookups a busy channel repeats on every request or delivery (who
an account is, which workspace a tenant is): kept a short while instead of asked of the database
each time. Wall-clock expiry (not the injected clock): it bounds staleness, it is not business time.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringMemo(Generic[K, V]):
    """Values kept `seconds` after they were put; at most `size` of them (then it starts over)."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._kept: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        if kept[0] <= time.monotonic():
            del self._kept[key]
            return None
        return kept[1]

    def put(self, key: K, value: V) -> None:
        if len(self._kept) >= self.size:
            self._kept.clear()  # crude, but bounded; the lookups simply happen again
        self._kept[key] = (time.monotonic() + self.seconds, value)

    def forget(self, key: K) -> None:
        self._kept.pop(key, None)
