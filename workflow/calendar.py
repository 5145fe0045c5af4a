"""The China working-day calendar (statutory holidays and 调休 make-up days) and quiet hours.

Turns "n working days later" into absolute UTC instants so timers can be stored as plain rows.
A year the `holidays` package does not carry can be loaded as an `Arrangement` (the State
Council's notice: days off and make-up working days); a year with neither is counted without
the notice's shifts and swaps, and deadlines in it are marked provisional.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

# Pinned so the library never reads LANG/LANGUAGE to pick holiday names (we never show them).
_HOLIDAY_LANGUAGE = "zh_CN"


def _official_years(cn: holidays.HolidayBase) -> frozenset[int]:
    """Years whose State Council notice `holidays` carries: they list substituted (调休) days.

    Entries of 4 or 5 numbers are (to-month, to-day, from-month, from-day[, from-year]) swaps;
    3-item entries are one-off extra holidays and do not prove the yearly notice is encoded.
    """
    years = set()
    for year, entries in cn.special_public_holidays.items():
        rows = entries if entries and isinstance(entries[0], tuple) else (entries,)
        if any(len(row) >= 4 for row in rows):
            years.add(year)
    return frozenset(years)


FIRST_YEAR, LAST_YEAR = 2000, 2199


class BadArrangement(ValueError):
    """An arrangement that cannot be the official one; the message says which day and why."""


@dataclass(frozen=True)
class Arrangement:
    """One year's official arrangement: the days off (holidays) and the make-up working days.

    Any other day is a working day from Monday to Friday. `source` names the notice.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def is_working_day(self, d: date) -> bool:
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

    def as_mapping(self) -> dict[str, Any]:
        return {"holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays": sorted(d.isoformat() for d in self.workdays),
                "source": self.source}


