"""`python -m bench [NAME …]`: run the benchmarks (all by default) and print one table.

Each benchmark runs in an interpreter of its own (timers and memory share one), as the processes it
measures start fresh in production: what one benchmark leaves in a process (its heap, its tasks)
once made the next one's CPU figures half as high again.

Needs the PostgreSQL server the tests use (BENCH_PG_ADMIN_URL, default
postgresql://postgres@127.0.0.1:5432/test); every benchmark makes and drops its own database. The
ack and outbox benchmarks also use the Redis server (BENCH_REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import asyncpg

from bench import ack, memory, outbox, profile, timers
from bench.common import PG_ADMIN_URL, Context, Result

# In the order.
BENCHES: dict[str, ModuleType] = {ack.NAME: ack, timers.NAME: timers, outbox.NAME: outbox, memory.NAME: memory,
                                  profile.NAME: profile}
# Words that only say what a benchmark looks at (`python -m bench profile approve`).
SUBJECTS = {"approve"}


def machine() -> str:
    memory_kib = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal:")), 0)
    return (f"{os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def reference_ms() -> tuple[float, float]:
    """Two fixed pieces of work, best of three each: CPU milliseconds of Python (JSON, hashing,
    dicts, as a request does), and wall milliseconds of 2,000 round trips to PostgreSQL (as every
    statement makes). This virtual machine's speed drifts by a quarter within an hour, and not
    always in both: runs compare only with these beside them."""
    record = {"case": "C-0001", "facts": {f"k{i}": i * 1.5 for i in range(40)}, "text": "经济补偿" * 40}

    def python() -> float:
        started = time.process_time()
        for n in range(3000):
            encoded = json.dumps(record, sort_keys=True, ensure_ascii=False)
            hashlib.sha256(encoded.encode()).hexdigest()
            json.loads(encoded)["facts"].get(f"k{n % 40}")
        return time.process_time() - started

    async def round_trips() -> list[float]:
        connection = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
        try:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                for _ in range(2000):
                    await connection.fetchval("SELECT 1")
                times.append(time.perf_counter() - started)
            return times
        finally:
            await connection.close()

    return min(python() for _ in range(3)) * 1000, min(asyncio.run(round_trips())) * 1000


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of this machine since boot: "steal" is time the host gave our
    virtual CPUs to someone else, which slows every figure of a run without showing in it.
    (0, 0) where the system does not say (no /proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(fields), fields[7]
    except (OSError, IndexError, ValueError):
        return 0, 0


class LoadSampler:
    """The system's one-minute load average every `every` seconds while a run goes on, and when
    it started and ended: a run is dated, and its figures read beside what else the machine did."""

    def __init__(self, every: float = 30.0) -> None:
        self._every = every
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="load-sampler", daemon=True)
        self.started = self.ended = datetime.now(UTC)

    def __enter__(self) -> LoadSampler:
        self.started = datetime.now(UTC)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.ended = datetime.now(UTC)

    def _sample(self) -> None:
        while self._take() and not self._stop.wait(self._every):
            pass
        self._take()  # and as the run ends

    def _take(self) -> bool:
        try:
            self._samples.append(os.getloadavg()[0])
            return True
        except (OSError, AttributeError):  # no load average on this system: the line says so
            return False

    def line(self) -> str:
        end = "%H:%M" if self.ended.date() == self.started.date() else "%Y-%m-%d %H:%M"
        span = f"{self.started:%Y-%m-%d %H:%M}–{self.ended.strftime(end)} UTC"
        if not self._samples:
            return f"run: {span}; load average not available here"
        return (f"run: {span}; load average (1 min) {min(self._samples):.1f}–{max(self._samples):.1f}, "
                f"sampled every {self._every:.0f} s ({len(self._samples)} samples)")


def table(results: list[Result]) -> str:
    headers = ("bench", "setting", "measured", "target", "verdict")
    rows = [(r.bench, r.setting, r.measured, r.target, r.verdict) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    notes = [f"[{n}] {r.bench} / {r.setting}: {r.notes}" for n, r in enumerate(results, 1) if r.notes]
    return "\n".join(out + (["", *notes] if notes else []))


async def main_async(names: list[str], workdir: Path, options: dict[str, object] | None = None) -> list[Result]:
    results: list[Result] = []
    ctx = Context(workdir, options or {})
    for name in names:
        started = time.perf_counter()
        print(f"== {name}: {BENCHES[name].TITLE} …", flush=True)
        results.extend(await BENCHES[name].run(ctx))
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of: {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    parser.add_argument("--rate", type=int, action="append", dest="rates", metavar="R",
                        help="ack: run only the step at R presses/s offered (repeatable; default 50, 100, 200, 400)")
    parser.add_argument("--platform", action="append", dest="platforms", choices=("slack", "wecom"),
                        help="ack: only this platform (repeatable; default both)")
    # Set by the parent: run here, write the results to this file, print no table.
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        for name, module in BENCHES.items():
            print(f"{name:8} {module.TITLE}")
        return 0
    args.names = [n for n in args.names if n not in SUBJECTS]
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    if (args.rates or args.platforms) and args.names != ["ack"]:
        parser.error("--rate and --platform belong to the ack benchmark: python -m bench ack --rate 100")
    if any(rate <= 0 for rate in args.rates or ()):
        parser.error("--rate takes a positive number of presses per second")
    options = {"rates": args.rates, "platforms": args.platforms}
    names = args.names or list(BENCHES)
    if args.results is not None:  # a child of the run below: its results go to the file
        args.results.write_text(json.dumps([asdict(result) for result in _run_here(names, options)]))
        return 0
    speed_before = reference_ms()
    ticks_before = cpu_ticks()
    groups = _groups(names)
    with LoadSampler() as load:
        if len(groups) > 1:
            results = [result for group in groups for result in _in_own_process(group)]
        else:
            results = _run_here(names, options)
    print()
    print(load.line())
    print(f"machine: {machine()}")
    ticks_after = cpu_ticks()
    speed_after = reference_ms()
    stolen = (ticks_after[1] - ticks_before[1]) / max(ticks_after[0] - ticks_before[0], 1)
    print(f"machine speed: fixed Python work took {speed_before[0]:.0f} ms of CPU and 2,000 round trips to "
          f"PostgreSQL {speed_before[1]:.0f} ms before the run; {speed_after[0]:.0f} and {speed_after[1]:.0f} ms "
          f"after (best of 3; compare runs by them); the host took {stolen:.0%} of the CPU time during the run (steal)")
    print(f"command: python -m bench {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(table(results))
    return 0


def _run_here(names: list[str], options: dict[str, object]) -> list[Result]:
    """Run `names` in this process: a child's group, or the only group of a run."""
    with tempfile.TemporaryDirectory(prefix="offboard-bench-") as tmp:
        if "timers" in names and "memory" in names:
            results = asyncio.run(_timers_with_memory(Path(tmp)))
            names = [n for n in names if n not in ("timers", "memory")]
            return results + asyncio.run(main_async(names, Path(tmp)))
        return asyncio.run(main_async(names, Path(tmp), options))


def _groups(names: list[str]) -> list[list[str]]:
    """The benchmarks as the processes that run them ("timers" measures memory on its own poll
    database when both are asked for)."""
    together = ["timers", "memory"] if "timers" in names and "memory" in names else []
    groups = [[name] for name in names if name not in together]
    return [together, *groups] if together else groups


def _in_own_process(names: list[str]) -> list[Result]:
    """Run `names` in a fresh `python -m bench` (its progress shown as it goes); its results."""
    with tempfile.TemporaryDirectory(prefix="offboard-bench-") as tmp:
        results = Path(tmp) / "results.json"
        subprocess.run([sys.executable, "-m", "bench", *names, "--results", str(results)], check=True)
        return [Result(**fields) for fields in json.loads(results.read_text())]


async def _timers_with_memory(workdir: Path) -> list[Result]:
    print("== timers + memory …", flush=True)
    ctx = Context(workdir, {"memory": True})
    return await timers.run(ctx)


if __name__ == "__main__":
    raise SystemExit(main())
