"""When a person can be reached and for how long they may hand off or hold back reminders: the limits
of a delegation and of a snooze, and the next instant inside someone's working hours. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A delegation covers a leave, not a standing arrangement: HR reviews anything longer.
DELEGATION_MAX_DAYS = 90
# A snooze is "not now", not "never": a week at most, a day when no length is given.
SNOOZE_MAX = timedelta(days=7)
SNOOZE_DEFAULT = timedelta(days=1)
SNOOZE_MIN = timedelta(minutes=30)

_HOURS = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", re.ASCII)


@dataclass(frozen=True)
class WorkHours:
    """A person's working day, local wall time; `start` < `end` (no shifts across midnight)."""

    start: time
    end: time


def parse_hours(text: str | None) -> WorkHours | None:
    """'09:00-18:00' → WorkHours; None for "" or anything else (then nobody's hours restrict)."""
    match = _HOURS.fullmatch((text or "").strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
        return None
    return WorkHours(time(h1, m1), time(h2, m2))


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """The person's time zone, else the company's (an unknown name counts as none)."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Reach:
    """Where and when one person may be sent a reminder."""

    tz: ZoneInfo
    hours: WorkHours | None
    quiet_start: time  # the company's quiet hours, read in the person's own time zone
    quiet_end: time


def _in_quiet(t: time, reach: Reach) -> bool:
    start, end = reach.quiet_start, reach.quiet_end
    if start == end:
        return False
    return start <= t < end if start < end else (t >= start or t < end)


def next_reachable(instant: datetime, reach: Reach, is_working_day: Callable[[date], bool]) -> datetime:
    """`instant`, or the first later instant inside the person's working hours on a working day
    (when they have hours) and outside the company's quiet hours, both in the person's time zone."""
    local = instant.astimezone(reach.tz)
    for _ in range(400):  # a year of days off is the most any calendar holds
        day, now = local.date(), local.time()
        if reach.hours is not None:
            if not is_working_day(day) or now >= reach.hours.end:
                local = datetime.combine(day + timedelta(days=1), reach.hours.start, tzinfo=reach.tz)
                continue
            if now < reach.hours.start:
                local = datetime.combine(day, reach.hours.start, tzinfo=reach.tz)
                continue
        if _in_quiet(now, reach):
            next_day = day + timedelta(days=1) if now >= reach.quiet_end else day
            local = datetime.combine(next_day, reach.quiet_end, tzinfo=reach.tz)
            continue
        return local.astimezone(UTC)
    return instant.astimezone(UTC)


def delegation_fault(until: date, today: date) -> str | None:
    """Why a delegation ending on `until` (inclusive) cannot be set today, or None."""
    if until <= today:
        return "past"
    if until > today + timedelta(days=DELEGATION_MAX_DAYS):
        return "too_long"
    return None


def delegation_end(until: date, tz: ZoneInfo) -> datetime:
    """A delegation "until 2027-01-10" covers that whole local day."""
    return datetime.combine(until + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class SnoozeEnd:
    """How long a snooze really lasts, and whether a limit shortened it (and which)."""

    until: datetime
    capped_by: str | None  # None | "limit" | "deadline"


def snooze_end(now: datetime, asked: timedelta, deadlines: Iterable[datetime]) -> SnoozeEnd | None:
    """The end of a snooze asked for `asked` at `now`: at most SNOOZE_MAX, and never past the
    case's next deadline (a reminder held back must still come before what it warns of).
    None when the next deadline is too close to hold anything back."""
    until, capped = now + asked, None
    if asked > SNOOZE_MAX:
        until, capped = now + SNOOZE_MAX, "limit"
    upcoming = [d for d in deadlines if d > now]
    if upcoming and min(upcoming) < until:
        until, capped = min(upcoming), "deadline"
    if until - now < SNOOZE_MIN:
        return None
    return SnoozeEnd(until, capped)
