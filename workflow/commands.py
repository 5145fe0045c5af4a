"""The chat command vocabulary: every verb (English and Chinese), what it names, and what follows it.

One table serves typed text, button presses (a button's action is just another verb) and the
help listing. What follows an action's verb (its inputs) is the action's spec (actions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from workflow.actions import BY_NAME as ACTION_SPECS
from workflow.actions import Input, Rest
from workflow.model import Ground, Role, Trigger

__all__ = ["BY_NAME", "BY_VERB", "COMMANDS", "Audience", "Command", "Rest", "written_in"]


class Audience(StrEnum):
    """Whose help listing shows a command (the handlers still decide who may run it)."""

    EVERYONE = "everyone"  # employees, handover assignees, anyone asking about their cases
    MANAGER = "manager"
    HR = "hr"


CaseArg = Literal["none", "optional", "required"]


@dataclass(frozen=True)
class Command:
    name: str  # the Inbound name: a Trigger value or open/evidence/status/report/help/facts
    en: tuple[str, ...]  # English verbs; the first is the one the help shows
    zh: tuple[str, ...]  # Chinese verbs; the first is the one the help shows
    audience: Audience
    case: CaseArg = "required"
    reads: Rest | None = None  # what follows a command that is no workflow action, if anything

    @property
    def rest(self) -> Rest:
        """How the words after the verb are read: the action's, the command's, or nothing."""
        spec = ACTION_SPECS.get(self.name)
        return spec.typed if spec else self.reads or Rest.NOTHING

    @property
    def key(self) -> str:
        """The args key of the TEXT rest: the action's text input ("note" for any other rest)."""
        field = self._text_input()
        return field.name if field else "note"

    @property
    def required(self) -> bool:
        """Whether the TEXT rest must be given."""
        field = self._text_input()
        return field.required if field else False

    def _text_input(self) -> Input | None:
        spec = ACTION_SPECS.get(self.name)
        return spec.text_input if spec and spec.typed is Rest.TEXT else None


_T = Trigger
COMMANDS: tuple[Command, ...] = (
    Command("open", ("open", "open_case"), ("开案",), Audience.MANAGER, "none"),
    Command("evidence", ("evidence",), ("证据",), Audience.MANAGER),
    Command(_T.SUBMIT.value, ("submit",), ("提交",), Audience.MANAGER),
    Command("status", ("status",), ("进度", "状态"), Audience.EVERYONE, "optional"),
    Command(_T.WITHDRAW.value, ("withdraw",), ("撤回", "撤销"), Audience.MANAGER),
    Command("report", ("report",), ("报表", "报告"), Audience.HR, "none"),
    Command("company", ("company",), ("公司资料",), Audience.HR, "none"),
    Command("help", ("help", "?", "h"), ("帮助",), Audience.EVERYONE, "none"),
    Command(_T.APPROVE.value, ("approve",), ("同意", "批准"), Audience.HR),
    Command(_T.REQUEST_CHANGES.value, ("request_changes", "request-changes", "changes"), ("退回",),
            Audience.HR),
    Command(_T.REJECT.value, ("reject",), ("驳回",), Audience.HR),
    Command(_T.SCHEDULE.value, ("schedule",), ("安排面谈", "安排"), Audience.HR),
    Command(_T.CONFIRM_ATTENDANCE.value, ("confirm", "confirm_attendance"), ("确认出席",),
            Audience.MANAGER),
    Command(_T.RECORD_TALK.value, ("talked", "record_talk"), ("面谈完成",), Audience.HR),
    Command(_T.ACKNOWLEDGE.value, ("ack", "acknowledge"), ("已读",), Audience.EVERYONE),
    Command(_T.SIGN.value, ("sign",), ("签署", "签字"), Audience.EVERYONE),
    Command(_T.DISPUTE.value, ("dispute",), ("异议",), Audience.EVERYONE),
    Command("ask_meeting", ("meeting", "ask_meeting"), ("申请面谈",), Audience.EVERYONE),
    Command(_T.REVISE.value, ("revise",), ("修改",), Audience.HR),
    Command(_T.PROCEED_UNILATERAL.value, ("unilateral", "proceed_unilateral"), ("单方解除",),
            Audience.HR),
    Command(_T.RECORD_NOTICE_SERVED.value, ("served", "record_notice_served"), ("已送达",),
            Audience.HR),
    Command(_T.COMPLETE_ITEM.value, ("done", "complete_item"), ("完成",), Audience.EVERYONE),
    Command("facts", ("facts",), ("事实",), Audience.HR),
    Command("confirm_facts", ("confirm_facts",), ("确认事实",), Audience.HR),
    Command("snooze", ("snooze", "later"), ("稍后提醒", "推迟提醒"), Audience.EVERYONE, reads=Rest.SNOOZE),
    Command("delegate", ("delegate",), ("委托", "代理人"), Audience.MANAGER, "none", reads=Rest.DELEGATE),
)

BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
BY_VERB: dict[str, Command] = {verb: c for c in COMMANDS for verb in (*c.en, *c.zh)}
# Chinese users often type the verb glued to what follows ("提交7"); longest first so that
# "安排面谈" wins over "安排".
GLUED_VERBS: tuple[str, ...] = tuple(
    sorted((v for c in COMMANDS for v in c.zh), key=len, reverse=True)
)

# The words that introduce a command; WeCom users also type the verbs alone.
COMMAND_WORDS = frozenset({"/offboard", "offboard", "退工", "/退工"})
GLUED_COMMAND_WORDS = ("退工",)

GROUND_ALIASES: dict[str, Ground] = {
    alias: ground
    for ground, aliases in {
        Ground.INCOMPETENT: ("incompetent", "incompetence", "performance", "不能胜任", "不胜任",
                             "不能胜任工作", "绩效"),
        Ground.MISCONDUCT: ("misconduct", "严重违纪", "违纪", "严重违反规章制度"),
        Ground.PROBATION: ("probation", "试用期", "试用期不符合录用条件", "不符合录用条件"),
        Ground.ILLNESS: ("illness", "medical", "医疗期", "病", "患病", "医疗期满"),
        Ground.CIRCUMSTANCES: ("circumstances", "客观情况", "客观情况重大变化",
                               "客观情况发生重大变化"),
        Ground.MUTUAL: ("mutual", "agreement", "协商", "协商一致", "协商解除"),
        Ground.LAYOFF: ("layoff", "裁员", "经济性裁员"),
        Ground.EXPIRY: ("expiry", "expire", "合同到期", "合同期满", "劳动合同期满", "到期终止"),
        Ground.RETIREMENT: ("retirement", "retire", "退休", "达到退休年龄"),
        Ground.DERELICTION: ("dereliction", "严重失职", "营私舞弊"),
        Ground.SECOND_JOB: ("second_job", "second-job", "兼职", "双重劳动关系"),
        Ground.FRAUD: ("fraud", "欺诈", "合同无效"),
        Ground.CRIMINAL: ("criminal", "刑事责任", "追究刑事责任"),
    }.items()
    for alias in aliases
}
# Longest first, for a ground glued to the name ("@张三不能胜任").
GLUED_GROUNDS: tuple[str, ...] = tuple(
    sorted((a for a in GROUND_ALIASES if not a.isascii()), key=len, reverse=True)
)

HR_ROLES = frozenset({Role.HR.value, Role.HR_LEAD.value})

ENGLISH, CHINESE = "en", "zh-CN"


def _language_of(word: str) -> str:
    return ENGLISH if word.isascii() else CHINESE


# The language each command word, verb and ground is written in; a word that is no language's
# ("?") is absent. A reply goes in the language the person wrote in (handlers.context).
WRITTEN_IN: dict[str, str] = {
    **{alias: _language_of(alias) for alias in GROUND_ALIASES},
    **{word: _language_of(word) for word in COMMAND_WORDS},
    **{verb: ENGLISH for c in COMMANDS for verb in c.en if any(ch.isalpha() for ch in verb)},
    **{verb: CHINESE for c in COMMANDS for verb in c.zh},
}


def written_in(word: str) -> str | None:
    """The language a (folded) command word, verb or ground alias is written in, if any."""
    return WRITTEN_IN.get(word)


def audiences_for(roles: frozenset[str]) -> tuple[Audience, ...]:
    """Which help sections a person with `roles` sees: HR sees everything."""
    shown = [Audience.EVERYONE]
    if roles & (HR_ROLES | {Role.MANAGER.value}):
        shown.append(Audience.MANAGER)
    if roles & HR_ROLES:
        shown.append(Audience.HR)
    return tuple(shown)
