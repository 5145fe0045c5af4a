"""The handlers' own texts (zh-CN and en): replies, notifications and card titles."""

from workflow.i18n import register

register({
    "h.refused": {"zh-CN": "未执行", "en": "Not done"},
    "h.done": {"zh-CN": "已完成", "en": "Done"},
    "h.unknown_user": {
        "zh-CN": "通讯录里找不到你（{identity}）。请联系 HR 把你加入通讯录。",
        "en": "You are not in the company directory ({identity}). Please ask HR to add you.",
    },
    "h.unknown_case": {
        "zh-CN": "找不到案件 {ref}。发送“退工 进度”查看你的案件。",
        "en": "There is no case {ref}. Send “/offboard status” to list your cases.",
    },
    "h.need_case": {
        "zh-CN": "请写明案件编号，例如 C-0001。",
        "en": "Please name the case, e.g. C-0001.",
    },
    "h.stale_card": {
        "zh-CN": "这张卡片已过期：案件 {ref} 已变化（{who} 于 {when} {action}）。以下是最新状态。",
        "en": "This card is out of date: case {ref} has moved on ({who} did “{action}” at {when}). "
              "Here is the current card.",
    },
    "h.conflict": {
        "zh-CN": "案件 {ref} 刚被其他人修改，请查看最新卡片后再试。",
        "en": "Case {ref} was just changed by someone else; please look at the current card and try again.",
    },
    "h.unknown_person": {
        "zh-CN": "通讯录里找不到“{who}”。请用 @ 选择同事或写工号。",
        "en": "No one called “{who}” in the directory. Mention the colleague with @ or give the employee number.",
    },
    "h.ambiguous_person": {
        "zh-CN": "“{who}”对应多位同事：{names}。请写工号或用 @ 选择。",
        "en": "“{who}” matches several people: {names}. Use the employee number or an @mention.",
    },
    "h.self_case": {
        "zh-CN": "不能为自己发起退工案件。",
        "en": "You cannot open a separation case about yourself.",
    },
    "h.not_a_manager": {
        "zh-CN": "只有{name}的直属经理或 HR 可以发起案件。",
        "en": "Only {name}'s line manager or HR may open a case.",
    },
    "h.case_exists": {
        "zh-CN": "{name} 已有进行中的案件 {ref}。",
        "en": "{name} already has an open case, {ref}.",
    },
    "h.layoff": {
        "zh-CN": "经济性裁员（《劳动合同法》第四十一条）需要整体程序（向工会或全体职工说明、"
                 "报告劳动行政部门），不能按单个案件处理。请联系 HR 负责人。",
        "en": "A mass layoff (LCL Art. 41) needs its own procedure (explain to the union or all staff, report to "
              "the labour authority) and cannot run as a single case. Please talk to the HR lead.",
    },
    "h.opened.title": {"zh-CN": "已创建案件 {ref}", "en": "Case {ref} opened"},
    "h.opened.text": {
        "zh-CN": "员工：{name}；理由：{ground}（{article}）。该理由依法需要以下证据：\n{needs}",
        "en": "Employee: {name}; ground: {ground} ({article}). The law needs this evidence for it:\n{needs}",
    },
    "h.prompt_next": {
        "zh-CN": "请发送第 {n} 项：{label}（证据 {ref} <类型> <链接或文字>）",
        "en": "Please send item {n}: {label} (/offboard evidence {ref} <kind> <link or text>)",
    },
    "h.evidence_complete": {
        "zh-CN": "证据已齐全。发送“提交 {ref}”交给 HR 审核。",
        "en": "The evidence is complete. Send “/offboard submit {ref}” to hand it to HR.",
    },
    "h.evidence_added": {
        "zh-CN": "已记录证据：{label}（SHA-256 {short}）",
        "en": "Evidence recorded: {label} (SHA-256 {short})",
    },
    "h.evidence_kind": {
        "zh-CN": "看不懂证据类型“{kind}”。可用类型：{kinds}",
        "en": "Unknown evidence kind “{kind}”. Kinds: {kinds}",
    },
    "h.evidence_empty": {"zh-CN": "证据内容不能为空。", "en": "The evidence content is empty."},
    "h.evidence_too_large": {
        "zh-CN": "文件过大（{size}），上限 {limit}。",
        "en": "The file is too large ({size}); the limit is {limit}.",
    },
    "h.evidence_closed": {
        "zh-CN": "案件 {ref} 当前状态为“{state}”，不能再补充证据。",
        "en": "Case {ref} is “{state}”; evidence can no longer be added.",
    },
    "h.only_manager_evidence": {
        "zh-CN": "只有本案经理可以补充证据。",
        "en": "Only the case's manager may add evidence.",
    },
    "h.new_case_hr.title": {"zh-CN": "新案件 {ref}", "en": "New case {ref}"},
    "h.new_case_hr.text": {
        "zh-CN": "{manager} 为 {name}（{department}）发起了案件，理由：{ground}。正在收集证据。",
        "en": "{manager} opened a case about {name} ({department}), ground: {ground}. Evidence is being collected.",
    },
    "h.review.title": {"zh-CN": "待审核：案件 {ref}", "en": "For review: case {ref}"},
    "h.review_group.text": {
        "zh-CN": "{manager} 已提交 {name} 的案件，证据 {count} 项，阻断问题 {blocking} 个，"
                 "提示 {warnings} 个。详情（含金额）已私信 HR。",
        "en": "{manager} submitted the case about {name}: {count} evidence items, {blocking} blocking and "
              "{warnings} warning findings. Details (with amounts) were sent to HR privately.",
    },
    "h.transition.title": {"zh-CN": "案件 {ref}：{action}", "en": "Case {ref}: {action}"},
    "h.transition.text": {
        "zh-CN": "{who} 于 {when} 执行了“{action}”。当前状态：{state}。",
        "en": "{who} did “{action}” at {when}. Now: {state}.",
    },
    "h.field.employee": {"zh-CN": "员工", "en": "Employee"},
    "h.field.manager": {"zh-CN": "经理", "en": "Manager"},
    "h.field.department": {"zh-CN": "部门", "en": "Department"},
    "h.field.ground": {"zh-CN": "理由", "en": "Ground"},
    "h.field.state": {"zh-CN": "状态", "en": "State"},
    "h.field.evidence": {"zh-CN": "证据", "en": "Evidence"},
    "h.field.findings": {"zh-CN": "合规检查", "en": "Compliance findings"},
    "h.field.settlement": {"zh-CN": "补偿计算", "en": "Settlement"},
    "h.field.facts": {"zh-CN": "事实（待 HR 确认）", "en": "Facts (HR to confirm)"},
    "h.field.facts_confirmed": {"zh-CN": "事实（HR 已确认）", "en": "Facts (confirmed by HR)"},
    "h.field.talk": {"zh-CN": "面谈时间", "en": "Talk"},
    "h.field.document": {"zh-CN": "文件", "en": "Document"},
    "h.field.reasons": {"zh-CN": "原因", "en": "Reasons"},
    "h.field.items": {"zh-CN": "交接事项", "en": "Handover items"},
    "h.field.note": {"zh-CN": "备注", "en": "Note"},
    "h.none": {"zh-CN": "无", "en": "none"},
    "h.facts_missing": {
        "zh-CN": "缺少计算所需的事实：{missing}。HR 可发送：事实 {ref} hired=… last_day=… avg_wage=…",
        "en": "Facts needed for the calculation are missing: {missing}. HR can send: "
              "/offboard facts {ref} hired=… last_day=… avg_wage=…",
    },
    "h.facts_saved.title": {"zh-CN": "事实已更新：{ref}", "en": "Facts updated: {ref}"},
    "h.facts_bad": {
        "zh-CN": "事实“{key}”的值“{value}”无效：{why}",
        "en": "Fact “{key}” has an invalid value “{value}”: {why}",
    },
    "h.facts_only_hr": {"zh-CN": "只有 HR 可以确认事实。", "en": "Only HR may confirm the facts."},
    "h.facts_locked": {
        "zh-CN": "案件 {ref} 已审核通过，事实不能再修改；如需修改请先“修改”方案。",
        "en": "Case {ref} is past review; facts can no longer change except through a revised offer.",
    },
    "h.employee_card.title": {
        "zh-CN": "关于你劳动合同的决定（{ref}）",
        "en": "A decision about your employment ({ref})",
    },
    "h.employee_card.text": {
        "zh-CN": "公司决定依据{article}解除与你的劳动合同。以下是原因、证据和补偿的计算过程。"
                 "你可以确认已读、签署，或一键提出异议；"
                 "也可以申请再面谈。",
        "en": "The company has decided to end your employment contract under {article}. Below are the reasons, "
              "the evidence and how the money was computed. You can acknowledge, sign, dispute with one tap, "
              "or ask for another meeting.",
    },
    "h.signed.title": {"zh-CN": "已签署：{ref}", "en": "Signed: {ref}"},
    "h.signed.text": {
        "zh-CN": "{name} 于 {when} 签署了文件第 {version} 版（SHA-256 {short}）。进入交接。",
        "en": "{name} signed document version {version} (SHA-256 {short}) at {when}. Handover starts.",
    },
    "h.disputed.title": {"zh-CN": "员工提出异议：{ref}", "en": "The employee disputes: {ref}"},
    "h.disputed.text": {
        "zh-CN": "{name} 的异议：{reason}\n所涉证据：{evidence}",
        "en": "{name}'s objection: {reason}\nEvidence it contests: {evidence}",
    },
    "h.meeting.title": {
        "zh-CN": "员工申请面谈：{ref}",
        "en": "The employee asks for a meeting: {ref}",
    },
    "h.meeting.text": {
        "zh-CN": "{name} 希望再面谈一次。{text}",
        "en": "{name} would like another meeting. {text}",
    },
    "h.meeting_sent": {
        "zh-CN": "已通知 HR，HR 会联系你安排时间。",
        "en": "HR has been told and will arrange a time with you.",
    },
    "h.ack_recorded": {
        "zh-CN": "已记录：你已阅读 {ref} 的文件。",
        "en": "Recorded: you have read the documents of {ref}.",
    },
    "h.talk_invite.title": {"zh-CN": "面谈邀请", "en": "Meeting invitation"},
    "h.talk_invite.text": {
        "zh-CN": "请于 {when} 与 {manager} 及 HR 面谈。",
        "en": "Please meet {manager} and HR at {when}.",
    },
    "h.talk_confirm.title": {
        "zh-CN": "请确认出席面谈：{ref}",
        "en": "Please confirm you will attend: {ref}",
    },
    "h.talk_confirm.text": {
        "zh-CN": "面谈时间 {when}。经理须亲自参加面谈。",
        "en": "The talk is at {when}. The manager must attend in person.",
    },
    "h.schedule_prompt.title": {
        "zh-CN": "请安排面谈：{ref}",
        "en": "Please schedule the talk: {ref}",
    },
    "h.schedule_prompt.text": {
        "zh-CN": "请在 {earliest} 至 {latest} 之间安排面谈：安排面谈 {ref} YYYY-MM-DD HH:MM",
        "en": "Schedule the talk between {earliest} and {latest}: /offboard schedule {ref} YYYY-MM-DD HH:MM",
    },
    "h.item.title": {"zh-CN": "交接事项：{item}（{ref}）", "en": "Handover item: {item} ({ref})"},
    "h.item.text": {
        "zh-CN": "员工：{name}；截止：{due}。完成后请点“完成”或发送：完成 {ref} {id}",
        "en": "Employee: {name}; due {due}. When done press “Done” or send: /offboard done {ref} {id}",
    },
    "h.item_done": {"zh-CN": "已完成交接事项：{item}", "en": "Handover item done: {item}"},
    "h.item_unknown": {
        "zh-CN": "案件 {ref} 没有编号为 {id} 的交接事项。",
        "en": "Case {ref} has no handover item {id}.",
    },
    "h.item_not_owner": {
        "zh-CN": "该事项由 {owner} 负责，只有负责人可以勾选。",
        "en": "{owner} owns this item; only the owner may tick it off.",
    },
    "h.item_already": {
        "zh-CN": "该事项已于 {when} 完成。",
        "en": "This item was already done at {when}.",
    },
    "h.closed.title": {"zh-CN": "案件已结案：{ref}", "en": "Case closed: {ref}"},
    "h.closed.text": {
        "zh-CN": "结果：{outcome}。档案保存至 {until}。",
        "en": "Outcome: {outcome}. The archive is kept until {until}.",
    },
    "h.escalated.title": {"zh-CN": "已升级：{ref}", "en": "Escalated: {ref}"},
    "h.escalated.text": {
        "zh-CN": "{name} 7 天未签署。请改用挂号信等方式送达解除通知，并记录单号：已送达 {ref} <单号或说明>",
        "en": "{name} has not signed within 7 days. Serve the notice another way (e.g. registered mail) and "
              "record the proof: /offboard served {ref} <tracking number or note>",
    },
    "h.reminder.title": {"zh-CN": "提醒：案件 {ref}", "en": "Reminder: case {ref}"},
    "h.status.title": {"zh-CN": "我的案件", "en": "My cases"},
    "h.status.empty": {"zh-CN": "没有与你相关的案件。", "en": "You have no cases."},
    "h.status.line": {
        "zh-CN": "{ref} · {name} · {ground} · {state}",
        "en": "{ref} · {name} · {ground} · {state}",
    },
    "h.timeline.title": {"zh-CN": "案件 {ref} 时间线", "en": "Case {ref} timeline"},
    "h.report.title": {"zh-CN": "案件报表", "en": "Case report"},
    "h.report.only_hr": {"zh-CN": "报表仅对 HR 开放。", "en": "The report is for HR only."},
    "h.report.by_state": {"zh-CN": "进行中（按状态）", "en": "Open, by state"},
    "h.report.overdue": {"zh-CN": "逾期交接事项", "en": "Overdue handover items"},
    "h.report.durations": {"zh-CN": "各阶段平均用时（小时）", "en": "Average hours per stage"},
    "h.parse_error.title": {"zh-CN": "没看懂", "en": "I did not understand that"},
    "h.help.title": {"zh-CN": "可用命令", "en": "Commands you can use"},
    "h.unknown_action": {
        "zh-CN": "无法执行“{action}”。",
        "en": "“{action}” is not something I can do.",
    },
    "h.bad_time": {
        "zh-CN": "时间“{value}”看不懂，请写成 YYYY-MM-DD HH:MM。",
        "en": "Cannot read the time “{value}”; write it as YYYY-MM-DD HH:MM.",
    },
})

