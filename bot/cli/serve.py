"""`python -m bot serve`: the web app (health probes, chat callbacks) with the worker inside."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn

from bot.app import create_app
from bot.runtime import Runtime, configured_channels
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP server (and the worker loops)")
    parser.add_argument("--host", help="address to listen on (default: HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default: PORT)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    host = args.host or settings.HOST
    port = settings.PORT if args.port is None else args.port
    return asyncio.run(_serve(settings, host, port))


class Server(uvicorn.Server):
    """uvicorn, minus its signal handling: it re-raises SIGTERM/SIGINT once the server has
    stopped, which would kill the process before the runtime is closed. `_serve` owns them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(settings: Settings, host: str, port: int) -> int:
    runtime = Runtime(settings, channels=configured_channels(settings))
    try:
        # Checked here as well as in the app's startup so the refusal is one clear line.
        await runtime.ensure_migrated()
        config = uvicorn.Config(
            create_app(runtime), host=host, port=port, log_config=None, lifespan="on",
            server_header=False,
        )
        server = Server(config)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            # First signal: graceful stop; a second Ctrl-C: stop without waiting (uvicorn's rule).
            loop.add_signal_handler(signum, server.handle_exit, signum, None)
        await server.serve()
        # uvicorn sets `started` only when start-up (bind, lifespan) succeeded.
        return 0 if server.started else 1
    finally:
        await runtime.close()
