"""Redis, never the store of record: a client that degrades quietly, or an in-process stand-in.

Both offer the few commands the bot uses plus `wake`/`wait`, a nudge for worker loops. Waking
is a list per channel (LPUSH + BLPOP), not pub/sub: a wake sent while the worker is busy stays
until it next waits, instead of being lost, and only one waiter takes it. Pending wakes collapse
to one, since a woken worker drains everything that is due anyway.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")
Value = str | int | float
Seconds = int | float | timedelta

WAKE_TTL = 60  # seconds a wake waits for a worker before it is forgotten


class Cache(Protocol):
    """What the rest of the bot may ask of Redis; values come back as str."""

    prefix: str  # prepended to every key and wake channel (tests share one server)

    @property
    def available(self) -> bool:
        """False while the server is unreachable: a None just read may be the outage's."""
        ...

    async def get(self, key: str) -> str | None: ...
    async def set(
        self, key: str, value: Value, *, ex: Seconds | None = None, nx: bool = False
    ) -> bool: ...
    async def delete(self, *keys: str) -> int: ...
    async def incr(self, key: str, amount: int = 1) -> int | None: ...
    async def expire(self, key: str, seconds: Seconds) -> bool: ...
    async def ttl(self, key: str) -> int | None: ...
    async def ping(self) -> bool: ...
    async def wake(self, channel: str) -> None: ...
    async def wait(self, channel: str, timeout: float) -> bool: ...
    async def close(self) -> None: ...


def make_redis(url: str | None, *, prefix: str = "") -> Cache:
    """The real server at `url` (outage-tolerant), or the in-process stand-in when url is None."""
    return RedisCache(url, prefix=prefix) if url else MemoryRedis(prefix=prefix)


def _seconds(value: Seconds) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class MemoryRedis:
    """Single-process stand-in with Redis semantics; TTLs follow the injected `time` function."""

    def __init__(self, *, time: Callable[[], float] = time.monotonic, prefix: str = "") -> None:
        self._time = time
        self.prefix = prefix  # unused in memory; accepted so both kinds build alike
        self._data: dict[str, str] = {}
        self._deadline: dict[str, float] = {}
        self._wakes: dict[str, asyncio.Event] = {}

    def _live(self, key: str) -> bool:
        deadline = self._deadline.get(key)
        if deadline is not None and self._time() >= deadline:
            self._data.pop(key, None)
            self._deadline.pop(key, None)
        return key in self._data

    async def get(self, key: str) -> str | None:
        return self._data[key] if self._live(key) else None

    async def set(
        self, key: str, value: Value, *, ex: Seconds | None = None, nx: bool = False
    ) -> bool:
        if nx and self._live(key):
            return False
        self._data[key] = str(value)
        self._deadline.pop(key, None)
        if ex is not None:
            self._deadline[key] = self._time() + _seconds(ex)
        return True

    async def delete(self, *keys: str) -> int:
        gone = [key for key in keys if self._live(key)]
        for key in gone:
            del self._data[key]
            self._deadline.pop(key, None)
        return len(gone)

    async def incr(self, key: str, amount: int = 1) -> int | None:
        value = int(self._data[key]) + amount if self._live(key) else amount
        self._data[key] = str(value)  # like Redis, INCR keeps an existing TTL
        return value

    async def expire(self, key: str, seconds: Seconds) -> bool:
        if not self._live(key):
            return False
        self._deadline[key] = self._time() + _seconds(seconds)
        return True

    async def ttl(self, key: str) -> int | None:
        if not self._live(key):
            return -2
        deadline = self._deadline.get(key)
        return -1 if deadline is None else math.ceil(deadline - self._time())

    async def ping(self) -> bool:
        return True

    @property
    def available(self) -> bool:
        return True

    def _event(self, channel: str) -> asyncio.Event:
        return self._wakes.setdefault(channel, asyncio.Event())

    async def wake(self, channel: str) -> None:
        self._event(channel).set()

    async def wait(self, channel: str, timeout: float) -> bool:
        event = self._event(channel)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        event.clear()
        return True

    async def close(self) -> None:
        return None


class RedisCache:
    """redis.asyncio behind a guard: while Redis is down, reads give None, writes are dropped,
    `wait` sleeps out its timeout; one warning per outage, and it recovers on its own."""

    RETRY_AFTER = 1.0  # seconds to answer from the fallback before trying the server again

    def __init__(self, url: str, *, prefix: str = "") -> None:
        # No client-side retries: a failed call falls back at once instead of stalling a request.
        options = {
            "decode_responses": True,
            "socket_connect_timeout": 1.0,
            "retry": Retry(NoBackoff(), 0),
        }
        self._client = Redis.from_url(url, socket_timeout=2.0, **options)
        # BLPOP blocks for as long as asked, so it gets its own client without a read timeout.
        self._blocking = Redis.from_url(url, socket_timeout=None, **options)
        self.prefix = prefix
        self._down = False
        self._retry_at = 0.0

    def _key(self, key: str) -> str:
        return self.prefix + key

    @property
    def available(self) -> bool:
        return not self._down

    async def _call(self, what: str, fallback: T, call: Callable[[], Awaitable[T]]) -> T:
        if self._down and time.monotonic() < self._retry_at:
            return fallback
        try:
            result = await call()
        except (RedisError, OSError, TimeoutError) as exc:
            if not self._down:
                log.warning("Redis unavailable (%s: %s); carrying on without it", what, exc)
            self._down = True
            self._retry_at = time.monotonic() + self.RETRY_AFTER
            return fallback
        if self._down:
            log.warning("Redis is back")
            self._down = False
        return result

    async def get(self, key: str) -> str | None:
        return await self._call("get", None, lambda: self._client.get(self._key(key)))

    async def set(
        self, key: str, value: Value, *, ex: Seconds | None = None, nx: bool = False
    ) -> bool:
        async def call() -> bool:
            return bool(await self._client.set(self._key(key), value, ex=ex, nx=nx))

        return await self._call("set", False, call)

    async def delete(self, *keys: str) -> int:
        names = [self._key(key) for key in keys]
        return await self._call("delete", 0, lambda: self._client.delete(*names))

    async def incr(self, key: str, amount: int = 1) -> int | None:
        return await self._call("incr", None, lambda: self._client.incr(self._key(key), amount))

    async def expire(self, key: str, seconds: Seconds) -> bool:
        async def call() -> bool:
            return bool(await self._client.expire(self._key(key), seconds))

        return await self._call("expire", False, call)

    async def ttl(self, key: str) -> int | None:
        return await self._call("ttl", None, lambda: self._client.ttl(self._key(key)))

    async def ping(self) -> bool:
        async def call() -> bool:
            return bool(await self._client.ping())

        return await self._call("ping", False, call)

    async def wake(self, channel: str) -> None:
        name = self._key(f"wake:{channel}")

        async def call() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                await pipe.lpush(name, "1").ltrim(name, 0, 0).expire(name, WAKE_TTL).execute()

        await self._call("wake", None, call)

    async def wait(self, channel: str, timeout: float) -> bool:
        name = self._key(f"wake:{channel}")

        async def call() -> bool:
            # The outer guard covers a server that accepts the connection and then hangs.
            async with asyncio.timeout(timeout + 2):
                return await self._blocking.blpop([name], timeout=timeout) is not None

        started = time.monotonic()
        woken = await self._call("wait", None, call)
        if woken is None:  # Redis is down: behave like a plain poll interval
            await asyncio.sleep(max(0.0, timeout - (time.monotonic() - started)))
            return False
        return woken

    async def close(self) -> None:
        await self._client.aclose()
        await self._blocking.aclose()
