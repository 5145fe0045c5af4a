"""Helpers for the shell's tests: hermetic settings, services on a test database, a live server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI

import bot.cli
from bot.bootstrap import Services
from bot.cli.serve import Server
from bot.settings import Settings
from bot.worker import Worker

# The whole-case drivers' cases end on 2024-06-30; one handed over early is closed by the worker at
# 18:00 that day (a case closes no earlier than its last day).
LAST_DAY_CLOSE = datetime(2024, 6, 30, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# One Fernet key for the whole run: storage seals with one key per process (storage/sealed.py).
TEST_SECRET_KEY = Fernet.generate_key().decode()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test: no .env, no Redis server unless asked, the given database."""
    # Pacing off unless a test is about it: most tests run whole cases on a clock that stands still.
    values: dict[str, Any] = {"DATABASE_URL": database_url, "REDIS_URL": None, "PLATFORM_PACING": False,
                              **overrides}
    return Settings(_env_file=None, **values)


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: FastAPI, *, lifespan: str = "on") -> AsyncIterator[str]:
    """Run `app` under uvicorn on a free 127.0.0.1 port; yields its base URL."""
    # Protocol named: asyncio turns Nagle off only on connections of an IPPROTO_TCP socket. With
    # socket.socket()'s 0, a response written in two parts waited for the client's delayed ACK on
    # every request of a kept-alive connection: 44 ms per call from requests (wechatpy) or httpx.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = Server(uvicorn.Config(app, log_config=None, lifespan=lifespan))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise why
                raise RuntimeError("uvicorn stopped during start-up")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


def inbox_taker(runtime: Services) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook standing in for the worker `serve` runs beside its routes: once a
    platform request is answered, the requests it left in the inbox are handled (the test's
    worker, as `settle` runs the relay), so a test reads their effects right after."""

    async def take(_response: httpx.Response) -> None:
        try:
            while await Worker(runtime).drain_inbox():
                pass
        except Exception:  # as the worker's loop: logged, and tried again on a later round
            logging.getLogger(__name__).exception("taking the inbox failed")

    return take


Cli = Callable[..., Awaitable[int]]


def in_process_cli(monkeypatch: pytest.MonkeyPatch, workdir: Path, database_url: str) -> Cli:
    """`python -m bot …` in this process against `database_url`, run in a thread because the
    commands start their own event loop, as they do from a terminal. Leaves logging alone."""
    monkeypatch.setattr(bot.cli, "configure_logging", lambda level: None)
    monkeypatch.chdir(workdir)  # no .env from the checkout
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SECRET_KEYS", TEST_SECRET_KEY)  # webhook secrets are kept sealed

    async def run(*args: str) -> int:
        return await asyncio.to_thread(bot.cli.main, list(args))

    return run
