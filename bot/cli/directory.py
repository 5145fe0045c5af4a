"""`python -m bot directory import people.csv`: load the people directory, all rows or none.

`python -m bot directory sync-wecom` pulls it from WeCom's contacts instead.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.channels.wecom.api import ApiError, WeComApi
from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.directory import SyncSummary, sync_directory
from bot.cli import FAILED, CommandError
from bot.directory import (
    DirectoryError,
    Entry,
    Summary,
    Workspace,
    import_entries,
    parse,
    workspace,
)
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("directory", help="the people directory")
    actions = parser.add_subparsers(dest="directory_command", metavar="action", required=True)
    load = actions.add_parser(
        "import", help="create or update people from a CSV file (see examples/people.csv)"
    )
    load.add_argument("file", type=Path, help="CSV with a header row")
    load.add_argument(
        "--tenant", default="console",
        help="workspace key: console (default), slack:<team id> or wecom:<corp id>",
    )
    sync = actions.add_parser(
        "sync-wecom", help="create or update people from WeCom's contacts (WECOM_* settings)"
    )
    sync.add_argument(
        "--hr-department", action="append", default=[], metavar="NAME",
        help="members of this WeCom department get the hr role (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    if args.directory_command == "sync-wecom":
        return _sync_wecom(settings, args.hr_department)
    try:
        where = workspace(args.tenant)
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {args.file}: {error}") from None
    try:
        entries = parse(text)
        summary = asyncio.run(_import(settings, entries, where))
    except DirectoryError as error:
        print(f"{args.file}: nothing imported, {len(error.problems)} problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return FAILED
    print(f"{args.file}: {summary.people} people, {summary.identities} {where.platform} "
          f"identities in workspace {where.key}")
    for platform, count in sorted(summary.ignored_ids.items()):
        print(f"  {count} {platform} id(s) ignored: workspace {where.key} is not on {platform}")
    return 0


async def _import(settings: Settings, entries: Sequence[Entry], where: Workspace) -> Summary:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        return await import_entries(
            services.uow_factory, entries, where, timezone=settings.TIMEZONE, city=settings.CITY,
            locale=settings.LOCALE,
        )
    finally:
        await services.close()


def _sync_wecom(settings: Settings, hr_departments: Sequence[str]) -> int:
    config = WeComConfig.from_settings(settings)
    if config is None:
        raise CommandError("WeCom is not configured: set WECOM_CORP_ID, WECOM_AGENT_ID, "
                           "WECOM_SECRET, WECOM_TOKEN and WECOM_AES_KEY")
    try:
        summary = asyncio.run(_sync(settings, config, hr_departments))
    except ApiError as error:
        raise CommandError(f"WeCom refused the contacts sync: {error}") from None
    print(f"wecom:{config.corp_id}: {summary.people} people ({summary.created} new, "
          f"{summary.inactive} inactive, {summary.with_manager} with a manager) in "
          f"{summary.departments} departments")
    return 0


async def _sync(settings: Settings, config: WeComConfig,
                hr_departments: Sequence[str]) -> SyncSummary:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        return await sync_directory(WeComApi.from_config(config), services.uow_factory, config,
                                    hr_departments=hr_departments)
    finally:
        await services.close()
