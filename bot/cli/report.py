"""`python -m bot report [--from DATE] [--to DATE] [--department D] [--csv|--json]`: the HR report's
figures over all cases (open and closed) opened in the period, for spreadsheets and other tools."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.cli import CommandError
from bot.cli.workspace import migrated, tenant_named
from bot.directory import workspace
from bot.settings import Settings
from handlers.report import figures
from storage.reports import ReportQuery
from workflow.reports import Report, csv_rows


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="case figures: stages, rates, channels, overdue items")
    parser.add_argument("--from", dest="date_from", type=_date, help="first day cases were opened (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", type=_date, help="last day cases were opened, included")
    parser.add_argument("--department", default="", help="only the employees of this department")
    parser.add_argument("--tenant", default="console", help="workspace key (default: console)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="section,key,figure,value rows")
    form.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(func=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def run(args: argparse.Namespace) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise CommandError(f"--from {args.date_from} is after --to {args.date_to}")
    try:
        tenant_key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    report = asyncio.run(_report(args.settings, tenant_key, args.date_from, args.date_to, args.department))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        csv.writer(sys.stdout).writerows(csv_rows(report))
    else:
        print("\n".join(_text(report)))
    return 0


async def _report(settings: Settings, tenant_key: str, first: date | None, last: date | None,
                  department: str) -> Report:
    async with migrated(settings) as services, services.uow_factory() as uow:
        tenant = await tenant_named(uow, tenant_key)
        zone = ZoneInfo(tenant.timezone)
        query = ReportQuery(
            tenant.id, department=department,
            opened_from=None if first is None else datetime.combine(first, time(), zone),
            opened_to=None if last is None else datetime.combine(last + timedelta(days=1), time(), zone))
        return await figures(uow, services.clock.now(), query, period_from=first.isoformat() if first else "",
                             period_to=last.isoformat() if last else "")


def _text(report: Report) -> list[str]:
    """The report for a terminal: one line per figure."""
    return [" ".join(row) if row[0] != "section" else "# section key figure value" for row in csv_rows(report)]
