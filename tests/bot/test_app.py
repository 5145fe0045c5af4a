"""The web app through real HTTP: probes, and the bad-input contract (400/404/413/503, no 500)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.bootstrap import Services, bootstrap
from bot.errors import NotMigrated
from storage.migrate import upgrade
from tests.bot.services_support import closed_port, serving, settings_for

LIMIT = 4096


class Note(BaseModel):
    text: str


def probe_router() -> APIRouter:
    """Endpoints a channel might have, to drive the app's error handling."""
    router = APIRouter()

    @router.post("/notes")
    async def add_note(note: Note) -> dict[str, str]:
        return {"text": note.text}

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail 4711")

    return router


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Services]:
    runtime = bootstrap(settings_for(sqlite_url, MAX_BODY_BYTES=LIMIT))
    yield runtime
    await runtime.close()


@pytest.fixture
async def base_url(runtime: Services) -> AsyncIterator[str]:
    async with serving(create_app(runtime, routers=[probe_router()])) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        yield client


async def test_probes_answer_on_a_migrated_database(db_url: str, engine: AsyncEngine) -> None:
    # `engine` makes conftest hand over a migrated database (SQLite and PostgreSQL).
    runtime = bootstrap(settings_for(db_url))
    try:
        async with serving(create_app(runtime)) as url, httpx.AsyncClient(base_url=url) as client:
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
    finally:
        await runtime.close()
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


async def test_readiness_is_red_while_the_database_is_unreachable() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/offboard"
    runtime = bootstrap(settings_for(url))
    try:
        # Without the lifespan: the app is up, the database went away afterwards.
        app = create_app(runtime, run_worker=False)
        async with serving(app, lifespan="off") as base, httpx.AsyncClient(base_url=base) as client:
            ready = await client.get("/readyz")
            health = await client.get("/healthz")
    finally:
        await runtime.close()
    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
    assert health.status_code == 200  # liveness does not depend on the database


async def test_the_app_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    runtime = bootstrap(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"))
    try:
        app = create_app(runtime)
        with pytest.raises(NotMigrated, match="python -m bot db upgrade"):
            async with app.router.lifespan_context(app):
                pass
    finally:
        await runtime.close()


async def test_malformed_json_is_a_400_with_a_reason(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/notes", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status"] == "bad_request"
    assert "body" in response.json()["reason"]


async def test_a_body_of_the_wrong_shape_is_a_400_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/notes", json={"txet": "hello"})
    assert response.status_code == 400
    assert "text" in response.json()["reason"]


async def test_a_well_formed_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes", json={"text": "你好"})
    assert (response.status_code, response.json()) == (200, {"text": "你好"})


async def test_an_oversized_body_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes", json={"text": "x" * LIMIT})
    assert response.status_code == 413


async def test_an_oversized_chunked_body_is_a_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"y" * (LIMIT // 2)

    # No content-length: the limit has to count the bytes as they arrive.
    response = await client.post("/raw", content=chunks())
    assert response.status_code == 413


async def test_an_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["status"] == "not_found"


async def test_an_unexpected_error_is_a_503_without_a_traceback(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        response = await client.get("/boom")
    assert (response.status_code, response.json()) == (503, {"status": "error"})
    assert "4711" not in response.text and "Traceback" not in response.text
    logged = [record for record in caplog.records if record.name == "bot.app"]
    assert logged and logged[0].exc_info is not None  # the traceback stays server-side

