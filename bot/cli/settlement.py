"""`python -m bot settlement`: the compliance check and settlement arithmetic for one set of facts.

No database: the facts come from the options, reference figures (optional) from the JSON file.
Bad input gets one line on stderr in the chosen language and exit status 2; a blocked assessment
exits 3 (the output is still printed) so scripts notice.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from workflow.compliance import (
    Assessment,
    BadReferenceData,
    CaseFacts,
    Convention,
    InvalidFacts,
    Jurisdiction,
    Pre2008Rounding,
    Protection,
    ReferenceData,
    RenewalOffer,
    RetirementCategory,
    cite,
    get_jurisdiction,
)
from workflow.i18n import LOCALES, normalise_locale, t
from workflow.model import Ground

FAILED = 2
BLOCKED = 3
DEFAULT_REFERENCE = "config/reference-cn.json"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONEY_OPTIONS = ("avg_wage", "prev_wage", "local_avg", "min_wage")
DATE_OPTIONS = ("contract_start", "contract_end", "probation_end", "notice_date", "birth_date",
                "sick_since")
COUNT_OPTIONS = ("contract_months", "probation_months", "work_years", "headcount", "reduced",
                 "fixed_terms", "work_injury_grade")
YES_NO = ("yes", "no")
PROTECTION_FLAGS = {p: f"--{p.value.replace('_', '-')}" for p in Protection}


class BadInput(Exception):
    """Input the command cannot use; `key` and `params` name the localized message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


MAX_AMOUNT = Decimal(100_000_000)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "settlement",
        help="check a separation against the rules and compute the settlement",
        description="Compliance findings and settlement arithmetic (PRC rules by default). "
        "Required: --ground, --hired, --last-day, --avg-wage. Dates are YYYY-MM-DD, inclusive.",
    )
    parser.add_argument("--ground", help="one of: " + ", ".join(g.value for g in Ground))
    parser.add_argument("--hired", help="hire date, YYYY-MM-DD")
    parser.add_argument("--last-day", help="last working day, YYYY-MM-DD (counted)")
    parser.add_argument("--avg-wage", help="average monthly wage due over the last 12 months "
                        "(or over the months worked, if fewer)")
    parser.add_argument("--prev-wage", help="previous month's wage (for pay in lieu of notice)")
    parser.add_argument("--local-avg", help="previous year's local average monthly wage")
    parser.add_argument("--min-wage", help="local monthly minimum wage")
    parser.add_argument("--city", help="look up --local-avg/--min-wage in the reference data")
    parser.add_argument("--reference", help=f"reference data file (default {DEFAULT_REFERENCE} "
                        "or the REFERENCE_DATA setting)")
    parser.add_argument("--pay-in-lieu", action="store_true",
                        help="pay one month's wage instead of 30 days' notice")
    parser.add_argument("--notice-served", action="store_true", help="30 days' notice was served")
    parser.add_argument("--proposed-by", help="who proposed a mutual termination: employer|employee")
    parser.add_argument("--in-probation", action="store_true")
    parser.add_argument("--written-reasons", action="store_true",
                        help="the reasons were explained in writing (probation)")
    parser.add_argument("--union", help="the company has a union: yes|no (Art. 43)")
    parser.add_argument("--union-notified", action="store_true")
    parser.add_argument("--notice-date", help="written notice served on, YYYY-MM-DD (Art. 40)")
    parser.add_argument("--contract-start", help="current contract's start, YYYY-MM-DD")
    parser.add_argument("--contract-end", help="fixed-term contract's end, YYYY-MM-DD")
    parser.add_argument("--contract-months", help="fixed contract term in months")
    parser.add_argument("--open-ended", action="store_true", help="open-ended contract")
    parser.add_argument("--probation-end", help="agreed probation end, YYYY-MM-DD")
    parser.add_argument("--probation-months", help="agreed probation in months")
    parser.add_argument("--birth-date", help="birth date, YYYY-MM-DD (retirement age)")
    parser.add_argument("--retirement-category",
                        help=" | ".join(c.value for c in RetirementCategory))
    parser.add_argument("--sick-since", help="sick leave started on, YYYY-MM-DD (medical period)")
    parser.add_argument("--work-years", help="total years of work, all employers")
    parser.add_argument("--headcount", help="staff before the layoff round (Art. 41)")
    parser.add_argument("--reduced", help="people cut in the round (Art. 41)")
    parser.add_argument("--renewal-offered", help="on expiry the employer offered: "
                        + " | ".join(r.value for r in RenewalOffer))
    parser.add_argument("--employee-declined", action="store_true",
                        help="the employee declined the renewal offered")
    parser.add_argument("--employee-wants-renewal", nargs="?", const="yes",
                        help="the employee wants to continue (yes|no; alone means yes)")
    parser.add_argument("--fixed-terms", help="consecutive fixed-term contracts since 2008, "
                        "this one included (Art. 14)")
    parser.add_argument("--work-injury-grade", help="work-injury disability grade 1..10")
    for protection, flag in PROTECTION_FLAGS.items():
        parser.add_argument(flag, dest=f"protect_{protection.value}", action="store_true")
    parser.add_argument("--pre2008-rounding", default=Pre2008Rounding.PARTIAL_AS_YEAR.value,
                        help="part-year before 2008: " + ", ".join(r.value for r in Pre2008Rounding))
    parser.add_argument("--jurisdiction", default="cn")
    parser.add_argument("--lang", default="zh-CN", help=" | ".join(LOCALES))
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    locale = normalise_locale(args.lang)
    try:
        jurisdiction = _jurisdiction(args.jurisdiction)
        facts = _facts(args)
    except BadInput as error:
        print(t(f"cli.settlement.error.{error.key}", locale, **error.params), file=sys.stderr)
        return FAILED
    except InvalidFacts as error:
        print(error.message(locale), file=sys.stderr)
        return FAILED
    assessment = jurisdiction.assess(facts)
    if args.json:
        payload = as_json(assessment, jurisdiction, facts.last_day, locale)
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print("\n".join(as_text(assessment, jurisdiction, facts.last_day, locale)))
    return BLOCKED if assessment.blocked else 0


