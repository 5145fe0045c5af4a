"""`python -m bot retention run`: the daily retention job (run it from cron or a systemd timer).

Prunes what has served its purpose (storage/retention.py), then purges closed cases and bundles
past their retain-until date (`archive purge`); every prune is logged with its count."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from bot.bootstrap import bootstrap
from bot.cli.archive import purge_past_retention
from bot.settings import Settings
from storage.retention import Periods, prune


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("retention", help="prune what has served its purpose (daily)")
    actions = parser.add_subparsers(dest="retention_command", metavar="action", required=True)
    actions.add_parser("run", help="prune delivery ids, old queue rows, expired links and OAuth states; "
                       "purge cases past retention")
    parser.set_defaults(func=run)


def periods(settings: Settings) -> Periods:
    return Periods(delivery_ids=timedelta(hours=settings.RETENTION_DELIVERY_ID_HOURS),
                   queue_rows=timedelta(days=settings.RETENTION_QUEUE_DAYS))


def run(args: argparse.Namespace) -> int:
    asyncio.run(_prune(args.settings))
    return asyncio.run(purge_past_retention(args.settings, dry_run=False))


async def _prune(settings: Settings) -> None:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        async with services.uow_factory() as uow:
            done = await prune(uow.session, services.clock.now(), periods(settings))
            await uow.commit()
    finally:
        await services.close()
    print("pruned " + ", ".join(f"{p.count} {p.what}" for p in done))
