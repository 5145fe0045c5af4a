"""`python -m bot serve`: the web app (health probes, chat callbacks) with the worker inside."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from bot.app import create_app
from bot.bootstrap import Services, bootstrap, configured_channels
from bot.channels.slack import SlackServer, slack_server
from bot.channels.slack.workspaces import Workspaces
from bot.channels.webhook.routes import webhook_router
from bot.channels.wecom import routers as wecom_routers
from bot.heap import settle_heap
from bot.settings import Settings
from bot.signing.keys import check_sealing_key
from bot.signing.routes import signing_router


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP server (and the worker loops)")
    parser.add_argument("--host", help="address to listen on (default: HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default: PORT)")
    parser.add_argument("--no-worker", action="store_true",
                        help="run no worker loops here (`bot worker` processes do that work)")
    parser.add_argument("--slack-socket-mode", action="store_true",
                        help="also take Slack requests over Socket Mode (needs SLACK_APP_TOKEN)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    host = args.host or settings.HOST
    port = settings.PORT if args.port is None else args.port
    return asyncio.run(_serve(settings, host, port, slack_socket_mode=args.slack_socket_mode,
                              run_worker=not args.no_worker))


class Server(uvicorn.Server):
    """uvicorn, minus its signal handling: it re-raises SIGTERM/SIGINT once the server has
    stopped, which would kill the process before the services is closed. `_serve` owns them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def web_app(services: Services, slack: SlackServer | None, *, run_worker: bool = True) -> FastAPI:
    """The app `serve` runs: probes and worker, and the WeCom, signing, webhook and Slack routes."""
    slack_routers = slack.routers if slack is not None else []
    return create_app(services, run_worker=run_worker,
                      routers=[*wecom_routers(services.channels), signing_router(services),
                               webhook_router(services), *slack_routers])


def uvicorn_config(settings: Settings, app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn as `serve` runs it. Forwarded headers only from TRUSTED_PROXIES: uvicorn's default
    believes X-Forwarded-For from 127.0.0.1, so any local client could choose the address sealed
    into a signature record."""
    proxies = sorted(settings.allowed("TRUSTED_PROXIES"))
    return uvicorn.Config(
        app, host=host, port=port,
        log_config=None, lifespan="on",
        server_header=False,
        proxy_headers=bool(proxies), forwarded_allow_ips=proxies,
        limit_concurrency=settings.LIMIT_CONCURRENCY,
        timeout_keep_alive=settings.KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=settings.MAX_HEADER_BYTES,
    )


async def _serve(settings: Settings, host: str, port: int, *, slack_socket_mode: bool = False,
                 run_worker: bool = True) -> int:
    services = bootstrap(settings, channels=configured_channels(settings))
    try:
        # Checked here as well as in the app's startup so the refusal is one clear line.
        await services.ensure_migrated()
        await check_sealing_key(services.deps.signer, services.session_factory,
                                rotated=settings.SIGNING_KEY_ROTATED)
        installations = Workspaces(settings, services.engine).installations
        if installations is not None:  # OAuth tokens: under SLACK_TOKEN_KEYS' first key from now on
            await installations.rotate()
        slack = slack_server(services, socket_mode=slack_socket_mode)
        server = Server(uvicorn_config(settings, web_app(services, slack, run_worker=run_worker),
                                       host=host, port=port))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            # First signal: graceful stop; a second Ctrl-C: stop without waiting (uvicorn's rule).
            loop.add_signal_handler(signum, server.handle_exit, signum, None)
        if slack is not None:
            await slack.start()
        settle_heap()
        try:
            await server.serve()
        finally:
            if slack is not None:
                await slack.stop()
        # uvicorn sets `started` only when start-up (bind, lifespan) succeeded.
        return 0 if server.started else 1
    finally:
        await services.close()