def _jurisdiction(code: str) -> Jurisdiction:
    try:
        return get_jurisdiction(code)
    except KeyError:
        raise BadInput("jurisdiction", value=code) from None


def _facts(args: argparse.Namespace) -> CaseFacts:
    for name in ("ground", "hired", "last_day", "avg_wage"):
        if getattr(args, name) is None:
            raise BadInput("missing", option=_option(name))
    if args.ground not in {g.value for g in Ground}:
        raise BadInput("choice", option="--ground", value=args.ground,
                       choices=", ".join(g.value for g in Ground))
    _choice(args, "proposed_by", ["employer", "employee"])
    _choice(args, "pre2008_rounding", [r.value for r in Pre2008Rounding])
    _choice(args, "retirement_category", [c.value for c in RetirementCategory])
    _choice(args, "renewal_offered", [r.value for r in RenewalOffer])
    _choice(args, "union", YES_NO)
    _choice(args, "employee_wants_renewal", YES_NO)
    hired, last_day = _date(args, "hired"), _date(args, "last_day")
    dates = {name: _date(args, name) if getattr(args, name) is not None else None
             for name in DATE_OPTIONS}
    counts = {name: _count(args, name) for name in COUNT_OPTIONS}
    amounts = {name: _amount(args, name) for name in MONEY_OPTIONS}
    sourced: dict[str, Any] = {}
    if args.city:
        reference = _reference(args)
        if reference.city(args.city) is None:
            raise BadInput("city", city=args.city, known=", ".join(sorted(reference.cities)))
        # Art. 47 uses the previous year's average; the minimum wage is the one in force then.
        amounts["local_avg"] = amounts["local_avg"] or reference.local_avg(
            args.city, last_day.year - 1
        )
        figure = reference.min_wage_figure(args.city, last_day)
        if amounts["min_wage"] is None and figure is not None:
            amounts["min_wage"] = figure.amount
            sourced = {"min_wage_effective": figure.effective, "min_wage_stale": figure.stale}
        sourced["second_contract_binding"] = reference.second_contract_binding(args.city)
    wants = args.employee_wants_renewal
    return CaseFacts(
        ground=Ground(args.ground),
        hired=hired,
        last_day=last_day,
        pay_in_lieu=args.pay_in_lieu,
        notice_served=args.notice_served,
        proposed_by=args.proposed_by,
        in_probation=args.in_probation,
        written_reasons=args.written_reasons,
        open_ended=args.open_ended,
        protections=frozenset(p for p in Protection if getattr(args, f"protect_{p.value}")),
        union=args.union,
        union_notified=args.union_notified,
        retirement_category=args.retirement_category,
        renewal_offered=args.renewal_offered,
        employee_declined=args.employee_declined,
        employee_wants_renewal=None if wants is None else wants == "yes",
        convention=Convention(pre2008=Pre2008Rounding(args.pre2008_rounding)),
        **amounts,
        **dates,
        **counts,
        **sourced,
    )


def _choice(args: argparse.Namespace, name: str, choices: list[str]) -> None:
    value = getattr(args, name)
    if value is not None and value not in choices:
        raise BadInput("choice", option=_option(name), value=value, choices=", ".join(choices))


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _date(args: argparse.Namespace, name: str) -> date:
    raw = getattr(args, name)
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadInput("date", option=_option(name), value=raw) from None


