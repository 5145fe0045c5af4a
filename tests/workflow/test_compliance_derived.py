"""Facts derived from dates (Art. 42(5), probation, medical period, notice) and the properties
that hold for any facts: derived flags agree with the dates, the 2N risk is never silently below
the lawful amount, and no assessment silently lacks a minimum-wage check."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.compliance import CaseFacts, Level, Protection, RetirementCategory, get_jurisdiction
from workflow.compliance.derive import derive, medical_period_months
from workflow.compliance.retirement import add_months, near_retirement, retirement
from workflow.model import Ground

CN = get_jurisdiction("cn")
G = Ground
M = RetirementCategory.MALE


def facts(ground: Ground = G.CIRCUMSTANCES, hired: date = date(2008, 1, 1),
          last_day: date = date(2026, 6, 30), **extra) -> CaseFacts:
    return CaseFacts(ground=ground, hired=hired, last_day=last_day, avg_wage=D(10000),
                     local_avg=D(12000), **extra)


def codes(a) -> set[str]:
    return {f.code for f in a.findings}


def protected(f: CaseFacts) -> bool:
    return Protection.NEAR_RETIREMENT in derive(f).facts.protections


# --- Art. 42(5) from the birth date ----------------------------------------------------------


@pytest.mark.parametrize(("birth", "category", "hired", "last_day", "expected"), [
    # T15: retires 2026-07-10, 18 years' service → protected.
    (date(1966, 3, 10), M, date(2008, 1, 1), date(2026, 6, 30), True),
    # One day short of 15 years' service (hired 2011-07-01, 15 years end 2026-06-30 inclusive).
    (date(1966, 3, 10), M, date(2011, 7, 2), date(2026, 6, 30), False),
    # Exactly 15 years, inclusive of the last day.
    (date(1966, 3, 10), M, date(2011, 7, 1), date(2026, 6, 30), True),
    # Exactly five years before retirement is not "less than five years".
    (date(1970, 1, 15), M, date(2000, 1, 1), add_months(retirement(date(1970, 1, 15), M).on,
                                                       -60), False),
    (date(1970, 1, 15), M, date(2000, 1, 1), add_months(retirement(date(1970, 1, 15), M).on,
                                                       -60) + timedelta(days=1), True),
    # A woman worker born 1976-02-01: 50 + 1 y 1 m (the tables' 13 months) → 2027-03-01.
    (date(1976, 2, 1), RetirementCategory.FEMALE_WORKER, date(2005, 1, 1), date(2024, 6, 30),
     True),
    # A cadre born 1980-06-01 retires in 2038; in 2030 she is 8 years away.
    (date(1980, 6, 1), RetirementCategory.FEMALE_CADRE, date(2005, 1, 1), date(2030, 6, 30),
     False),
])
def test_article_42_5_derived(birth, category, hired, last_day, expected):
    f = facts(hired=hired, last_day=last_day, birth_date=birth, retirement_category=category)
    assert protected(f) is expected
    a = CN.assess(f)
    assert (("protected.near_retirement", "LCL Art. 42(5)") in
            [(x.code, x.article) for x in a.findings if x.level == Level.BLOCKING]) is expected


def test_a_typed_near_retirement_flag_the_dates_contradict_is_overruled():
    f = facts(birth_date=date(1980, 1, 1), retirement_category=M,
              protections=frozenset({Protection.NEAR_RETIREMENT}))
    a = CN.assess(f)
    assert not a.blocked and "near_retirement_overruled" in codes(a)
    short = CN.assess(facts(hired=date(2020, 1, 1),
                            protections=frozenset({Protection.NEAR_RETIREMENT})))
    assert not short.blocked and "near_retirement_short_service" in codes(short)


def test_unknown_birth_date_says_what_could_not_be_ruled_out():
    a = CN.assess(facts())  # 18 years' service, birth date unknown
    finding = next(f for f in a.findings if f.code == "near_retirement_unknown")
    assert finding.level == Level.WARNING and finding.article == "LCL Art. 42(5)"
    assert "near_retirement_unknown" not in codes(CN.assess(facts(hired=date(2020, 1, 1))))


def test_the_ten_days_short_man_of_the_issue_is_protected_without_a_tick():
    # Hired 18 years ago, 10 days before retirement: protected without anyone ticking a box.
    birth = date(1965, 6, 20)
    due = retirement(birth, M).on
    f = facts(hired=due - timedelta(days=18 * 366), last_day=due - timedelta(days=10),
              birth_date=birth, retirement_category=M)
    assert CN.assess(f).blocked


# --- probation (Art. 19/21/39(1)/83) -----------------------------------------------------------


def test_a_2021_hire_is_not_in_probation_in_2024():
    f = facts(hired=date(2021, 3, 1), last_day=date(2024, 6, 30), in_probation=True,
              probation_end=date(2021, 8, 31), contract_start=date(2021, 3, 1),
              contract_end=date(2024, 2, 28 + 1))
    a = CN.assess(f)
    assert "in_probation_overruled" in codes(a) and "probation_ground" not in codes(a)


def test_probation_past_the_lawful_limit_is_not_probation():
    # A one-year contract allows two months; six were agreed. Day 100 is not probation.
    f = facts(G.PROBATION, hired=date(2024, 1, 1), last_day=date(2024, 4, 10),
              contract_start=date(2024, 1, 1), contract_end=date(2024, 12, 31),
              probation_end=date(2024, 6, 30))
    a = CN.assess(f)
    assert {"probation_past_limit", "probation_over"} <= codes(a) and a.blocked
    inside = CN.assess(replace(f, last_day=date(2024, 2, 20)))
    assert not {"probation_over"} & codes(inside)


def test_probation_dismissal_must_be_decided_within_probation():
    f = facts(G.PROBATION, hired=date(2024, 1, 1), last_day=date(2024, 2, 25),
              contract_start=date(2024, 1, 1), contract_end=date(2026, 12, 31),
              probation_end=date(2024, 2, 29), notice_date=date(2024, 3, 1))
    assert "probation_decided_late" in codes(CN.assess(f))


# --- medical period and notice -----------------------------------------------------------------


@pytest.mark.parametrize(("total", "here", "months"), [
    (3, 3, 3), (9, 5, 6), (10, 0, 6), (12, 4, 6), (12, 5, 9), (15, 10, 12), (25, 15, 18),
    (30, 20, 24)])
def test_medical_period_table(total, here, months):
    assert medical_period_months(total, here) == months


def test_medical_period_derived_from_sick_leave_start():
    base = {"hired": date(2020, 1, 1), "sick_since": date(2024, 1, 15), "work_years": 6}
    inside = CN.assess(facts(G.ILLNESS, last_day=date(2024, 4, 10), **base))  # 3 months
    assert ("protected.medical_period", "LCL Art. 42(3)") in [
        (f.code, f.article) for f in inside.findings if f.level == Level.BLOCKING]
    after = CN.assess(facts(G.ILLNESS, last_day=date(2024, 6, 30),
                            protections=frozenset({Protection.MEDICAL_PERIOD}), **base))
    assert "medical_period_overruled" in codes(after) and "protected.medical_period" not in codes(
        after)
    assert "medical_period_unknown" in codes(CN.assess(facts(G.ILLNESS)))


def test_notice_period_from_the_notice_date():
    short = CN.assess(facts(G.INCOMPETENT, last_day=date(2024, 6, 30),
                            notice_date=date(2024, 6, 10)))
    found = next(f for f in short.findings if f.code == "notice_too_short")
    assert found.level == Level.BLOCKING and found.params["earliest"] == date(2024, 7, 10)
    enough = CN.assess(facts(G.INCOMPETENT, last_day=date(2024, 7, 10),
                             notice_date=date(2024, 6, 10)))
    assert "notice_served" in codes(enough) and "notice_too_short" not in codes(enough)
    paid = CN.assess(facts(G.INCOMPETENT, last_day=date(2024, 6, 30), pay_in_lieu=True,
                           prev_wage=D(9000), notice_date=date(2024, 6, 10)))
    assert "notice_too_short" not in codes(paid)


# --- properties -----------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=200_000, places=2)
days = st.integers(0, 40 * 366)


@st.composite
def dated_facts(draw) -> CaseFacts:
    hired = draw(st.dates(min_value=date(1985, 1, 1), max_value=date(2030, 12, 31)))
    last_day = hired + timedelta(days=draw(days))
    birth = hired - timedelta(days=draw(st.integers(16 * 366, 45 * 366)))
    start = hired + timedelta(days=draw(st.integers(0, 400)))
    open_ended = draw(st.booleans())
    end = None if open_ended else start + timedelta(days=draw(st.integers(0, 12 * 366)))
    maybe = st.none() | st.just(True)
    return CaseFacts(
        ground=draw(st.sampled_from(Ground)),
        hired=hired,
        last_day=last_day,
        avg_wage=draw(amounts),
        prev_wage=draw(st.none() | amounts),
        local_avg=draw(st.none() | amounts),
        min_wage=draw(st.none() | amounts),
        pay_in_lieu=draw(st.booleans()),
        notice_served=draw(st.booleans()),
        in_probation=draw(st.booleans()),
        protections=draw(st.frozensets(st.sampled_from(Protection))),
        union=draw(st.sampled_from([None, "yes", "no"])),
        union_notified=draw(st.booleans()),
        birth_date=birth if draw(maybe) else None,
        retirement_category=draw(st.sampled_from(RetirementCategory)),
        contract_start=start if draw(maybe) else None,
        contract_end=end,
        open_ended=open_ended,
        probation_end=start + timedelta(days=draw(st.integers(0, 400))) if draw(maybe) else None,
        notice_date=last_day - timedelta(days=draw(st.integers(0, 90))) if draw(maybe) else None,
        sick_since=last_day - timedelta(days=draw(st.integers(0, 900))) if draw(maybe) else None,
        work_years=draw(st.none() | st.integers(0, 45)),
        headcount=draw(st.none() | st.integers(100, 5000)),
        reduced=draw(st.none() | st.integers(0, 100)),
        renewal_offered=draw(st.none() | st.sampled_from(["same", "better", "worse", "none"])),
        employee_declined=draw(st.booleans()),
        employee_wants_renewal=draw(st.none() | st.booleans()),
        fixed_terms=draw(st.none() | st.integers(1, 4)),
        work_injury_grade=draw(st.none() | st.integers(1, 10)),
    )


@settings(max_examples=300, deadline=None)
@given(dated_facts())
def test_a_derived_flag_never_disagrees_with_the_dates(f: CaseFacts):
    d = derive(f)
    if f.birth_date is not None:
        due = retirement(f.birth_date, f.retirement_category).on
        assert (Protection.NEAR_RETIREMENT in d.facts.protections) is near_retirement(
            f.hired, f.last_day, due)
    if f.probation_end is not None and d.probation_ends is None:
        assert not d.facts.in_probation  # the term allows no probation at all
    elif f.probation_end is not None:
        assert d.facts.in_probation is (f.last_day <= d.probation_ends)
        assert d.probation_ends <= f.probation_end
    if f.sick_since is not None:
        decided = f.notice_date or f.last_day
        assert (Protection.MEDICAL_PERIOD in d.facts.protections) is (
            decided <= d.medical_period_ends)
    if f.notice_date is not None:
        assert d.facts.notice_served is (f.last_day >= f.notice_date + timedelta(days=30))


@settings(max_examples=300, deadline=None)
@given(dated_facts())
def test_risk_never_silently_below_lawful_and_minimum_wage_always_checked(f: CaseFacts):
    a = CN.assess(f)
    s = a.settlement
    if s.unlawful_risk < s.compensation:
        assert "risk_below_lawful" in codes(a)
    assert codes(a) & {"min_wage_unknown", "min_wage_checked", "floor_applied"}
    if f.min_wage is None:
        assert next(x.level for x in a.findings if x.code == "min_wage_unknown") == Level.WARNING
    if f.ground not in a.allowed_grounds:
        assert a.blocked
    for locale in ("zh-CN", "en"):
        assert all(x.message(locale) and x.cite(locale) for x in a.findings)
