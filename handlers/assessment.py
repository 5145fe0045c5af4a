"""The compliance view of a case: HR-confirmed facts → the jurisdiction's findings and settlement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.deps import Deps
from workflow.case import (
    BOOL_FACTS,
    CHOICE_FACT_KEYS,
    COUNT_FACTS,
    DATE_FACTS,
    LIST_FACT_KEYS,
    MONEY_FACTS,
    Case,
)
from workflow.compliance import (
    Assessment,
    CaseFacts,
    Finding,
    InvalidFacts,
    Level,
    Protection,
    RenewalOffer,
    RetirementCategory,
)
from workflow.compliance.facts import PROPOSERS, UNION_STATUSES
from workflow.i18n import t
from workflow.model import Ground

# Facts HR confirms, with how each is read from text ("key=value" in a command or a form field).
CHOICE_FACTS = {
    "proposed_by": PROPOSERS,
    "retirement_category": tuple(c.value for c in RetirementCategory),
    # "notified": the company has a union and it was told in advance (Art. 43).
    "union": (*UNION_STATUSES, "notified"),
    "renewal_offered": tuple(r.value for r in RenewalOffer),
}
NO_PROTECTION = "none"  # an answer ("none of these"), not the absence of one
LIST_FACTS = {"protections": (*(p.value for p in Protection), NO_PROTECTION)}
assert (tuple(CHOICE_FACTS), tuple(LIST_FACTS)) == (CHOICE_FACT_KEYS, LIST_FACT_KEYS), "Facts reads each one"
REQUIRED_FACTS = ("hired", "last_day", "avg_wage")
# Grounds a protected status bars (Art. 42) or extends (Art. 45): the statuses must be answered.
PROTECTED_GROUNDS = frozenset({Ground.ILLNESS, Ground.INCOMPETENT, Ground.CIRCUMSTANCES, Ground.LAYOFF,
                               Ground.EXPIRY})
_TRUE = {"yes", "y", "true", "1", "是", "对", "有"}
_FALSE = {"no", "n", "false", "0", "否", "不", "无", "没有"}
_NONE_WORDS = {NO_PROTECTION, "无", "没有", "均无", "以上都不是", "都不是"}
# A monthly wage outside this range is a typing mistake (a missing or extra digit, a yearly sum).
WAGE_MIN, WAGE_MAX = Decimal(100), Decimal(1_000_000)
COUNT_MAX = {"work_years": 70, "fixed_terms": 50, "work_injury_grade": 10}
COUNT_LIMIT = 10_000_000  # headcount / reduced
_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}


class FactError(ValueError):
    """A fact's text that cannot be read: `why` is a catalogue key (h.fact_why.*) with `params`."""

    def __init__(self, key: str, value: str, why: str, **params: Any) -> None:
        super().__init__(f"{key}={value}: {why}")
        self.key, self.value, self.why, self.params = key, value, why, params

    def reason(self, locale: str) -> str:
        return t(f"h.fact_why.{self.why}", locale, **self.params)


def parse_amount(text: str) -> Decimal | None:
    """'12,000' / '12000元' / '1.2万' / '十万' / '一万二千' / '三千五' → the amount; None if unreadable."""
    value = text.strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    value = value.removesuffix("元").removesuffix("块").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        pass
    total, section, last_unit = Decimal(0), Decimal(0), 0
    number = ""
    for char in value:
        if char.isascii() and (char.isdigit() or char == "."):
            number += char
        elif char in _DIGITS:
            number += str(_DIGITS[char])
        elif char in _UNITS:
            section += _number(number, default=1) * _UNITS[char]
            number, last_unit = "", _UNITS[char]
        elif char in "万萬":
            total += (section + _number(number, default=0)) * 10000 or Decimal(10000)
            section, number, last_unit = Decimal(0), "", 10000
        else:
            return None
    if number:  # 一万二 = 12000, 三千五 = 3500: a bare digit after a unit counts in the next one down
        tail = _number(number, default=0)
        if len(number) == 1 and last_unit >= 100:
            tail *= last_unit // 10
        section += tail
    return total + section


def _number(text: str, *, default: int) -> Decimal:
    if not text:
        return Decimal(default)
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(-1)  # two points: unreadable, refused below as not positive


def parse_fact(key: str, raw: str) -> Any:
    """One fact from its text form to its stored (JSON) form; FactError says why not."""
    value = raw.strip()
    if key in DATE_FACTS:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise FactError(key, raw, "date") from None
    if key in MONEY_FACTS:
        amount = parse_amount(value)
        if amount is None or not amount.is_finite():
            raise FactError(key, raw, "amount")
        if amount <= 0:
            raise FactError(key, raw, "not_positive")
        if not WAGE_MIN <= amount <= WAGE_MAX:
            raise FactError(key, raw, "implausible", low=WAGE_MIN, high=WAGE_MAX)
        return format(amount.normalize(), "f")
    if key in COUNT_FACTS:
        high = COUNT_MAX.get(key, COUNT_LIMIT)
        low = 1 if key == "work_injury_grade" else 0
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            raise FactError(key, raw, "count", low=low, high=high)
        return int(value)
    if key in BOOL_FACTS:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise FactError(key, raw, "choice", choices="yes / no")
    if key in CHOICE_FACTS:
        if value.lower() not in CHOICE_FACTS[key]:
            raise FactError(key, raw, "choice", choices=" / ".join(CHOICE_FACTS[key]))
        return value.lower()
    if key in LIST_FACTS:
        items = {v.strip().lower() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()}
        if items & _NONE_WORDS:
            if len(items) > 1:
                raise FactError(key, raw, "none_and_some")
            return []
        bad = [v for v in items if v not in LIST_FACTS[key]]
        if bad or not items:
            raise FactError(key, raw, "choice", choices=" / ".join(LIST_FACTS[key]))
        return sorted(items)
    raise FactError(key, raw, "unknown", choices=", ".join(known_fact_keys()))


