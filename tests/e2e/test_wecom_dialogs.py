"""Conversations on a phone, through encrypted callbacks: commands in both languages, a name
two people share, guided evidence interrupted by another command, a reason asked for after a
click (and cancelled), and files sent when no one asked for one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cards.model import decode_action
from storage.models import AuditEvent, EvidenceItem
from tests.e2e.wecom_support import Stack, wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _everything_to(stack: Stack, user: str) -> str:
    """All text `user` received: cards and markdown messages."""
    return "\n".join([str(c) for c in stack.fake.cards(to=user)] + [
        m["markdown"]["content"] for m in stack.fake.sent("markdown", to=user)])


async def _case(stack: Stack, ref: str = "C-0001") -> Any:
    async with stack.runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key(f"wecom:{stack.phone.corp_id}")
        case = await uow.cases.by_ref(tenant.id, ref)
        evidence = await uow.evidence.for_case(case.id) if case else []
        employee = await uow.people.get(case.employee_id) if case else None
    return case, evidence, employee


async def say(stack: Stack, user: str, text: str) -> None:
    response = await stack.phone.text(user, text)
    assert (response.status_code, response.content) == (200, b"")
    await stack.settle()


async def test_english_and_chinese_commands(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await stack.set_locale("lee", "en")
        await say(stack, "lee", "/offboard @alice performance two weak review periods")
        case, _, employee = await _case(stack)
        assert (employee.name, case.ground, case.note) == ("陈晓丽", "incompetent",
                                                           "two weak review periods")
        assert "Please send item 1" in _everything_to(stack, "lee")

        await say(stack, "lee", "进度 C-0001")  # Chinese verb alone, English reader
        await say(stack, "lee", "撤回 C-0001 与员工协商一致")
        case, _, _ = await _case(stack)
        assert (case.state, case.outcome) == ("closed", "withdrawn")

        await say(stack, "wangfang", "报表")
        await say(stack, "wangfang", "/offboard report")
        reports = [c for c in stack.fake.cards(to="wangfang")]
        assert len(reports) >= 2
        await say(stack, "wangfang", "解雇 C-0001")  # no such verb: help, in Chinese
        assert "解雇" in _everything_to(stack, "wangfang")


async def test_an_ambiguous_name_gets_a_choice_card(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await say(stack, "lee", "退工 张伟 不能胜任 连续两期考核不合格")
        assert (await _case(stack))[0] is None
        choice = stack.fake.cards(to="lee")[-1]
        assert choice["card_type"] == "button_interaction"
        labels = [b["text"] for b in choice["button_list"]]
        assert labels == ["张伟（zhangwei1）", "张伟（zhangwei2）"]

        second = choice["button_list"][1]
        xml = stack.phone.click_xml("lee", second["key"], choice["task_id"],
                                    stack.fake.response_code())
        for _ in range(3):  # retried by WeCom: one case
            assert (await stack.phone.post(xml)).status_code == 200
            await stack.settle()
        case, _, employee = await _case(stack)
        assert (employee.employee_no, case.ground, case.note) == (
            "zhangwei2", "incompetent", "连续两期考核不合格")
        assert (await _case(stack, "C-0002"))[0] is None
        [update] = stack.fake.calls_to("message/update_template_card")
        assert update.body["button"]["replace_name"].startswith("已选择 · 李伟")


async def test_guided_evidence_stops_at_another_command(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        stack.fake.media["m1"] = ("scan.jpg", "image/jpeg", b"\xff\xd8jpeg")
        await stack.sync_directory()
        await say(stack, "lee", "退工 @alice 不能胜任")
        await say(stack, "lee", "2023H2 绩效 C")
        _, evidence, _ = await _case(stack)
        assert [(e.kind, e.content) for e in evidence] == [("performance", "2023H2 绩效 C")]

        await say(stack, "lee", "进度 C-0001")  # another command: the dialog ends
        await say(stack, "lee", "2024H1 绩效 C")
        response = await stack.phone.media("lee", "image", "m1")
        assert response.status_code == 200
        await stack.settle()
        _, evidence, _ = await _case(stack)
        assert len(evidence) == 1
        assert stack.fake.calls_to("media/get") == []
        text = _everything_to(stack, "lee")
        assert "看不懂“2024H1”" in text  # read as a command, answered with help
        assert "请在机器人提示" in text  # the image was not taken as evidence

        # Typing the evidence command resumes the prompts, and the next answer is filed again.
        await say(stack, "lee", "证据 C-0001 绩效 2024H1 绩效 C")
        await say(stack, "lee", "培训 2024-03 安全生产培训结业")
        _, evidence, _ = await _case(stack)
        assert [e.kind for e in evidence] == ["performance", "performance", "training"]
        assert evidence[-1].content == "培训 2024-03 安全生产培训结业"


async def test_a_click_that_needs_a_reason_asks_for_it(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await say(stack, "lee", "退工 @alice 不能胜任")
        opened = next(c for c in stack.fake.cards(to="lee")
                      if any((decode_action(b["key"]) or _Nothing).action == "withdraw"
                             for b in c.get("button_list", [])))
        await stack.click("lee", opened, "withdraw")
        await stack.settle()
        prompt = stack.fake.cards(to="lee")[-1]
        assert "确定撤回案件 C-0001 吗" in str(prompt) and "原因" in str(prompt)
        await say(stack, "lee", "取消")
        assert "已取消" in str(stack.fake.cards(to="lee")[-1])
        await say(stack, "lee", "我改主意了")  # no longer a reason: not a withdrawal
        case, _, _ = await _case(stack)
        assert case.state == "collecting_evidence"

        code = stack.fake.response_code()
        await stack.click("lee", opened, "withdraw", code)
        await stack.settle()
        await say(stack, "lee", "已与员工协商，暂缓")
        case, _, _ = await _case(stack)
        assert (case.state, case.outcome) == ("closed", "withdrawn")
        [update] = stack.fake.calls_to("message/update_template_card")
        assert update.body["response_code"] == code
        async with stack.runtime.uow_factory() as uow:
            reason = await uow.session.scalar(
                select(AuditEvent.payload).where(AuditEvent.action == "withdraw"))
        assert reason["text"] == "已与员工协商，暂缓"


async def test_a_file_nobody_asked_for_is_not_filed(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        stack.fake.media["m9"] = ("x.pdf", "application/pdf", b"%PDF")
        response = await stack.phone.media("lee", "file", "m9", "x.pdf")
        assert response.status_code == 200
        await stack.settle()
        assert stack.fake.calls_to("media/get") == []
        assert "请在机器人提示" in str(stack.fake.cards(to="lee")[-1])
        async with stack.runtime.uow_factory() as uow:
            assert await uow.session.scalar(select(func.count()).select_from(EvidenceItem)) == 0


def _card_with(stack: Stack, user: str, action: str) -> dict[str, Any]:
    return next(c for c in reversed(stack.fake.cards(to=user))
                if any((decode_action(b["key"]) or _Nothing).action == action
                       for b in c.get("button_list", [])))


async def test_questions_go_back_and_cancel_in_english_and_the_evidence_button_asks_the_item(
    db_url: str, engine: Any
) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await stack.set_locale("lee", "en")
        await say(stack, "lee", "/offboard @alice performance")
        await stack.click("lee", _card_with(stack, "lee", "withdraw"), "withdraw")
        await stack.settle()
        asked = str(stack.fake.cards(to="lee")[-1])
        assert "question 1 of 1: Reason" in asked and "Withdraw case C-0001?" in asked
        await say(stack, "lee", "back")  # nothing before the first question: asked again
        again = str(stack.fake.cards(to="lee")[-1])
        assert "This is the first question" in again and "question 1 of 1: Reason" in again
        await say(stack, "lee", "cancel")
        assert "“Withdraw” cancelled; nothing was changed." in str(stack.fake.cards(to="lee")[-1])
        case, _, _ = await _case(stack)
        assert case.state == "collecting_evidence"

        # The prompt's "add evidence" button asks for the item the case lacks, one at a time.
        await stack.click("lee", _card_with(stack, "lee", "evidence"), "evidence")
        await stack.settle()
        assert "Case C-0001, item 1:" in str(stack.fake.cards(to="lee")[-1])
        await say(stack, "lee", "上一步")  # typed in Chinese: answered in Chinese
        assert "已发送的内容已作为证据记录" in str(stack.fake.cards(to="lee")[-1])
        await say(stack, "lee", "2023H2 review C")
        _, evidence, _ = await _case(stack)
        assert [(e.kind, e.content) for e in evidence] == [("performance", "2023H2 review C")]


class _Nothing:
    action = ""
