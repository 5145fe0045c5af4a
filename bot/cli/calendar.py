"""`python -m bot calendar import FILE`: load a year's official holiday arrangement.

The State Council publishes each year's arrangement (days off and make-up working days, 调休)
late in the year before; until it is loaded (or the `holidays` package carries it) deadlines in
that year are provisional. FILE is JSON or CSV:

  JSON: {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-06", ...], "source": "…"}
  CSV:  one day a line, `date,kind` with kind holiday|workday (or 休|班); a `date,kind`
        header and lines starting with # are skipped (examples/holiday-arrangement.sample.csv).

The arrangement is stored in the calendar data file (setting CALENDAR_DATA, default
config/calendar-cn.json), which every process reads at start-up.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from bot.bootstrap import data_path
from bot.cli import CommandError
from workflow.calendar import Arrangement, BadArrangement, arrangement, arrangements_from_mapping

DEFAULT_DATA = "config/calendar-cn.json"
KINDS = {"holiday": "holidays", "休": "holidays", "workday": "workdays", "班": "workdays"}
NOTE = ("Official holiday arrangements loaded with `python -m bot calendar import FILE`, one per "
        "year: holidays (days off) and workdays (make-up working days, 调休). They take precedence "
        "over the holidays package for their year.")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calendar", help="the working-day calendar")
    actions = parser.add_subparsers(dest="calendar_command", metavar="action", required=True)
    load = actions.add_parser("import", help="load a year's official holiday arrangement "
                              "(JSON or CSV, see `python -m bot calendar import --help`)",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    load.add_argument("file", type=Path, help="the arrangement, .json or .csv")
    load.add_argument("--data", help=f"calendar data file (default: the CALENDAR_DATA setting, "
                      f"{DEFAULT_DATA})")
    load.add_argument("--replace", action="store_true",
                      help="replace a year that is already loaded")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target = data_path(args.data or getattr(getattr(args, "settings", None), "CALENDAR_DATA",
                                            DEFAULT_DATA))
    loaded = read_arrangement(args.file)
    stored = _read_store(target)
    try:
        arrangements_from_mapping(stored)  # never write over a file that does not parse
    except BadArrangement as error:
        raise CommandError(f"invalid calendar data {target}: {error}") from None
    years = stored.setdefault("years", {})
    if str(loaded.year) in years and not args.replace:
        raise CommandError(f"{loaded.year} is already loaded in {target}; add --replace to "
                           "overwrite it")
    years[str(loaded.year)] = loaded.as_mapping()
    stored["years"] = dict(sorted(years.items()))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(stored, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"loaded {loaded.year}: {len(loaded.holidays)} days off, {len(loaded.workdays)} "
          f"make-up working days, into {target}")
    return 0


def read_arrangement(path: Path) -> Arrangement:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    try:
        if path.suffix.lower() == ".json":
            return _from_json(text)
        return _from_csv(text)
    except BadArrangement as error:
        raise CommandError(f"{path}: {error}") from None


def _from_json(text: str) -> Arrangement:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadArrangement(f"not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise BadArrangement("expected an object with 'holidays' and 'workdays'")
    lists = {key: raw.get(key, []) for key in ("holidays", "workdays")}
    if not all(isinstance(v, list) for v in lists.values()):
        raise BadArrangement("'holidays' and 'workdays' are lists of YYYY-MM-DD dates")
    year = raw.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise BadArrangement(f"'year' must be a whole number, not {year!r}")
    return arrangement(lists["holidays"], lists["workdays"], str(raw.get("source", "")), year)


def _from_csv(text: str) -> Arrangement:
    days: dict[str, list[str]] = {"holidays": [], "workdays": []}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#") or cells[:2] == ["date", "kind"]:
            continue
        if len(cells) < 2 or cells[1].lower() not in KINDS:
            raise BadArrangement(f"line {number}: expected `date,kind` with kind holiday or "
                                 f"workday, got {','.join(cells)!r}")
        days[KINDS[cells[1].lower()]].append(cells[0])
    return arrangement(days["holidays"], days["workdays"])


def _read_store(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"_note": NOTE, "years": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"cannot read the calendar data {path}: {error}") from None
    if not isinstance(data, dict):
        raise CommandError(f"the calendar data {path} must hold a JSON object")
    return data
