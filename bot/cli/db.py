"""`python -m bot db upgrade|current`: bring the schema up to date, or say whether it is."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy.exc import DBAPIError

from bot.bootstrap import seal_secrets
from bot.errors import UPGRADE_COMMAND, safe_url, unreachable
from bot.settings import Settings
from storage.db import make_engine
from storage.migrate import head_revision, is_current, upgrade

# What a database that cannot be reached raises (refused, unknown host, bad password, bad path).
UNREACHABLE = (OSError, DBAPIError)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema migrations")
    actions = parser.add_subparsers(dest="db_command", metavar="action", required=True)
    actions.add_parser("upgrade", help="apply every pending migration (creates a SQLite file)")
    actions.add_parser("current", help="say whether the database is at the newest migration")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = args.settings.DATABASE_URL
    if args.db_command == "upgrade":
        upgrade_schema(args.settings)
        print(f"database {safe_url(url)} is at revision {head_revision()}")
        return 0
    if asyncio.run(_is_current(url)):
        print(f"database {safe_url(url)} is at revision {head_revision()} (current)")
        return 0
    print(f"database {safe_url(url)} is not at revision {head_revision()}; run `{UPGRADE_COMMAND}`")
    return 1


def upgrade_schema(settings: Settings) -> None:
    """Apply every pending migration to the configured database (`db upgrade`; the console on
    its own SQLite file)."""
    url = settings.DATABASE_URL
    seal_secrets(settings)  # migration 0012 seals the webhook secrets stored in clear
    try:
        upgrade(url)
    except UNREACHABLE as error:
        raise unreachable(url, error) from None


async def _is_current(url: str) -> bool:
    engine = make_engine(url)
    try:
        return await is_current(engine)
    except UNREACHABLE as error:
        raise unreachable(url, error) from None
    finally:
        await engine.dispose()
