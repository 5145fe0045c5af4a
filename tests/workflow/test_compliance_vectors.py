"""Every public vector T1–T16 of COMPLIANCE.md through the pure function, plus the new grounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from workflow.compliance import CaseFacts, InvalidFacts, Level, Protection, get_jurisdiction
from workflow.model import Ground

CN = get_jurisdiction("cn")
G = Ground


def assess(ground: Ground, hired: str, last_day: str, avg: int = 10000, **extra):
    return CN.assess(CaseFacts(ground=ground, hired=date.fromisoformat(hired),
                               last_day=date.fromisoformat(last_day), avg_wage=D(avg), **extra))


def blocking(a) -> list[tuple[str, str]]:
    return [(f.code, f.article) for f in a.findings if f.level == Level.BLOCKING]


def codes(a) -> set[str]:
    return {f.code for f in a.findings}


def money(a) -> tuple[D, D, D, D]:
    s = a.settlement
    return s.n, s.compensation, s.pay_in_lieu, s.total


def test_t1():
    a = assess(G.INCOMPETENT, "2019-03-15", "2024-06-30", 12000, local_avg=D(10000),
               prev_wage=D(12500), pay_in_lieu=True)
    assert money(a) == (D("5.5"), 66000, 12500, 78500)


def test_t2():
    assert money(assess(G.MUTUAL, "2024-01-01", "2024-05-31", 8000, proposed_by="employer")) == (
        D("0.5"), 4000, 0, 4000)


def test_t3():
    assert money(assess(G.CIRCUMSTANCES, "2024-01-01", "2024-06-30", 9000))[:2] == (1, 9000)
    assert money(assess(G.CIRCUMSTANCES, "2024-01-01", "2024-06-29", 9000))[:2] == (
        D("0.5"), 4500)


@pytest.mark.parametrize(("avg", "base", "n", "total", "capped"),
                         [(45000, 36000, 12, 432000, True), (30000, 30000, 17, 510000, False)])
def test_t4_and_t4b(avg, base, n, total, capped):
    a = assess(G.CIRCUMSTANCES, "2008-03-01", "2024-12-31", avg, local_avg=D(12000),
               notice_date=date(2024, 11, 1))
    s = a.settlement
    assert (s.base, s.n, s.compensation, s.capped) == (base, n, total, capped)
    assert "notice_served" in codes(a)  # derived from the notice date: 60 days before


def test_t5():
    a = assess(G.MISCONDUCT, "2020-01-01", "2024-06-30")
    assert money(a)[1:] == (0, 0, 0) and a.notice.days == 0 and not a.blocked
    assert "certificate_required" in codes(a)


@pytest.mark.parametrize(("proposer", "amount"), [("employer", 70000), ("employee", 0)])
def test_t6(proposer, amount):
    a = assess(G.MUTUAL, "2021-09-01", "2024-11-15", 20000, proposed_by=proposer)
    assert money(a)[:2] == (D("3.5"), amount)


def test_t8():
    a = assess(G.CIRCUMSTANCES, "2020-01-01", "2024-06-30",
               protections=frozenset({Protection.MATERNITY}))
    assert blocking(a) == [("protected.maternity", "LCL Art. 42(4)")]
    assert {G.MUTUAL, G.MISCONDUCT} <= set(a.allowed_grounds)


def test_t9():
    a = assess(G.CIRCUMSTANCES, "2024-04-01", "2024-06-30", in_probation=True)
    assert blocking(a) == [("probation_ground", "LCL Art. 21")]
    assert {G.PROBATION, G.MISCONDUCT, G.ILLNESS, G.INCOMPETENT} <= set(a.allowed_grounds)


def test_t10_expiry_without_renewal_pays_n():
    a = assess(G.EXPIRY, "2015-07-01", "2025-06-30", contract_end=date(2025, 6, 30),
               renewal_offered="none")
    assert money(a)[:2] == (10, 100000) and not a.blocked
    assert a.article == "LCL Art. 44(1)"
    assert {f.article for f in a.findings if f.code == "expiry_compensation"} == {
        "LCL Art. 46(5)"}
    # Ten years' service: the Art. 14 right is a warning until the employee's wish is recorded.
    assert "open_ended_right_unknown" in codes(a)


def test_t11_renewal_on_same_terms_declined_pays_nothing():
    a = assess(G.EXPIRY, "2015-07-01", "2025-06-30", contract_end=date(2025, 6, 30),
               renewal_offered="same", employee_declined=True)
    assert money(a)[1:] == (0, 0, 0) and not a.blocked and "renewal_declined" in codes(a)
    worse = assess(G.EXPIRY, "2015-07-01", "2025-06-30", contract_end=date(2025, 6, 30),
                   renewal_offered="worse", employee_declined=True)
    assert worse.settlement.compensation == 100000  # declining worse terms keeps the money


def test_t12_expiry_counts_from_2008_only():
    a = assess(G.EXPIRY, "2005-03-01", "2024-02-29", 8000, contract_end=date(2024, 2, 29))
    assert money(a)[:2] == (D("16.5"), 132000)
    assert [seg.key for seg in a.settlement.segments] == ["post2008"]
    assert "service_from_2008" in codes(a)


def test_t13_expiry_during_pregnancy_is_extended():
    a = assess(G.EXPIRY, "2020-01-01", "2024-12-31", contract_end=date(2024, 12, 31),
               protections=frozenset({Protection.PREGNANT}))
    assert blocking(a) == [("expiry_extended.pregnant", "LCL Art. 45, 42(4)")]


def test_t14_union_not_notified_blocks_with_the_2n_risk():
    a = assess(G.CIRCUMSTANCES, "2020-01-01", "2024-06-30", union="yes")
    assert blocking(a) == [("union_required", "LCL Art. 43; SPC Art. 47")]
    risk = next(f for f in a.findings if f.code == "unlawful_risk")
    assert risk.params["amount"] == 2 * a.settlement.compensation == 100000
    assert not assess(G.CIRCUMSTANCES, "2020-01-01", "2024-06-30", union="yes",
                      union_notified=True).blocked
    assert "union_none" in codes(assess(G.CIRCUMSTANCES, "2020-01-01", "2024-06-30", union="no"))
    for ground in (G.MUTUAL, G.EXPIRY):  # Art. 36 and 44 need no union notice
        assert not {"union_required", "union_none", "union_not_notified"} & codes(
            assess(ground, "2020-01-01", "2024-06-30", union="yes"))


def test_t15_near_retirement_derived_from_the_birth_date():
    a = assess(G.CIRCUMSTANCES, "2008-01-01", "2026-06-30", birth_date=date(1966, 3, 10),
               retirement_category="male")
    assert blocking(a) == [("protected.near_retirement", "LCL Art. 42(5)")]
    dated = next(f for f in a.findings if f.code == "retirement_date")
    assert dated.params == {"date": date(2026, 7, 10), "years": 60, "months": 4}
    assert "near_retirement_derived" in codes(a)


@pytest.mark.parametrize(("reduced", "code", "article"), [
    (12, "layoff_collective", "LCL Art. 41"),  # 12 % of 100
    (10, "layoff_collective", "LCL Art. 41"),  # exactly 10 %
    (20, "layoff_collective", "LCL Art. 41"),
    (5, "layoff_below_threshold", "LCL Art. 41, 40(3)"),
    (9, "layoff_below_threshold", "LCL Art. 41, 40(3)"),
])
def test_t16_layoff_threshold(reduced, code, article):
    a = assess(G.LAYOFF, "2020-01-01", "2024-06-30", headcount=100, reduced=reduced)
    assert (code, article) in blocking(a)


@pytest.mark.parametrize(("headcount", "reduced"), [(100, 12), (100, 10), (100, 9), (100, 5), (1000, 20),
                                                  (1000, 19), (1, 1)])
def test_t16_a_round_alone_gets_the_finding_the_assessment_gives(headcount, reduced):
    """What opening a layoff is told is the assessment's own finding for the same numbers."""
    alone = get_jurisdiction("cn").layoff_round(headcount, reduced)
    a = assess(G.LAYOFF, "2020-01-01", "2024-06-30", headcount=headcount, reduced=reduced)
    assert alone in a.findings


