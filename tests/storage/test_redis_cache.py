"""Redis and its stand-in behave alike; a Redis outage degrades quietly and heals by itself."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from redis import Redis as SyncRedis
from redis.exceptions import RedisError

from storage.cache import Cache, MemoryRedis, RedisCache, make_redis


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_ttls_follow_the_injected_time() -> None:
    clock = FakeTime()
    cache = MemoryRedis(time=clock)
    assert await cache.set("token", "abc", ex=10)
    assert await cache.set("counter", 1)
    clock.now += 9.5
    assert (await cache.get("token"), await cache.ttl("token")) == ("abc", 1)
    assert await cache.ttl("counter") == -1
    clock.now += 0.5
    assert await cache.get("token") is None
    assert await cache.ttl("token") == -2
    assert not await cache.expire("token", 5)
    assert await cache.expire("counter", 5)
    assert await cache.incr("counter") == 2  # INCR keeps the TTL, as Redis does
    clock.now += 5
    assert await cache.get("counter") is None
    assert await cache.incr("counter") == 1


async def test_round_trip(redis_client: Cache) -> None:
    assert await redis_client.ping()
    assert await redis_client.set("k", "v", ex=60)
    assert not await redis_client.set("k", "other", nx=True)
    assert await redis_client.get("k") == "v"
    assert 0 < await redis_client.ttl("k") <= 60
    assert await redis_client.incr("n") == 1
    assert await redis_client.incr("n", 5) == 6
    assert await redis_client.ttl("n") == -1
    assert await redis_client.expire("n", 30)
    assert await redis_client.delete("k", "n", "missing") == 2
    assert (await redis_client.get("k"), await redis_client.ttl("k")) == (None, -2)


async def test_a_wake_waits_for_the_worker(redis_client: Cache) -> None:
    await redis_client.wake("outbox")
    await redis_client.wake("outbox")  # pending wakes collapse into one
    assert await redis_client.wait("outbox", timeout=1)
    assert not await redis_client.wait("outbox", timeout=0.05)
    assert not await redis_client.wait("timers", timeout=0.05)


async def test_real_keys_carry_the_prefix(redis_client: Cache, redis_url: str) -> None:
    if isinstance(redis_client, MemoryRedis):
        pytest.skip("prefixes matter on the shared server only")
    await redis_client.set("k", "v")
    raw = SyncRedis.from_url(redis_url, decode_responses=True)
    try:
        assert redis_client.prefix.startswith("test:")
        assert raw.get(f"{redis_client.prefix}k") == "v"
    finally:
        raw.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{_free_port()}/0"


async def test_an_outage_never_raises_and_is_logged_once(dead_redis_url, caplog) -> None:
    cache = make_redis(dead_redis_url)
    with caplog.at_level(logging.WARNING, logger="storage.cache"):
        assert await cache.get("k") is None
        assert not await cache.set("k", "v", ex=5)
        assert await cache.incr("k") is None
        assert not await cache.expire("k", 5)
        assert await cache.ttl("k") is None
        assert await cache.delete("k") == 0
        assert not await cache.ping()
        await cache.wake("outbox")
        assert not await cache.wait("outbox", timeout=0.05)
    await cache.close()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["Redis unavailable"]


@pytest.fixture
def start_redis_there(dead_redis_url: str) -> Iterator[Callable[[], None]]:
    """Starts a private redis-server on the port of `dead_redis_url` when the test calls it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not installed")
    port = int(dead_redis_url.rsplit(":", 1)[1].split("/")[0])
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        command = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        client = SyncRedis(port=port)
        deadline = time.monotonic() + 10
        while True:  # wait until the server listens (process start-up, not a timer)
            try:
                client.ping()
                break
            except RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


async def test_the_client_recovers_when_redis_returns(dead_redis_url, start_redis_there, caplog):
    cache = RedisCache(dead_redis_url)
    cache.RETRY_AFTER = 0  # probe the server again on every call
    with caplog.at_level(logging.WARNING, logger="storage.cache"):
        assert not await cache.set("k", "lost")
        start_redis_there()
        assert await cache.set("k", "v")
        assert await cache.get("k") == "v"
    await cache.close()
    messages = [r.getMessage().split(" (")[0] for r in caplog.records]
    assert messages == ["Redis unavailable", "Redis is back"]
