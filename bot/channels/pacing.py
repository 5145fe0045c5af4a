"""Keeping to a platform's pace: token buckets per destination (Slack posts about one message a
second to a channel, with a short burst), sliding windows (WeCom: 30 of an app's messages a minute
to one member) and holds after a 429 (Retry-After, per method and workspace), all on the injected
clock. The relay asks before it sends; what may not go yet is
put off without counting a failed attempt (DeliveryError.paced), and a group channel's waiting
notifications are then coalesced into one digest (bot/workers/relay.py).

Kept per process: replicas each keep their own pace, and a 429 that still comes is honoured.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from workflow.clock import Clock


@dataclass(frozen=True)
class Room:
    """How many posts a destination takes right now, and the seconds until it takes one more."""

    now: int
    next_in: float


class Pacer:
    """A token bucket per key: `per_second` refill, at most `burst` at once."""

    def __init__(self, clock: Clock, *, per_second: float, burst: int) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a pace needs a positive rate and a burst of at least one")
        self.clock = clock
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def _tokens(self, key: Hashable) -> float:
        now = self.clock.now().timestamp()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + max(now - at, 0.0) * self.per_second)

    def room(self, key: Hashable) -> Room:
        tokens = self._tokens(key)
        whole = math.floor(tokens + 1e-9)
        return Room(whole, 0.0 if whole else (1 - tokens) / self.per_second)

    def take(self, key: Hashable, cost: int = 1) -> float | None:
        """Spend `cost` tokens (one a post): None when the posts may go now, else the seconds
        until they may."""
        cost = min(cost, self.burst)
        tokens = self._tokens(key)
        if tokens < cost - 1e-9:
            return (cost - tokens) / self.per_second
        self._buckets[key] = (tokens - cost, self.clock.now().timestamp())
        return None


class Window:
    """At most `limit` posts per key in any `seconds` (a sliding window, as WeCom counts)."""

    def __init__(self, clock: Clock, *, limit: int, seconds: float) -> None:
        if limit < 1 or seconds <= 0:
            raise ValueError("a window needs a limit of at least one and a length")
        self.clock = clock
        self.limit = limit
        self.seconds = seconds
        self._sent: dict[Hashable, deque[float]] = {}

    def take(self, key: Hashable, cost: int = 1) -> float | None:
        """Count `cost` posts now: None when they may go, else the seconds until they may."""
        cost = min(cost, self.limit)
        now = self.clock.now().timestamp()
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.seconds:
            sent.popleft()
        if len(sent) + cost > self.limit:
            return sent[len(sent) + cost - self.limit - 1] + self.seconds - now
        sent.extend([now] * cost)
        return None


class Holds:
    """Keys the platform asked us to leave alone for a while (429 + Retry-After)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._until: dict[Hashable, float] = {}

    def hold(self, key: Hashable, seconds: float) -> None:
        until = self.clock.now().timestamp() + seconds
        self._until[key] = max(until, self._until.get(key, 0.0))

    def left(self, key: Hashable) -> float | None:
        """Seconds the key is still held, None when it is free."""
        until = self._until.get(key)
        if until is None:
            return None
        left = until - self.clock.now().timestamp()
        if left <= 0:
            del self._until[key]
            return None
        return left
