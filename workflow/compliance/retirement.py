"""The statutory retirement date under the 2025 reform, and the Art. 42(5) protection it decides.

NPC Standing Committee decision on gradually raising the statutory retirement age (in force
2025-01-01): each category keeps its old age for people born before its first reformed cohort;
from that cohort on the age rises by one month per cohort of birth months, up to a ceiling.
Labor Contract Law Art. 42(5) then protects an employee with >= 15 years' continuous service
whose last day falls less than 5 years before that date; Art. 44(2) ends the contract on it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class RetirementCategory(StrEnum):
    """The three statutory categories (their original ages: 60, 55 and 50)."""

    MALE = "male"
    FEMALE_CADRE = "female_cadre"  # women in management and technical posts
    FEMALE_WORKER = "female_worker"


@dataclass(frozen=True)
class _Schedule:
    base_years: int
    first_cohort: tuple[int, int]  # (year, month) of birth from which the age starts to rise
    months_per_step: int  # birth months that share one extra month of age
    max_extra_months: int


# One row per category, straight from the decision's three appended tables.
SCHEDULES: dict[RetirementCategory, _Schedule] = {
    RetirementCategory.MALE: _Schedule(60, (1965, 1), 4, 36),
    RetirementCategory.FEMALE_CADRE: _Schedule(55, (1970, 1), 4, 36),
    RetirementCategory.FEMALE_WORKER: _Schedule(50, (1975, 1), 2, 60),
}
PROTECTED_SERVICE_YEARS = 15  # Art. 42(5): continuous service with this employer …
PROTECTED_YEARS_BEFORE = 5  # … and fewer than this many years to the retirement date


@dataclass(frozen=True)
class Retirement:
    """The statutory retirement age (years + months) and the date it is reached."""

    years: int
    months: int
    on: date
    extra_months: int  # how far the reform moved it (0 for the cohorts before it)


def add_months(start: date, months: int) -> date:
    """`start` plus whole months; a day the target month lacks becomes its last day (31 Jan + 1 m = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def retirement(birth: date, category: RetirementCategory) -> Retirement:
    """When someone born on `birth` in `category` reaches the statutory retirement age."""
    schedule = SCHEDULES[category]
    first_year, first_month = schedule.first_cohort
    since_first = (birth.year - first_year) * 12 + (birth.month - first_month)
    extra = 0 if since_first < 0 else min(since_first // schedule.months_per_step + 1, schedule.max_extra_months)
    total = schedule.base_years * 12 + extra
    return Retirement(years=total // 12, months=total % 12, on=add_months(birth, total), extra_months=extra)


def near_retirement(hired: date, last_day: date, retires_on: date) -> bool:
    """Art. 42(5): >= 15 years with this employer by the last day, and < 5 years left to retirement.

    Service counts the last day itself (hired 2008-01-01, last day 2022-12-31 is 15 full years).
    """
    served_enough = add_months(hired, PROTECTED_SERVICE_YEARS * 12) - timedelta(days=1) <= last_day
    return served_enough and last_day > add_months(retires_on, -PROTECTED_YEARS_BEFORE * 12)
