"""Separation rules and the settlement calculator, behind one interface per jurisdiction.

Use `get_jurisdiction("cn").assess(CaseFacts(...))`; every finding and every line of arithmetic
names the article it comes from. Reference figures (wages by city and year) come in as data.
"""

from __future__ import annotations

from workflow.compliance.cn import China
from workflow.compliance.facts import (
    CaseFacts,
    Convention,
    InvalidFacts,
    Pre2008Rounding,
    Proposer,
    Protection,
    RenewalOffer,
)
from workflow.compliance.findings import (
    Deadline,
    DocumentRule,
    Finding,
    Level,
    NoticeRule,
    cite,
)
from workflow.compliance.jurisdiction import Assessment, Jurisdiction
from workflow.compliance.reference import BadReferenceData, CityFigures, MinWage, ReferenceData
from workflow.compliance.retirement import RetirementCategory
from workflow.compliance.settlement import Line, Segment, Settlement, money

_JURISDICTIONS: dict[str, Jurisdiction] = {"cn": China()}


class UnknownJurisdiction(KeyError):
    """No rules are implemented for the jurisdiction code asked for."""


def get_jurisdiction(code: str = "cn") -> Jurisdiction:
    try:
        return _JURISDICTIONS[code.lower()]
    except KeyError:
        raise UnknownJurisdiction(
            f"no rules for jurisdiction {code!r}; available: {', '.join(sorted(_JURISDICTIONS))}"
        ) from None


def jurisdiction_codes() -> tuple[str, ...]:
    return tuple(sorted(_JURISDICTIONS))


__all__ = [
    "Assessment",
    "BadReferenceData",
    "CaseFacts",
    "CityFigures",
    "Convention",
    "Deadline",
    "DocumentRule",
    "Finding",
    "InvalidFacts",
    "Jurisdiction",
    "Level",
    "Line",
    "MinWage",
    "NoticeRule",
    "Pre2008Rounding",
    "Proposer",
    "Protection",
    "ReferenceData",
    "RenewalOffer",
    "RetirementCategory",
    "Segment",
    "Settlement",
    "UnknownJurisdiction",
    "cite",
    "get_jurisdiction",
    "jurisdiction_codes",
    "money",
]
