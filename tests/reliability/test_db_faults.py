"""Database faults on a test-private PostgreSQL cluster: stop it, and nothing is half-written.

RELIABILITY.md: "database unavailable → 503 to the platform (so it retries), readiness probe red,
nothing half-written"; start it again and the service resumes, a retried request succeeding once.
The platform endpoints (Slack, WeCom) arrive with their channels; until then a probe route that
does what they will do (normalise, then Runtime.dispatch) stands in for them in-process, and the
real `python -m bot serve` shows its readiness probe going red and green.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from bot.app import create_app
from bot.runtime import Runtime
from handlers.contracts import Inbound
from handlers.deps import build_deps
from handlers.dispatch import handle
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base
from storage.uow import UnitOfWork
from tests.bot.runtime_support import serving, settings_for
from tests.reliability.authz_world import REF, Driver, drive_to, seed
from tests.reliability.services import PrivatePostgres, bot_env, bot_process, free_port, private_postgres, wait_until
from workflow.clock import ManualClock
from workflow.model import State

pytestmark = pytest.mark.slow

DATABASE = "offboard"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        asyncio.run(_create_database(cluster))
        upgrade(cluster.url(DATABASE))
        yield cluster


async def _create_database(cluster: PrivatePostgres) -> None:
    connection = await asyncpg.connect(cluster.url().replace("+asyncpg", ""))
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def hr_review_at(cluster: PrivatePostgres) -> datetime:
    """The case waits for HR's decision; returns the instant it got there."""

    async def build() -> datetime:
        engine = make_engine(cluster.url(DATABASE))
        try:
            factory = make_session_factory(engine)
            await seed(lambda: UnitOfWork(factory))
            driver = await drive_to(lambda: UnitOfWork(factory), State.HR_REVIEW)
            return driver.clock.now()
        finally:
            await engine.dispose()

    return asyncio.run(build())


