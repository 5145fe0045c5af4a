"""The PRC rules (Labor Contract Law "LCL", Implementing Regulations "Regs"): grounds, protected
categories, probation, procedure, documents and deadlines. The arithmetic is in cn_settlement.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from workflow.compliance.cn_settlement import Terms, settle
from workflow.compliance.facts import CaseFacts, Protection
from workflow.compliance.findings import (
    LEVEL_ORDER,
    Deadline,
    DocumentRule,
    Finding,
    Level,
    NoticeRule,
)
from workflow.compliance.jurisdiction import Assessment
from workflow.compliance.service import add_years
from workflow.model import Ground

G = Ground
GROUND_ARTICLE = {
    G.MUTUAL: "LCL Art. 36",
    G.PROBATION: "LCL Art. 39(1)",
    G.MISCONDUCT: "LCL Art. 39(2)",
    G.ILLNESS: "LCL Art. 40(1)",
    G.INCOMPETENT: "LCL Art. 40(2)",
    G.CIRCUMSTANCES: "LCL Art. 40(3)",
    G.LAYOFF: "LCL Art. 41",
}
SUMMARY = frozenset({G.PROBATION, G.MISCONDUCT})  # Art. 39
WITH_NOTICE = frozenset({G.ILLNESS, G.INCOMPETENT, G.CIRCUMSTANCES})  # Art. 40
UNILATERAL = SUMMARY | WITH_NOTICE | {G.LAYOFF}
# Art. 21: during probation the employer may rely only on Art. 39 or Art. 40(1)/(2).
PROBATION_ALLOWED = SUMMARY | {G.ILLNESS, G.INCOMPETENT}
# The 1994 measures capped compensation at 12 months for agreement (Art. 5) and incompetence (Art. 7).
OLD_RULE_CAPPED = frozenset({G.MUTUAL, G.INCOMPETENT})
# Art. 42 items, by protected status.
PROTECTION_ITEM = {
    Protection.OCCUPATIONAL_EXPOSURE: 1,
    Protection.OCCUPATIONAL_DISEASE: 2,
    Protection.WORK_INJURY: 2,
    Protection.MEDICAL_PERIOD: 3,
    Protection.PREGNANT: 4,
    Protection.MATERNITY: 4,
    Protection.NURSING: 4,
    Protection.NEAR_RETIREMENT: 5,
}
NOTICE_DAYS = 30  # Art. 40
TRANSFER_DAYS = 15  # Art. 50: file and social-insurance transfer
RETENTION_YEARS = 2  # Art. 50: keep terminated contracts at least two years
ART50 = "LCL Art. 50"


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


def _owed(facts: CaseFacts) -> tuple[bool, str]:
    """Is economic compensation owed (Art. 46), and which article says so."""
    ground = facts.ground
    if ground == G.MUTUAL:
        # The employer bears the burden of showing the employee proposed: unknown counts as owed.
        return facts.proposed_by != "employee", "LCL Art. 46(2)"
    if ground in SUMMARY:
        return False, "LCL Art. 39, 46"
    return True, "LCL Art. 46(4)" if ground == G.LAYOFF else "LCL Art. 46(3)"


class China:
    """The `cn` jurisdiction."""

    code = "cn"

    def article(self, ground: Ground) -> str:
        return GROUND_ARTICLE[ground]

    def unilateral_allowed(self, ground: Ground) -> bool:
        return ground in UNILATERAL

    def notice_rule(self, ground: Ground) -> NoticeRule:
        if ground in WITH_NOTICE:
            return NoticeRule(NOTICE_DAYS, True, "LCL Art. 40; Regs Art. 20")
        if ground == G.LAYOFF:  # 30 days' explanation to the union or all staff
            return NoticeRule(NOTICE_DAYS, False, "LCL Art. 41")
        return NoticeRule(0, False, GROUND_ARTICLE[ground])

    def documents(self, ground: Ground) -> tuple[DocumentRule, ...]:
        # Nothing in the Electronic Signature Law's exclusions (Art. 3) covers employment papers.
        first = (
            DocumentRule("mutual_agreement", "LCL Art. 36", True)
            if ground == G.MUTUAL
            else DocumentRule("termination_notice", GROUND_ARTICLE[ground], True)
        )
        return (
            first,
            DocumentRule("settlement_statement", "LCL Art. 47", True),
            DocumentRule("termination_certificate", "LCL Art. 50; Regs Art. 24", True),
        )

    def retention_until(self, termination_date: date) -> date:
        return add_years(termination_date, RETENTION_YEARS)

    def deadlines(self, termination_date: date) -> list[Deadline]:
        return [
            Deadline("certificate", "LCL Art. 50; Regs Art. 24", termination_date),
            Deadline("transfer", ART50, termination_date + timedelta(days=TRANSFER_DAYS)),
            Deadline("compensation", ART50, None, after="handover_completed"),
            Deadline("retention", ART50, self.retention_until(termination_date)),
        ]

    def allowed_grounds(self, facts: CaseFacts) -> tuple[Ground, ...]:
        return tuple(g for g in Ground if not _restrictions(facts, g))

    def assess(self, facts: CaseFacts) -> Assessment:
        ground = facts.ground
        owed, owed_article = _owed(facts)
        terms = Terms(
            owed=owed,
            owed_article=owed_article,
            pay_in_lieu=ground in WITH_NOTICE and facts.pay_in_lieu,
            old_rule_cap=ground in OLD_RULE_CAPPED,
        )
        settlement, money_findings = settle(facts, terms)
        findings = [*_restrictions(facts, ground), *_procedure(facts), *money_findings]
        if any(f.level == Level.BLOCKING for f in findings):
            findings.append(Finding(Level.INFO, "unlawful_risk", "LCL Art. 48, 87; Regs Art. 25",
                                    {"amount": settlement.unlawful_risk}))
        findings.sort(key=lambda f: LEVEL_ORDER[f.level])  # stable: rule order within a level
        return Assessment(
            ground=ground,
            article=GROUND_ARTICLE[ground],
            findings=tuple(findings),
            settlement=settlement,
            notice=self.notice_rule(ground),
            allowed_grounds=self.allowed_grounds(facts),
        )


def _restrictions(facts: CaseFacts, ground: Ground) -> list[Finding]:
    """The blocking rules that rule a ground out for these facts."""
    found = []
    if ground == G.LAYOFF:
        found.append(Finding(Level.BLOCKING, "layoff_single_case", "LCL Art. 41"))
    if ground in WITH_NOTICE or ground == G.LAYOFF:
        for p in sorted(facts.protections, key=list(Protection).index):
            found.append(Finding(Level.BLOCKING, f"protected.{p}",
                                 f"LCL Art. 42({PROTECTION_ITEM[p]})"))
    if facts.in_probation and ground in UNILATERAL - PROBATION_ALLOWED:
        found.append(Finding(Level.BLOCKING, "probation_ground", "LCL Art. 21"))
    if ground == G.PROBATION and not facts.in_probation:
        found.append(Finding(Level.BLOCKING, "probation_over", "LCL Art. 39(1)"))
    return found


def _procedure(facts: CaseFacts) -> list[Finding]:
    """The steps and facts the ground requires, and what it means for notice and money."""
    ground, found = facts.ground, []
    if facts.in_probation and ground in PROBATION_ALLOWED and not facts.written_reasons:
        found.append(Finding(Level.WARNING, "written_reasons", "LCL Art. 21"))
    limit = probation_limit(facts.contract_months, facts.open_ended)
    if facts.probation_months is not None and limit is not None and facts.probation_months > limit:
        found.append(Finding(Level.WARNING, "probation_too_long", "LCL Art. 19, 83",
                             {"agreed": facts.probation_months, "allowed": limit}))
    if ground in UNILATERAL and not facts.union_notified:
        found.append(Finding(Level.WARNING, "union_not_notified", "LCL Art. 43"))
    if ground == G.MUTUAL and facts.proposed_by is None:
        found.append(Finding(Level.WARNING, "proposer_unknown", "LCL Art. 46(2)"))
    if ground == G.MUTUAL and facts.proposed_by == "employee":
        found.append(Finding(Level.INFO, "employee_proposed", "LCL Art. 46(2)"))
    if ground in SUMMARY:
        found.append(Finding(Level.INFO, "summary_dismissal", "LCL Art. 39, 46"))
    if ground in WITH_NOTICE:
        found.append(_notice_finding(facts))
    found.append(Finding(Level.INFO, "certificate_required", "LCL Art. 50; Regs Art. 24"))
    return found


def _notice_finding(facts: CaseFacts) -> Finding:
    if facts.pay_in_lieu and facts.prev_wage is None:
        return Finding(Level.BLOCKING, "prev_wage_missing", "Regs Art. 20")
    if facts.pay_in_lieu:
        return Finding(Level.INFO, "pay_in_lieu", "LCL Art. 40; Regs Art. 20",
                       {"amount": facts.prev_wage})
    if facts.notice_served:
        return Finding(Level.INFO, "notice_served", "LCL Art. 40")
    return Finding(Level.WARNING, "notice_required", "LCL Art. 40")
