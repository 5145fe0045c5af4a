"""`python -m bot digest show|set|off|preview [--tenant KEY]`: when the weekly HR digest goes (a
company setting: day and hour in the company's time zone; default Monday 09:00). `set` re-arms it;
`preview` prints the digest of the week ending now (or `--at`) and writes its chart, sending nothing."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import bootstrap
from bot.cards.build import card_for
from bot.cards.chart import render_chart
from bot.cards.text import render_text
from bot.cli import CommandError
from bot.cli.workspace import migrated, tenant_named
from bot.directory import workspace
from bot.settings import Settings
from handlers import digest
from workflow.digest import DAYS, Schedule, parse_day, parse_hour


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("digest", help="the weekly HR digest: show, set the day and hour, or turn off")
    parser.add_argument("--tenant", default="console", help="workspace key (default: console)")
    actions = parser.add_subparsers(dest="digest_command", metavar="action", required=True)
    actions.add_parser("show", help="the schedule and the next digest's time")
    put = actions.add_parser("set", help="send the digest on this day and hour (company time)")
    put.add_argument("--day", type=_day, required=True, help=f"one of {', '.join(DAYS)}")
    put.add_argument("--hour", type=_hour, required=True, help="0-23, company time")
    actions.add_parser("off", help="send no digest (set turns it on again)")
    preview = actions.add_parser("preview", help="print the week's digest and write its chart; sends nothing")
    preview.add_argument("--out", type=Path, default=Path("weekly-digest.png"), help="the chart's PNG file")
    preview.add_argument("--at", type=_local_time, help="the week ends at this company time (YYYY-MM-DD HH:MM; "
                         "default: now)")
    parser.set_defaults(func=run)


def _day(text: str) -> int:
    try:
        return parse_day(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _hour(text: str) -> int:
    try:
        return parse_hour(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _local_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-01-05 09:00") from None


def run(args: argparse.Namespace) -> int:
    try:
        tenant_key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.digest_command == "preview":
        print(asyncio.run(_preview(args.settings, tenant_key, args.at, args.out)))
        return 0
    if args.digest_command == "set":
        schedule: Schedule | None = Schedule(args.day, args.hour)
    elif args.digest_command == "off":
        schedule = Schedule(enabled=False)
    else:
        schedule = None
    print(asyncio.run(_apply(args.settings, tenant_key, schedule)))
    return 0


async def _apply(settings: Settings, tenant_key: str, schedule: Schedule | None) -> str:
    """Store `schedule` (None: only look) and say what holds now."""
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        now = services.clock.now()
        async with services.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(tenant_key, timezone=settings.TIMEZONE, city=settings.CITY)
            if schedule is not None:
                if not schedule.enabled:  # keep the day and hour for when it is turned on again
                    current = digest.schedule_of(tenant)
                    schedule = Schedule(current.day, current.hour, enabled=False)
                due = await digest.set_schedule(uow, tenant, schedule, now)
            else:
                pending = await uow.timers.pending_for_tenant(tenant.id, digest.WEEKLY_DIGEST)
                due = pending[0].due_at if pending else None
            await uow.commit()
            current, zone = digest.schedule_of(tenant), ZoneInfo(tenant.timezone)
            wanted = digest.wanted(tenant)
    finally:
        await services.close()
    when = f"{current.day_name} {current.hour:02d}:00 ({zone.key})"
    if not wanted:
        return f"{tenant_key}: weekly digest off (would go {when}); `digest set --day D --hour H` turns it on"
    return f"{tenant_key}: weekly digest {when}; next: {_local(due, zone)}"


async def _preview(settings: Settings, tenant_key: str, at: datetime | None, out: Path) -> str:
    """The digest's text, as the console shows it; its chart written to `out`."""
    async with migrated(settings) as services, services.uow_factory() as uow:
        tenant = await tenant_named(uow, tenant_key)
        now = services.clock.now() if at is None else at.replace(tzinfo=ZoneInfo(tenant.timezone))
        message = await digest.week_message(uow, tenant, now, now)
    try:
        out.write_bytes(render_chart(message.data["chart"], settings.DOCUMENT_FONT))
    except OSError as error:
        raise CommandError(f"cannot write {out}: {error.strerror}") from None
    return f"{render_text(card_for(message))}\n(chart: {out})"


def _local(instant: datetime | None, zone: ZoneInfo) -> str:
    """None: not armed yet (the worker arms it within the hour of starting)."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M") if instant else "armed when the worker runs"
