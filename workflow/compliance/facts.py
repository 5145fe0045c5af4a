"""The facts a compliance assessment reads: the case's ground, dates, wages and protected status.

`CaseFacts` is what HR confirms; `Convention` holds the company's counting choices (defaults follow
COMPLIANCE.md). Invalid combinations raise `InvalidFacts`, whose code has a localized message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from workflow.compliance.retirement import RetirementCategory
from workflow.i18n import t
from workflow.model import Ground

Proposer = Literal["employer", "employee"]
PROPOSERS: tuple[str, ...] = ("employer", "employee")
UnionStatus = Literal["yes", "no"]
UNION_STATUSES: tuple[str, ...] = ("yes", "no")
# Dates outside this window are typing mistakes, and keep the date arithmetic far from its limits.
FIRST_YEAR, LAST_YEAR = 1900, 2199


class Protection(StrEnum):
    """A protected status that bars termination for incapacity or redundancy (LCL Art. 42)."""

    OCCUPATIONAL_EXPOSURE = "occupational_exposure"  # no exit health check / suspected case
    OCCUPATIONAL_DISEASE = "occupational_disease"  # confirmed, with (partial) loss of capacity
    WORK_INJURY = "work_injury"  # confirmed, with (partial) loss of capacity
    MEDICAL_PERIOD = "medical_period"
    PREGNANT = "pregnant"
    MATERNITY = "maternity"
    NURSING = "nursing"
    NEAR_RETIREMENT = "near_retirement"  # >= 15 years' continuous service, < 5 years to retirement


class RenewalOffer(StrEnum):
    """What the employer offered when a fixed term ran out (LCL Art. 46(5))."""

    SAME = "same"  # renewal on the same terms
    BETTER = "better"  # on better terms
    WORSE = "worse"  # on worse terms (declining it keeps the compensation)
    NONE = "none"  # the employer does not renew


class Pre2008Rounding(StrEnum):
    """How the part of a service year left over before 2008-01-01 counts (LCL Art. 97).

    PARTIAL_AS_YEAR: the old rules (1994 compensation measures): a started year counts as one.
    FULL_YEARS: only full years count. ART47: the new rule (>= 6 months → 1, less → 0.5).
    """

    PARTIAL_AS_YEAR = "partial_as_year"
    FULL_YEARS = "full_years"
    ART47 = "art47"


@dataclass(frozen=True)
class Convention:
    """Counting choices; the defaults are the reading in COMPLIANCE.md.

    inclusive_last_day: service runs up to and including the last working day.
    six_months_is_full: a remainder of exactly six months counts as a year ("以上" includes it).
    """

    inclusive_last_day: bool = True
    six_months_is_full: bool = True
    pre2008: Pre2008Rounding = Pre2008Rounding.PARTIAL_AS_YEAR


class InvalidFacts(ValueError):
    """Facts that cannot describe a real case; `message(locale)` says which and why."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}")
        self.code, self.params = code, params

    def message(self, locale: str | None) -> str:
        return t(f"compliance.invalid.{self.code}", locale, **self.params)


_MONEY_FIELDS = ("avg_wage", "prev_wage", "local_avg", "min_wage")
_DATE_FIELDS = ("birth_date", "contract_start", "contract_end", "probation_end", "notice_date",
                "sick_since", "min_wage_effective")
_COUNT_FIELDS = ("contract_months", "probation_months", "work_years", "headcount", "reduced",
                 "fixed_terms", "work_injury_grade")


