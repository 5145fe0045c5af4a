"""Test-private PostgreSQL and Redis servers that a test may stop and start at will.

Never the shared servers: each lives in its own temporary directory on its own free port and is
removed afterwards. PostgreSQL refuses to run as root, so as root its programs run as the
`postgres` user (runuser); the data directory is made theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from tests.conftest import service_unavailable

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_SECONDS = 30
T = TypeVar("T")
R = TypeVar("R")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_bin() -> Path | None:
    """The newest installed PostgreSQL's programs."""
    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob(PG_BIN_GLOB), key=version, reverse=True)
    return next((Path(p) for p in found if (Path(p) / "initdb").exists()), None)


class PrivatePostgres:
    """A throw-away cluster: `start()`, `stop()`, `url(database)`; `close()` removes it."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            service_unavailable(f"no initdb/pg_ctl under {PG_BIN_GLOB} or on PATH")
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="offboard-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                self.close()
                service_unavailable("running as root and there is no `postgres` user to run initdb as")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bin / program), *args], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}")

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql+asyncpg://{auth}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # fsync off: only an OS crash could lose data then, and a test never survives one anyway.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w",
                  "-t", str(START_SECONDS), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" ends every session; "immediate" is a crash (no shutdown checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def close(self) -> None:
        if self.data.exists() and self.running():
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


class PrivateRedis:
    """A redis-server of our own: no persistence, its own port; stop() kills it, start() revives it."""

    def __init__(self) -> None:
        program = shutil.which("redis-server")
        if program is None:
            service_unavailable("redis-server is not installed")
        self.program = program
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="offboard-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while not self.cli("PING").startswith("PONG"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(self.root / 'redis.log').read_text()[-800:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill it outright (SIGKILL): clients see the connection drop, as in an outage."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def cli(self, *command: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *command], capture_output=True, text=True,
                              timeout=10, check=False)
        return done.stdout.strip()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.close()


# ------------------------------------------------------------------ bot processes


ROOT = Path(__file__).resolve().parents[2]


def bot_env(**settings: str) -> dict[str, str]:
    """A bot process's environment: ours minus any Redis/database settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    # Pacing off (its digests stand for several rows): these fakes keep no rate limits.
    env.update(PYTHONUNBUFFERED="1", PLATFORM_PACING="false", **settings)
    return env


@contextlib.contextmanager
def bot_process(args: list[str], env: dict[str, str], log: Path,
                errors: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot ARGS` from the checkout, output to `log` (stderr too, unless `errors` is
    given: then there); stopped (SIGTERM, then SIGKILL) on exit if still running."""
    with log.open("ab") as sink, (errors or log).open("ab") as error_sink:
        process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=sink,
                                   stderr=error_sink if errors is not None else subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


async def wait_until(check: Callable[[], Awaitable[bool]], *, seconds: float, what: str,
                     process: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    """Poll `check` until it holds; fail if `process` exits first or `seconds` pass (a deadline for
    a hang, not a timing assertion)."""
    end = time.monotonic() + seconds
    while not await check():
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process exited ({process.returncode}) before {what}:\n{tail}")
        if time.monotonic() > end:
            raise AssertionError(f"no {what} within {seconds} s\n{tail}")
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ async services for sync tests


class InThread(Generic[T]):
    """An async context held open on an event loop in a thread of its own, for tests that must
    stay synchronous (hypothesis, schemathesis): `with InThread(make) as value:`, and
    `run(coroutine)` to use what it holds on its own loop."""

    def __init__(self, make: Callable[[], contextlib.AbstractAsyncContextManager[T]]) -> None:
        self._make = make
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._hold()), name="in-thread", daemon=True)

    async def _hold(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with self._make() as value:
                self._value = value
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # handed to the test's thread, which raises it
            self._error = error
        finally:
            self._ready.set()

    def __enter__(self) -> T:
        self._thread.start()
        if not self._ready.wait(START_SECONDS * 4):
            raise RuntimeError("the services did not start")
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(START_SECONDS)

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_SECONDS * 2)
        if self._error is not None:
            raise self._error
