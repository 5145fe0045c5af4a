"""The interface every jurisdiction implements, and the assessment it returns for one case.

Handlers talk only to this protocol; each country's rules live in their own module (cn.py for
the PRC) and its texts in the catalogues (compliance.*), so adding one is a new module, its texts
and one registry entry in __init__.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from workflow.compliance.facts import CaseFacts
from workflow.compliance.findings import Deadline, DocumentRule, Finding, Level, NoticeRule
from workflow.compliance.settlement import Settlement
from workflow.model import Ground


@dataclass(frozen=True)
class Assessment:
    """The rules applied to one set of facts: findings (most serious first) and the money."""

    ground: Ground
    article: str  # the article the ground rests on, e.g. "LCL Art. 40(2)"
    findings: tuple[Finding, ...]
    settlement: Settlement
    notice: NoticeRule
    allowed_grounds: tuple[Ground, ...]  # grounds these facts do not rule out

    @property
    def blocked(self) -> bool:
        return any(f.level == Level.BLOCKING for f in self.findings)

    def at(self, level: Level) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == level)


class Jurisdiction(Protocol):
    """One legal system's separation rules. Pure: plain values in, plain values out."""

    code: str

    def assess(self, facts: CaseFacts) -> Assessment:
        """Findings and settlement for the facts (never raises for valid CaseFacts)."""
        ...

    def allowed_grounds(self, facts: CaseFacts) -> tuple[Ground, ...]:
        """The grounds that no rule rules out for these facts (the facts' own ground ignored)."""
        ...

    def layoff_round(self, headcount: int, reduced: int) -> Finding:
        """The finding `assess` gives a layoff for one round of cuts (`reduced` of `headcount`
        staff): the collective procedure, or where it falls short of it. InvalidFacts when the
        numbers cannot describe a round that cuts anyone."""
        ...

    def article(self, ground: Ground) -> str:
        """The article a ground rests on."""
        ...

    def notice_rule(self, ground: Ground) -> NoticeRule: ...

    def unilateral_allowed(self, ground: Ground) -> bool:
        """Whether the employer may terminate on this ground without the employee's agreement."""
        ...

    def documents(self, ground: Ground) -> tuple[DocumentRule, ...]:
        """The documents a case on this ground produces, in the order they are needed."""
        ...

    def deadlines(self, termination_date: date) -> list[Deadline]:
        """What is due after termination (certificate, transfers, payment, record keeping)."""
        ...

    def retention_until(self, termination_date: date) -> date:
        """Keep the case's records at least until this date (inclusive)."""
        ...