def _amount(args: argparse.Namespace, name: str) -> Decimal | None:
    raw = getattr(args, name)
    if raw is None:
        return None
    try:
        amount = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise BadInput("amount", option=_option(name), value=raw) from None
    if not amount.is_finite() or amount < 0:
        raise BadInput("amount", option=_option(name), value=raw)
    # A monthly wage above a hundred million is a typo (1e30), not a case: say so, with the limit.
    if amount > MAX_AMOUNT:
        raise BadInput("amount_too_large", option=_option(name), value=_quoted(raw),
                       limit=f"{MAX_AMOUNT:,}")
    return amount


def _quoted(raw: str, limit: int = 30) -> str:
    """A long typed value, shortened for a one-line message."""
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


def _count(args: argparse.Namespace, name: str) -> int | None:
    raw = getattr(args, name)
    if raw is None:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    if not re.fullmatch(r"[0-9]{1,4}", raw.strip()):
        raise BadInput("count", option=_option(name), value=raw)
    return int(raw)


def _reference(args: argparse.Namespace) -> ReferenceData:
    configured = getattr(getattr(args, "settings", None), "REFERENCE_DATA", DEFAULT_REFERENCE)
    path = Path(args.reference or configured)
    if not path.is_absolute() and not path.exists():
        path = PROJECT_ROOT / path
    try:
        return ReferenceData.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, BadReferenceData) as error:
        raise BadInput("reference", path=path, error=error) from None


def _number(amount: Decimal) -> int | float:
    """JSON numbers: whole values as ints (66000), others as floats (5.5, 4500.5)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def as_json(assessment: Assessment, jurisdiction: Jurisdiction, last_day: date,
            locale: str) -> dict[str, Any]:
    s = assessment.settlement
    return {
        "jurisdiction": jurisdiction.code,
        "ground": assessment.ground.value,
        "article": assessment.article,
        "n": _number(s.n),
        "base": _number(s.base),
        "capped": s.capped,
        "compensation": _number(s.compensation),
        "pay_in_lieu": _number(s.pay_in_lieu),
        "total": _number(s.total),
        "risk_n": _number(s.risk_n),
        "unlawful_risk": _number(s.unlawful_risk),
        "blocked": assessment.blocked,
        "segments": [
            {"segment": g.key, "start": g.start.isoformat(), "end": g.end.isoformat(),
             "n": _number(g.n), "rounding": g.rounding, "base": _number(g.base),
             "amount": _number(g.amount), "article": g.article}
            for g in s.segments
        ],
        "findings": [
            {"level": f.level.value, "code": f.code, "article": f.article,
             "citation": f.cite(locale), "message": f.message(locale)}
            for f in assessment.findings
        ],
        "allowed_grounds": [g.value for g in assessment.allowed_grounds],
        "notice": {"days": assessment.notice.days,
                   "pay_in_lieu_allowed": assessment.notice.pay_in_lieu_allowed,
                   "article": assessment.notice.article},
        "deadlines": [
            {"code": d.code, "article": d.article, "due": d.due.isoformat() if d.due else None,
             "after": d.after, "message": d.message(locale)}
            for d in jurisdiction.deadlines(last_day)
        ],
        "lines": s.lines_text(locale),
    }


def as_text(assessment: Assessment, jurisdiction: Jurisdiction, last_day: date,
            locale: str) -> list[str]:
    ground = t(f"compliance.ground.{assessment.ground.value}", locale)
    ends = jurisdiction.documents(assessment.ground)[-1].wording == "end"
    out = [t("cli.settlement.ground_end" if ends else "cli.settlement.ground", locale,
             ground=ground, article=cite(assessment.article, locale))]
    out.append(t("cli.settlement.heading.arithmetic", locale))
    out += [f"  {line}" for line in assessment.settlement.lines_text(locale)]
    out.append(t("cli.settlement.heading.findings", locale))
    out += [
        "  " + t("cli.settlement.finding", locale, level=t(f"compliance.level.{f.level}", locale),
                 message=f.message(locale), article=f.cite(locale))
        for f in assessment.findings
    ]
    allowed = [t(f"compliance.ground.{g.value}", locale) for g in assessment.allowed_grounds]
    out.append(t("cli.settlement.allowed", locale, grounds=t("cli.settlement.sep", locale).join(
        allowed) or "-"))
    out.append(t("cli.settlement.heading.deadlines", locale))
    out += [
        "  " + t("cli.settlement.deadline", locale, message=d.message(locale),
                 article=cite(d.article, locale))
        for d in jurisdiction.deadlines(last_day)
    ]
    if assessment.blocked:
        out.append(t("cli.settlement.blocked", locale))
    return out
