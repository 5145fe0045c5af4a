"""Memory: resident size of `python -m bot serve` with 100,000 open cases, after a full poll cycle,
next to the same process on an empty database.

It runs on the timers benchmark's poll database (100,000 open cases, 1,000,000 pending timers),
so `python -m bench memory` builds that database too.
"""

from __future__ import annotations

import asyncio
import socket

import httpx

from bench.common import Context, Result, Stopwatch, bench_database, bot_env, bot_processes, rss_mib

NAME = "memory"
TITLE = "memory: serve's resident size"
POLL_INTERVAL_S = 1.0
CYCLES = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def serve_rss(ctx: Context, url: str, label: str) -> float:
    """Start serve, wait until ready, let the worker poll CYCLES times, read its RSS."""
    port = _free_port()
    env = bot_env(url, POLL_INTERVAL_SECONDS=str(POLL_INTERVAL_S))
    with bot_processes(["serve", "--port", str(port)], env, 1, ctx.workdir / f"memory-{label}.log") as (serve,):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            watch = Stopwatch()
            while True:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if serve.poll() is not None or watch.seconds > 120:
                    raise RuntimeError(f"serve did not become ready ({label})")
                await asyncio.sleep(0.1)
            await asyncio.sleep(POLL_INTERVAL_S * CYCLES + 0.5)
            assert (await client.get("/readyz")).status_code == 200
        return rss_mib(serve.pid)


async def measure(ctx: Context, loaded_url: str, cases: int) -> list[Result]:
    loaded = await serve_rss(ctx, loaded_url, "loaded")
    async with bench_database("postgresql", ctx.workdir) as empty_url:
        empty = await serve_rss(ctx, empty_url, "empty")
    return [Result(NAME, f"serve, {cases:,} open cases + 1,000,000 pending timers, PostgreSQL",
                   f"RSS {loaded:.0f} MiB", notes=f"after {CYCLES} poll cycles; empty database: {empty:.0f} MiB")]


async def run(ctx: Context) -> list[Result]:
    from bench import timers

    results = await timers.poll_cost(Context(ctx.workdir, {**ctx.options, "memory": True}))
    return [r for r in results if r.bench == NAME]
