"""The router reads every command form in English and Chinese, and never raises on any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.router import (
    Parsed,
    ParseError,
    help_text,
    normalise_case_ref,
    parse,
    parse_action,
    to_inbound,
    usage,
)
from workflow.commands import BY_VERB, COMMANDS
from workflow.i18n import LOCALES, has, t

C7 = "C-0007"

# text -> (name, case_ref, args)
FORMS: list[tuple[str, tuple[str, str | None, dict]]] = [
    # open
    ("/offboard @alice incompetent", ("open", None,
                                      {"employee": "alice", "ground": "incompetent", "note": ""})),
    ("/offboard @alice incompetent two bad reviews", ("open", None, {
        "employee": "alice", "ground": "incompetent", "note": "two bad reviews"})),
    ("/offboard @alice performance", ("open", None,
                                      {"employee": "alice", "ground": "incompetent", "note": ""})),
    ("退工 @张三 不能胜任 连续两期绩效不达标", ("open", None, {
        "employee": "张三", "ground": "incompetent", "note": "连续两期绩效不达标"})),
    ("退工 @张三 不胜任", ("open", None, {"employee": "张三", "ground": "incompetent", "note": ""})),
    ("退工@张三不能胜任", ("open", None, {"employee": "张三", "ground": "incompetent", "note": ""})),
    ("退工 张三 严重违纪 迟到", ("open", None,
                          {"employee": "张三", "ground": "misconduct", "note": "迟到"})),
    ("退工 @张三 违纪", ("open", None, {"employee": "张三", "ground": "misconduct", "note": ""})),
    ("/offboard @bob misconduct", ("open", None,
                                   {"employee": "bob", "ground": "misconduct", "note": ""})),
    ("退工 @张三 试用期", ("open", None, {"employee": "张三", "ground": "probation", "note": ""})),
    ("退工 @张三 试用期不符合录用条件", ("open", None,
                                 {"employee": "张三", "ground": "probation", "note": ""})),
    ("/offboard @bob probation", ("open", None,
                                  {"employee": "bob", "ground": "probation", "note": ""})),
    ("退工 @张三 医疗期", ("open", None, {"employee": "张三", "ground": "illness", "note": ""})),
    ("退工 @张三 病", ("open", None, {"employee": "张三", "ground": "illness", "note": ""})),
    ("/offboard @bob illness", ("open", None, {"employee": "bob", "ground": "illness", "note": ""})),
    ("退工 @张三 客观情况", ("open", None,
                         {"employee": "张三", "ground": "circumstances", "note": ""})),
    ("退工 @张三 客观情况重大变化", ("open", None,
                             {"employee": "张三", "ground": "circumstances", "note": ""})),
    ("/offboard @bob circumstances", ("open", None,
                                      {"employee": "bob", "ground": "circumstances", "note": ""})),
    ("退工 @张三 协商", ("open", None, {"employee": "张三", "ground": "mutual", "note": ""})),
    ("退工 @张三 协商一致", ("open", None, {"employee": "张三", "ground": "mutual", "note": ""})),
    ("退工 @张三 协商解除", ("open", None, {"employee": "张三", "ground": "mutual", "note": ""})),
    ("/offboard @bob mutual", ("open", None, {"employee": "bob", "ground": "mutual", "note": ""})),
    ("/offboard @bob layoff", ("open", None, {"employee": "bob", "ground": "layoff", "note": ""})),
    ("退工 @张三 裁员", ("open", None, {"employee": "张三", "ground": "layoff", "note": ""})),
    # a layoff with its round's numbers, under the facts step's keys and their Chinese names
    ("/offboard @carol layoff headcount=100 reduced=12", ("open", None, {
        "employee": "carol", "ground": "layoff", "note": "", "facts": {"headcount": "100", "reduced": "12"}})),
    ("退工 @carol 裁员 总人数=100 裁减=12", ("open", None, {
        "employee": "carol", "ground": "layoff", "note": "", "facts": {"headcount": "100", "reduced": "12"}})),
    ("退工 @张三 裁员 职工总数＝100 裁减人数：5 预算削减", ("open", None, {
        "employee": "张三", "ground": "layoff", "note": "预算削减", "facts": {"headcount": "100", "reduced": "5"}})),
    ("/offboard @carol layoff reduced=abc", ("open", None, {  # judged by the handler, in words
        "employee": "carol", "ground": "layoff", "note": "", "facts": {"reduced": "abc"}})),
    # other grounds keep such words as their note
    ("/offboard @bob circumstances headcount=100", ("open", None, {
        "employee": "bob", "ground": "circumstances", "note": "headcount=100"})),
    ("/offboard <@U123ABC|alice> mutual", ("open", None,
                                           {"employee": "U123ABC", "ground": "mutual", "note": ""})),
    ("@alice incompetent", ("open", None,
                            {"employee": "alice", "ground": "incompetent", "note": ""})),
    ("退工　＠张三　不能胜任", ("open", None,
                         {"employee": "张三", "ground": "incompetent", "note": ""})),
    # evidence
    ("/offboard evidence C-0007 performance https://hr/2024H2.pdf", ("evidence", C7, {
        "kind": "performance", "content": "https://hr/2024H2.pdf"})),
    ("证据 7 绩效 2024 下半年绩效 C", ("evidence", C7, {"kind": "绩效", "content": "2024 下半年绩效 C"})),
    ("退工 证据 c-7 培训 参加了培训", ("evidence", C7, {"kind": "培训", "content": "参加了培训"})),
    # submit
    ("/offboard submit C-0007", ("submit", C7, {})),
    ("提交 7", ("submit", C7, {})),
    ("提交7", ("submit", C7, {})),
    ("提交 ７", ("submit", C7, {})),
    # status
    ("/offboard status", ("status", None, {})),
    ("/offboard status c-7", ("status", C7, {})),
    ("进度", ("status", None, {})),
    ("进度 7", ("status", C7, {})),
    ("退工 进度", ("status", None, {})),
    # withdraw
    ("/offboard withdraw C-0007 found another role", ("withdraw", C7,
                                                      {"reason": "found another role"})),
    ("撤回 7 误会", ("withdraw", C7, {"reason": "误会"})),
    # report, help
    ("/offboard report", ("report", None, {})),
    ("报表", ("report", None, {})),
    # the company profile: shown, or one field set
    ("/offboard company", ("company", None, {})),
    ("/offboard company name_en Acme Trading Ltd", ("company", None, {"text": "name_en Acme Trading Ltd"})),
    ("公司资料 名称 某某科技有限公司", ("company", None, {"text": "名称 某某科技有限公司"})),
    ("/offboard help", ("help", None, {})),
    ("帮助", ("help", None, {})),
    ("?", ("help", None, {})),
    ("？", ("help", None, {})),
    ("/offboard", ("help", None, {})),
    ("退工", ("help", None, {})),
    ("", ("help", None, {})),
    # HR review
    ("/offboard approve 7", ("approve", C7, {})),
    ("approve C-0007", ("approve", C7, {})),
    ("同意 7", ("approve", C7, {})),
    ("/offboard request_changes 7 add the PIP", ("request_changes", C7,
                                                 {"comment": "add the PIP"})),
    ("退回 7 请补充改进计划", ("request_changes", C7, {"comment": "请补充改进计划"})),
    ("reject 7 not enough evidence", ("reject", C7, {"reason": "not enough evidence"})),
    ("驳回 7 证据不足", ("reject", C7, {"reason": "证据不足"})),
    # the talk
    ("schedule 7 2025-10-09 10:00", ("schedule", C7, {"talk_at": "2025-10-09 10:00"})),
    ("schedule 7 2025-10-09T10:00", ("schedule", C7, {"talk_at": "2025-10-09 10:00"})),
    ("安排面谈 7 2025/10/9 9:30", ("schedule", C7, {"talk_at": "2025-10-09 09:30"})),
    ("安排面谈 7 2025年10月9日 10点 三楼会议室", ("schedule", C7, {
        "talk_at": "2025-10-09 10:00", "note": "三楼会议室"})),
    ("confirm 7", ("confirm_attendance", C7, {})),
    ("确认出席 7", ("confirm_attendance", C7, {})),
    ("talked 7", ("record_talk", C7, {})),
    ("talked 7 manager was ill", ("record_talk", C7, {"reason": "manager was ill"})),
    ("面谈完成 7 经理出差，由总监代替", ("record_talk", C7, {"reason": "经理出差，由总监代替"})),
    # the employee
    ("ack 7", ("acknowledge", C7, {})),
    ("已读 7", ("acknowledge", C7, {})),
    ("sign 7", ("sign", C7, {})),
    ("签署 7", ("sign", C7, {})),
    # the confirmation names the hash it showed; without one, words are a note (and nothing signs)
    ("sign 7 " + "ab" * 32, ("sign", C7, {"document_hash": "ab" * 32})),
    ("签署 7 " + "AB" * 32 + " 已阅", ("sign", C7, {"document_hash": "ab" * 32, "note": "已阅"})),
    ("sign 7 " + "ab" * 31, ("sign", C7, {"note": "ab" * 31})),
    ("dispute 7 the PIP was never shown to me", ("dispute", C7, {
        "reason": "the PIP was never shown to me"})),
    ("异议 7 没有看到改进计划", ("dispute", C7, {"reason": "没有看到改进计划"})),
    ("meeting 7", ("ask_meeting", C7, {})),
    ("申请面谈 7 希望再谈一次", ("ask_meeting", C7, {"text": "希望再谈一次"})),
    # disputes and escalation
    ("revise 7", ("revise", C7, {})),
    ("revise 7 one more month of pay", ("revise", C7, {"note": "one more month of pay"})),
    ("修改 7 增加一个月补偿", ("revise", C7, {"note": "增加一个月补偿"})),
    ("unilateral 7", ("proceed_unilateral", C7, {})),
    ("单方解除 7 EMS1234 已签收", ("proceed_unilateral", C7, {"proof": "EMS1234 已签收"})),
    ("served 7 EMS1234567", ("record_notice_served", C7, {"proof": "EMS1234567"})),
    ("已送达 7 挂号信 XA123", ("record_notice_served", C7, {"proof": "挂号信 XA123"})),
    # handover
    ("done 7 3", ("complete_item", C7, {"item": 3})),
    ("完成 7 #3 已归还电脑", ("complete_item", C7, {"item": 3, "note": "已归还电脑"})),
    # facts
    ("facts 7 hired=2019-03-15 last_day=2025-10-31 avg_wage=20000 confirm=yes", ("facts", C7, {
        "facts": {"hired": "2019-03-15", "last_day": "2025-10-31", "avg_wage": "20000",
                  "confirm": "yes"}})),
    ("facts 7 pay_in_lieu=yes proposed_by=employer in_probation=no protections=maternity",
     ("facts", C7, {"facts": {"pay_in_lieu": "yes", "proposed_by": "employer",
                              "in_probation": "no", "protections": "maternity"}})),
    ("事实 7 入职=2019-03-15 提出方=公司 确认=是", ("facts", C7, {
        "facts": {"hired": "2019-03-15", "proposed_by": "employer", "confirm": "yes"}})),
    ("事实 7 avg_wage＝２００００", ("facts", C7, {"facts": {"avg_wage": "20000"}})),
    ("事实 7 总人数=100 裁减=12", ("facts", C7, {"facts": {"headcount": "100", "reduced": "12"}})),
    ("confirm_facts 7", ("confirm_facts", C7, {"facts": {"confirm": "yes"}})),
    ("确认事实 7 avg_wage=21000", ("confirm_facts", C7, {
        "facts": {"avg_wage": "21000", "confirm": "yes"}})),
    ("/offboard delegate @mike until 2027-01-10", ("delegate", None, {"delegate": "mike", "until": "2027-01-10"})),
    ("delegate <@U123|mike> 2027/1/10", ("delegate", None, {"delegate": "U123", "until": "2027-01-10"})),
    ("委托 @王芳 至 2027年1月10日", ("delegate", None, {"delegate": "王芳", "until": "2027-01-10"})),
    ("delegate off", ("delegate", None, {"off": True})),
    ("委托 取消", ("delegate", None, {"off": True})),
    ("snooze 7 2d", ("snooze", C7, {"minutes": 2880})),
    ("snooze C-0007", ("snooze", C7, {})),
    ("稍后提醒 7 3小时", ("snooze", C7, {"minutes": 180})),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[f[0] or "<empty>" for f in FORMS])
def test_every_form_parses(text: str, expected: tuple[str, str | None, dict]) -> None:
    name, case_ref, args = expected
    assert parse(text) == Parsed(name, case_ref, args)


def test_every_command_has_an_english_and_a_chinese_form_in_the_table() -> None:
    covered = {name for _text, (name, _ref, _args) in FORMS}
    assert covered == {c.name for c in COMMANDS}
    for command in COMMANDS:
        english = [text for text, (name, *_r) in FORMS if name == command.name and text.isascii()]
        chinese = [text for text, (name, *_r) in FORMS if name == command.name
                   and not text.isascii()]
        assert english and chinese, command.name


ERRORS = [
    ("frobnicate 7", "router.unknown_verb", {"value": "frobnicate"}, "router.usage.help"),
    ("你好", "router.unknown_verb", {"value": "你好"}, "router.usage.help"),
    ("/offboard @alice", "router.missing_arg.ground", {}, "router.usage.open"),
    ("退工 @张三 不喜欢他", "router.bad_ground", {"value": "不喜欢他"}, "router.usage.open"),
    ("/offboard @ incompetent", "router.missing_arg.employee", {}, "router.usage.open"),
    ("提交", "router.missing_arg.case", {}, "router.usage.submit"),
    ("/offboard submit alice", "router.bad_case_ref", {"value": "alice"}, "router.usage.submit"),
    ("提交 C-0", "router.bad_case_ref", {"value": "C-0"}, "router.usage.submit"),
    ("进度 某某", "router.bad_case_ref", {"value": "某某"}, "router.usage.status"),
    ("撤回 7", "router.missing_arg.reason", {}, "router.usage.withdraw"),
    ("reject 7", "router.missing_arg.reason", {}, "router.usage.reject"),
    ("退回 7", "router.missing_arg.comment", {}, "router.usage.request_changes"),
    ("dispute 7", "router.missing_arg.reason", {}, "router.usage.dispute"),
    ("served 7", "router.missing_arg.proof", {}, "router.usage.record_notice_served"),
    ("schedule 7", "router.missing_arg.talk_at", {}, "router.usage.schedule"),
    ("schedule 7 tomorrow 10am", "router.bad_time", {"value": "tomorrow 10am"},
     "router.usage.schedule"),
    ("安排面谈 7 2025-02-30 10:00", "router.bad_time", {"value": "2025-02-30 10:00"},
     "router.usage.schedule"),
    ("done 7", "router.missing_arg.item", {}, "router.usage.complete_item"),
    ("完成 7 电脑", "router.bad_item", {"value": "电脑"}, "router.usage.complete_item"),
    ("facts 7", "router.missing_arg.facts", {}, "router.usage.facts"),
    ("facts 7 hired 2019-03-15", "router.bad_fact", {"value": "hired"}, "router.usage.facts"),
    ("事实 7 确认=也许", "router.bad_fact", {"value": "确认=也许"}, "router.usage.facts"),
    ("证据 7", "router.missing_arg.kind", {}, "router.usage.evidence"),
    ("证据 7 绩效", "router.missing_arg.content", {}, "router.usage.evidence"),
    ("delegate", "router.missing_arg.delegate", {}, "router.usage.delegate"),
    ("委托 @王芳", "router.missing_arg.until", {}, "router.usage.delegate"),
    ("delegate @mike until soon", "router.bad_date", {"value": "soon"}, "router.usage.delegate"),
    ("委托 @王芳 至 2027-02-30", "router.bad_date", {"value": "2027-02-30"}, "router.usage.delegate"),
    ("snooze 7 forever", "router.bad_duration", {"value": "forever"}, "router.usage.snooze"),
    ("稍后提醒 7 0天", "router.bad_duration", {"value": "0天"}, "router.usage.snooze"),
]


@pytest.mark.parametrize(("text", "code", "params", "usage_key"), ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_errors_name_what_was_wrong_and_the_right_form(
    text: str, code: str, params: dict, usage_key: str
) -> None:
    error = parse(text)
    assert error == ParseError(code, params, usage_key)
    for locale in LOCALES:
        said = t(error.code, locale, **error.params)
        assert all(value in said for value in params.values())
        assert t(error.usage_key, locale)


def test_a_quoted_wrong_word_is_shortened() -> None:
    error = parse("x" * 50 + " 7")
    assert isinstance(error, ParseError)
    assert len(error.params["value"]) == 40 and error.params["value"].endswith("…")


def test_every_command_has_usage_in_both_languages() -> None:
    for command in COMMANDS:
        for locale in LOCALES:
            line = usage(command.name, locale)
            assert line.startswith("用法：" if locale == "zh-CN" else "Usage: ")
    assert usage("no such command", "en") == usage("help", "en")


def test_usage_names_the_form_in_the_reader_language() -> None:
    assert "驳回 <案件> <原因>" in usage("reject", "zh-CN")
    assert "/offboard reject <case> <reason>" in usage("reject", "en")


def test_help_lists_only_what_the_asker_may_use() -> None:
    employee = help_text("en", frozenset())
    manager = help_text("en", frozenset({"manager"}))
    hr = help_text("zh-CN", frozenset({"hr"}))
    assert "/offboard sign <case>" in employee
    assert "/offboard submit" not in employee and "/offboard approve" not in employee
    assert "/offboard submit <case>" in manager and "/offboard approve" not in manager
    for form in ("同意 <案件>", "驳回 <案件> <原因>", "报表", "提交 <案件>", "签署 <案件>"):
        assert form in hr
    assert help_text("zh-CN", frozenset({"hr_lead"})) == hr


@pytest.mark.parametrize(("raw", "ref"), [
    ("C-0007", C7), ("c-7", C7), ("7", C7), ("#7", C7), ("C7", C7), ("c0007", C7), ("７", C7),
    ("C-12345", "C-12345"), ("0", None), ("C-", None), ("x7", None), ("7a", None), ("", None),
    ("-7", None), ("1" * 10, None),
])
def test_case_refs_normalise(raw: str, ref: str | None) -> None:
    assert normalise_case_ref(raw) == ref


@given(st.integers(min_value=1, max_value=999_999_999))
def test_case_ref_round_trip(number: int) -> None:
    ref = normalise_case_ref(str(number))
    assert ref is not None and int(ref.removeprefix("C-")) == number
    assert normalise_case_ref(ref) == ref
    assert normalise_case_ref(ref.lower()) == ref
    assert parse(f"提交 {ref}") == Parsed("submit", ref, {})


_AWKWARD = st.sampled_from([
    "\u3000", "\u200b", "\ufeff", "\x00", "\x1b[2J", "\r\n", "\t", "@", "<@", "|", "=", "＝",
    "退工", "/offboard", "证据", "提交", "安排面谈", "事实", "完成", "C-", "#", "７", "年", "月",
    "日", "点", ":", "：", "hired=", "confirm=", "𝔘", "\U0001f600", "ﷺ", "\u0301", "İ", "ß",
])
_TEXT = st.lists(st.one_of(st.text(max_size=20), _AWKWARD), max_size=30).map("".join)


@given(_TEXT)
def test_parse_never_raises(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Parsed | ParseError)
    if isinstance(result, ParseError):
        for locale in LOCALES:
            assert has(result.code) and t(result.code, locale, **result.params)
            assert t(result.usage_key, locale)


@given(st.sampled_from(sorted(BY_VERB)), _TEXT)
def test_every_verb_followed_by_anything_never_raises(verb: str, rest: str) -> None:
    assert isinstance(parse(f"{verb} {rest}"), Parsed | ParseError)
    assert isinstance(parse(f"退工 {verb}{rest}"), Parsed | ParseError)
    assert isinstance(parse_action(verb, "C-0001", rest), Parsed | ParseError)


def test_huge_text_is_read_quickly_enough_to_answer() -> None:
    assert parse("提交 7 " + "备注" * 500_000) == Parsed("submit", C7, {"note": "备注" * 500_000})
    assert isinstance(parse("　" * 1_000_000), Parsed)
    assert isinstance(parse("x" * 1_000_000), ParseError)


def test_button_presses_read_like_typed_verbs() -> None:
    assert parse_action("approve", C7) == Parsed("approve", C7, {})
    assert parse_action("reject", C7, "no evidence") == Parsed("reject", C7,
                                                               {"reason": "no evidence"})
    assert parse_action("reject", C7) == ParseError("router.missing_arg.reason", {},
                                                    "router.usage.reject")
    assert parse_action("confirm_facts", C7) == Parsed(
        "confirm_facts", C7, {"facts": {"confirm": "yes"}})
    assert parse_action("confirm_facts", C7, "min_wage=2690") == Parsed(
        "confirm_facts", C7, {"facts": {"min_wage": "2690", "confirm": "yes"}})
    assert parse_action("complete_item", C7, "handed over", arg="12") == Parsed(
        "complete_item", C7, {"item": 12, "note": "handed over"})
    assert parse_action("schedule", C7, "2025-10-09 10:00") == Parsed(
        "schedule", C7, {"talk_at": "2025-10-09 10:00"})
    assert parse_action("no_such_action", C7).code == "router.unknown_verb"  # type: ignore[union-attr]


def test_to_inbound_carries_the_request_and_turns_errors_into_parse_error() -> None:
    common = {"platform": "console", "platform_tenant": "local", "user_id": "lee"}
    inbound = to_inbound(parse("驳回 7 证据不足"), **common, delivery_id="d1", locale="zh-CN",
                         case_version=4)
    assert (inbound.name, inbound.case_ref, inbound.case_version, inbound.args) == (
        "reject", C7, 4, {"reason": "证据不足"})
    assert (inbound.platform, inbound.platform_tenant, inbound.user_id) == ("console", "local", "lee")
    assert (inbound.delivery_id, inbound.locale) == ("d1", "zh-CN")
    error = to_inbound(parse("驳回 7"), **common)
    assert error.name == "parse_error" and error.case_ref is None
    assert error.args == {"code": "router.missing_arg.reason", "params": {},
                          "usage_key": "router.usage.reject"}
