"""The 2025 retirement-age reform: every cohort boundary of the three categories, rows entered by hand
from the decision's appended tables, and the Art. 42(5) near-retirement protection it decides."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.compliance.retirement import (
    SCHEDULES,
    RetirementCategory,
    add_months,
    near_retirement,
    retirement,
)

M, C, W = RetirementCategory.MALE, RetirementCategory.FEMALE_CADRE, RetirementCategory.FEMALE_WORKER


def _boundaries() -> list[tuple[RetirementCategory, date, int]]:
    """(category, first birth month of a cohort, extra months) for every cohort, generated from the rule
    as the tables state it: the first cohort gets one month, each later one one more, up to the ceiling."""
    rows = []
    for category, s in SCHEDULES.items():
        year, month = s.first_cohort
        for step in range(s.max_extra_months):
            first = add_months(date(year, month, 1), step * s.months_per_step)
            rows.append((category, first, step + 1))
        rows.append((category, add_months(date(year, month, 1), -1), 0))  # the last cohort before the reform
    return rows


@pytest.mark.parametrize(("category", "first_month", "extra"), _boundaries())
def test_every_cohort_starts_and_ends_where_the_tables_say(category, first_month, extra):
    s = SCHEDULES[category]
    width = s.months_per_step if extra else 1
    for offset in range(width):  # every birth month of the cohort, first and last day of the month
        month = add_months(first_month, offset)
        for day in (1, 28):
            born = month.replace(day=day)
            got = retirement(born, category)
            assert got.extra_months == extra, (category, born)
            assert got.years * 12 + got.months == s.base_years * 12 + extra
            assert got.on == add_months(born, s.base_years * 12 + extra)
    if extra:  # the next birth month after the cohort is one month later (or the ceiling)
        after = retirement(add_months(first_month, width), category)
        assert after.extra_months == min(extra + 1, s.max_extra_months)


@pytest.mark.parametrize(
    ("category", "born", "years", "months", "on"),
    [
        # Entered by hand from the appended tables (出生时间 → 改革后法定退休年龄 → 改革后退休时间).
        (M, date(1964, 12, 15), 60, 0, date(2024, 12, 15)),  # before the reform
        (M, date(1965, 1, 15), 60, 1, date(2025, 2, 15)),  # table 1, first row
        (M, date(1966, 3, 10), 60, 4, date(2026, 7, 10)),  # COMPLIANCE.md T15
        (M, date(1970, 5, 1), 61, 5, date(2031, 10, 1)),
        (M, date(1976, 9, 1), 63, 0, date(2039, 9, 1)),  # table 1, last row
        (M, date(1990, 6, 1), 63, 0, date(2053, 6, 1)),
        (C, date(1970, 1, 1), 55, 1, date(2025, 2, 1)),  # table 2, first row
        (C, date(1974, 1, 1), 56, 1, date(2030, 2, 1)),
        (C, date(1981, 12, 1), 58, 0, date(2039, 12, 1)),  # table 2, last row
        (W, date(1975, 1, 1), 50, 1, date(2025, 2, 1)),  # table 3, first row
        (W, date(1975, 3, 1), 50, 2, date(2025, 5, 1)),
        (W, date(1980, 1, 1), 52, 7, date(2032, 8, 1)),
        (W, date(1984, 12, 1), 55, 0, date(2039, 12, 1)),  # table 3, last row
    ],
)
def test_rows_from_the_appended_tables(category, born, years, months, on):
    got = retirement(born, category)
    assert (got.years, got.months, got.on) == (years, months, on)


def test_a_birthday_the_target_month_lacks_falls_on_its_last_day():
    assert retirement(date(1965, 1, 31), M).on == date(2025, 2, 28)
    assert retirement(date(1975, 12, 31), W).on == date(2026, 6, 30)  # 50 y 6 m


def test_t15_is_protected_by_art_42_5():
    retires = retirement(date(1966, 3, 10), M).on
    assert near_retirement(date(2008, 1, 1), date(2026, 6, 30), retires)


@pytest.mark.parametrize(
    ("hired", "last_day", "protected"),
    [
        (date(2008, 1, 1), date(2022, 12, 31), True),  # exactly 15 years, the last day counted
        (date(2008, 1, 2), date(2022, 12, 31), False),  # one day short of 15 years
        (date(2000, 1, 1), date(2020, 7, 10), False),  # exactly 5 years before: not "less than"
        (date(2000, 1, 1), date(2020, 7, 11), True),
    ],
)
def test_the_edges_of_art_42_5(hired, last_day, protected):
    assert near_retirement(hired, last_day, date(2025, 7, 10)) is protected


@given(
    st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)),
    st.sampled_from(list(RetirementCategory)),
)
def test_a_later_birth_never_retires_earlier_or_past_the_ceiling(born, category):
    s = SCHEDULES[category]
    got = retirement(born, category)
    later = retirement(add_months(born, 1), category)
    assert later.on >= got.on
    assert s.base_years * 12 <= got.years * 12 + got.months <= s.base_years * 12 + s.max_extra_months
