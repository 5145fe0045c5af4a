"""The money side of an assessment: the settlement, its segments and the arithmetic shown to HR.

Amounts are Decimal yuan rounded to cents (ROUND_HALF_UP); years are Decimal (e.g. 5.5).
Every line carries the article it comes from so a reader can check each step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from workflow.compliance.findings import cite
from workflow.i18n import t

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    """An amount rounded to cents, half up (the usual payroll rounding)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def fmt_years(n: Decimal) -> str:
    """5.5 → "5.5", 12.0 → "12"."""
    text = format(n, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Line:
    """One step of the arithmetic: a localized label, the formula, the result and its article.

    The label is the catalogue entry f"compliance.line.{key}" formatted with `params`;
    the formula is language-neutral ("12,000.00 × 5.5"); unit says how to print `value`.
    """

    key: str
    formula: str
    value: Decimal
    unit: Literal["money", "years"]
    article: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def label(self, locale: str | None) -> str:
        return t(f"compliance.line.{self.key}", locale, **self.params)

    def value_text(self) -> str:
        return fmt_money(self.value) if self.unit == "money" else fmt_years(self.value)

    def text(self, locale: str | None) -> str:
        value = self.value_text()
        calc = value if self.formula == value else f"{self.formula} = {value}"
        if self.article is None:
            return t("compliance.fmt.line", locale, label=self.label(locale), calc=calc)
        return t(
            "compliance.fmt.line_cited",
            locale,
            label=self.label(locale),
            calc=calc,
            article=cite(self.article, locale),
        )


@dataclass(frozen=True)
class Segment:
    """A stretch of service paid under one rule (e.g. before/after 2008-01-01 in China)."""

    key: str  # "pre2008" | "post2008" | a jurisdiction's own name
    start: date
    end: date  # inclusive, as the service was counted
    n: Decimal  # years credited for this segment (after any cap)
    rounding: str  # the rounding rule used, e.g. "art47" or "partial_as_year"
    base: Decimal  # monthly wage base for this segment
    amount: Decimal  # compensation for this segment (0 when none is owed)
    article: str


@dataclass(frozen=True)
class Settlement:
    """What the employer pays, and what it would risk if the termination were found unlawful.

    n: total years credited; base: the monthly base of the main rule (after floor and cap);
    capped: the base hit the cap; compensation + pay_in_lieu = total; unlawful_risk is the
    damages figure (China: 2 × the Art. 47 amount over risk_n years from the start).
    """

    n: Decimal
    segments: tuple[Segment, ...]
    base: Decimal
    capped: bool
    compensation: Decimal
    pay_in_lieu: Decimal
    total: Decimal
    risk_n: Decimal
    unlawful_risk: Decimal
    lines: tuple[Line, ...]

    def lines_text(self, locale: str | None) -> list[str]:
        return [line.text(locale) for line in self.lines]