@pytest.mark.parametrize(("headcount", "reduced", "code"), [
    (10, 12, "reduced_above_headcount"), (0, 0, "headcount_zero"), (0, 3, "headcount_zero"),
    (100, 0, "reduced_zero"), (-5, 1, "headcount_zero"),
])
def test_t16_numbers_that_are_no_round_are_invalid(headcount, reduced, code):
    with pytest.raises(InvalidFacts) as raised:
        get_jurisdiction("cn").layoff_round(headcount, reduced)
    assert raised.value.code == code


def test_t16_twenty_people_is_collective_whatever_the_share():
    a = assess(G.LAYOFF, "2020-01-01", "2024-06-30", headcount=1000, reduced=20)
    assert ("layoff_collective", "LCL Art. 41") in blocking(a)
    b = assess(G.LAYOFF, "2020-01-01", "2024-06-30", headcount=1000, reduced=19)
    assert ("layoff_below_threshold", "LCL Art. 41, 40(3)") in blocking(b)


# --- the other new grounds --------------------------------------------------------------------


@pytest.mark.parametrize(("ground", "article"), [
    (G.DERELICTION, "LCL Art. 39(3)"), (G.SECOND_JOB, "LCL Art. 39(4)"),
    (G.FRAUD, "LCL Art. 39(5), 26(1)"), (G.CRIMINAL, "LCL Art. 39(6)")])
