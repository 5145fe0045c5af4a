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
from workflow.i18n import register
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


_PROTECTED = {
    Protection.OCCUPATIONAL_EXPOSURE: (
        "员工从事接触职业病危害作业且未进行离岗前职业健康检查，或为疑似职业病病人在诊断或医学观察期间",
        "the employee worked with occupational-disease hazards and has had no exit health check, "
        "or is a suspected case under diagnosis or observation",
    ),
    Protection.OCCUPATIONAL_DISEASE: (
        "员工在本单位患职业病并被确认丧失或部分丧失劳动能力",
        "the employee has an occupational disease contracted here with (partial) loss of capacity",
    ),
    Protection.WORK_INJURY: (
        "员工因工负伤并被确认丧失或部分丧失劳动能力",
        "the employee was injured at work here with (partial) loss of capacity",
    ),
    Protection.MEDICAL_PERIOD: (
        "员工患病或非因工负伤，仍在规定的医疗期内",
        "the employee is ill or injured and still within the statutory medical period",
    ),
    Protection.PREGNANT: ("员工处于孕期", "the employee is pregnant"),
    Protection.MATERNITY: ("员工处于产期", "the employee is on maternity leave"),
    Protection.NURSING: ("员工处于哺乳期", "the employee is in the nursing period"),
    Protection.NEAR_RETIREMENT: (
        "员工在本单位连续工作满十五年，且距法定退休年龄不足五年",
        "the employee has 15 or more years' continuous service here and is less than five "
        "years from the legal retirement age",
    ),
}

