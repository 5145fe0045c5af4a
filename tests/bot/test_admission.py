"""Admission, through real HTTP: past MAX_IN_FLIGHT platform requests the next one gets a quick 503
(and nothing else is done), the probes are never counted, and the worker inside `serve` waits while
requests are in flight, but never longer than its bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.admission
from bot.admission import Admission
from bot.app import create_app
from bot.bootstrap import Services, bootstrap
from tests.bot.services_support import serving, settings_for

# Generous bound so a stuck wait fails the test instead of hanging it; never a timing assertion.
SAFETY = 30


@pytest.fixture
async def runtime(db_url: str, engine: AsyncEngine) -> AsyncIterator[Services]:
    runtime = bootstrap(settings_for(db_url, MAX_IN_FLIGHT=2))
    yield runtime
    await runtime.close()


def holding_router(release: asyncio.Event, arrived: asyncio.Queue[None]) -> APIRouter:
    """A platform-like route that stays in flight until `release` is set."""
    router = APIRouter()

    @router.post("/slack/hold")
    async def hold() -> dict[str, str]:
        arrived.put_nowait(None)
        await release.wait()
        return {"status": "ok"}

    return router


async def test_past_the_limit_a_platform_request_gets_a_quick_503(runtime: Services) -> None:
    release, arrived = asyncio.Event(), asyncio.Queue()
    app = create_app(runtime, run_worker=False, routers=[holding_router(release, arrived)])
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=SAFETY) as client:
        held = [asyncio.create_task(client.post("/slack/hold")) for _ in range(2)]
        for _ in held:
            await asyncio.wait_for(arrived.get(), SAFETY)
        refused = await client.post("/wecom/callback?msg_signature=x&timestamp=1&nonce=n", content=b"<xml/>")
        health = await client.get("/healthz")  # not a platform request: never refused
        release.set()
        answered = await asyncio.gather(*held)
        after = await client.post("/slack/hold")  # room again once those are done
    assert (refused.status_code, refused.json()["status"]) == (503, "busy")
    assert refused.headers["retry-after"] == "1"
    assert health.status_code == 200
    assert [r.status_code for r in answered] == [200, 200] and after.status_code == 200
    assert runtime.admission.in_flight == 0 and runtime.admission.refused == 1


async def test_the_worker_waits_while_requests_are_in_flight_but_not_forever(
        monkeypatch: pytest.MonkeyPatch) -> None:
    admission = Admission(limit=4)
    admission.in_flight = 1
    waiting = asyncio.create_task(admission.quiet())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not waiting.done()
    admission.in_flight = 0
    await asyncio.wait_for(waiting, SAFETY)

    # Under load that never ends, background work is only put off.
    monkeypatch.setattr(bot.admission, "QUIET_MOST_SECONDS", 0.05)
    admission.in_flight = 1
    await asyncio.wait_for(admission.quiet(), SAFETY)