@dataclass(frozen=True)
class CaseFacts:
    """Everything the rules need about one case.

    avg_wage is the average monthly wage *due* over the 12 months before termination (bonuses,
    allowances and subsidies included); with fewer than 12 months worked the caller passes the
    average over the months worked. prev_wage is the previous month's wage (pay in lieu of
    notice); local_avg is the previous year's local average monthly wage (the cap); min_wage is
    the local monthly minimum wage (the floor). Unknown optional amounts are None.
    contract_months (None when open-ended or unknown), open_ended and probation_months feed the
    probation-length check. Money given as int or str is converted to Decimal.

    The dated facts below let the rules derive what the law defines by dates (derive.py): a
    typed flag (in_probation, notice_served, a protection) that the dates contradict is
    overruled with a finding. birth_date + retirement_category → the retirement date;
    contract_start/contract_end/probation_end → probation (Art. 19, 21); notice_date → the
    Art. 40 notice; sick_since + work_years (all employers) → the medical period. union: the
    company has a union ("yes"/"no", None = not set). headcount/reduced: an Art. 41 round.
    renewal_offered/employee_declined/employee_wants_renewal/fixed_terms (consecutive fixed
    terms since 2008, this one included): expiry (Art. 14, 46(5)). second_contract_binding: the
    city's reading of Art. 14 para. 2 item 3 (False where courts let the employer decline).
    min_wage_effective/min_wage_stale: where the min_wage figure came from (reference data).
    """

    ground: Ground
    hired: date
    last_day: date
    avg_wage: Decimal
    prev_wage: Decimal | None = None
    local_avg: Decimal | None = None
    min_wage: Decimal | None = None
    pay_in_lieu: bool = False
    notice_served: bool = False
    proposed_by: Proposer | None = None
    in_probation: bool = False
    written_reasons: bool = False
    contract_months: int | None = None
    open_ended: bool = False
    probation_months: int | None = None
    protections: frozenset[Protection] = field(default_factory=frozenset)
    union_notified: bool = False
    convention: Convention = field(default_factory=Convention)
    birth_date: date | None = None
    retirement_category: RetirementCategory | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    probation_end: date | None = None
    notice_date: date | None = None
    sick_since: date | None = None
    work_years: int | None = None
    union: UnionStatus | None = None
    headcount: int | None = None
    reduced: int | None = None
    renewal_offered: RenewalOffer | None = None
    employee_declined: bool = False
    employee_wants_renewal: bool | None = None
    fixed_terms: int | None = None
    work_injury_grade: int | None = None
    second_contract_binding: bool = True
    min_wage_effective: date | None = None
    min_wage_stale: bool = False

    def __post_init__(self) -> None:
        # Normalise the loose forms callers hold (strings from storage, ints from forms).
        try:
            object.__setattr__(self, "ground", Ground(self.ground))
        except ValueError:
            raise InvalidFacts("ground", value=self.ground) from None
        try:
            object.__setattr__(
                self, "protections", frozenset(Protection(p) for p in self.protections)
            )
        except ValueError:
            raise InvalidFacts("protection", value=sorted(map(str, self.protections))) from None
        for name in _MONEY_FIELDS:
            object.__setattr__(self, name, _money(name, getattr(self, name)))
        for name in ("hired", "last_day", *_DATE_FIELDS):
            value = getattr(self, name)
            if value is None and name in _DATE_FIELDS:
                continue
            if not isinstance(value, date) or not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise InvalidFacts("date", field=name, first=FIRST_YEAR, last=LAST_YEAR)
        if self.last_day < self.hired:
            raise InvalidFacts("last_day_before_hired", hired=self.hired, last_day=self.last_day)
        if self.avg_wage is None:
            raise InvalidFacts("amount", field="avg_wage")
        if self.proposed_by is not None and self.proposed_by not in PROPOSERS:
            raise InvalidFacts("proposed_by", value=self.proposed_by)
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise InvalidFacts("count", field=name)
        self._check_choices()
        self._check_order()

    def _check_choices(self) -> None:
        for name, kind in (("retirement_category", RetirementCategory),
                           ("renewal_offered", RenewalOffer)):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                raise InvalidFacts("choice", field=name, value=value) from None
        if self.union is not None and self.union not in UNION_STATUSES:
            raise InvalidFacts("choice", field="union", value=self.union)
        if self.work_injury_grade is not None and not 1 <= self.work_injury_grade <= 10:
            raise InvalidFacts("grade", value=self.work_injury_grade)

    def _check_order(self) -> None:
        """Dates and counts that cannot describe one real contract."""
        start, end = self.contract_start, self.contract_end
        if start is not None and end is not None and end < start:
            raise InvalidFacts("contract_end_before_start", start=start, end=end)
        if self.birth_date is not None and self.birth_date >= self.hired:
            raise InvalidFacts("born_after_hired", birth=self.birth_date, hired=self.hired)
        if self.open_ended and end is not None:
            raise InvalidFacts("open_ended_with_end")
        if (self.headcount is not None and self.reduced is not None
                and self.reduced > self.headcount):
            raise InvalidFacts("reduced_above_headcount", reduced=self.reduced,
                               headcount=self.headcount)


def _money(name: str, value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise InvalidFacts("amount", field=name) from None
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        raise InvalidFacts("amount", field=name)
    return amount
