"""`python -m bench.load URL REQUESTS OUT --rate R`: an open-loop load generator for the ack bench.

Sends the pre-built requests of REQUESTS (JSON lines: path, headers, body) to URL at a fixed
offered rate — request i leaves at start + i / R whether or not earlier ones were answered — and
writes each one's timing to OUT as JSON, with the wall-clock time of the run's start (so what the
server did can be set against the schedule). Latency counts from the scheduled send time, so a
server that falls behind is charged for the queue it builds (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

# The generator must not be what limits the rate: give it the faster event loop when there is one.
try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    uvloop = None


@dataclass(frozen=True)
class Prepared:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Timing:
    """One request, in seconds from the run's start: when it was due, sent and answered."""

    due: float
    sent: float
    answered: float
    status: int  # 0: no HTTP answer (timeout, connection error)
    error: str = ""


def write_requests(path: Path, requests: list[tuple[str, dict[str, str], str]]) -> None:
    """The REQUESTS file: (path, headers, body) per line, in sending order."""
    with path.open("w", encoding="utf-8") as out:
        for target, headers, body in requests:
            out.write(json.dumps({"path": target, "headers": headers, "body": body}) + "\n")


def read_requests(path: Path) -> list[Prepared]:
    with path.open(encoding="utf-8") as lines:
        return [Prepared(r["path"], r["headers"], r["body"].encode()) for r in map(json.loads, lines)]


async def _one(session: aiohttp.ClientSession, request: Prepared, due: float, start: float) -> Timing:
    sent = time.perf_counter()
    try:
        async with session.post(request.path, data=request.body, headers=request.headers) as response:
            await response.read()
            status, error = response.status, ""
    except (aiohttp.ClientError, TimeoutError) as failure:
        status, error = 0, f"{type(failure).__name__}: {failure}"[:200]
    return Timing(due - start, sent - start, time.perf_counter() - start, status, error)


async def generate(url: str, requests: list[Prepared], rate: float, timeout: float
                   ) -> tuple[float, list[Timing]]:
    """(the start as a Unix time, each request's timing)."""
    # No connection limit: an open-loop client opens what the schedule needs, as Slack's servers do.
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(url, connector=connector, timeout=client_timeout) as session:
        start = time.perf_counter() + 0.05
        wall_start = time.time() + (start - time.perf_counter())
        tasks = []
        for n, request in enumerate(requests):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(session, request, due, start)))
        return wall_start, list(await asyncio.gather(*tasks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("requests", type=Path, help="JSON lines: path, headers, body")
    parser.add_argument("out", type=Path, help="where to write the timings (JSON)")
    parser.add_argument("--rate", type=float, required=True, help="requests per second offered")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before giving up on one")
    args = parser.parse_args(argv)
    requests = read_requests(args.requests)
    run: Any = uvloop.run if uvloop is not None else asyncio.run
    start, timings = run(generate(args.url, requests, args.rate, args.timeout))
    args.out.write_text(json.dumps({"start": start, "timings": [asdict(t) for t in timings]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