def test_article_39_grounds_no_notice_no_money(ground, article):
    a = assess(ground, "2020-01-01", "2024-06-30", union_notified=True)
    assert a.article == article and not a.blocked and a.settlement.total == 0
    assert a.notice.days == 0 and {"summary_dismissal", "certificate_required"} <= codes(a)
    assert CN.unilateral_allowed(ground)
    # Protected status does not bar Art. 39; a union that was not told does.
    pregnant = assess(ground, "2020-01-01", "2024-06-30", union_notified=True,
                      protections=frozenset({Protection.PREGNANT}))
    assert not pregnant.blocked
    assert assess(ground, "2020-01-01", "2024-06-30", union="yes").blocked


def test_retirement_blocked_before_the_date_and_free_after():
    born = {"birth_date": date(1966, 3, 10), "retirement_category": "male"}
    early = assess(G.RETIREMENT, "2008-01-01", "2026-07-09", **born)
    assert blocking(early) == [("retirement_not_reached", "LCL Art. 44(2); Regs Art. 21")]
    due = assess(G.RETIREMENT, "2008-01-01", "2026-07-10", **born)
    assert not due.blocked and due.settlement.total == 0 and "retirement_reached" in codes(due)
    unknown = assess(G.RETIREMENT, "2008-01-01", "2026-07-10")
    assert blocking(unknown) == [("retirement_date_unknown", "LCL Art. 44(2)")]
    assert G.RETIREMENT not in early.allowed_grounds and G.RETIREMENT in due.allowed_grounds


def test_expiry_documents_say_end_not_rescind():
    for ground in (G.EXPIRY, G.RETIREMENT):
        docs = CN.documents(ground)
        assert [d.kind for d in docs] == ["termination_notice", "settlement_statement",
                                          "termination_certificate"]
        assert docs[0].wording == docs[2].wording == "end"
        a = assess(ground, "1990-01-01", "2026-07-10", birth_date=date(1966, 3, 10),
                   retirement_category="male", contract_end=date(2026, 7, 10))
        finding = next(f for f in a.findings if f.code == "certificate_required_end")
        assert "终止" in finding.message("zh-CN") and "解除" not in finding.message("zh-CN")
    assert CN.documents(G.INCOMPETENT)[0].wording == "rescind"


@pytest.mark.parametrize(("extra", "code"), [
    ({"open_ended": True}, "expiry_open_ended"),
    ({"contract_end": date(2025, 12, 31)}, "expiry_before_end"),
])
def test_expiry_that_is_not_one_is_blocked(extra, code):
    assert code in {c for c, _ in blocking(assess(G.EXPIRY, "2020-01-01", "2025-06-30", **extra))}


@pytest.mark.parametrize(("grade", "code", "level"), [
    (3, "injury_keeps_job", Level.BLOCKING), (5, "injury_ends_on_request", Level.BLOCKING),
    (8, "injury_ends_at_expiry", Level.INFO)])
def test_expiry_with_a_work_injury_follows_the_grade(grade, code, level):
    a = assess(G.EXPIRY, "2020-01-01", "2025-06-30", contract_end=date(2025, 6, 30),
               work_injury_grade=grade)
    assert next(f.level for f in a.findings if f.code == code) == level
    assert a.blocked is (level == Level.BLOCKING)


def test_expiry_extension_names_the_date_when_known():
    a = assess(G.EXPIRY, "2008-01-01", "2024-12-31", contract_end=date(2024, 12, 31),
               birth_date=date(1966, 3, 10), retirement_category="male")
    ext = next(f for f in a.findings if f.code == "expiry_extended_until")
    assert ext.level == Level.BLOCKING and ext.params["until"] == date(2026, 7, 10)


def test_open_ended_right():
    ten = {"contract_end": date(2025, 6, 30)}
    asked = assess(G.EXPIRY, "2015-07-01", "2025-06-30", employee_wants_renewal=True, **ten)
    assert ("open_ended_right", "LCL Art. 14") in blocking(asked)
    declined = assess(G.EXPIRY, "2015-07-01", "2025-06-30", employee_wants_renewal=False, **ten)
    assert not declined.blocked
    second = {"contract_end": date(2025, 6, 30), "fixed_terms": 2, "employee_wants_renewal": True}
    assert assess(G.EXPIRY, "2019-07-01", "2025-06-30", **second).blocked  # binding by default
    local = assess(G.EXPIRY, "2019-07-01", "2025-06-30", second_contract_binding=False, **second)
    assert not local.blocked and "open_ended_right_local" in codes(local)
    first = assess(G.EXPIRY, "2022-07-01", "2025-06-30", contract_end=date(2025, 6, 30),
                   fixed_terms=1, employee_wants_renewal=True)
    assert not first.blocked


def test_every_ground_can_be_named_in_chat_in_both_languages():
    from workflow.commands import GROUND_ALIASES

    named = set(GROUND_ALIASES.values())
    assert named == set(Ground)
    assert GROUND_ALIASES["合同期满"] is G.EXPIRY and GROUND_ALIASES["retirement"] is G.RETIREMENT
    for ground in Ground:
        aliases = [a for a, g in GROUND_ALIASES.items() if g is ground]
        assert any(a.isascii() for a in aliases) and any(not a.isascii() for a in aliases)
