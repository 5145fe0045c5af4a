"""Readers for the values inside a command: case refs, times, handover item ids, facts, mentions.

Each reader takes text and returns the value or None (the parser turns None into an error that
names what was wrong); none of them raises on any input.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from workflow.commands import GLUED_GROUNDS, GROUND_ALIASES
from workflow.model import Ground
from workflow.signing_rules import DOCUMENT_HASH

# Longer than anything we match: not worth normalising (keeps huge pasted text cheap).
MAX_WORD = 64

_CASE_REF = re.compile(r"#?(?:c-?)?0*(\d{1,9})", re.ASCII)
_ITEM_ID = re.compile(r"#?0*(\d{1,9})", re.ASCII)
_TIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})(?:日\s*|\s+|t)"
    r"(\d{1,2})(?::(\d{2})|[时点](?:(\d{1,2})分?)?)",
    re.ASCII,
)
# Slack escapes mentions as <@U123> or <@U123|name>.
_SLACK_MENTION = re.compile(r"<@([A-Za-z0-9]+)(?:\|[^>]*)?>", re.ASCII)
_MENTION_TRAIL = ",，:：;；、"


def fold(text: str) -> str:
    """The form words are compared in: full-width → ASCII (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def case_ref(word: str) -> str | None:
    """'C-0007', 'c-7', '#7', '7', '７' → 'C-0007'; None when it is not a case number."""
    if len(word) > MAX_WORD:
        return None
    match = _CASE_REF.fullmatch(fold(word).strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return f"C-{int(match.group(1)):04d}"


def item_id(word: str) -> int | None:
    """A handover item number ('3', '#3'); None when it is not one."""
    if len(word) > MAX_WORD:
        return None
    match = _ITEM_ID.fullmatch(fold(word).strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return int(match.group(1))


def document_hash(word: str) -> str | None:
    """A document version's SHA-256 as a confirmation names it (64 hex digits); None otherwise."""
    folded = fold(word).strip().lower()
    return folded if DOCUMENT_HASH.fullmatch(folded) else None


def local_time(text: str) -> str | None:
    """A local wall time as 'YYYY-MM-DD HH:MM', or None.

    Accepts '2025-10-09 10:00', '2025/10/9 10:00', '2025-10-09T10:00', '2025年10月9日 10点'.
    """
    if len(text) > MAX_WORD:
        return None
    match = _TIME.fullmatch(fold(text).strip())
    if match is None:
        return None
    year, month, day, hour = (int(g) for g in match.groups()[:4])
    minute = int(match.group(5) or match.group(6) or 0)
    try:
        datetime(year, month, day, hour, minute)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"


_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", re.ASCII)
_DURATION = re.compile(r"(\d{1,3})\s*(m|min|h|hr|hours?|d|days?|w|weeks?|分钟|小时|天|日|周)")
_MINUTES = {"m": 1, "min": 1, "分钟": 1, "h": 60, "hr": 60, "hour": 60, "hours": 60, "小时": 60,
            "d": 1440, "day": 1440, "days": 1440, "天": 1440, "日": 1440,
            "w": 10080, "week": 10080, "weeks": 10080, "周": 10080}
# The words that end a delegation, and the ones that may stand before its last day.
DELEGATION_OFF = frozenset({"off", "cancel", "stop", "取消", "结束", "关闭"})
UNTIL_WORDS = frozenset({"until", "till", "to", "至", "到", "直到"})


def local_date(text: str) -> str | None:
    """A calendar date as 'YYYY-MM-DD' ('2027-01-10', '2027/1/10', '2027年1月10日'), or None."""
    if len(text) > MAX_WORD:
        return None
    match = _DATE.fullmatch(fold(text).strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def duration(text: str) -> int | None:
    """A length in minutes: '2d', '4h', '90m', '1w', '2天', '3小时'; None when it is not one."""
    if len(text) > MAX_WORD:
        return None
    match = _DURATION.fullmatch(fold(text).strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return int(match.group(1)) * _MINUTES[match.group(2)]


def ground(word: str) -> Ground | None:
    if len(word) > MAX_WORD:
        return None
    return GROUND_ALIASES.get(fold(word).strip())


def mention(word: str) -> str | None:
    """Who a mention names: '@alice' → 'alice', '<@U123|alice>' → 'U123' (a platform user id)."""
    slack = _SLACK_MENTION.fullmatch(word)
    if slack is not None:
        return slack.group(1)
    folded = unicodedata.normalize("NFKC", word[:MAX_WORD])
    if not folded.startswith("@"):
        return None
    return folded[1:].rstrip(_MENTION_TRAIL) or None


def split_glued_ground(name: str) -> tuple[str, Ground] | None:
    """'张三不能胜任' → ('张三', INCOMPETENT): a Chinese ground typed without a space."""
    for alias in GLUED_GROUNDS:
        if name.endswith(alias) and len(name) > len(alias):
            return name[: -len(alias)].rstrip(_MENTION_TRAIL), GROUND_ALIASES[alias]
    return None


def is_mention(word: str) -> bool:
    return word.startswith(("@", "＠", "<@"))


FACT_KEYS: dict[str, str] = {
    alias: key
    for key, aliases in {
        "hired": ("hired", "hire_date", "入职", "入职日期"),
        "last_day": ("last_day", "最后工作日", "离职日期", "解除日期"),
        "avg_wage": ("avg_wage", "平均工资", "月平均工资"),
        "prev_wage": ("prev_wage", "上月工资"),
        "local_avg": ("local_avg", "社平工资", "当地平均工资"),
        "min_wage": ("min_wage", "最低工资"),
        "pay_in_lieu": ("pay_in_lieu", "代通知金"),
        "proposed_by": ("proposed_by", "提出方"),
        "in_probation": ("in_probation", "试用期内"),
        "protections": ("protections", "特殊保护", "保护情形"),
        "birth_date": ("birth_date", "出生日期"),
        "retirement_category": ("retirement_category", "退休类别"),
        "contract_start": ("contract_start", "合同开始", "合同开始日期"),
        "contract_end": ("contract_end", "合同终止", "合同到期日", "合同结束日期"),
        "open_ended": ("open_ended", "无固定期限"),
        "probation_end": ("probation_end", "试用期结束", "试用期截止"),
        "notice_date": ("notice_date", "通知日期", "通知送达日期"),
        "sick_since": ("sick_since", "病假开始"),
        "work_years": ("work_years", "工龄", "累计工作年限"),
        "union": ("union", "工会"),
        "union_notified": ("union_notified", "已通知工会"),
        "headcount": ("headcount", "职工总数", "总人数"),
        "reduced": ("reduced", "裁减人数", "裁减"),
        "renewal_offered": ("renewal_offered", "续订条件"),
        "employee_declined": ("employee_declined", "员工拒绝续订"),
        "employee_wants_renewal": ("employee_wants_renewal", "员工要求续订"),
        "fixed_terms": ("fixed_terms", "固定期限次数"),
        "work_injury_grade": ("work_injury_grade", "伤残等级"),
        "past_separation": ("past_separation", "补录离职"),
        "written_reasons": ("written_reasons", "书面理由", "已书面说明理由"),
        "confirm": ("confirm", "确认"),
    }.items()
    for alias in aliases
}
# Chinese spellings of choice values (a matter of language; the handlers judge the values).
_CHOICES = {
    "retirement_category": {"男": "male", "男职工": "male", "女干部": "female_cadre",
                            "女工人": "female_worker"},
    "union": {"有": "yes", "无": "no", "没有": "no", "已通知": "notified"},
    "renewal_offered": {"同等": "same", "维持": "same", "更好": "better", "提高": "better",
                        "降低": "worse", "不续订": "none", "无": "none"},
}
_PARTY = {"公司": "employer", "单位": "employer", "用人单位": "employer",
          "员工": "employee", "个人": "employee", "劳动者": "employee"}
_YES = frozenset({"yes", "y", "true", "1", "是", "对", "确认"})
_NO = frozenset({"no", "n", "false", "0", "否", "不"})


def yes_no(text: str) -> bool | None:
    value = fold(text[:MAX_WORD]).strip()
    return True if value in _YES else False if value in _NO else None


def fact(word: str) -> tuple[str, str] | None:
    """One 'key=value' word (key in English or Chinese) → (canonical key, value text).

    Values stay text: the handlers read and check them (dates, amounts, choices); only the
    Chinese spellings of a choice and of confirm=yes/no are mapped here (a matter of language).
    Keys the router does not know pass through for the handlers to judge.
    """
    if len(word) > MAX_WORD * 4:
        return None
    key, sep, value = fold(word).partition("=")
    if not sep:
        key, sep, value = key.partition(":")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        return None
    canonical = FACT_KEYS.get(key, key)
    if canonical == "proposed_by":
        value = _PARTY.get(value, value)
    elif canonical in _CHOICES:
        value = _CHOICES[canonical].get(value, value)
    elif canonical == "confirm":
        answer = yes_no(value)
        if answer is None:
            return None
        value = "yes" if answer else "no"
    return canonical, value
