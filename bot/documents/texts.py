"""The wording of the generated documents, in zh-CN and en (the templates arrange it)."""

from __future__ import annotations

from workflow.i18n import register

register({
    "doc.meta": {"zh-CN": "编号 {ref} · 第 {version} 版 · {date}",
                 "en": "Ref. {ref} · version {version} · {date}"},
    "doc.footer": {"zh-CN": "{ref} 第 {version} 版 · {title}",
                   "en": "{ref} version {version} · {title}"},
    "doc.to": {"zh-CN": "{name}（工号 {no}）：", "en": "To {name} (employee no. {no}):"},
    "doc.company_unnamed": {"zh-CN": "本公司", "en": "the Company"},
    # Termination notice
    "doc.notice.decision": {
        "zh-CN": "依据{article}（{ground}），公司决定解除与您的劳动合同，劳动合同于 {last_day} 解除。",
        "en": "Under {article} ({ground}), {company} terminates your employment contract; "
              "the contract ends on {last_day}.",
    },
    "doc.heading.reasons": {"zh-CN": "解除理由", "en": "Reasons"},
    "doc.heading.money": {"zh-CN": "经济补偿及相关款项", "en": "Compensation and payments"},
    "doc.heading.after": {"zh-CN": "后续事项", "en": "What happens next"},
    "doc.notice.pay_in_lieu": {
        "zh-CN": "公司以额外支付一个月工资 {amount} 元（代通知金）代替提前三十日书面通知（{article}）。",
        "en": "Instead of 30 days' written notice the Company pays one extra month's wage of "
              "CNY {amount} (pay in lieu of notice, {article}).",
    },
    "doc.notice.notice_days": {
        "zh-CN": "本通知于解除日期前至少 {days} 日以书面形式送达（{article}）。",
        "en": "This notice is served in writing at least {days} days before the contract ends "
              "({article}).",
    },
    "doc.notice.compensation": {
        "zh-CN": "公司依法支付经济补偿 {amount} 元（工作年限 {n} 年，月工资基数 {base} 元）。",
        "en": "The Company pays economic compensation of CNY {amount} ({n} years of service, "
              "monthly base CNY {base}).",
    },
    "doc.notice.no_compensation": {
        "zh-CN": "依据{article}解除劳动合同，公司无需支付经济补偿（{rule}）。",
        "en": "Termination under {article} carries no economic compensation ({rule}).",
    },
    "doc.total": {
        "zh-CN": "以上合计 {total} 元，计算过程见《经济补偿计算说明》。",
        "en": "Total: CNY {total}; the arithmetic is set out in the Settlement Statement.",
    },
    "doc.not_computed": {
        "zh-CN": "所需事实尚不齐全，金额未能计算，人事部门将另行书面告知。",
        "en": "The facts needed are incomplete, so no amount is computed yet; HR will confirm "
              "it in writing.",
    },
    "doc.payment_time": {
        "zh-CN": "经济补偿在您办结工作交接时支付（{article}）。",
        "en": "Compensation is paid when the handover is completed ({article}).",
    },
    "doc.handover": {
        "zh-CN": "请于 {last_day} 前按公司规定办理工作交接。",
        "en": "Please complete the handover by {last_day} as the Company's rules require.",
    },
    "doc.certificate_promise": {
        "zh-CN": "公司将在解除劳动合同时出具解除劳动合同的证明，并在十五日内为您办理档案和社会"
                 "保险关系转移手续（{article}）。",
        "en": "The Company issues a certificate of termination when the contract ends and "
              "transfers your personnel file and social insurance within 15 days ({article}).",
    },
    "doc.revision": {"zh-CN": "本版修订说明：{note}", "en": "Changes in this version: {note}"},
    "doc.company_sign": {"zh-CN": "用人单位（盖章）：{company}　　日期：{date}",
                         "en": "For the employer: {company}    Date: {date}"},
    "doc.employee_ack": {"zh-CN": "劳动者签收：________________　　日期：__________",
                         "en": "Received by the employee: ________________    Date: __________"},
    "doc.electronic": {
        "zh-CN": "本文件可通过电子方式签收或签署；签署记录载明签署人身份、文件 SHA-256、时间及确认声明。",
        "en": "This document may be received or signed electronically; the signature record "
              "names the signer, the document's SHA-256, the time and the statement confirmed.",
    },
    # Mutual termination agreement
    "doc.agreement.parties": {
        "zh-CN": "甲方（用人单位）：{company}\n乙方（劳动者）：{name}，工号 {no}，部门 {department}，"
                 "岗位 {position}",
        "en": "Party A (employer): {company}\nParty B (employee): {name}, employee no. {no}, "
              "department {department}, position {position}",
    },
    "doc.agreement.proposer.employer": {"zh-CN": "甲方", "en": "Party A"},
    "doc.agreement.proposer.employee": {"zh-CN": "乙方", "en": "Party B"},
    "doc.agreement.proposer.": {"zh-CN": "一方", "en": "one party"},
    "doc.agreement.intro": {
        "zh-CN": "经{proposer}提出，甲乙双方依据{article}协商一致，同意解除双方的劳动合同，约定如下：",
        "en": "On {proposer}'s proposal, the parties agree under {article} to end the employment "
              "contract on the following terms:",
    },
    "doc.agreement.end": {"zh-CN": "一、劳动合同于 {last_day} 解除。",
                          "en": "1. The employment contract ends on {last_day}."},
    "doc.agreement.money": {
        "zh-CN": "二、甲方向乙方支付经济补偿 {amount} 元（{article}），代通知金 {pay_in_lieu} 元，"
                 "合计 {total} 元，计算过程见《经济补偿计算说明》。",
        "en": "2. Party A pays Party B economic compensation of CNY {amount} ({article}) and "
              "CNY {pay_in_lieu} in lieu of notice, CNY {total} in total; the arithmetic is set "
              "out in the Settlement Statement.",
    },
    "doc.agreement.no_money": {
        "zh-CN": "二、本次解除由乙方提出，甲方无需支付经济补偿（{article}）。",
        "en": "2. Party B proposed the termination, so no economic compensation is owed "
              "({article}).",
    },
    "doc.agreement.payment": {"zh-CN": "三、上述款项在乙方办结工作交接时支付（{article}）。",
                              "en": "3. Payment is made when Party B completes the handover "
                                    "({article})."},
    "doc.agreement.handover": {"zh-CN": "四、乙方应于 {last_day} 前按甲方规定办理工作交接。",
                               "en": "4. Party B completes the handover by {last_day} as Party "
                                     "A's rules require."},
    "doc.agreement.certificate": {
        "zh-CN": "五、甲方在解除劳动合同时出具解除劳动合同的证明，并在十五日内办理档案和社会保险"
                 "关系转移手续（{article}）。",
        "en": "5. Party A issues the certificate of termination when the contract ends and "
              "transfers the personnel file and social insurance within 15 days ({article}).",
    },
    "doc.agreement.effect": {
        "zh-CN": "六、本协议经乙方签署（含电子签署）后生效。",
        "en": "6. This agreement takes effect when Party B signs it (electronic signature "
              "included).",
    },
    "doc.agreement.sign": {
        "zh-CN": "甲方（盖章）：{company}　　日期：{date}\n乙方（签字）：________________　　日期：__________",
        "en": "Party A: {company}    Date: {date}\nParty B: ________________    Date: __________",
    },
    # Settlement statement
    "doc.settlement.employee": {
        "zh-CN": "劳动者：{name}（工号 {no}）　解除依据：{article}（{ground}）\n入职日期：{hired}　"
                 "最后工作日：{last_day}",
        "en": "Employee: {name} (employee no. {no})    Ground: {article} ({ground})\n"
              "Hired: {hired}    Last working day: {last_day}",
    },
    "doc.settlement.col.item": {"zh-CN": "项目", "en": "Item"},
    "doc.settlement.col.calc": {"zh-CN": "计算", "en": "Calculation"},
    "doc.settlement.col.basis": {"zh-CN": "依据", "en": "Basis"},
    "doc.settlement.summary": {"zh-CN": "汇总", "en": "Summary"},
    "doc.settlement.n": {"zh-CN": "工作年限（N）", "en": "Years of service (N)"},
    "doc.settlement.base": {"zh-CN": "月工资基数（元）", "en": "Monthly base (CNY)"},
    "doc.settlement.compensation": {"zh-CN": "经济补偿（元）", "en": "Economic compensation (CNY)"},
    "doc.settlement.pay_in_lieu": {"zh-CN": "代通知金（元）", "en": "Pay in lieu of notice (CNY)"},
    "doc.settlement.total": {"zh-CN": "合计（元）", "en": "Total (CNY)"},
    "doc.settlement.units": {
        "zh-CN": "金额单位为人民币元，四舍五入至分。每一步计算均注明所依据的法律条文（{article}）。",
        "en": "Amounts in CNY, rounded to the cent. Each step names the article it rests on "
              "({article}).",
    },
    # Termination certificate
    "doc.certificate.body": {
        "zh-CN": "兹证明 {name}（工号 {no}）自 {hired} 起在本单位工作，劳动合同期限自 {hired} 起，"
                 "工作岗位为 {department} {position}。双方劳动合同依据{article}于 {last_day} 解除。"
                 "其在本单位的工作年限为 {years} 年 {months} 个月。",
        "en": "This is to certify that {name} (employee no. {no}) worked for the Company from "
              "{hired}; the employment contract ran from {hired}; position: {department} "
              "{position}. The contract ended on {last_day} under {article}. Years of service "
              "with the Company: {years} years {months} months.",
    },
    "doc.certificate.basis": {"zh-CN": "特此证明。（{article}）",
                              "en": "Issued under {article}."},
    "doc.certificate.sign": {"zh-CN": "{company}（盖章）\n{date}", "en": "{company}\n{date}"},
})
