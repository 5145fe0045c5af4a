"""Command texts (zh-CN and en): what was wrong with a command, its usage line, the help listing.

Usage lines are built from one table of forms and descriptions, so the help listing and the
"usage:" line after an error always agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.commands import BY_NAME, COMMANDS, audiences_for
from workflow.i18n import LOCALES, register, t

# (form, what it does) per command, in Chinese and English.
_FORMS: dict[str, dict[str, tuple[str, str]]] = {
    "open": {
        "zh-CN": ("退工 @同事 <理由> [备注]",
                  "发起案件；理由：不能胜任、严重违纪、试用期、医疗期、客观情况、协商一致"),
        "en": ("/offboard @user <ground> [note]",
               "open a case; grounds: incompetent, misconduct, probation, illness, "
               "circumstances, mutual"),
    },
    "evidence": {
        "zh-CN": ("证据 <案件> <类型> <链接或文字>", "补充一项证据"),
        "en": ("/offboard evidence <case> <kind> <link or text>", "add a piece of evidence"),
    },
    "submit": {
        "zh-CN": ("提交 <案件>", "证据齐全后交 HR 审核"),
        "en": ("/offboard submit <case>", "send the case to HR once the evidence is complete"),
    },
    "status": {
        "zh-CN": ("进度 [案件]", "我的案件，或某个案件的时间线"),
        "en": ("/offboard status [case]", "your cases, or one case with its timeline"),
    },
    "withdraw": {
        "zh-CN": ("撤回 <案件> <原因>", "撤回案件"),
        "en": ("/offboard withdraw <case> <reason>", "withdraw the case"),
    },
    "report": {
        "zh-CN": ("报表", "所有进行中的案件、逾期事项、各阶段用时"),
        "en": ("/offboard report", "all open cases, overdue items, stage durations"),
    },
    "help": {
        "zh-CN": ("帮助", "列出你可以用的命令"),
        "en": ("/offboard help", "the commands you can use"),
    },
    "approve": {
        "zh-CN": ("同意 <案件>", "审核通过"),
        "en": ("/offboard approve <case>", "approve after review"),
    },
    "request_changes": {
        "zh-CN": ("退回 <案件> <意见>", "退回经理补充"),
        "en": ("/offboard request_changes <case> <comment>", "send it back to the manager"),
    },
    "reject": {
        "zh-CN": ("驳回 <案件> <原因>", "驳回并结案"),
        "en": ("/offboard reject <case> <reason>", "reject and close the case"),
    },
    "schedule": {
        "zh-CN": ("安排面谈 <案件> <YYYY-MM-DD HH:MM>", "安排面谈时间（当地时间）"),
        "en": ("/offboard schedule <case> <YYYY-MM-DD HH:MM>", "schedule the talk (local time)"),
    },
    "confirm_attendance": {
        "zh-CN": ("确认出席 <案件>", "经理确认参加面谈"),
        "en": ("/offboard confirm <case>", "confirm you will attend the talk"),
    },
    "record_talk": {
        "zh-CN": ("面谈完成 <案件> [经理未确认出席时的说明]", "记录面谈已进行"),
        "en": ("/offboard talked <case> [reason if the manager did not confirm]",
               "record that the talk took place"),
    },
    "acknowledge": {
        "zh-CN": ("已读 <案件>", "确认已阅读文件"),
        "en": ("/offboard ack <case>", "confirm you have read the documents"),
    },
    "sign": {
        "zh-CN": ("签署 <案件>", "签署文件"),
        "en": ("/offboard sign <case>", "sign the documents"),
    },
    "dispute": {
        "zh-CN": ("异议 <案件> <原因>", "对决定提出异议"),
        "en": ("/offboard dispute <case> <reason>", "dispute the decision"),
    },
    "ask_meeting": {
        "zh-CN": ("申请面谈 <案件> [说明]", "申请再面谈一次"),
        "en": ("/offboard meeting <case> [text]", "ask for another meeting"),
    },
    "revise": {
        "zh-CN": ("修改 <案件> [说明]", "修改方案并重新发给员工"),
        "en": ("/offboard revise <case> [note]", "revise the offer and send it again"),
    },
    "proceed_unilateral": {
        "zh-CN": ("单方解除 <案件> <通知送达说明>", "解除通知送达后依法单方解除"),
        "en": ("/offboard unilateral <case> <how the notice was served>",
               "proceed with a lawful unilateral termination once the notice is served"),
    },
    "record_notice_served": {
        "zh-CN": ("已送达 <案件> <凭证>", "记录解除通知已送达（如挂号信单号）"),
        "en": ("/offboard served <case> <proof>",
               "record that the notice was served (e.g. registered-mail number)"),
    },
    "complete_item": {
        "zh-CN": ("完成 <案件> <事项编号>", "勾选一项交接事项"),
        "en": ("/offboard done <case> <item id>", "tick off a handover item"),
    },
    "facts": {
        "zh-CN": ("事实 <案件> hired=YYYY-MM-DD last_day=YYYY-MM-DD avg_wage=… confirm=yes",
                  "HR 录入并确认计算所需的事实"),
        "en": ("/offboard facts <case> hired=YYYY-MM-DD last_day=YYYY-MM-DD avg_wage=… "
               "confirm=yes", "HR enters and confirms the facts the law needs"),
    },
    "confirm_facts": {
        "zh-CN": ("确认事实 <案件> [key=value …]", "HR 确认事实（可同时补充或修改）"),
        "en": ("/offboard confirm_facts <case> [key=value …]",
               "HR confirms the facts (adding or changing some at the same time)"),
    },
}

_GROUNDS = {
    "zh-CN": "不能胜任、严重违纪、试用期、医疗期、客观情况、协商一致、裁员",
    "en": "incompetent, misconduct, probation, illness, circumstances, mutual, layoff",
}
_FACT_KEYS = ("hired, last_day, avg_wage, prev_wage, local_avg, min_wage, pay_in_lieu, "
              "proposed_by, in_probation, protections, union_notified, written_reasons, confirm")

_MISSING = {
    "case": ("案件编号（如 C-0007 或 7）", "the case number (e.g. C-0007 or 7)"),
    "reason": ("原因", "a reason"),
    "comment": ("意见", "a comment"),
    "proof": ("送达凭证（如挂号信单号）", "the proof (e.g. a registered-mail number)"),
    "talk_at": ("面谈时间（YYYY-MM-DD HH:MM）", "the time (YYYY-MM-DD HH:MM)"),
    "item": ("交接事项编号", "the handover item number"),
    "facts": ("至少一项事实（key=value）", "at least one fact (key=value)"),
    "employee": ("员工（@同事）", "the employee (@user)"),
    "ground": (f"理由（{_GROUNDS['zh-CN']}）", f"the ground ({_GROUNDS['en']})"),
    "kind": ("证据类型", "the kind of evidence"),
    "content": ("证据内容（链接或文字）", "the evidence itself (a link or text)"),
}

_USAGE = {"zh-CN": "用法：{form}（{about}）", "en": "Usage: {form} ({about})"}


def _catalogue() -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {
        "router.unknown_verb": {
            "zh-CN": "看不懂“{value}”。发送“帮助”查看你可以用的命令。",
            "en": "I do not know “{value}”. Send “/offboard help” for the commands you can use.",
        },
        "router.bad_case_ref": {
            "zh-CN": "“{value}”不是案件编号，请写成 C-0007 或 7。",
            "en": "“{value}” is not a case number; write it as C-0007 or 7.",
        },
        "router.bad_ground": {
            "zh-CN": "“{value}”不是可用的理由。可用理由：" + _GROUNDS["zh-CN"] + "。",
            "en": "“{value}” is not a ground I know. Grounds: " + _GROUNDS["en"] + ".",
        },
        "router.bad_time": {
            "zh-CN": "看不懂时间“{value}”，请写成 YYYY-MM-DD HH:MM（当地时间），"
                     "如 2025-10-09 10:00。",
            "en": "Cannot read the time “{value}”; write it as YYYY-MM-DD HH:MM (local time), "
                  "e.g. 2025-10-09 10:00.",
        },
        "router.bad_item": {
            "zh-CN": "“{value}”不是交接事项编号，请写数字，如 3。",
            "en": "“{value}” is not a handover item number; write a number such as 3.",
        },
        "router.bad_fact": {
            "zh-CN": "“{value}”不是 key=value 形式的事实（confirm 只能是 yes/no）。可用："
                     + _FACT_KEYS,
            "en": "“{value}” is not a fact written as key=value (confirm takes yes/no). Keys: "
                  + _FACT_KEYS,
        },
        "router.help.title": {"zh-CN": "你可以用的命令：", "en": "Commands you can use:"},
        "router.help.everyone": {"zh-CN": "员工与交接负责人", "en": "Employees and assignees"},
        "router.help.manager": {"zh-CN": "经理", "en": "Managers"},
        "router.help.hr": {"zh-CN": "HR", "en": "HR"},
        "router.help.footer": {
            "zh-CN": "案件编号可写成 C-0007 或 7。卡片上的按钮能完成每一步。",
            "en": "Case numbers can be written C-0007 or 7. Card buttons cover every step too.",
        },
    }
    for what, (zh, en) in _MISSING.items():
        entries[f"router.missing_arg.{what}"] = {"zh-CN": f"缺少{zh}。", "en": f"Missing {en}."}
    for name, forms in _FORMS.items():
        entries[f"router.form.{name}"] = {loc: forms[loc][0] for loc in LOCALES}
        entries[f"router.about.{name}"] = {loc: forms[loc][1] for loc in LOCALES}
        entries[f"router.usage.{name}"] = {
            loc: _USAGE[loc].format(form=forms[loc][0], about=forms[loc][1]) for loc in LOCALES
        }
    return entries


register(_catalogue())


def usage(name: str, locale: str | None) -> str:
    """The usage line of command `name` (the help line when there is no such command)."""
    return t(f"router.usage.{name if name in BY_NAME else 'help'}", locale)


def _lines(commands: Iterable[str], locale: str | None) -> list[str]:
    return [f"• {t(f'router.form.{n}', locale)} — {t(f'router.about.{n}', locale)}"
            for n in commands]


def help_text(locale: str | None, roles: frozenset[str]) -> str:
    """The commands a person with `roles` may use, grouped for employees, managers and HR."""
    out = [t("router.help.title", locale)]
    for audience in audiences_for(roles):
        out.append("")
        out.append(t(f"router.help.{audience.value}", locale))
        out.extend(_lines((c.name for c in COMMANDS if c.audience is audience), locale))
    out.append("")
    out.append(t("router.help.footer", locale))
    return "\n".join(out)