def known_fact_keys() -> tuple[str, ...]:
    return (*DATE_FACTS, *MONEY_FACTS, *COUNT_FACTS, *BOOL_FACTS, *CHOICE_FACTS, *LIST_FACTS)


def missing_facts(case: Case) -> list[str]:
    return case.facts.missing(REQUIRED_FACTS)


def union_status(case: Case, tenant_union: str | None) -> tuple[str | None, bool]:
    """(the company has a union: "yes"/"no"/None, it was notified): the case's fact over the
    company setting, "notified" meaning yes and told."""
    typed = case.facts.union
    if typed == "notified":
        return "yes", True
    return typed or tenant_union, bool(case.facts.union_notified)


def case_facts(case: Case, deps: Deps, city: str, tenant_union: str | None = None) -> CaseFacts | None:
    """The jurisdiction's input, or None while the facts the arithmetic needs are missing."""
    f = case.facts
    if missing_facts(case):
        return None
    assert f.hired is not None and f.last_day is not None and f.avg_wage is not None  # not missing
    last_day = f.last_day
    local_avg, min_wage = f.local_avg, f.min_wage
    min_wage_effective, min_wage_stale, binding = None, False, True
    if deps.reference is not None and city:
        # Reference data is for the previous year's local average (Art. 47), by city.
        local_avg = local_avg or deps.reference.local_avg(city, last_day.year - 1)
        binding = deps.reference.second_contract_binding(city)
        figure = deps.reference.min_wage_figure(city, last_day) if min_wage is None else None
        if figure is not None:  # the newest figure in force, and whether a later one may be missing
            min_wage, min_wage_effective, min_wage_stale = figure.amount, figure.effective, figure.stale
    union, notified = union_status(case, tenant_union)
    return CaseFacts(
        ground=Ground(case.ground),
        hired=f.hired,
        last_day=last_day,
        avg_wage=f.avg_wage,
        prev_wage=f.prev_wage,
        local_avg=local_avg,
        min_wage=min_wage,
        min_wage_effective=min_wage_effective,
        min_wage_stale=min_wage_stale,
        second_contract_binding=binding,
        pay_in_lieu=bool(f.pay_in_lieu),
        proposed_by=f.proposed_by,  # type: ignore[arg-type]  # checked by CaseFacts
        in_probation=bool(f.in_probation),
        protections=frozenset(Protection(p) for p in f.protections or ()),
        union=union,  # type: ignore[arg-type]  # checked by CaseFacts
        union_notified=notified,
        written_reasons=bool(f.written_reasons),
        notice_served=bool(f.notice_served),
        birth_date=f.birth_date,
        retirement_category=f.retirement_category,  # type: ignore[arg-type]
        contract_start=f.contract_start,
        contract_end=f.contract_end,
        open_ended=bool(f.open_ended),
        probation_end=f.probation_end,
        notice_date=f.notice_date,
        sick_since=f.sick_since,
        work_years=f.work_years,
        headcount=f.headcount,
        reduced=f.reduced,
        renewal_offered=f.renewal_offered,  # type: ignore[arg-type]
        employee_declined=bool(f.employee_declined),
        employee_wants_renewal=f.employee_wants_renewal,
        fixed_terms=f.fixed_terms,
        work_injury_grade=f.work_injury_grade,
    )


@dataclass(frozen=True)
class CaseAssessment:
    assessment: Assessment | None  # None while facts are missing
    missing: tuple[str, ...]

    @property
    def blocking(self) -> tuple[str, ...]:
        if self.assessment is None:
            return ()
        return tuple(f.article for f in self.assessment.findings if f.level == "blocking")


def company_union(tenant: Any) -> str | None:
    """The company setting "has a union" ("yes"/"no"), None while unset (the facts step asks)."""
    value = (getattr(tenant, "settings", None) or {}).get("union")
    return value if value in UNION_STATUSES else None


def assess(case: Case, deps: Deps, city: str = "", union: str | None = None) -> CaseAssessment:
    """Never raises: facts the calculator cannot use count as missing until HR corrects them.
    `union` is the company setting (company_union)."""
    try:
        facts = case_facts(case, deps, city, union)
    except InvalidFacts as error:
        return CaseAssessment(None, (error.code,))
    if facts is None:
        return CaseAssessment(None, tuple(missing_facts(case)))
    assessment = deps.jurisdiction.assess(facts)
    if case.facts.protections is None and facts.ground in PROTECTED_GROUNDS:
        # Not answered is not "none of these": say what could not be ruled out.
        unanswered = Finding(Level.WARNING, "protections_unanswered", "LCL Art. 42, 45")
        assessment = replace(assessment, findings=(*assessment.findings, unanswered))
    return CaseAssessment(assessment, ())
