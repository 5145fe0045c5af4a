"""The Slack channel's own texts (zh-CN and en): modal labels, notes on updated cards, errors."""

from workflow.i18n import register

register({
    "slack.done": {"zh-CN": "✅ {who} 已{action}（{when}）", "en": "✅ {action} by {who} at {when}"},
    "slack.truncated": {
        "zh-CN": "…（内容过长已截断，完整内容请发送 `/offboard status {ref}`）",
        "en": "… (shortened; send `/offboard status {ref}` for everything)",
    },
    "slack.truncated_plain": {"zh-CN": "…（内容过长已截断）", "en": "… (shortened)"},
    "slack.more": {
        "zh-CN": "还有 {count} 项未显示，请发送 `/offboard status` 查看。",
        "en": "{count} more not shown; send `/offboard status` to see them.",
    },
    "slack.submit": {"zh-CN": "提交", "en": "Submit"},
    "slack.cancel": {"zh-CN": "取消", "en": "Cancel"},
    "slack.close": {"zh-CN": "关闭", "en": "Close"},
    "slack.modal.open": {"zh-CN": "发起退工案件", "en": "Open a case"},
    "slack.modal.evidence": {"zh-CN": "补充证据", "en": "Add evidence"},
    "slack.modal.facts": {"zh-CN": "案件事实", "en": "Case facts"},
    "slack.modal.case": {"zh-CN": "案件 {ref}", "en": "Case {ref}"},
    "slack.modal.error": {"zh-CN": "出错了", "en": "Something went wrong"},
    "slack.input.talk_date": {"zh-CN": "面谈日期", "en": "Talk date"},
    "slack.input.talk_time": {"zh-CN": "面谈时间（当地）", "en": "Talk time (local)"},
    "slack.input.confirm": {"zh-CN": "确认", "en": "Confirm"},
    "slack.facts.confirm": {
        "zh-CN": "以上事实已核对无误（确认后才能批准）",
        "en": "These facts are checked and correct (needed before approval)",
    },
    "slack.facts.hint": {
        "zh-CN": "留空的项保持不变。",
        "en": "Fields left empty keep their current value.",
    },
    "slack.required": {"zh-CN": "请填写此项。", "en": "Please fill this in."},
    "slack.yes": {"zh-CN": "是", "en": "Yes"},
    "slack.no": {"zh-CN": "否", "en": "No"},
    "slack.fact.hired": {"zh-CN": "入职日期", "en": "Hire date"},
    "slack.fact.last_day": {"zh-CN": "最后工作日", "en": "Last working day"},
    "slack.fact.avg_wage": {"zh-CN": "离职前 12 个月平均工资", "en": "Average monthly wage (12 months)"},
    "slack.fact.prev_wage": {"zh-CN": "上月工资", "en": "Last month's wage"},
    "slack.fact.local_avg": {"zh-CN": "当地社平工资", "en": "Local average wage"},
    "slack.fact.min_wage": {"zh-CN": "当地最低工资", "en": "Local minimum wage"},
    "slack.fact.pay_in_lieu": {"zh-CN": "以代通知金替代提前通知", "en": "Pay in lieu of notice"},
    "slack.fact.in_probation": {"zh-CN": "处于试用期", "en": "In probation"},
    "slack.fact.union_notified": {"zh-CN": "已通知工会", "en": "Union notified"},
    "slack.fact.written_reasons": {"zh-CN": "已书面说明理由", "en": "Reasons given in writing"},
    "slack.fact.notice_served": {"zh-CN": "通知已送达", "en": "Notice served"},
    "slack.fact.proposed_by": {"zh-CN": "提出方", "en": "Proposed by"},
    "slack.fact.protections": {"zh-CN": "特殊保护情形", "en": "Protected statuses"},
    "slack.choice.employer": {"zh-CN": "用人单位", "en": "Employer"},
    "slack.choice.employee": {"zh-CN": "员工", "en": "Employee"},
    "slack.protection.occupational_exposure": {
        "zh-CN": "接触职业病危害未做离岗检查", "en": "Occupational exposure, no exit check"},
    "slack.protection.occupational_disease": {"zh-CN": "职业病", "en": "Occupational disease"},
    "slack.protection.work_injury": {"zh-CN": "工伤", "en": "Work injury"},
    "slack.protection.medical_period": {"zh-CN": "医疗期内", "en": "Within the medical period"},
    "slack.protection.pregnant": {"zh-CN": "孕期", "en": "Pregnant"},
    "slack.protection.maternity": {"zh-CN": "产期", "en": "Maternity"},
    "slack.protection.nursing": {"zh-CN": "哺乳期", "en": "Nursing"},
    "slack.protection.near_retirement": {
        "zh-CN": "连续工作满 15 年且距退休不足 5 年", "en": "15+ years, within 5 of retirement"},
    "slack.other_workspace": {
        "zh-CN": "这张卡片属于另一个 Slack 工作区，不能在这里操作。",
        "en": "This card belongs to another Slack workspace and cannot be used here.",
    },
    "slack.error": {
        "zh-CN": "出错了，这次操作没有完成，请稍后再试。",
        "en": "Something went wrong and nothing was done; please try again in a moment.",
    },
    "slack.modal_failed": {
        "zh-CN": "表单没能打开（{error}）。也可以直接输入命令：\n{usage}",
        "en": "The form could not be opened ({error}). You can type the command instead:\n{usage}",
    },
    "slack.file.need_case": {
        "zh-CN": "收到文件“{name}”。请在发送文件时写明案件编号和证据类型，例如：`C-0001 绩效`。",
        "en": "Got the file “{name}”. Say which case and kind of evidence it is in the message with "
              "the file, e.g. `C-0001 performance`.",
    },
    "slack.file.failed": {
        "zh-CN": "没能取到文件“{name}”（{error}），请重新发送。",
        "en": "Could not fetch the file “{name}” ({error}); please share it again.",
    },
    "slack.file.too_many": {
        "zh-CN": "一次只收一个文件作为证据，请分开发送。",
        "en": "Please share one file per message as evidence.",
    },
})
