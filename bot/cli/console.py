"""`python -m bot console`: the interactive console (or a script of console lines) on a movable clock.

Logs go to DATA_DIR/console-session.log (named once at start) so they never interleave with the
transcript; at a terminal, typed lines are kept in DATA_DIR/console_history (readline). A SQLite
database is migrated first, as `python -m bot` does; PostgreSQL is left to `db upgrade`.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from io import TextIOWrapper
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.bootstrap import Services, bootstrap
from bot.channels.console import DIGESTS
from bot.cli import FAILED, CommandError
from bot.cli.db import upgrade_schema
from bot.clock import SystemClock
from bot.console import ConsoleSession
from bot.directory import import_entries, parse, workspace
from bot.logs import log_to_file
from bot.router.readers import local_time
from bot.settings import Settings
from storage.console_state import ConsoleStore
from storage.db import sqlite_path
from workflow.clock import ManualClock
from workflow.i18n import LOCALES, t

EXAMPLE_PEOPLE = Path(__file__).resolve().parents[2] / "examples" / "people.csv"
LOG_FILE = "console-session.log"
HISTORY_FILE = "console_history"
HISTORY_LINES = 1000
log = logging.getLogger(__name__)


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
                        help="start the clock at this local time (default: where the last "
                             "console session left it, else now)")
    parser.add_argument("--lang", choices=sorted(LOCALES), metavar="LANG",
                        help="the console's own prompts and help: zh-CN or en (default: LOCALE)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    locale = args.lang or settings.LOCALE
    # Undecodable input reaches the session as lone surrogates (refused there, in words) rather
    # than as an exception; output never fails on a character the terminal cannot show.
    if isinstance(sys.stdin, TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")
    if isinstance(sys.stdout, TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    data_dir = Path(settings.DATA_DIR)
    if args.script is not None:
        try:
            text = args.script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the script {args.script}: {error}") from None
        lines: Iterator[str] = iter(text.splitlines())
        interactive = False
    else:
        interactive = sys.stdin.isatty()
        if interactive and (write_history := _keep_history(data_dir / HISTORY_FILE)):
            atexit.register(write_history)
        lines = _stdin_lines(sys.stdin, interactive)
    log_path = data_dir / LOG_FILE
    try:
        log_to_file(log_path)
    except OSError as error:
        raise CommandError(f"cannot write the console log {log_path}: {error}") from None
    if sqlite_path(settings.DATABASE_URL) is not None:
        # The embedded default: nobody else migrates this file (`python -m bot` does it too).
        upgrade_schema(settings)
    out = Transcript()
    out(t("console.log_file", locale, path=log_path))
    return asyncio.run(_console(settings, lines, interactive, args.start, locale, out))


def _keep_history(path: Path) -> Callable[[], None] | None:
    """Arrow keys recall earlier lines, this session's and the previous ones'; returns what
    writes the history back (None: this Python has no readline, the prompt still works)."""
    try:
        import readline
    except ImportError:
        return None
    readline.set_history_length(HISTORY_LINES)
    with contextlib.suppress(OSError):  # the first session has no history yet
        readline.read_history_file(path)

    def write() -> None:
        try:
            readline.write_history_file(path)
        except OSError as error:
            log.warning("console history not kept: %s", error)

    return write


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


class Transcript:
    """Prints what the console shows. Once its reader is gone (a pager quit, `| head` had its
    lines), it shows nothing more and the session stops reading: a reply that cannot be printed
    must not fail the request it answers, which would be taken again in a later session."""

    def __init__(self) -> None:
        self.gone = False

    def __call__(self, text: str) -> None:
        if self.gone:
            return
        try:
            print(text, flush=True)
        except BrokenPipeError:
            self.gone = True
            # Python flushes stdout once more at exit: point it at nothing, not at the closed pipe.
            with contextlib.suppress(OSError, ValueError):  # not a real descriptor: nothing to flush
                nothing = os.open(os.devnull, os.O_WRONLY)
                os.dup2(nothing, sys.stdout.fileno())
                os.close(nothing)


async def _console(
    settings: Settings, lines: Iterator[str], interactive: bool, start: datetime | None,
    locale: str, out: Transcript,
) -> int:
    zone = ZoneInfo(settings.TIMEZONE)
    now = start.replace(tzinfo=zone) if start else SystemClock().now().replace(second=0,
                                                                             microsecond=0)
    clock = ManualClock(now)
    services = bootstrap(settings, clock=clock)
    try:
        await services.ensure_migrated()
        await _seed_example_directory(services, settings, locale, out)
        session = ConsoleSession(services, clock, out, locale=locale, echo=not interactive,
                                 store=ConsoleStore(services.uow_factory),
                                 charts=Path(settings.DATA_DIR) / DIGESTS, font=settings.DOCUMENT_FONT)
        await session.restore(clock=start is None)
        if start is not None and session.refuse_start_before_kept_clock():
            return FAILED
        log.info("console session started; its clock reads %s", clock.now().isoformat())
        if session.kept:
            session.say("console.resumed")
        if interactive:
            session.say("console.help")
            session.show_clock()
        for line in lines:
            if session.done or out.gone:
                break
            await session.handle_line(line)
        return 0
    finally:
        await services.close()


async def _seed_example_directory(services: Services, settings: Settings, locale: str, out: Transcript) -> None:
    """A first local trial has nobody to play: load the example company so `as lee: …` works."""
    where = workspace("console")
    async with services.uow_factory() as uow:
        if await uow.tenants.by_key(where.key) is not None:
            return  # a directory was imported (or seeded) before
    people = parse(EXAMPLE_PEOPLE.read_text(encoding="utf-8-sig"))
    await import_entries(services.uow_factory, people, where, timezone=settings.TIMEZONE, city=settings.CITY,
                         locale=settings.LOCALE)
    out(t("console.seeded", locale, file=EXAMPLE_PEOPLE.name))
