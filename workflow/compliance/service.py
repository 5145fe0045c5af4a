"""Length of service as whole years, months and days between two dates (calendar arithmetic).

Months are calendar months: from the 15th to the 15th is one month. A month that has no day
matching the start (31 January + 1 month) ends with that month, so it is never shorter than the
calendar says (the Civil Code's rule, Art. 202: no corresponding day → the month's last day).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date


def months_later(start: date, months: int) -> date:
    """The day `months` calendar months after `start`; the 1st of the next month when the
    target month is too short (31 Jan + 1 month → 1 Mar: all of February has been served)."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    if start.day <= monthrange(year, month)[1]:
        return date(year, month, start.day)
    return date(year + month // 12, month % 12 + 1, 1)


def add_years(start: date, years: int) -> date:
    """`start` plus whole years; 29 February moves to 1 March so the result is never early."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


@dataclass(frozen=True)
class Span:
    """A length of service: whole years, then whole months, then the days left over."""

    years: int
    months: int
    days: int

    @property
    def empty(self) -> bool:
        return self.years == self.months == self.days == 0


def span(start: date, end_exclusive: date) -> Span:
    """The service from `start` up to (not including) `end_exclusive`; empty when it is not later."""
    if end_exclusive <= start:
        return Span(0, 0, 0)
    total = (end_exclusive.year - start.year) * 12 + end_exclusive.month - start.month
    while months_later(start, total) > end_exclusive:
        total -= 1
    days = (end_exclusive - months_later(start, total)).days
    return Span(total // 12, total % 12, days)