def _day(text: object, where: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadArrangement(f"{where}: {text!r} is not a YYYY-MM-DD date") from None


def arrangement(holidays_off: Iterable[object], workdays: Iterable[object],
                source: str = "", year: int | None = None) -> Arrangement:
    """Check and build one year's arrangement; BadArrangement names the first problem."""
    off = frozenset(_day(d, "holidays") for d in holidays_off)
    work = frozenset(_day(d, "workdays") for d in workdays)
    if not off:
        raise BadArrangement("an arrangement lists at least one holiday")
    years = {d.year for d in off | work} | ({year} if year is not None else set())
    if len(years) != 1:
        raise BadArrangement(f"an arrangement covers one year, these dates span {sorted(years)}")
    (the_year,) = years
    if not FIRST_YEAR <= the_year <= LAST_YEAR:
        raise BadArrangement(f"{the_year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    if both := sorted(off & work):
        raise BadArrangement(f"{both[0]} is listed both as a holiday and as a working day")
    if weekday := sorted(d for d in work if d.weekday() < 5):
        raise BadArrangement(f"{weekday[0]} is a weekday: a make-up working day is a Saturday "
                             "or Sunday")
    return Arrangement(the_year, off, work, source)


def arrangements_from_mapping(data: Mapping[str, Any]) -> dict[int, Arrangement]:
    """The stored arrangements ({"years": {"2027": {"holidays": [...], "workdays": [...]}}})."""
    years = data.get("years", {}) if isinstance(data, Mapping) else None
    if not isinstance(years, Mapping):
        raise BadArrangement("the calendar data needs a 'years' object")
    found = {}
    for key, raw in years.items():
        if str(key).startswith("_"):
            continue
        if not str(key).isdigit() or not isinstance(raw, Mapping):
            raise BadArrangement(f"years.{key}: expected a year and an object")
        found[int(key)] = arrangement(raw.get("holidays", []), raw.get("workdays", []),
                                      str(raw.get("source", "")), int(key))
    return found


@dataclass(frozen=True)
class Due:
    """A deadline and whether it rests on a year without the official arrangement."""

    at: datetime
    provisional: bool


class WorkCalendar:
    """Working days in mainland China, in one local time zone, with quiet hours for reminders."""

    def __init__(
        self,
        tz: str = "Asia/Shanghai",
        quiet_start: time = time(21, 0),
        quiet_end: time = time(8, 0),
        on_unknown_year: Callable[[int], None] | None = None,
        arrangements: Mapping[int, Arrangement] | None = None,
    ) -> None:
        self.tz = ZoneInfo(tz)
        self.quiet_start = quiet_start
        self.quiet_end = quiet_end
        self._on_unknown_year = on_unknown_year
        self._reported_years: set[int] = set()
        # Official years need the observed rule: `holidays` encodes e.g. 2025-06-02 (Dragon Boat
        # on a Saturday) through it, and the notices' swaps on top of it.
        self._official = holidays.China(language=_HOLIDAY_LANGUAGE)
        # Unknown years: only the statutory days themselves (全国年节及纪念日放假办法, 13 days
        # since 2025, lunar ones included), because those are fixed by law, whereas the observed
        # shifts and 调休 swaps are guesses the real notice usually contradicts. Counting the
        # statutory days as days off errs towards later deadlines (never shortening a period
        # someone is owed) and keeps reminders off the big holidays; plain Mon–Fri would send
        # HR nudges in the middle of Spring Festival.
        self._statutory = holidays.China(language=_HOLIDAY_LANGUAGE, observed=False)
        # A loaded arrangement wins over the package's data for its year.
        self.arrangements: Mapping[int, Arrangement] = dict(arrangements or {})
        self.known_years: frozenset[int] = _official_years(self._official) | frozenset(
            self.arrangements)

    def in_zone(self, tz: str) -> WorkCalendar:
        """The same working days, counted in another local time zone (a company's own)."""
        if ZoneInfo(tz) == self.tz:
            return self
        other = copy.copy(self)  # the holiday tables are shared, only the zone differs
        other.tz = ZoneInfo(tz)
        return other

    def is_official_year(self, year: int) -> bool:
        """Whether the State Council's schedule for `year` is known (else a fallback is used)."""
        return year in self.known_years

    def is_provisional_year(self, year: int) -> bool:
        """Whether deadlines in `year` are counted without its official arrangement."""
        return not self.is_official_year(year)

    def is_provisional(self, d: date) -> bool:
        """Whether a deadline on `d` is counted without the official arrangement of its year."""
        return self.is_provisional_year(d.year)

    def is_working_day(self, d: date) -> bool:
        if d.year in self.arrangements:
            return self.arrangements[d.year].is_working_day(d)
        if self.is_official_year(d.year):
            return self._official.is_working_day(d)
        if self._on_unknown_year is not None and d.year not in self._reported_years:
            self._reported_years.add(d.year)
            self._on_unknown_year(d.year)
        return d.weekday() < 5 and d not in self._statutory

    def local_date(self, instant: datetime) -> date:
        return self._local(instant).date()

    def local_instant(self, d: date, at: time) -> datetime:
        """The aware UTC instant of local wall-clock time `at` on local date `d`."""
        return datetime.combine(d, at, tzinfo=self.tz).astimezone(UTC)

    def add_days(self, instant: datetime, n: int) -> datetime:
        """`n` calendar days later (earlier if negative) at the same local time of day."""
        local = self._local(instant)
        return self.local_instant(local.date() + timedelta(days=n), local.time())

    def add_working_days(self, instant: datetime, n: int) -> datetime:
        """`n` working days later (earlier if negative) at the same local time of day.

        The starting day does not count, whether or not it is a working day: each step moves to
        the next working day. n == 0 returns the instant unchanged.
        """
        local = self._local(instant)
        day = local.date()
        step = timedelta(days=1 if n >= 0 else -1)
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return self.local_instant(day, local.time())

    def due_in_working_days(self, instant: datetime, n: int) -> Due:
        """`add_working_days`, marked provisional when any day it counts lies in a year whose
        official arrangement is unknown (so the caller can show the deadline may move)."""
        at = self.add_working_days(instant, n)
        first, last = sorted((self.local_date(instant), self.local_date(at)))
        years = range(first.year, last.year + 1)
        return Due(at, any(not self.is_official_year(year) for year in years))

    def in_quiet_hours(self, instant: datetime) -> bool:
        now = self._local(instant).time()
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= now < self.quiet_end
        return now >= self.quiet_start or now < self.quiet_end

    def out_of_quiet_hours(self, instant: datetime) -> datetime:
        """The instant itself, or, when it falls in quiet hours, the next end of quiet hours."""
        if not self.in_quiet_hours(instant):
            return instant.astimezone(UTC)
        local = self._local(instant)
        day = local.date()
        if local.time() >= self.quiet_end:  # the evening part of a window crossing midnight
            day += timedelta(days=1)
        return self.local_instant(day, self.quiet_end)

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("WorkCalendar needs aware datetimes")
        return instant.astimezone(self.tz)
