"""Settlement arithmetic (LCL Art. 47/97, Regs 20/25/27): the public vectors and the edge cases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.compliance import (
    CaseFacts,
    Convention,
    Level,
    Pre2008Rounding,
    Protection,
    get_jurisdiction,
    money,
)
from workflow.compliance.service import Span, months_later, span
from workflow.model import Ground

CN = get_jurisdiction("cn")


def assess(ground: Ground, hired: str, last_day: str, avg: int | str, **extra):
    facts = CaseFacts(ground=ground, hired=date.fromisoformat(hired),
                      last_day=date.fromisoformat(last_day), avg_wage=D(str(avg)), **extra)
    return CN.assess(facts)


def codes(assessment) -> set[str]:
    return {f.code for f in assessment.findings}


# --- public vectors -------------------------------------------------------------------------


def test_t1_incompetent_with_pay_in_lieu():
    a = assess(Ground.INCOMPETENT, "2019-03-15", "2024-06-30", 12000, local_avg=D(10000),
               prev_wage=D(12500), pay_in_lieu=True)
    s = a.settlement
    assert (s.n, s.compensation, s.pay_in_lieu, s.total) == (D("5.5"), 66000, 12500, 78500)
    assert not s.capped and not a.blocked


def test_t2_mutual_employer_proposed_five_months():
    s = assess(Ground.MUTUAL, "2024-01-01", "2024-05-31", 8000, proposed_by="employer").settlement
    assert (s.n, s.compensation, s.total) == (D("0.5"), 4000, 4000)


def test_t3_exactly_six_months_counts_as_a_year():
    s = assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-06-30", 9000).settlement
    assert (s.n, s.compensation) == (1, 9000)


def test_t3_one_day_short_of_six_months_is_half_a_year():
    s = assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-06-29", 9000).settlement
    assert (s.n, s.compensation) == (D("0.5"), 4500)


def test_t4_cap_limits_base_and_years():
    a = assess(Ground.CIRCUMSTANCES, "2008-03-01", "2024-12-31", 45000, local_avg=D(12000),
               notice_served=True)
    s = a.settlement
    assert s.capped and s.base == 36000 and s.n == 12 and s.compensation == 432000
    assert s.pay_in_lieu == 0 and s.total == 432000
    assert "cap_applied" in codes(a) and "notice_served" in codes(a)
    service = next(line for line in s.lines if line.key == "service")
    assert service.value == 17  # N 17 → 12, both shown
    assert any(line.key == "n_cap" and line.value == 12 for line in s.lines)


def test_t4b_below_cap_keeps_all_years():
    s = assess(Ground.CIRCUMSTANCES, "2008-03-01", "2024-12-31", 30000,
               local_avg=D(12000)).settlement
    assert not s.capped and s.base == 30000 and s.n == 17 and s.compensation == 510000


def test_t5_summary_dismissal_pays_nothing():
    a = assess(Ground.MISCONDUCT, "2020-01-01", "2024-06-30", 10000, prev_wage=D(10000),
               pay_in_lieu=True)
    s = a.settlement
    assert (s.compensation, s.pay_in_lieu, s.total) == (0, 0, 0)
    assert a.notice.days == 0 and not a.notice.pay_in_lieu_allowed


@pytest.mark.parametrize(("proposer", "expected"), [("employer", 70000), ("employee", 0)])
def test_t6_mutual_depends_on_who_proposed(proposer, expected):
    s = assess(Ground.MUTUAL, "2021-09-01", "2024-11-15", 20000, proposed_by=proposer).settlement
    assert s.n == D("3.5") and s.compensation == expected


# --- service counting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end_exclusive", "expected"),
    [
        ("2019-03-15", "2024-07-01", Span(5, 3, 16)),
        ("2024-01-31", "2024-02-29", Span(0, 0, 29)),
        ("2024-01-31", "2024-03-01", Span(0, 1, 0)),  # all of February served
        ("2023-01-31", "2023-02-28", Span(0, 0, 28)),
        ("2024-02-29", "2025-02-28", Span(0, 11, 30)),
        ("2024-02-29", "2025-03-01", Span(1, 0, 0)),
        ("2023-08-31", "2024-02-28", Span(0, 5, 28)),  # Feb 29 2024 is the last day of month 6
        ("2024-05-01", "2024-05-01", Span(0, 0, 0)),
        ("2024-05-02", "2024-05-01", Span(0, 0, 0)),
    ],
)
def test_span_counts_calendar_months(start, end_exclusive, expected):
    assert span(date.fromisoformat(start), date.fromisoformat(end_exclusive)) == expected


def test_months_later_rolls_a_missing_day_into_the_next_month():
    assert months_later(date(2024, 1, 31), 1) == date(2024, 3, 1)
    assert months_later(date(2024, 11, 30), 3) == date(2025, 3, 1)
    assert months_later(date(2024, 12, 31), 2) == date(2025, 3, 1)
    assert months_later(date(2024, 11, 30), 1) == date(2024, 12, 30)
    assert months_later(date(2024, 5, 15), -5) == date(2023, 12, 15)


def test_six_months_from_a_month_end_needs_the_whole_sixth_month():
    assert assess(Ground.CIRCUMSTANCES, "2023-08-31", "2024-02-28", 9000).settlement.n == D("0.5")
    assert assess(Ground.CIRCUMSTANCES, "2023-08-31", "2024-02-29", 9000).settlement.n == 1


def test_single_day_of_service_is_half_a_year():
    assert assess(Ground.CIRCUMSTANCES, "2024-05-01", "2024-05-01", 9000).settlement.n == D("0.5")


def test_whole_years_get_no_fraction():
    s = assess(Ground.CIRCUMSTANCES, "2020-07-01", "2024-06-30", 9000).settlement
    assert s.n == 4 and s.compensation == 36000


def test_exclusive_convention_does_not_count_the_last_day():
    s = assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-06-30", 9000,
               convention=Convention(inclusive_last_day=False)).settlement
    assert s.n == D("0.5")


def test_strict_six_months_convention_needs_more_than_six_months():
    strict = Convention(six_months_is_full=False)
    assert assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-06-30", 9000,
                  convention=strict).settlement.n == D("0.5")
    assert assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-07-01", 9000,
                  convention=strict).settlement.n == 1


# --- wage base: floor and cap ---------------------------------------------------------------


def test_floor_raises_base_to_minimum_wage():
    a = assess(Ground.CIRCUMSTANCES, "2022-01-01", "2024-06-30", 2000, min_wage=D(2690))
    s = a.settlement
    assert s.base == 2690 and s.n == 3 and s.compensation == 8070
    assert "floor_applied" in codes(a)


def test_floor_leaves_higher_wage_alone():
    a = assess(Ground.CIRCUMSTANCES, "2022-01-01", "2024-06-30", 2690, min_wage=D(2690))
    assert a.settlement.base == 2690 and "floor_applied" not in codes(a)


def test_base_exactly_three_times_local_average_is_not_capped():
    s = assess(Ground.CIRCUMSTANCES, "2008-03-01", "2024-12-31", 36000,
               local_avg=D(12000)).settlement
    assert not s.capped and s.base == 36000 and s.n == 17 and s.compensation == 612000


def test_one_cent_above_three_times_is_capped():
    s = assess(Ground.CIRCUMSTANCES, "2008-03-01", "2024-12-31", "36000.01",
               local_avg=D(12000)).settlement
    assert s.capped and s.base == 36000 and s.n == 12


def test_cap_with_fewer_than_twelve_years_keeps_the_years():
    s = assess(Ground.CIRCUMSTANCES, "2020-01-01", "2024-12-31", 45000,
               local_avg=D(12000)).settlement
    assert s.capped and s.n == 5 and s.compensation == 180000


def test_unknown_local_average_is_a_warning_and_no_cap():
    a = assess(Ground.CIRCUMSTANCES, "2008-03-01", "2024-12-31", 45000)
    assert not a.settlement.capped and a.settlement.n == 17
    warning = next(f for f in a.findings if f.code == "local_avg_unknown")
    assert warning.level == Level.WARNING and warning.article == "LCL Art. 47"


def test_amounts_round_half_up_to_cents():
    assert money(D("0.005")) == D("0.01") and money(D("2.675")) == D("2.68")
    s = assess(Ground.CIRCUMSTANCES, "2024-01-01", "2024-03-31", "1234.565").settlement
    assert s.base == D("1234.57") and s.compensation == D("617.29")


# --- pay in lieu ----------------------------------------------------------------------------


def test_pay_in_lieu_uses_previous_month_not_average():
    s = assess(Ground.ILLNESS, "2020-01-01", "2024-06-30", 12000, prev_wage=D("9876.54"),
               pay_in_lieu=True).settlement
    assert s.pay_in_lieu == D("9876.54") and s.total == s.compensation + D("9876.54")


def test_pay_in_lieu_only_for_article_40():
    s = assess(Ground.MUTUAL, "2020-01-01", "2024-06-30", 12000, prev_wage=D(12000),
               pay_in_lieu=True, proposed_by="employer").settlement
    assert s.pay_in_lieu == 0


def test_pay_in_lieu_without_previous_wage_blocks():
    a = assess(Ground.INCOMPETENT, "2020-01-01", "2024-06-30", 12000, pay_in_lieu=True)
    finding = next(f for f in a.findings if f.code == "prev_wage_missing")
    assert a.blocked and finding.article == "Regs Art. 20"
    assert a.settlement.pay_in_lieu == 0


# --- pre-2008 service (Art. 97) -------------------------------------------------------------


def test_pre2008_segment_is_separate_and_flagged():
    a = assess(Ground.CIRCUMSTANCES, "2005-07-01", "2024-12-31", 20000, local_avg=D(12000))
    pre, post = a.settlement.segments
    assert (pre.key, pre.start, pre.end, pre.n) == ("pre2008", date(2005, 7, 1),
                                                     date(2007, 12, 31), 3)  # 2 y 6 m → 3
    assert (post.key, post.start, post.n) == ("post2008", date(2008, 1, 1), 17)
    assert a.settlement.n == 20 and a.settlement.compensation == 400000
    flag = next(f for f in a.findings if f.code == "pre2008_review")
    assert flag.level == Level.WARNING and flag.article == "LCL Art. 97"


@pytest.mark.parametrize(
    ("rounding", "pre_n"),
    [
        (Pre2008Rounding.PARTIAL_AS_YEAR, D(2)),  # 1 y 2 m: a started year counts
        (Pre2008Rounding.FULL_YEARS, D(1)),
        (Pre2008Rounding.ART47, D("1.5")),
    ],
)
def test_pre2008_rounding_setting(rounding, pre_n):
    s = assess(Ground.CIRCUMSTANCES, "2006-11-01", "2024-12-31", 10000,
               convention=Convention(pre2008=rounding)).settlement
    assert s.segments[0].n == pre_n and s.segments[0].rounding == rounding
    assert s.segments[1].n == 17


def test_pre2008_whole_years_agree_across_roundings():
    for rounding in Pre2008Rounding:
        s = assess(Ground.CIRCUMSTANCES, "2006-01-01", "2024-12-31", 10000,
                   convention=Convention(pre2008=rounding)).settlement
        assert [g.n for g in s.segments] == [2, 17]


def test_pre2008_segment_ignores_the_new_cap_but_risk_counts_from_hire():
    # The 3× cap and the 12-year limit are LCL rules: they bind the post-2008 segment only.
    a = assess(Ground.CIRCUMSTANCES, "2005-01-01", "2024-12-31", 45000, local_avg=D(12000))
    pre, post = a.settlement.segments
    assert (pre.n, pre.base, pre.amount) == (3, 45000, 135000)
    assert (post.n, post.base, post.amount) == (12, 36000, 432000)
    # Regs Art. 25: damages count years from the start of employment, under Art. 47.
    assert a.settlement.risk_n == 12 and a.settlement.unlawful_risk == 2 * 36000 * 12


def test_pre2008_old_rule_cap_for_agreement_and_incompetence():
    mutual = assess(Ground.MUTUAL, "1990-01-01", "2024-12-31", 10000, proposed_by="employer")
    circumstances = assess(Ground.CIRCUMSTANCES, "1990-01-01", "2024-12-31", 10000)
    assert mutual.settlement.segments[0].n == 12
    assert circumstances.settlement.segments[0].n == 18


def test_service_ending_before_2008_has_only_the_old_segment():
    s = assess(Ground.CIRCUMSTANCES, "2005-03-01", "2007-06-30", 5000).settlement
    assert [g.key for g in s.segments] == ["pre2008"] and s.n == 3


def test_hire_on_2008_01_01_has_no_old_segment():
    a = assess(Ground.CIRCUMSTANCES, "2008-01-01", "2024-12-31", 5000)
    assert [g.key for g in a.settlement.segments] == ["post2008"]
    assert "pre2008_review" not in codes(a)


# --- unlawful-termination risk --------------------------------------------------------------


def test_risk_is_twice_the_article_47_amount_even_when_no_compensation_is_owed():
    s = assess(Ground.MISCONDUCT, "2019-03-15", "2024-06-30", 12000).settlement
    assert s.compensation == 0 and s.risk_n == D("5.5") and s.unlawful_risk == 132000


def test_blocked_case_reports_the_risk_figure():
    a = assess(Ground.CIRCUMSTANCES, "2020-01-01", "2024-06-30", 10000,
               protections=frozenset({Protection.PREGNANT}))
    risk = next(f for f in a.findings if f.code == "unlawful_risk")
    assert risk.params["amount"] == 2 * 10000 * 5  # 4 y 6 m → 5
    assert "100,000.00" in risk.message("en") and "100,000.00" in risk.message("zh-CN")


# --- the arithmetic as text -----------------------------------------------------------------


def test_lines_show_formula_amount_and_article_in_both_languages():
    s = assess(Ground.INCOMPETENT, "2019-03-15", "2024-06-30", 12000, local_avg=D(10000),
               prev_wage=D(12500), pay_in_lieu=True).settlement
    en, zh = s.lines_text("en"), s.lines_text("zh-CN")
    assert "Economic compensation (base × years): 12,000.00 × 5.5 = 66,000.00 (LCL Art. 47)" in en
    assert "Total payable: 66,000.00 + 12,500.00 = 78,500.00" in en
    assert any("12,000.00 × 5.5 = 66,000.00" in line and "《劳动合同法》第47条" in line
               for line in zh)
    assert any(line.startswith("工作年限（2019-03-15 至 2024-06-30，5年3个月16天）") for line in zh)
    assert len(en) == len(zh) == len(s.lines)


# --- properties -----------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False,
                      allow_infinity=False)


@st.composite
def case_facts(draw) -> CaseFacts:
    hired = draw(st.dates(min_value=date(1975, 1, 1), max_value=date(2030, 12, 31)))
    last_day = hired + timedelta(days=draw(st.integers(0, 50 * 366)))
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
        proposed_by=draw(st.sampled_from([None, "employer", "employee"])),
        in_probation=draw(st.booleans()),
        written_reasons=draw(st.booleans()),
        contract_months=draw(st.none() | st.integers(0, 240)),
        open_ended=draw(st.booleans()),
        probation_months=draw(st.none() | st.integers(0, 24)),
        protections=draw(st.frozensets(st.sampled_from(Protection))),
        union_notified=draw(st.booleans()),
        convention=Convention(
            inclusive_last_day=draw(st.booleans()),
            six_months_is_full=draw(st.booleans()),
            pre2008=draw(st.sampled_from(Pre2008Rounding)),
        ),
    )


@settings(max_examples=400, deadline=None)
@given(case_facts())
def test_assess_properties(facts: CaseFacts):
    a = CN.assess(facts)
    s = a.settlement
    assert s.compensation >= 0 and s.pay_in_lieu >= 0
    assert s.total == s.compensation + s.pay_in_lieu
    assert s.compensation == sum(g.amount for g in s.segments)
    assert s.unlawful_risk == 2 * money(s.base * s.risk_n)
    post = [g for g in s.segments if g.key == "post2008"]
    if s.capped:
        assert s.risk_n <= 12 and all(g.n <= 12 for g in post)
        if facts.hired >= date(2008, 1, 1):
            assert s.n <= 12
    if facts.hired >= date(2008, 1, 1) and s.compensation > 0:
        assert s.unlawful_risk == 2 * s.compensation
    if facts.ground not in a.allowed_grounds:
        assert a.blocked
    assert a.blocked == any(f.level == Level.BLOCKING for f in a.findings)
    for locale in ("zh-CN", "en"):  # every text renders with its parameters
        assert all(f.message(locale) and f.cite(locale) for f in a.findings)
        assert len(s.lines_text(locale)) == len(s.lines)
