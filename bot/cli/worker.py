"""`python -m bot worker`: the timer poller and outbox relay alone, for scaling out."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.bootstrap import bootstrap, configured_channels
from bot.heap import settle_heap
from bot.settings import Settings
from bot.worker import Worker

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="run only the timer poller and outbox relay")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_work(args.settings))


async def _work(settings: Settings) -> int:
    services = bootstrap(settings, channels=configured_channels(settings))
    try:
        await services.ensure_migrated()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        settle_heap()
        log.info("worker started (polling every %.1f s)", settings.POLL_INTERVAL_SECONDS)
        await Worker(services).run_forever(stop)
        log.info("worker stopped")
        return 0
    finally:
        await services.close()
