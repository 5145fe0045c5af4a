"""`python -m bot console`: the interactive console (or a script of console lines) on a movable clock."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.bootstrap import Services, bootstrap
from bot.cli import CommandError
from bot.clock import SystemClock
from bot.console import ConsoleSession
from bot.directory import import_entries, parse, workspace
from bot.router.readers import local_time
from bot.settings import Settings
from workflow.clock import ManualClock

EXAMPLE_PEOPLE = Path(__file__).resolve().parents[2] / "examples" / "people.csv"


def _start_time(text: str) -> datetime:
    at = local_time(text)
    if at is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2025-10-09 09:00")
    return datetime.strptime(at, "%Y-%m-%d %H:%M")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "console", help="play a case from the terminal: speak as anyone, press buttons, move time"
    )
    parser.add_argument("--script", type=Path, metavar="FILE",
                        help="read console lines from FILE instead of standard input")
    parser.add_argument("--start", type=_start_time, metavar="'YYYY-MM-DD HH:MM'",
                        help="start the clock at this local time (default: now)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    if args.script is not None:
        try:
            text = args.script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the script {args.script}: {error}") from None
        return asyncio.run(_console(settings, iter(text.splitlines()), False, args.start))
    interactive = sys.stdin.isatty()
    return asyncio.run(_console(settings, _stdin_lines(sys.stdin, interactive), interactive,
                                args.start))


def _stdin_lines(stream: TextIO, interactive: bool) -> Iterator[str]:
    """Lines typed at a prompt (a terminal) or piped in, until end of input."""
    while True:
        try:
            line = input("> ") if interactive else stream.readline()
        except EOFError:
            return
        if not interactive and not line:
            return
        yield line


def _print(text: str) -> None:
    print(text, flush=True)


async def _console(
    settings: Settings, lines: Iterator[str], interactive: bool, start: datetime | None
) -> int:
    zone = ZoneInfo(settings.TIMEZONE)
    now = start.replace(tzinfo=zone) if start else SystemClock().now().replace(second=0,
                                                                             microsecond=0)
    clock = ManualClock(now)
    services = bootstrap(settings, clock=clock)
    try:
        await services.ensure_migrated()
        await _seed_example_directory(services, settings)
        session = ConsoleSession(services, clock, _print, locale=settings.LOCALE,
                                 echo=not interactive)
        if interactive:
            session.say("console.help")
            session.show_clock()
        for line in lines:
            await session.handle_line(line)
            if session.done:
                break
        return 0
    finally:
        await services.close()


async def _seed_example_directory(services: Services, settings: Settings) -> None:
    """A first local trial has nobody to play: load the example company so `as lee: …` works."""
    where = workspace("console")
    async with services.uow_factory() as uow:
        if await uow.tenants.by_key(where.key) is not None:
            return  # a directory was imported (or seeded) before
    people = parse(EXAMPLE_PEOPLE.read_text(encoding="utf-8-sig"))
    await import_entries(services.uow_factory, people, where, timezone=settings.TIMEZONE, city=settings.CITY)
    print(f"(empty directory: loaded the example company from {EXAMPLE_PEOPLE.name}; "
          "`python -m bot directory import` loads your own)", flush=True)