register({
    "h.system": {"zh-CN": "系统", "en": "the system"},
    "h.ground.incompetent": {"zh-CN": "不能胜任工作", "en": "incompetent for the job"},
    "h.ground.misconduct": {"zh-CN": "严重违反规章制度", "en": "serious breach of company rules"},
    "h.ground.probation": {
        "zh-CN": "试用期不符合录用条件",
        "en": "fails the hiring conditions in probation",
    },
    "h.ground.illness": {"zh-CN": "医疗期满不能从事工作", "en": "cannot work after the medical period"},
    "h.ground.circumstances": {"zh-CN": "客观情况发生重大变化", "en": "major change of circumstances"},
    "h.ground.mutual": {"zh-CN": "协商一致解除", "en": "mutual agreement"},
    "h.ground.layoff": {"zh-CN": "经济性裁员", "en": "mass layoff"},
    "h.article.incompetent": {"zh-CN": "《劳动合同法》第四十条第（二）项", "en": "LCL Art. 40(2)"},
    "h.article.misconduct": {"zh-CN": "《劳动合同法》第三十九条第（二）项", "en": "LCL Art. 39(2)"},
    "h.article.probation": {"zh-CN": "《劳动合同法》第三十九条第（一）项", "en": "LCL Art. 39(1)"},
    "h.article.illness": {"zh-CN": "《劳动合同法》第四十条第（一）项", "en": "LCL Art. 40(1)"},
    "h.article.circumstances": {"zh-CN": "《劳动合同法》第四十条第（三）项", "en": "LCL Art. 40(3)"},
    "h.article.mutual": {"zh-CN": "《劳动合同法》第三十六条", "en": "LCL Art. 36"},
    "h.article.layoff": {"zh-CN": "《劳动合同法》第四十一条", "en": "LCL Art. 41"},
})

