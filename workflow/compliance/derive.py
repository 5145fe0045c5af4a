"""Facts the law defines by dates, computed from the dates instead of trusted as typed flags.

`derive(facts)` returns the facts the rules should use (flags replaced by what the dates say)
and the findings that explain each derivation, each overruled flag and each check the missing
dates left open. Pure: the dates in, the derived facts out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from workflow.compliance.facts import CaseFacts, Protection
from workflow.compliance.findings import Finding, Level
from workflow.compliance.retirement import add_months, near_retirement, retirement
from workflow.compliance.service import span
from workflow.model import Ground

G = Ground
NOTICE_DAYS = 30  # LCL Art. 40
PROTECTED_SERVICE_YEARS = 15  # Art. 42(5)
ART42_5 = "LCL Art. 42(5)"
MEDICAL_ARTICLE = "MP Art. 3"  # the 1994 medical-period rules (劳部发〔1994〕479号)
NOTICE_GROUNDS = frozenset({G.PROBATION, G.ILLNESS, G.INCOMPETENT, G.CIRCUMSTANCES})
# Grounds an Art. 42 situation bars (Art. 40, 41) or extends (Art. 45 for an expiry).
PROTECTION_MATTERS = frozenset({G.ILLNESS, G.INCOMPETENT, G.CIRCUMSTANCES, G.LAYOFF, G.EXPIRY})


@dataclass(frozen=True)
class Derived:
    """The facts to apply the rules to, what the dates gave, and the findings about both."""

    facts: CaseFacts
    findings: tuple[Finding, ...]
    retires_on: date | None = None
    probation_ends: date | None = None  # the lawful end (agreed end, cut at the Art. 19 limit)
    medical_period_ends: date | None = None


def probation_limit(contract_months: int | None, open_ended: bool) -> int | None:
    """The longest probation Art. 19 allows, in months; None when the term is unknown."""
    if open_ended:
        return 6
    if contract_months is None:
        return None
    if contract_months < 3:
        return 0
    if contract_months < 12:
        return 1
    return 2 if contract_months < 36 else 6


def contract_months(facts: CaseFacts) -> int | None:
    """The fixed term in whole months, from the dates when known, else as typed."""
    if facts.contract_end is not None:
        length = span(facts.contract_start or facts.hired, facts.contract_end + timedelta(days=1))
        return length.years * 12 + length.months
    return facts.contract_months


def medical_period_months(total_years: int, years_here: int) -> int:
    """The 1994 rules (Art. 3): 3–24 months by total years of work and years with this employer."""
    if total_years < 10:
        return 3 if years_here < 5 else 6
    for below, months in ((5, 6), (10, 9), (15, 12), (20, 18)):
        if years_here < below:
            return months
    return 24


def derive(facts: CaseFacts) -> Derived:
    found: list[Finding] = []
    protections = set(facts.protections)
    retires_on = _retirement(facts, protections, found)
    probation_ends, in_probation = _probation(facts, found)
    medical_ends = _medical_period(facts, protections, found)
    notice_served = _notice(facts, found)
    if facts.work_injury_grade is not None and Protection.WORK_INJURY not in protections:
        protections.add(Protection.WORK_INJURY)  # a graded work injury is one (Art. 42(2))
    effective = replace(facts, protections=frozenset(protections), in_probation=in_probation,
                        notice_served=notice_served)
    return Derived(effective, tuple(found), retires_on, probation_ends, medical_ends)


def _flag(found: list[Finding], typed: bool, by_dates: bool, codes: tuple[str, str],
          article: str, **params: object) -> None:
    """A finding when the dates overrule a typed flag, or supply one nobody typed.

    codes: (overruled, derived)."""
    if typed and not by_dates:
        found.append(Finding(Level.WARNING, codes[0], article, params))
    elif by_dates and not typed:
        found.append(Finding(Level.INFO, codes[1], article, params))


def _retirement(facts: CaseFacts, protections: set[Protection],
                found: list[Finding]) -> date | None:
    typed = Protection.NEAR_RETIREMENT in protections
    if facts.birth_date is not None and facts.retirement_category is not None:
        due = retirement(facts.birth_date, facts.retirement_category)
        by_dates = near_retirement(facts.hired, facts.last_day, due.on)
        found.append(Finding(Level.INFO, "retirement_date", "Retire Art. 2",
                             {"date": due.on, "years": due.years, "months": due.months}))
        _flag(found, typed, by_dates,
              ("near_retirement_overruled", "near_retirement_derived"), ART42_5, retires_on=due.on)
        protections.discard(Protection.NEAR_RETIREMENT)
        if by_dates:
            protections.add(Protection.NEAR_RETIREMENT)
        return due.on
    served = add_months(facts.hired, PROTECTED_SERVICE_YEARS * 12) - timedelta(days=1)
    if served > facts.last_day:
        # Under 15 years' service Art. 42(5) is ruled out whatever the birth date.
        if typed:
            protections.discard(Protection.NEAR_RETIREMENT)
            found.append(Finding(Level.WARNING, "near_retirement_short_service", ART42_5,
                                 {"hired": facts.hired}))
        return None
    if not typed and facts.ground in PROTECTION_MATTERS:
        found.append(Finding(Level.WARNING, "near_retirement_unknown", ART42_5))
    return None


def _probation(facts: CaseFacts, found: list[Finding]) -> tuple[date | None, bool]:
    if facts.probation_end is None:
        if facts.ground == G.PROBATION and not facts.in_probation:
            return None, False
        if facts.ground == G.PROBATION:
            found.append(Finding(Level.WARNING, "probation_end_unknown", "LCL Art. 19, 39(1)"))
        return None, facts.in_probation
    start = facts.contract_start or facts.hired
    limit = probation_limit(contract_months(facts), facts.open_ended)
    lawful_end = facts.probation_end
    if limit is not None:
        ceiling = add_months(start, limit) - timedelta(days=1)
        if facts.probation_end > ceiling:
            lawful_end = ceiling
            found.append(Finding(Level.WARNING, "probation_past_limit", "LCL Art. 19, 83",
                                 {"agreed": facts.probation_end, "allowed": ceiling,
                                  "months": limit}))
    if lawful_end < start:  # the contract allows no probation at all (term under 3 months)
        _flag(found, facts.in_probation, False, ("in_probation_overruled", "in_probation_derived"),
              "LCL Art. 19, 21", end=lawful_end)
        return None, False
    by_dates = facts.last_day <= lawful_end
    _flag(found, facts.in_probation, by_dates, ("in_probation_overruled", "in_probation_derived"),
          "LCL Art. 19, 21",
          end=lawful_end)
    if facts.ground == G.PROBATION and facts.notice_date is not None \
            and facts.notice_date > lawful_end:
        found.append(Finding(Level.BLOCKING, "probation_decided_late", "LCL Art. 39(1)",
                             {"notice": facts.notice_date, "end": lawful_end}))
    return lawful_end, by_dates


def _medical_period(facts: CaseFacts, protections: set[Protection],
                    found: list[Finding]) -> date | None:
    typed = Protection.MEDICAL_PERIOD in protections
    if facts.sick_since is None:
        if facts.ground == G.ILLNESS:
            found.append(Finding(Level.WARNING, "medical_period_unknown", "LCL Art. 40(1), 42(3)"))
        return None
    here = span(facts.hired, facts.sick_since).years
    total = facts.work_years if facts.work_years is not None else here
    months = medical_period_months(max(total, here), here)
    ends = add_months(facts.sick_since, months) - timedelta(days=1)
    if facts.work_years is None and medical_period_months(99, here) > months:
        # Years with other employers could lengthen it; say what could not be ruled out.
        found.append(Finding(Level.WARNING, "work_years_unknown", MEDICAL_ARTICLE,
                             {"months": months}))
    # The decision is taken when notice is given (or on the last day when none is recorded).
    decided = facts.notice_date or facts.last_day
    by_dates = decided <= ends
    found.append(Finding(Level.INFO, "medical_period", MEDICAL_ARTICLE,
                         {"months": months, "start": facts.sick_since, "end": ends}))
    _flag(found, typed, by_dates, ("medical_period_overruled", "medical_period_derived"),
          "LCL Art. 42(3)", end=ends)
    protections.discard(Protection.MEDICAL_PERIOD)
    if by_dates:
        protections.add(Protection.MEDICAL_PERIOD)
    return ends


def _notice(facts: CaseFacts, found: list[Finding]) -> bool:
    if facts.notice_date is None:
        return facts.notice_served
    if facts.notice_date > facts.last_day:
        # Decisive where the notice is the procedure (Art. 39(1), Art. 40); a slip elsewhere.
        level = Level.BLOCKING if facts.ground in NOTICE_GROUNDS else Level.WARNING
        found.append(Finding(level, "notice_after_last_day", "LCL Art. 40",
                             {"notice": facts.notice_date, "last_day": facts.last_day}))
        return False
    earliest = facts.notice_date + timedelta(days=NOTICE_DAYS)
    by_dates = facts.last_day >= earliest
    if facts.ground in NOTICE_GROUNDS - {G.PROBATION} and not facts.pay_in_lieu and not by_dates:
        found.append(Finding(Level.BLOCKING, "notice_too_short", "LCL Art. 40",
                             {"notice": facts.notice_date, "earliest": earliest}))
    elif facts.notice_served and not by_dates:
        found.append(Finding(Level.WARNING, "notice_served_overruled", "LCL Art. 40",
                             {"earliest": earliest}))
    return by_dates
