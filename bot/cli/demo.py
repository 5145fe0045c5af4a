"""`python -m bot demo`: one whole case through the console on a simulated clock, printed as a transcript.

Runs on a throw-away SQLite database with the example directory; exits 0 only if the case closed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import bootstrap
from bot.cli import CommandError
from bot.console import ConsoleSession
from bot.directory import import_entries, parse, workspace
from bot.settings import Settings, load_settings
from storage.migrate import upgrade
from workflow.clock import ManualClock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
START = "2024-06-03 09:00"
# The case each ground's demo runs (--ground): T1's Art. 40(2), or T11's fixed term ending.
SCRIPTS = {"incompetent": EXAMPLES / "demo-case.txt", "expiry": EXAMPLES / "demo-expiry.txt"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run one whole case on a simulated clock and print it")
    parser.add_argument("--ground", choices=tuple(SCRIPTS), default="incompetent",
                        help="which example case to run (default: incompetent, vector T1)")
    parser.add_argument("--script", type=Path, default=None, metavar="FILE",
                        help="a script of your own (overrides --ground)")
    parser.add_argument("--people", type=Path, default=EXAMPLES / "people.csv", metavar="CSV",
                        help="the company directory to load first (default: examples/people.csv)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        script = args.script or SCRIPTS[args.ground]
        lines = script.read_text(encoding="utf-8").splitlines()
        people = args.people.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"cannot read the demo files: {error}") from None
    with tempfile.TemporaryDirectory(prefix="offboard-demo-") as tmp:
        settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/demo.db", REDIS_URL=None,
                                 SIGNING_KEY_PATH=f"{tmp}/signing-key.pem")
        upgrade(settings.DATABASE_URL)
        return asyncio.run(_demo(settings, people, lines))


async def _demo(settings: Settings, people: str, lines: list[str]) -> int:
    clock = ManualClock(datetime.fromisoformat(START).replace(tzinfo=ZoneInfo(settings.TIMEZONE)))
    services = bootstrap(settings, clock=clock)
    try:
        await import_entries(services.uow_factory, parse(people), workspace("console"),
                             timezone=settings.TIMEZONE, city=settings.CITY, locale=settings.LOCALE)
        session = ConsoleSession(services, clock, lambda text: print(text, flush=True),
                                 locale=settings.LOCALE, echo=True)
        session.show_clock()
        for line in lines:
            await session.handle_line(line)
        async with services.uow_factory() as uow:
            tenant = await uow.tenants.by_key(workspace("console").key)
            case = await uow.cases.by_ref(tenant.id, "C-0001") if tenant else None
        closed = case is not None and case.state == "closed"
        print(f"\n== C-0001: {case.state if case else 'missing'} ({case.outcome if case else '-'})")
        return 0 if closed else 1
    finally:
        await services.close()