@pytest.fixture
def running(cluster: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """The cluster, started again after the test whatever the test did to it."""
    yield cluster
    if not cluster.running():
        cluster.start()


async def rows(cluster: PrivatePostgres) -> dict[str, object]:
    """Every table's row count, and the case's state and version: what a request could change."""
    connection = await asyncpg.connect(cluster.url(DATABASE).replace("+asyncpg", ""))
    try:
        counts: dict[str, object] = {table.name: await connection.fetchval(f'SELECT count(*) FROM "{table.name}"')
                                     for table in Base.metadata.sorted_tables}
        counts["case"] = tuple(await connection.fetchrow("SELECT state, version FROM cases WHERE ref = $1", REF))
        return counts
    finally:
        await connection.close()


async def idle(cluster: PrivatePostgres) -> bool:
    """No timer due and unfired, no message waiting to be sent."""
    connection = await asyncpg.connect(cluster.url(DATABASE).replace("+asyncpg", ""))
    try:
        return not await connection.fetchval(
            "SELECT (SELECT count(*) FROM timers WHERE fired_at IS NULL AND due_at <= now())"
            " + (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL)")
    finally:
        await connection.close()


# ------------------------------------------------------------------ the real serve process


async def test_serve_readiness_goes_red_while_the_database_is_down_and_green_after(
    running: PrivatePostgres, hr_review_at: datetime, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = bot_env(DATABASE_URL=running.url(DATABASE), POLL_INTERVAL_SECONDS="0.5", LOG_LEVEL="INFO")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

        async def ready(status: int) -> bool:
            try:
                return (await client.get("/readyz")).status_code == status
            except httpx.TransportError:
                return False

        with bot_process(["serve", "--port", str(port)], env, log) as serve:
            await wait_until(lambda: ready(200), seconds=60, what="readiness", process=serve, log=log)
            # The case's timers fell due long ago (it was built on a 2024 clock): let the worker
            # catch up first, so that what follows compares a database nobody is writing to.
            await wait_until(lambda: idle(running), seconds=60, what="the worker catching up", process=serve,
                             log=log)
            before = await rows(running)
            running.stop()
            response = await client.get("/readyz")
            assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
            running.start()
            await wait_until(lambda: ready(200), seconds=30, what="readiness after the restart", process=serve,
                             log=log)
            assert serve.poll() is None
    assert await rows(running) == before
    assert "Traceback" not in response.text


# ------------------------------------------------------------------ a platform request through the app


class Press(BaseModel):
    """What a channel endpoint hands the handlers, minus the platform's envelope."""

    user: str
    action: str
    delivery_id: str
    args: dict[str, Any] = {}


def platform_probe(runtime: Runtime) -> APIRouter:
    """Stands in for the Slack/WeCom endpoints until they land: normalise, then dispatch."""
    router = APIRouter()

    @router.post("/probe/action")
    async def action(press: Press) -> dict[str, bool]:
        reply = await runtime.dispatch(Inbound(platform="console", platform_tenant="local", user_id=press.user,
                                               name=press.action, case_ref=REF, args=press.args,
                                               delivery_id=press.delivery_id))
        return {"ok": reply.ok, "duplicate": reply.duplicate}

    return router


@pytest.fixture
async def app_client(running: PrivatePostgres, hr_review_at: datetime) -> AsyncIterator[httpx.AsyncClient]:
    runtime = Runtime(settings_for(running.url(DATABASE)), clock=ManualClock(hr_review_at))
    try:
        app = create_app(runtime, run_worker=False, routers=[platform_probe(runtime)])
        async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client
    finally:
        await runtime.close()


async def test_a_platform_request_gets_503_while_the_database_is_down_and_its_retry_succeeds_once(
    running: PrivatePostgres, app_client: httpx.AsyncClient
) -> None:
    # HR confirms the facts again: a change that keeps the case in hr_review (the next test approves it).
    press = {"user": "wangfang", "action": "confirm_facts", "delivery_id": "slack:retry-1", "args": {"facts": {}}}
    before = await rows(running)
    running.stop()
    failed = await app_client.post("/probe/action", json=press)
    assert (failed.status_code, failed.json()) == (503, {"status": "error"})
    assert "Traceback" not in failed.text
    running.start()
    assert await rows(running) == before, "the failed request left something behind"
    # The platform retries the same delivery: done once; a further retry changes nothing.
    first = await app_client.post("/probe/action", json=press)
    again = await app_client.post("/probe/action", json=press)
    assert first.status_code == again.status_code == 200
    assert (first.json(), again.json()) == ({"ok": True, "duplicate": False}, {"ok": True, "duplicate": True})
    after = await rows(running)
    assert after["audit_events"] == before["audit_events"] + 1  # type: ignore[operator]
    assert after["inbound_deliveries"] == before["inbound_deliveries"] + 1  # type: ignore[operator]
    state, version = before["case"]  # type: ignore[misc]
    assert after["case"] == (state, version + 1)


# ------------------------------------------------------------------ the handlers, no HTTP


class DiesAtCommit(UnitOfWork):
    """A unit of work whose database crashes after every write was sent, just before COMMIT."""

    cluster: PrivatePostgres

    async def commit(self) -> None:
        await asyncio.to_thread(self.cluster.stop, "immediate")
        await super().commit()


async def test_a_database_crash_before_commit_leaves_nothing_half_written(
    running: PrivatePostgres, hr_review_at: datetime
) -> None:
    engine = make_engine(running.url(DATABASE))
    factory = make_session_factory(engine)
    deps = build_deps(ManualClock(hr_review_at))
    try:
        before = await rows(running)
        DiesAtCommit.cluster = running
        approve = Inbound(platform="console", platform_tenant="local", user_id="wangfang", name="approve",
                          case_ref=REF, delivery_id="slack:crash-1")
        # Approving writes the case, an audit event, the delivery and outbox rows: one transaction.
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a lost server
            await handle(approve, lambda: DiesAtCommit(factory), deps)
        running.start()
        assert await rows(running) == before
        # The platform's retry goes through, once.
        reply = await handle(approve, lambda: UnitOfWork(factory), deps)
        assert reply.ok, [m.data for m in reply.messages]
        after = await rows(running)
        assert after["case"] == (State.SCHEDULING_TALK.value, before["case"][1] + 1)  # type: ignore[index]
        assert after["audit_events"] == before["audit_events"] + 1  # type: ignore[operator]
        assert after["outbox"] > before["outbox"]  # type: ignore[operator]
    finally:
        await engine.dispose()


async def test_dispatch_during_an_outage_raises_and_writes_nothing(
    running: PrivatePostgres, hr_review_at: datetime
) -> None:
    engine = make_engine(running.url(DATABASE))
    factory = make_session_factory(engine)
    driver = Driver(lambda: UnitOfWork(factory), hr_review_at)
    try:
        before = await rows(running)
        running.stop()
        for who, action in (("wangfang", "approve"), ("lee", "status"), ("ghost", "help")):
            with pytest.raises(Exception):  # noqa: B017 - the connection error, whichever the driver raises
                await handle(Inbound(platform="console", platform_tenant="local", user_id=who, name=action,
                                     case_ref=REF, delivery_id=f"slack:{who}:{action}"),
                             driver.uow_factory, driver.deps)
        running.start()
        assert await rows(running) == before
    finally:
        await engine.dispose()
