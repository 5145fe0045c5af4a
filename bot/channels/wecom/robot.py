"""The HR group's robot webhook (群机器人): markdown posts, at most 20 a minute per robot.

The limit is shared by every replica through Redis. Each process also keeps its own count and
goes by the larger: while Redis is away, and after it comes back empty (restarted, flushed),
the posts this process made meanwhile still count, so one process alone never exceeds the limit.
Time is cut into 15-second windows; any 60-second span touches at most five of them, so each
window carries a fifth of the allowance (4 posts): the limit then holds for every sliding
minute, not only for calendar minutes. A post beyond its window's share learns when its turn
comes — the window its place in the queue falls into — so a burst spreads over the following
windows instead of every post retrying at once and using up its attempts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import ssl
from typing import Any

import certifi
import httpx
from pydantic import SecretStr

from bot.channels.pacing import Room
from bot.channels.wecom.api import ApiError
from storage.cache import Cache, MemoryRedis
from workflow.clock import Clock

PER_MINUTE = 20
WINDOW_SECONDS = 15
TIMEOUT_SECONDS = 10.0


class RobotBusy(Exception):
    """The robot's allowance is used up; try again in `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"robot rate limit: next turn in {retry_after:.0f} s")
        self.retry_after = retry_after


class RobotLimiter:
    def __init__(self, cache: Cache, clock: Clock, *, robot: str,
                 per_minute: int = PER_MINUTE, window_seconds: int = WINDOW_SECONDS) -> None:
        windows_per_span = math.ceil(60 / window_seconds) + 1
        self.capacity = per_minute // windows_per_span
        if self.capacity < 1:
            raise ValueError("window too long for the per-minute limit")
        self.cache = cache
        self.clock = clock
        self.window = window_seconds
        self.robot = robot
        self._local = MemoryRedis()

    async def room(self) -> Room:
        """Posts the current window still takes, and the seconds until the next one opens."""
        now = self.clock.now().timestamp()
        index = math.floor(now / self.window)
        key = f"wecom:robot:{self.robot}:{index}"
        counts = [await self.cache.get(key), await self._local.get(key)]
        used = max(int(c) for c in counts if c is not None) if any(c is not None for c in counts) else 0
        left = max(self.capacity - used, 0)
        return Room(left, 0.0 if left else (index + 1) * self.window - now)

    async def acquire(self) -> float | None:
        """None: post now. Otherwise the seconds until this post's window opens."""
        now = self.clock.now().timestamp()
        index = math.floor(now / self.window)
        key = f"wecom:robot:{self.robot}:{index}"
        shared = await self.cache.incr(key)  # None while Redis is unavailable
        if shared is not None:
            await self.cache.expire(key, self.window * 8)
        local = await self._local.incr(key) or 0
        await self._local.expire(key, self.window * 8)
        count = max(shared or 0, local)
        if count <= self.capacity:
            return None
        ahead = (count - 1) // self.capacity
        return max((index + ahead) * self.window - now, 0.001)


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())  # httpx's own default


def robot_name(url: str) -> str:
    """A stable name for a webhook that does not reveal its key."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class RobotWebhook:
    def __init__(self, url: SecretStr, limiter: RobotLimiter) -> None:
        self._url = url
        self.limiter = limiter

    async def post_markdown(self, content: str) -> dict[str, Any]:
        """Post once the limiter allows; RobotBusy when it does not, ApiError when WeCom refuses."""
        return await self._post({"msgtype": "markdown", "markdown": {"content": content}})

    async def post_image(self, png: bytes) -> dict[str, Any]:
        """An image (at most 2 MB) as the robot takes it: base64 with the MD5 of the bytes."""
        return await self._post({"msgtype": "image", "image": {
            "base64": base64.b64encode(png).decode(), "md5": hashlib.md5(png).hexdigest()}})

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        wait = await self.limiter.acquire()
        if wait is not None:
            raise RobotBusy(wait)
        try:
            # A client per post (at most 20 a minute, nothing to close at shutdown); the TLS
            # context is built once, loading the CA bundle is the slow part.
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, verify=_tls()) as http:
                response = await http.post(self._url.get_secret_value(), json=body)
            result = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as error:
            # The URL carries the robot's key: name the error type only.
            raise ApiError(None, f"robot webhook: {type(error).__name__}") from None
        if not isinstance(result, dict):
            raise ApiError(None, f"robot webhook answered HTTP {response.status_code}")
        errcode = int(result.get("errcode", -1))
        if errcode != 0:
            raise ApiError(errcode, str(result.get("errmsg", "")))
        return result