register({
    "h.timeline.reminder": {"zh-CN": "提醒", "en": "reminder"},
    "h.timeline.refused": {"zh-CN": "被拒绝的操作", "en": "refused"},
    "action.open": {"zh-CN": "发起案件", "en": "opened the case"},
    "action.evidence": {"zh-CN": "补充证据", "en": "added evidence"},
    "action.facts": {"zh-CN": "确认事实", "en": "recorded facts"},
    "action.remind_item_owner": {"zh-CN": "交接事项到期", "en": "handover item due"},
    "action.resend_employee_card": {"zh-CN": "重发员工卡片", "en": "card sent again"},
    "action.warn_hr_unsigned": {"zh-CN": "员工未签署", "en": "employee has not signed"},
    "action.remind_manager_evidence": {"zh-CN": "催经理补证据", "en": "manager asked for evidence"},
    "action.tell_hr_stalling": {"zh-CN": "经理停滞", "en": "manager stalling"},
    "action.remind_hr_review": {"zh-CN": "待 HR 审核", "en": "awaiting HR review"},
    "action.escalate_hr_lead": {"zh-CN": "升级至 HR 负责人", "en": "escalated to the HR lead"},
    "action.remind_talk": {"zh-CN": "面谈将开始", "en": "talk coming up"},
    "action.remind_hr_record_talk": {"zh-CN": "面谈未记录", "en": "talk not recorded"},
    "action.remind_hr_dispute": {"zh-CN": "异议待处理", "en": "dispute waiting"},
    "action.escalate_item": {"zh-CN": "交接事项逾期", "en": "handover item overdue"},
    "action.certificate_due": {"zh-CN": "证明书到期", "en": "certificate due"},
    "action.transfer_deadline": {"zh-CN": "档案社保转移期限", "en": "file and insurance transfer deadline"},
})
