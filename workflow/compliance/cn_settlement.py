"""PRC economic compensation as arithmetic: LCL Art. 47 and 97, Regs Art. 20, 25 and 27.

The legal decisions (is compensation owed, does a month's wage replace notice) arrive as `Terms`
from cn.py; this module only counts: service segments, the wage base with floor and cap, the
amounts, and the unlawful-termination risk figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from workflow.compliance.facts import CaseFacts, Pre2008Rounding
from workflow.compliance.findings import Finding, Level
from workflow.compliance.service import Span, span
from workflow.compliance.settlement import Line, Segment, Settlement, fmt_money, fmt_years, money

LCL_START = date(2008, 1, 1)  # the Labor Contract Law took effect (Art. 97 splits service here)
CAP_MULTIPLE = Decimal(3)  # base above 3 × the local average monthly wage is capped (Art. 47)
CAP_YEARS = Decimal(12)  # ... and so are the years credited
OLD_RULE_CAP_YEARS = Decimal(12)  # 1994 measures Art. 5 and 7: at most 12 months
ZERO, HALF, ONE = Decimal(0), Decimal("0.5"), Decimal(1)
NIL = Decimal("0.00")  # no money, printed with cents

ART47 = "LCL Art. 47"
ART97 = "LCL Art. 97"
BASE_ARTICLE = "LCL Art. 47; Regs Art. 27"
FLOOR_ARTICLE = "Regs Art. 27"
PAY_IN_LIEU_ARTICLE = "LCL Art. 40; Regs Art. 20"
RISK_ARTICLE = "LCL Art. 48, 87; Regs Art. 25"


@dataclass(frozen=True)
class Terms:
    """What the rules decided before any arithmetic."""

    owed: bool  # economic compensation is owed on this ground
    owed_article: str  # why (or why not)
    pay_in_lieu: bool  # a month's wage replaces the notice period
    old_rule_cap: bool  # the pre-2008 segment is capped at 12 months under the old rules
    from_2008_only: bool = False  # Art. 97(3): the old rules owed nothing (expiry): no segment


def art47_fraction(rest: Span, six_months_is_full: bool) -> Decimal:
    """The part-year: >= 6 months → 1, > 0 and < 6 months → 0.5 (Art. 47 para. 1)."""
    if rest.months > 6 or (rest.months == 6 and (six_months_is_full or rest.days > 0)):
        return ONE
    return HALF if rest.months or rest.days else ZERO


def pre2008_fraction(rest: Span, rounding: Pre2008Rounding, six_months_is_full: bool) -> Decimal:
    if rounding == Pre2008Rounding.FULL_YEARS:
        return ZERO
    if rounding == Pre2008Rounding.PARTIAL_AS_YEAR:
        return ONE if rest.months or rest.days else ZERO
    return art47_fraction(rest, six_months_is_full)


def _years_formula(years: int, fraction: Decimal) -> str:
    return f"{years} + {fmt_years(fraction)}" if fraction else str(years)


def _service_line(key: str, start: date, end: date, length: Span, fraction: Decimal,
                  article: str) -> Line:
    return Line(
        key,
        _years_formula(length.years, fraction),
        length.years + fraction,
        "years",
        article,
        {"start": start, "end": end, "years": length.years, "months": length.months,
         "days": length.days},
    )


def _cap_line(key: str, n: Decimal, cap: Decimal, article: str) -> Line:
    return Line(key, f"min({fmt_years(n)}, {fmt_years(cap)})", cap, "years", article)


@dataclass
class _Sheet:
    """The lines and findings gathered while computing one settlement."""

    lines: list[Line]
    findings: list[Finding]


def _base(facts: CaseFacts, sheet: _Sheet) -> tuple[Decimal, Decimal, bool]:
    """(base before the cap, base after it, capped): the floor first, then the strict 3× cap."""
    average = money(facts.avg_wage)
    sheet.lines.append(Line("average", fmt_money(average), average, "money", BASE_ARTICLE))
    base = average
    _min_wage_check(facts, average, sheet)
    if facts.min_wage is not None and average < facts.min_wage:
        base = money(facts.min_wage)
        sheet.lines.append(Line("floor", f"max({fmt_money(average)}, {fmt_money(base)})", base,
                                "money", FLOOR_ARTICLE))
        sheet.findings.append(Finding(Level.INFO, "floor_applied", FLOOR_ARTICLE,
                                      {"avg": average, "floor": base}))
    if facts.local_avg is None:
        sheet.findings.append(Finding(Level.WARNING, "local_avg_unknown", ART47))
        return base, base, False
    if base <= CAP_MULTIPLE * facts.local_avg:  # "higher than" is strict: exactly 3× is not capped
        return base, base, False
    cap = money(CAP_MULTIPLE * facts.local_avg)
    sheet.lines.append(Line("cap", f"min({fmt_money(base)}, 3 × {fmt_money(facts.local_avg)})",
                            cap, "money", ART47))
    sheet.findings.append(Finding(Level.INFO, "cap_applied", ART47, {"avg": base, "cap": cap}))
    return base, cap, True


def _min_wage_check(facts: CaseFacts, average: Decimal, sheet: _Sheet) -> None:
    """Every assessment says how the minimum-wage floor was checked, or that it could not be."""
    if facts.min_wage is None:
        sheet.findings.append(Finding(Level.WARNING, "min_wage_unknown", FLOOR_ARTICLE))
        return
    if facts.min_wage_stale and facts.min_wage_effective is not None:
        sheet.findings.append(Finding(Level.WARNING, "min_wage_stale", FLOOR_ARTICLE,
                                      {"floor": facts.min_wage,
                                       "effective": facts.min_wage_effective,
                                       "year": facts.last_day.year}))
    elif facts.min_wage_effective is not None:
        sheet.findings.append(Finding(Level.INFO, "min_wage_in_force", FLOOR_ARTICLE,
                                      {"floor": facts.min_wage,
                                       "effective": facts.min_wage_effective}))
    if average >= facts.min_wage:
        sheet.findings.append(Finding(Level.INFO, "min_wage_checked", FLOOR_ARTICLE,
                                      {"avg": average, "floor": facts.min_wage}))


def settle(facts: CaseFacts, terms: Terms) -> tuple[Settlement, list[Finding]]:
    """The settlement for the facts under `terms`, with the findings the arithmetic raised."""
    sheet = _Sheet([], [])
    convention = facts.convention
    end = facts.last_day + timedelta(days=1) if convention.inclusive_last_day else facts.last_day
    uncapped, base, capped = _base(facts, sheet)

    segments: list[Segment] = []
    if facts.hired < LCL_START and terms.from_2008_only:
        sheet.findings.append(Finding(Level.INFO, "service_from_2008", ART97,
                                      {"hired": facts.hired}))
    elif facts.hired < LCL_START:
        # Art. 97: service before the LCL is paid under the rules of the time (no 3× cap there).
        length = span(facts.hired, min(end, LCL_START))
        fraction = pre2008_fraction(length, convention.pre2008, convention.six_months_is_full)
        seg_end = min(facts.last_day, LCL_START - timedelta(days=1))
        sheet.lines.append(_service_line(f"service_pre2008.{convention.pre2008}", facts.hired,
                                         seg_end, length, fraction, ART97))
        n = length.years + fraction
        if terms.old_rule_cap and n > OLD_RULE_CAP_YEARS:
            sheet.lines.append(_cap_line("old_rule_cap", n, OLD_RULE_CAP_YEARS, ART97))
            n = OLD_RULE_CAP_YEARS
        amount = money(uncapped * n) if terms.owed else NIL
        segments.append(Segment("pre2008", facts.hired, seg_end, n, str(convention.pre2008),
                                uncapped, amount, ART97))
        sheet.findings.append(Finding(Level.WARNING, "pre2008_review", ART97,
                                      {"start": facts.hired, "end": seg_end}))
    if facts.last_day >= LCL_START:
        start = max(facts.hired, LCL_START)
        length = span(start, end)
        fraction = art47_fraction(length, convention.six_months_is_full)
        sheet.lines.append(_service_line("service", start, facts.last_day, length, fraction, ART47))
        n = length.years + fraction
        if capped and n > CAP_YEARS:
            sheet.lines.append(_cap_line("n_cap", n, CAP_YEARS, ART47))
            n = CAP_YEARS
        amount = money(base * n) if terms.owed else NIL
        segments.append(Segment("post2008", start, facts.last_day, n, "art47", base, amount, ART47))

    if terms.owed:
        for seg in segments:
            key = "compensation_pre2008" if seg.key == "pre2008" else "compensation"
            sheet.lines.append(Line(key, f"{fmt_money(seg.base)} × {fmt_years(seg.n)}", seg.amount,
                                    "money", seg.article))
    else:
        sheet.lines.append(Line("no_compensation", fmt_money(NIL), NIL, "money",
                                terms.owed_article))
    compensation = sum((seg.amount for seg in segments), NIL)

    pay_in_lieu = NIL
    if terms.pay_in_lieu and facts.prev_wage is not None:
        pay_in_lieu = money(facts.prev_wage)
        sheet.lines.append(Line("pay_in_lieu", fmt_money(pay_in_lieu), pay_in_lieu, "money",
                                PAY_IN_LIEU_ARTICLE))

    parts = [seg.amount for seg in segments if terms.owed] + ([pay_in_lieu] if pay_in_lieu else [])
    total = compensation + pay_in_lieu
    sheet.lines.append(Line("total", " + ".join(map(fmt_money, parts)) or fmt_money(total), total,
                            "money"))

    # Regs Art. 25: damages count the years from the start of employment, all under Art. 47.
    whole = span(facts.hired, end)
    risk_n = whole.years + art47_fraction(whole, convention.six_months_is_full)
    if capped:
        risk_n = min(risk_n, CAP_YEARS)
    risk = 2 * money(base * risk_n)
    sheet.lines.append(Line("risk", f"2 × {fmt_money(base)} × {fmt_years(risk_n)}", risk, "money",
                            RISK_ARTICLE))
    if risk < compensation:
        # The old-rules segment has no 3× cap, so the lawful amount can exceed the damages.
        sheet.findings.append(Finding(Level.INFO, "risk_below_lawful", RISK_ARTICLE,
                                      {"risk": risk, "compensation": compensation}))

    settlement = Settlement(
        n=sum((seg.n for seg in segments), ZERO),
        segments=tuple(segments),
        base=base,
        capped=capped,
        compensation=compensation,
        pay_in_lieu=pay_in_lieu,
        total=total,
        risk_n=risk_n,
        unlawful_risk=risk,
        lines=tuple(sheet.lines),
    )
    return settlement, sheet.findings