register(
    {
        "compliance.law.LCL": {"zh-CN": "《劳动合同法》", "en": "Labor Contract Law"},
        "compliance.law.Regs": {
            "zh-CN": "《劳动合同法实施条例》",
            "en": "Labor Contract Law Implementing Regulations",
        },
        **{
            f"compliance.ground.{g}": texts
            for g, texts in {
                G.MUTUAL: {"zh-CN": "协商一致解除", "en": "mutual agreement"},
                G.PROBATION: {"zh-CN": "试用期不符合录用条件", "en": "failed probation"},
                G.MISCONDUCT: {"zh-CN": "严重违反规章制度", "en": "serious misconduct"},
                G.ILLNESS: {"zh-CN": "医疗期满不能工作", "en": "illness after the medical period"},
                G.INCOMPETENT: {"zh-CN": "不能胜任工作", "en": "incompetence"},
                G.CIRCUMSTANCES: {
                    "zh-CN": "客观情况发生重大变化",
                    "en": "major change of circumstances",
                },
                G.LAYOFF: {"zh-CN": "经济性裁员", "en": "mass layoff"},
            }.items()
        },
        **{
            f"compliance.protected.{p}": {
                "zh-CN": f"{zh}：依第42条不得依第40条、第41条解除；仍可协商解除（第36条）或依第39条解除。",
                "en": f"Art. 42 forbids termination under Art. 40 or 41: {en}. Mutual agreement "
                "(Art. 36) and Art. 39 remain possible.",
            }
            for p, (zh, en) in _PROTECTED.items()
        },
        "compliance.layoff_single_case": {
            "zh-CN": "经济性裁员（裁减20人以上，或不足20人但占职工总数10%以上）须向工会或全体职工说明"
            "并报告劳动行政部门，本机器人不办理单个案件的裁员；请HR在系统外按第41条程序办理。",
            "en": "A mass layoff (20 or more people, or fewer but 10% or more of the staff) needs "
            "its own procedure (explanation to the union or all staff, report to the labour "
            "authority); this bot does not run it as a single case. HR must follow Art. 41 "
            "outside the bot.",
        },
        "compliance.probation_ground": {
            "zh-CN": "试用期内用人单位只能依第39条或第40条第1、2项解除，不能以此理由解除（第21条）。",
            "en": "During probation the employer may terminate only under Art. 39 or Art. 40(1) "
            "or (2); this ground is not available (Art. 21).",
        },
        "compliance.probation_over": {
            "zh-CN": "“试用期不符合录用条件”只适用于试用期内，该员工已不在试用期。",
            "en": "Failing probation (Art. 39(1)) applies only during probation, and the employee "
            "is no longer in probation.",
        },
        "compliance.prev_wage_missing": {
            "zh-CN": "代通知金按上一个月的工资标准确定：请填写上月工资。",
            "en": "Pay in lieu of notice is the previous month's wage: enter that wage.",
        },
        "compliance.written_reasons": {
            "zh-CN": "试用期内解除须向劳动者说明理由：尚未记录书面说明。",
            "en": "Termination during probation: the reasons must be explained to the employee "
            "in writing, and no written explanation is recorded yet.",
        },
        "compliance.probation_too_long": {
            "zh-CN": "约定的试用期（{agreed}个月）超过该合同期限允许的上限（{allowed}个月）；"
            "已履行的超出部分，用人单位须按试用期满月工资向劳动者支付赔偿金。",
            "en": "The agreed probation ({agreed} months) is longer than this contract allows "
            "({allowed} months); for time already served beyond the limit the employer owes "
            "damages at the post-probation monthly wage.",
        },
        "compliance.union_not_notified": {
            "zh-CN": "单方解除须事先将理由通知工会：尚未记录通知工会。",
            "en": "Unilateral termination: the union must be told the reasons in advance, and no "
            "notification is recorded yet.",
        },
        "compliance.proposer_unknown": {
            "zh-CN": "请记录由哪一方提出协商解除：用人单位提出的须支付经济补偿；以上金额按用人单位提出计算。",
            "en": "Record who proposed the mutual termination: compensation is owed if the "
            "employer proposed, and the figures assume it did.",
        },
        "compliance.employee_proposed": {
            "zh-CN": "由劳动者提出协商解除，用人单位无须支付经济补偿。",
            "en": "The employee proposed the mutual termination: no economic compensation is owed.",
        },
        "compliance.summary_dismissal": {
            "zh-CN": "过失性解除：无须提前通知，无代通知金，无经济补偿。",
            "en": "Summary dismissal: no notice period, no pay in lieu of notice, no economic "
            "compensation.",
        },
        "compliance.pay_in_lieu": {
            "zh-CN": "以额外支付一个月工资代替提前30日书面通知：按上月工资 {amount:,.2f} 计算。",
            "en": "One extra month's wage replaces 30 days' written notice: {amount:,.2f}, the "
            "previous month's wage.",
        },
        "compliance.notice_served": {
            "zh-CN": "已提前30日书面通知劳动者。",
            "en": "30 days' written notice has been served.",
        },
        "compliance.notice_required": {
            "zh-CN": "须提前30日书面通知劳动者，或额外支付一个月工资（代通知金）；尚未记录其一。",
            "en": "Serve 30 days' written notice or pay one extra month's wage in lieu; neither "
            "is recorded yet.",
        },
        "compliance.certificate_required": {
            "zh-CN": "解除时须出具解除劳动合同证明书（写明合同期限、解除日期、工作岗位、工作年限）。",
            "en": "Issue the termination certificate at termination (contract term, termination "
            "date, position, years of service).",
        },
        "compliance.unlawful_risk": {
            "zh-CN": "若仍执行并被认定违法解除，用人单位须支付赔偿金 {amount:,.2f}（经济补偿标准的二倍）。",
            "en": "If the termination went ahead and were found unlawful, the employer would owe "
            "damages of {amount:,.2f} (twice the Art. 47 amount).",
        },
        "compliance.deadline.certificate": {
            "zh-CN": "解除劳动合同证明书：{due} 解除时出具",
            "en": "Termination certificate: at termination, {due}",
        },
        "compliance.deadline.transfer": {
            "zh-CN": "档案和社会保险关系转移：{due} 前办理",
            "en": "File and social-insurance transfer: by {due}",
        },
        "compliance.deadline.compensation": {
            "zh-CN": "经济补偿：办结工作交接时支付",
            "en": "Economic compensation: paid when the handover is completed",
        },
        "compliance.deadline.retention": {
            "zh-CN": "已解除的劳动合同文本至少保存至 {due}",
            "en": "Keep the terminated contract texts at least until {due}",
        },
    }
)
