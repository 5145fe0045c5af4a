"""The PRC rules (Labor Contract Law "LCL", Implementing Regulations "Regs"): grounds, protected
categories, probation, procedure, documents and deadlines. The arithmetic is in cn_settlement.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from workflow.compliance.cn_settlement import Terms, settle
from workflow.compliance.derive import Derived, contract_months, derive, probation_limit
from workflow.compliance.facts import CaseFacts, InvalidFacts, Protection, RenewalOffer
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
    G.DERELICTION: "LCL Art. 39(3)",
    G.SECOND_JOB: "LCL Art. 39(4)",
    G.FRAUD: "LCL Art. 39(5), 26(1)",
    G.CRIMINAL: "LCL Art. 39(6)",
    G.ILLNESS: "LCL Art. 40(1)",
    G.INCOMPETENT: "LCL Art. 40(2)",
    G.CIRCUMSTANCES: "LCL Art. 40(3)",
    G.LAYOFF: "LCL Art. 41",
    G.EXPIRY: "LCL Art. 44(1)",
    G.RETIREMENT: "LCL Art. 44(2); Regs Art. 21",
}
# Art. 39: no notice, no compensation.
SUMMARY = frozenset({G.PROBATION, G.MISCONDUCT, G.DERELICTION, G.SECOND_JOB, G.FRAUD, G.CRIMINAL})
WITH_NOTICE = frozenset({G.ILLNESS, G.INCOMPETENT, G.CIRCUMSTANCES})  # Art. 40
UNILATERAL = SUMMARY | WITH_NOTICE | {G.LAYOFF}  # Art. 43: the union is told in advance
ENDINGS = frozenset({G.EXPIRY, G.RETIREMENT})  # Art. 44: the contract ends by law (终止)
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
UNION_ARTICLE = "LCL Art. 43; SPC Art. 47"
LAYOFF_PEOPLE, LAYOFF_SHARE = 20, 10  # Art. 41: >= 20 people, or >= 10 % of the headcount
OPEN_ENDED_YEARS = 10  # Art. 14 para. 2 item 1
SECOND_TERM = 2  # Art. 14 para. 2 item 3: the end of the second consecutive fixed term
KEEPS_JOB, ENDS_ON_REQUEST = range(1, 5), range(5, 7)  # Work-Injury Insurance Regs Art. 35, 36


def _owed(facts: CaseFacts) -> tuple[bool, str]:
    """Is economic compensation owed (Art. 46), and which article says so."""
    ground = facts.ground
    if ground == G.MUTUAL:
        # The employer bears the burden of showing the employee proposed: unknown counts as owed.
        return facts.proposed_by != "employee", "LCL Art. 46(2)"
    if ground in SUMMARY:
        return False, "LCL Art. 39, 46"
    if ground == G.RETIREMENT:
        return False, "LCL Art. 44(2), 46"
    if ground == G.EXPIRY:
        declined = facts.employee_declined and facts.renewal_offered in (
            RenewalOffer.SAME, RenewalOffer.BETTER)
        return not declined, "LCL Art. 46(5)"
    return True, "LCL Art. 46(4)" if ground == G.LAYOFF else "LCL Art. 46(3)"


class China:
    """The `cn` jurisdiction."""

    code = "cn"

    def article(self, ground: Ground) -> str:
        return GROUND_ARTICLE[ground]

    def unilateral_allowed(self, ground: Ground) -> bool:
        # An Art. 44 ending needs no agreement either: the contract ends by law.
        return ground in UNILATERAL | ENDINGS

    def notice_rule(self, ground: Ground) -> NoticeRule:
        if ground in WITH_NOTICE:
            return NoticeRule(NOTICE_DAYS, True, "LCL Art. 40; Regs Art. 20")
        if ground == G.LAYOFF:  # 30 days' explanation to the union or all staff
            return NoticeRule(NOTICE_DAYS, False, "LCL Art. 41")
        return NoticeRule(0, False, GROUND_ARTICLE[ground])

    def documents(self, ground: Ground) -> tuple[DocumentRule, ...]:
        # Nothing in the Electronic Signature Law's exclusions (Art. 3) covers employment papers.
        # An Art. 44 ending is 终止 (the contract ends), never 解除 (a party rescinds it).
        wording = "end" if ground in ENDINGS else "rescind"
        first = (
            DocumentRule("mutual_agreement", "LCL Art. 36", True)
            if ground == G.MUTUAL
            else DocumentRule("termination_notice", GROUND_ARTICLE[ground], True, wording)
        )
        return (
            first,
            DocumentRule("settlement_statement", "LCL Art. 47", True),
            DocumentRule("termination_certificate", "LCL Art. 50; Regs Art. 24", True, wording),
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

    def layoff_round(self, headcount: int, reduced: int) -> Finding:
        # A round that includes the person being opened: at least one cut, from a real staff.
        if headcount < 1:
            raise InvalidFacts("headcount_zero", headcount=headcount)
        if reduced < 1:
            raise InvalidFacts("reduced_zero", reduced=reduced)
        if reduced > headcount:
            raise InvalidFacts("reduced_above_headcount", reduced=reduced, headcount=headcount)
        return _round(headcount, reduced)

    def allowed_grounds(self, facts: CaseFacts) -> tuple[Ground, ...]:
        derived = derive(facts)
        return tuple(g for g in Ground if not _blocks(_restrictions(derived, g)))

    def assess(self, facts: CaseFacts) -> Assessment:
        derived = derive(facts)
        facts = derived.facts
        ground = facts.ground
        owed, owed_article = _owed(facts)
        terms = Terms(
            owed=owed,
            owed_article=owed_article,
            pay_in_lieu=ground in WITH_NOTICE and facts.pay_in_lieu,
            old_rule_cap=ground in OLD_RULE_CAPPED,
            # Art. 97(3): the old rules owed nothing on expiry, so only service since 2008 counts.
            from_2008_only=ground == G.EXPIRY,
        )
        settlement, money_findings = settle(facts, terms)
        findings = [*_restrictions(derived, ground), *derived.findings, *_procedure(derived),
                    *money_findings]
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
            allowed_grounds=tuple(
                g for g in Ground if not _blocks(_restrictions(derived, g))),
        )



def _blocks(findings: list[Finding]) -> bool:
    return any(f.level == Level.BLOCKING for f in findings)


def _restrictions(derived: Derived, ground: Ground) -> list[Finding]:
    """The rules that rule a ground out (blocking), or bound it (info), for these facts."""
    facts, found = derived.facts, []
    if ground == G.LAYOFF:
        found.append(_layoff(facts))
    if ground in WITH_NOTICE or ground == G.LAYOFF:
        for p in sorted(facts.protections, key=list(Protection).index):
            found.append(Finding(Level.BLOCKING, f"protected.{p}",
                                 f"LCL Art. 42({PROTECTION_ITEM[p]})"))
    if facts.in_probation and ground in UNILATERAL - PROBATION_ALLOWED:
        found.append(Finding(Level.BLOCKING, "probation_ground", "LCL Art. 21"))
    if ground == G.PROBATION and not facts.in_probation:
        found.append(Finding(Level.BLOCKING, "probation_over", "LCL Art. 39(1)"))
    if ground in UNILATERAL and facts.union == "yes" and not facts.union_notified:
        # Courts hold such a termination unlawful unless put right before suit.
        found.append(Finding(Level.BLOCKING, "union_required", UNION_ARTICLE))
    if ground == G.EXPIRY:
        found += _expiry(derived)
    if ground == G.RETIREMENT:
        if derived.retires_on is None:
            found.append(Finding(Level.BLOCKING, "retirement_date_unknown", "LCL Art. 44(2)"))
        elif facts.last_day < derived.retires_on:
            found.append(Finding(Level.BLOCKING, "retirement_not_reached",
                                 "LCL Art. 44(2); Regs Art. 21", {"date": derived.retires_on}))
    return found


def _layoff(facts: CaseFacts) -> Finding:
    if facts.headcount is None or facts.reduced is None:
        return Finding(Level.BLOCKING, "layoff_single_case", "LCL Art. 41")
    return _round(facts.headcount, facts.reduced)


def _round(headcount: int, reduced: int) -> Finding:
    """Art. 41 needs a round of >= 20 people or >= 10 % of the staff; below it, Art. 40(3)."""
    params = {"headcount": headcount, "reduced": reduced}
    if reduced >= LAYOFF_PEOPLE or reduced * 100 >= LAYOFF_SHARE * headcount:
        return Finding(Level.BLOCKING, "layoff_collective", "LCL Art. 41", params)
    return Finding(Level.BLOCKING, "layoff_below_threshold", "LCL Art. 41, 40(3)", params)


def _expiry(derived: Derived) -> list[Finding]:
    """Art. 44(1) with Art. 45 (extension while an Art. 42 situation lasts) and Art. 14."""
    facts, found = derived.facts, []
    end = facts.contract_end
    if facts.open_ended:
        found.append(Finding(Level.BLOCKING, "expiry_open_ended", "LCL Art. 14, 44(1)"))
    elif end is not None and facts.last_day < end:
        found.append(Finding(Level.BLOCKING, "expiry_before_end", "LCL Art. 44(1)", {"end": end}))
    elif end is not None and facts.last_day > end:
        found.append(Finding(Level.WARNING, "expiry_after_end", "LCL Art. 44(1); Regs Art. 5",
                             {"end": end}))
    for p in sorted(facts.protections, key=list(Protection).index):
        found += _extension(derived, p)
    found += _open_ended_right(facts)
    return found


def _extension(derived: Derived, protection: Protection) -> list[Finding]:
    """Art. 45: a contract expiring during an Art. 42 situation lasts until it ends."""
    facts = derived.facts
    article = f"LCL Art. 45, 42({PROTECTION_ITEM[protection]})"
    grade = facts.work_injury_grade
    if protection == Protection.WORK_INJURY and grade is not None:
        if grade in KEEPS_JOB:
            return [Finding(Level.BLOCKING, "injury_keeps_job", "WIIR Art. 35", {"grade": grade})]
        if grade in ENDS_ON_REQUEST:
            return [Finding(Level.BLOCKING, "injury_ends_on_request", "WIIR Art. 36",
                            {"grade": grade})]
        # Grades 7–10 end at expiry; the one-time subsidies are local figures, named not computed.
        return [Finding(Level.INFO, "injury_ends_at_expiry", "WIIR Art. 37", {"grade": grade})]
    until = {Protection.NEAR_RETIREMENT: derived.retires_on,
             Protection.MEDICAL_PERIOD: derived.medical_period_ends}.get(protection)
    if until is not None:
        return [Finding(Level.BLOCKING, "expiry_extended_until", article,
                        {"status": protection.value, "until": until})]
    return [Finding(Level.BLOCKING, f"expiry_extended.{protection}", article)]


def _open_ended_right(facts: CaseFacts) -> list[Finding]:
    """Art. 14: after 10 years, or at the end of a second consecutive fixed term since 2008."""
    counted_to = facts.contract_end or facts.last_day
    ten_years = add_years(facts.hired, OPEN_ENDED_YEARS) - timedelta(days=1) <= counted_to
    second = facts.fixed_terms is not None and facts.fixed_terms >= SECOND_TERM
    if not (ten_years or second) or facts.employee_declined \
            or facts.employee_wants_renewal is False:
        return []
    item = "LCL Art. 14" if ten_years else "LCL Art. 14; Regs Art. 11"
    if facts.employee_wants_renewal is None:
        return [Finding(Level.WARNING, "open_ended_right_unknown", item)]
    if not ten_years and not facts.second_contract_binding:
        # Some cities' courts let the employer decline a third term: a per-city setting.
        return [Finding(Level.WARNING, "open_ended_right_local", item)]
    return [Finding(Level.BLOCKING, "open_ended_right", item)]


def _procedure(derived: Derived) -> list[Finding]:
    """The steps and facts the ground requires, and what it means for notice and money."""
    facts = derived.facts
    ground, found = facts.ground, []
    if facts.in_probation and ground in PROBATION_ALLOWED and not facts.written_reasons:
        found.append(Finding(Level.WARNING, "written_reasons", "LCL Art. 21"))
    limit = probation_limit(contract_months(facts), facts.open_ended)
    if facts.probation_months is not None and limit is not None and facts.probation_months > limit:
        found.append(Finding(Level.WARNING, "probation_too_long", "LCL Art. 19, 83",
                             {"agreed": facts.probation_months, "allowed": limit}))
    if ground in UNILATERAL:
        found += _union(facts)
    if ground == G.MUTUAL and facts.proposed_by is None:
        found.append(Finding(Level.WARNING, "proposer_unknown", "LCL Art. 46(2)"))
    if ground == G.MUTUAL and facts.proposed_by == "employee":
        found.append(Finding(Level.INFO, "employee_proposed", "LCL Art. 46(2)"))
    if ground in SUMMARY:
        found.append(Finding(Level.INFO, "summary_dismissal", "LCL Art. 39, 46"))
    if ground in WITH_NOTICE:
        found.append(_notice_finding(facts))
    if ground == G.ILLNESS:
        found.append(Finding(Level.INFO, "local_medical_subsidy", "LCL Art. 40(1)"))
    if ground == G.EXPIRY:
        found += _expiry_procedure(facts)
    if ground == G.RETIREMENT and derived.retires_on is not None \
            and facts.last_day >= derived.retires_on:
        found.append(Finding(Level.INFO, "retirement_reached", "LCL Art. 44(2); Regs Art. 21",
                             {"date": derived.retires_on}))
    # An Art. 44 ending gets a certificate of the contract's end (终止), not of its rescission.
    certificate = "certificate_required_end" if ground in ENDINGS else "certificate_required"
    found.append(Finding(Level.INFO, certificate, "LCL Art. 50; Regs Art. 24"))
    return found


def _union(facts: CaseFacts) -> list[Finding]:
    if facts.union_notified:
        return []
    if facts.union == "no":  # local practice: the higher-level union or staff representatives
        return [Finding(Level.WARNING, "union_none", "LCL Art. 43")]
    if facts.union is None:
        return [Finding(Level.WARNING, "union_not_notified", "LCL Art. 43")]
    return []  # union "yes" and not notified: blocking, in _restrictions


def _expiry_procedure(facts: CaseFacts) -> list[Finding]:
    found = []
    if facts.contract_end is None and not facts.open_ended:
        found.append(Finding(Level.WARNING, "contract_end_unknown", "LCL Art. 44(1)"))
    if facts.renewal_offered is None:
        found.append(Finding(Level.WARNING, "renewal_unknown", "LCL Art. 46(5)"))
    elif facts.employee_declined and facts.renewal_offered in (RenewalOffer.SAME,
                                                               RenewalOffer.BETTER):
        found.append(Finding(Level.INFO, "renewal_declined", "LCL Art. 46(5)"))
    else:
        found.append(Finding(Level.INFO, "expiry_compensation", "LCL Art. 46(5)"))
    # No national advance notice for an expiry; several cities require one (often 30 days).
    found.append(Finding(Level.INFO, "local_expiry_notice", "LCL Art. 44(1)"))
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
