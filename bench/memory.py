"""Memory: resident size of `python -m bot serve` with 100,000 open cases, after a full poll cycle,
next to the same process on an empty database.

It runs on the timers benchmark's poll database (100,000 open cases, 1,000,000 pending timers),
so `python -m bench memory` builds that database too.
"""

from __future__ import annotations

import asyncio

import httpx

from bench.common import Context, Result, bench_database, bot_env, bot_processes, free_port, rss_mib, wait_ready

NAME = "memory"
TITLE = "memory: serve's resident size"
POLL_INTERVAL_S = 1.0
CYCLES = 3


async def serve_rss(ctx: Context, url: str, label: str) -> float:
    """Start serve, wait until ready, let the worker poll CYCLES times, read its RSS."""
    port = free_port()
    env = bot_env(url, POLL_INTERVAL_SECONDS=str(POLL_INTERVAL_S))
    log = ctx.workdir / f"memory-{label}.log"
    with bot_processes(["serve", "--port", str(port)], env, 1, log) as (serve,):
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, serve, log)
        await asyncio.sleep(POLL_INTERVAL_S * CYCLES + 0.5)
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
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
