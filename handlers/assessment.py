"""The compliance view of a case: HR-confirmed facts → the jurisdiction's findings and settlement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.deps import Deps
from workflow.case import BOOL_FACTS, CHOICE_FACT_KEYS, DATE_FACTS, LIST_FACT_KEYS, MONEY_FACTS, Case
from workflow.compliance import Assessment, CaseFacts, InvalidFacts, Protection
from workflow.model import Ground

# Facts HR confirms, with how each is read from text ("key=value" in a command or a form field).
CHOICE_FACTS = {"proposed_by": ("employer", "employee")}
LIST_FACTS = {"protections": tuple(p.value for p in Protection)}
assert (tuple(CHOICE_FACTS), tuple(LIST_FACTS)) == (CHOICE_FACT_KEYS, LIST_FACT_KEYS), "Facts reads each one"
REQUIRED_FACTS = ("hired", "last_day", "avg_wage")
_TRUE = {"yes", "y", "true", "1", "是", "对"}
_FALSE = {"no", "n", "false", "0", "否", "不"}


class FactError(ValueError):
    def __init__(self, key: str, value: str, why: str) -> None:
        super().__init__(f"{key}={value}: {why}")
        self.key, self.value, self.why = key, value, why


def parse_fact(key: str, raw: str) -> Any:
    """One fact from its text form to its stored (JSON) form; FactError says why not."""
    value = raw.strip()
    if key in DATE_FACTS:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise FactError(key, raw, "YYYY-MM-DD") from None
    if key in MONEY_FACTS:
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise FactError(key, raw, "0.00") from None
        if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
            raise FactError(key, raw, "0 – 100000000")
        return str(amount)
    if key in BOOL_FACTS:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise FactError(key, raw, "yes / no")
    if key in CHOICE_FACTS:
        if value.lower() not in CHOICE_FACTS[key]:
            raise FactError(key, raw, " / ".join(CHOICE_FACTS[key]))
        return value.lower()
    if key in LIST_FACTS:
        items = [v.strip().lower() for v in value.replace("，", ",").split(",") if v.strip()]
        bad = [v for v in items if v not in LIST_FACTS[key]]
        if bad:
            raise FactError(key, raw, " / ".join(LIST_FACTS[key]))
        return sorted(set(items))
    raise FactError(key, raw, "?")


def known_fact_keys() -> tuple[str, ...]:
    return (*DATE_FACTS, *MONEY_FACTS, *BOOL_FACTS, *CHOICE_FACTS, *LIST_FACTS)


def missing_facts(case: Case) -> list[str]:
    return case.facts.missing(REQUIRED_FACTS)


def case_facts(case: Case, deps: Deps, city: str) -> CaseFacts | None:
    """The jurisdiction's input, or None while the facts the arithmetic needs are missing."""
    f = case.facts
    if missing_facts(case):
        return None
    assert f.hired is not None and f.last_day is not None and f.avg_wage is not None  # not missing
    last_day = f.last_day
    local_avg, min_wage = f.local_avg, f.min_wage
    if deps.reference is not None and city:
        # Reference data is for the previous year's local average (Art. 47), by city.
        local_avg = local_avg or deps.reference.local_avg(city, last_day.year - 1)
        min_wage = min_wage or deps.reference.min_wage(city, last_day)
    return CaseFacts(
        ground=Ground(case.ground),
        hired=f.hired,
        last_day=last_day,
        avg_wage=f.avg_wage,
        prev_wage=f.prev_wage,
        local_avg=local_avg,
        min_wage=min_wage,
        pay_in_lieu=bool(f.pay_in_lieu),
        proposed_by=f.proposed_by,
        in_probation=bool(f.in_probation),
        protections=frozenset(Protection(p) for p in f.protections or ()),
        union_notified=bool(f.union_notified),
        written_reasons=bool(f.written_reasons),
        notice_served=bool(f.notice_served),
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


def assess(case: Case, deps: Deps, city: str = "") -> CaseAssessment:
    """Never raises: facts the calculator cannot use count as missing until HR corrects them."""
    try:
        facts = case_facts(case, deps, city)
    except InvalidFacts as error:
        return CaseAssessment(None, (error.code,))
    if facts is None:
        return CaseAssessment(None, tuple(missing_facts(case)))
    return CaseAssessment(deps.jurisdiction.assess(facts), ())
