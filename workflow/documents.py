"""Which of a ground's documents are issued when: the decision documents the employee signs after
the talk, and those issued at termination (the certificate, LCL Art. 50)."""

from __future__ import annotations

from datetime import date, timedelta

from workflow.compliance import DocumentRule
from workflow.compliance.service import Span, span

# Issued when the employment ends, not put to the employee for signature.
AT_TERMINATION = frozenset({"termination_certificate"})
# Signing one of these is consent to its terms; signing anything else acknowledges receipt.
AGREEMENTS = frozenset({"mutual_agreement"})
# Settlement lines for the employer's eyes only: the unlawful-termination risk is HR's
# assessment of its own exposure, not something the employee is owed or told.
EMPLOYER_ONLY_LINES = frozenset({"risk"})


# An Art. 44 ending (终止: the contract ends by law) is titled differently from 解除.
_END_TITLES = {
    "termination_notice": "document.title.termination_notice_end",
    "termination_certificate": "document.title.termination_certificate_end",
}


def title_key(kind: str, wording: str = "rescind") -> str:
    """The catalogue key of a document's title: 终止 wording for an ending by law."""
    if wording == "end" and kind in _END_TITLES:
        return _END_TITLES[kind]
    return f"document.title.{kind}"


def decision_documents(rules: tuple[DocumentRule, ...]) -> tuple[DocumentRule, ...]:
    return tuple(rule for rule in rules if rule.kind not in AT_TERMINATION)


def termination_documents(rules: tuple[DocumentRule, ...]) -> tuple[DocumentRule, ...]:
    return tuple(rule for rule in rules if rule.kind in AT_TERMINATION)


def is_agreement(kinds: tuple[str, ...]) -> bool:
    return any(kind in AGREEMENTS for kind in kinds)


def for_employee(line_key: str) -> bool:
    return line_key not in EMPLOYER_ONLY_LINES


def service_length(hired: date, last_day: date) -> Span:
    """Years of service for the certificate (Regs Art. 24): hire date to last day, inclusive."""
    return span(hired, last_day + timedelta(days=1))
