"""Admission: how many platform requests this process is answering, a quick 503 past the limit,
and the sign the worker inside `serve` waits on, so that answering the platforms comes first.

Past the limit a request would wait behind the others beyond the platform's deadline (Slack 3 s,
WeCom 5 s) and fail anyway, after using the time the admitted ones needed: refused at once, WeCom
sends it again and a person presses again, while everyone admitted is answered in time.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# The platforms' deliveries: POSTs under these paths (the OAuth pages and URL checks are GETs).
PLATFORM_PATHS = ("/slack/", "/wecom/")
# The worker checks this often whether the requests are done, and waits at most this long.
QUIET_POLL_SECONDS, QUIET_MOST_SECONDS = 0.005, 2.0


class Admission:
    """The count of platform requests in flight, against `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0

    async def quiet(self) -> None:
        """Wait until no platform request is in flight (at most QUIET_MOST_SECONDS: background
        work is put off under load, never stopped)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + QUIET_MOST_SECONDS
        while self.in_flight and loop.time() < until:
            await asyncio.sleep(QUIET_POLL_SECONDS)


class AdmissionGate:
    """ASGI middleware counting platform requests in `admission`; past its limit, 503 at once."""

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        counted = (scope["type"] == "http" and scope.get("method") == "POST"
                   and str(scope.get("path", "")).startswith(PLATFORM_PATHS))
        if not counted:
            await self.app(scope, receive, send)
            return
        admission = self.admission
        if admission.in_flight >= admission.limit:
            admission.refused += 1
            if admission.refused % 1000 == 1:  # one line per thousand, not one per request
                log.warning("overloaded: %d platform requests in flight; refused %d so far with 503",
                            admission.in_flight, admission.refused)
            busy = JSONResponse({"status": "busy", "reason": "too many requests in flight; try again"},
                                status_code=503, headers={"Retry-After": "1"})
            await busy(scope, receive, send)
            return
        admission.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            admission.in_flight -= 1
