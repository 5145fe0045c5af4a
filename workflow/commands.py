"""The chat commands people may type, per role, with their usage in both languages (for help)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.i18n import normalise_locale


@dataclass(frozen=True)
class CommandHelp:
    name: str
    roles: frozenset[str]  # empty = everyone
    usage: dict[str, str]


_HR = frozenset({"hr", "hr_lead"})
_MANAGERS = frozenset({"manager", "hr", "hr_lead"})

COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("open", _MANAGERS, {
        "zh-CN": "退工 @张三 不能胜任 [备注] — 发起案件（理由：不能胜任/严重违纪/试用期/医疗期/客观情况/协商一致）",
        "en": "/offboard @alice incompetent [note] — open a case (grounds: incompetent, misconduct, "
              "probation, illness, circumstances, mutual)"}),
    CommandHelp("evidence", _MANAGERS, {
        "zh-CN": "证据 <案件> <类型> <链接或文字> — 补充证据（也可直接发文件）",
        "en": "/offboard evidence <case> <kind> <link or text> — add evidence (or attach a file)"}),
    CommandHelp("submit", _MANAGERS, {
        "zh-CN": "提交 <案件> — 交 HR 审核", "en": "/offboard submit <case> — send to HR"}),
    CommandHelp("withdraw", _MANAGERS, {
        "zh-CN": "撤回 <案件> <原因> — 撤回案件", "en": "/offboard withdraw <case> <reason> — withdraw"}),
    CommandHelp("confirm", _MANAGERS, {
        "zh-CN": "确认出席 <案件> — 确认参加面谈", "en": "/offboard confirm <case> — confirm you attend the talk"}),
    CommandHelp("facts", _HR, {
        "zh-CN": "事实 <案件> hired=… last_day=… avg_wage=… prev_wage=… pay_in_lieu=是 confirm=是 — 确认事实",
        "en": "/offboard facts <case> hired=… last_day=… avg_wage=… prev_wage=… pay_in_lieu=yes confirm=yes "
              "— confirm the facts"}),
    CommandHelp("review", _HR, {
        "zh-CN": "同意 <案件> · 退回 <案件> <意见> · 驳回 <案件> <原因> — 审核",
        "en": "/offboard approve <case> · request_changes <case> <comment> · reject <case> <reason> — review"}),
    CommandHelp("talk", _HR, {
        "zh-CN": "安排面谈 <案件> <YYYY-MM-DD HH:MM> · 面谈完成 <案件> [说明] — 面谈",
        "en": "/offboard schedule <case> <YYYY-MM-DD HH:MM> · talked <case> [override reason] — the talk"}),
    CommandHelp("dispute_handling", _HR, {
        "zh-CN": "修改 <案件> [说明] · 单方解除 <案件> <送达说明> · 已送达 <案件> <单号> — 异议与送达",
        "en": "/offboard revise <case> [note] · unilateral <case> <notice proof> · served <case> <tracking no.> "
              "— disputes and service"}),
    CommandHelp("report", _HR, {"zh-CN": "报表 — 全部案件、逾期事项、各阶段用时",
                                "en": "/offboard report — all cases, overdue items, stage durations"}),
    CommandHelp("employee", frozenset(), {
        "zh-CN": "已读 <案件> · 签署 <案件> · 异议 <案件> <原因> — 员工对决定的回应",
        "en": "/offboard ack <case> · sign <case> · dispute <case> <reason> — respond to a decision"}),
    CommandHelp("done", frozenset(), {
        "zh-CN": "完成 <案件> <事项编号> — 勾选交接事项", "en": "/offboard done <case> <item> — tick a handover item"}),
    CommandHelp("status", frozenset(), {
        "zh-CN": "退工 进度 [案件] — 我的案件 / 某案件时间线",
        "en": "/offboard status [case] — my cases / one case's timeline"}),
    CommandHelp("help", frozenset(), {"zh-CN": "帮助 — 显示本说明", "en": "/offboard help — this list"}),
)


def help_text(locale: str, roles: frozenset[str]) -> str:
    """One line per command the asker may use (managers are everyone with reports; roles decide HR)."""
    loc = normalise_locale(locale)
    return "\n".join(
        f"• {c.usage[loc]}" for c in COMMANDS if not c.roles or c.roles & (roles | {"manager"})
    )
