"""A whole case driven only through encrypted WeCom callbacks to the real app (uvicorn), against
the fake WeCom API reached by wechatpy's real client: commands typed in Chinese and English,
guided evidence (text, an image, a link, a file), card clicks, a click whose response_code
expired, a reason asked for after a click, and the HR group robot."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cards.model import decode_action
from storage.audit import verify
from storage.models import AuditEvent, OutboxMessage
from tests.e2e.wecom_support import Stack, wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n% PIP result\n" + b"x" * 2000
MONEY = ("66,000", "12,000", "78,500", "12,500")


def latest_card(stack: Stack, to: str, action: str) -> dict[str, Any]:
    for card in reversed(stack.fake.cards(to=to)):
        if _has(card, action):
            return card
    raise AssertionError(f"{to} has no card with a {action} button")


async def step(stack: Stack, response: Any) -> None:
    assert (response.status_code, response.content) == (200, b"")
    await stack.settle()


async def test_a_whole_case_through_wecom(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        fake, phone = stack.fake, stack.phone
        fake.media["m-perf"] = ("2024H1-绩效.png", "image/png", PNG)
        fake.media["m-result"] = ("PIP结果.pdf", "application/pdf", PDF)
        await stack.sync_directory()

        # Open: the manager types in Chinese; the bot lists the evidence and asks for item 1.
        await step(stack, await phone.text("lee", "退工 @alice 不能胜任 连续两个考核期绩效不达标"))
        lee_texts = [str(c) for c in fake.cards(to="lee")] + [
            m["markdown"]["content"] for m in fake.sent("markdown", to="lee")]
        assert any("请发送第 1 项" in text for text in lee_texts)
        assert any("C-0001" in post.body["markdown"]["content"] for post in fake.robot_posts())

        # Guided evidence: each answer is filed under the item asked for.
        await step(stack, await phone.text("lee", "2023 年下半年考核：C https://hr.example.com/2023H2"))
        await step(stack, await phone.media("lee", "image", "m-perf"))
        assert [c.params["media_id"] for c in fake.calls_to("media/get")] == ["m-perf"]
        fake.expire_tokens()  # WeCom answers 42001 from now on: one new token, nothing lost
        await step(stack, await phone.link("lee", "PIP 2024-03-01 至 04-30",
                                           "https://hr.example.com/pip"))
        await step(stack, await phone.media("lee", "file", "m-result", "PIP结果.pdf"))
        await step(stack, await phone.text("lee", "2024-04-30 反馈面谈记录，员工签字确认"))

        # Evidence complete: the card offers Submit; the click is re-sent by WeCom 3 times.
        submit_card = latest_card(stack, "lee", "submit")
        code = fake.response_code()
        click = phone.click_xml("lee", _key(submit_card, "submit"), submit_card["task_id"], code)
        for _ in range(4):
            await step(stack, await phone.post(click))
        updates = fake.calls_to("message/update_template_card")
        assert [u.body["response_code"] for u in updates] == [code]
        assert updates[0].body["button"]["replace_name"] == "已提交人事 · 李伟 06-03 09:00"

        # HR: facts typed, then Approve clicked on a card whose response_code has expired.
        await step(stack, await phone.text(
            "wangfang", "事实 C-0001 hired=2019-03-15 last_day=2024-06-30 avg_wage=12000 "
            "prev_wage=12500 local_avg=10000 pay_in_lieu=是 union_notified=是 written_reasons=是 "
            "confirm=是"))
        review = latest_card(stack, "wangfang", "approve")
        expired = fake.response_code()
        fake.expire_code(expired)
        cards_before = len(fake.cards(to="wangfang"))
        await step(stack, await stack.click("wangfang", review, "approve", expired))
        failed = fake.calls_to("message/update_template_card", accepted=False)[-1]
        assert (failed.body["response_code"], failed.errcode) == (expired, 40058)
        new_cards = fake.cards(to="wangfang")[cards_before:]
        assert any("已同意 · 王芳" in str(card) for card in new_cards)

        # Schedule: the button needs a time, so the bot asks for it and waits.
        await step(stack, await stack.click("wangfang", latest_card(stack, "wangfang", "schedule"),
                                            "schedule"))
        asked = fake.cards(to="wangfang")[-1]
        assert "面谈时间" in str(asked)
        await step(stack, await phone.text("wangfang", "2024-06-04 10:00"))

        await step(stack, await stack.click("lee", latest_card(stack, "lee", "confirm_attendance"),
                                            "confirm_attendance"))
        stack.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        await stack.settle()
        await step(stack, await phone.text("wangfang", "/offboard talked C-0001"))  # English

        # The employee signs on her phone; every handover owner ticks their items.
        await step(stack, await stack.click("alice", latest_card(stack, "alice", "sign"), "sign"))
        for _ in range(10):
            owners = [(user, card) for user in ("lee", "wangfang", "zhao")
                      for card in _open_items(stack, user)]
            if not owners:
                break
            user, card = owners[0]
            await step(stack, await stack.click(user, card, "complete_item"))
        # Everything was done before the last day (2024-06-30): the worker closes the case at its end.
        stack.clock.set(datetime(2024, 6, 30, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        await stack.settle()

        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key(f"wecom:{phone.corp_id}")
            case = await uow.cases.by_ref(tenant.id, "C-0001")
            assert (case.state, case.outcome) == ("closed", "completed")
            evidence = await uow.evidence.for_case(case.id, with_files=True)
            events = list((await uow.session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case.id)
                .order_by(AuditEvent.seq))).all())
            assert await verify(uow.session, case.id) == []
            outbox = list((await uow.session.scalars(select(OutboxMessage))).all())

        files = {e.filename: e for e in evidence if e.blob}
        assert files["2024H1-绩效.png"].sha256 == hashlib.sha256(PNG).hexdigest()
        assert files["PIP结果.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
        assert [e.kind for e in evidence] == [
            "performance", "performance", "improvement_plan", "improvement_result", "feedback"]
        actions = [e.action for e in events]
        assert actions[:6] == ["open"] + ["evidence"] * 5
        for expected in ("submit", "approve", "schedule", "confirm_attendance", "record_talk",
                         "sign", "finish"):
            assert actions.count(expected) == 1, expected
        assert actions.count("complete_item") == 7
        assert all(e.actor_identity.startswith(f"wecom:{phone.corp_id}:") for e in events
                   if e.actor_id is not None)

        assert [c.params["media_id"] for c in fake.calls_to("media/get")] == ["m-perf",
                                                                              "m-result"]
        assert len(fake.calls_to("gettoken")) == 2
        kinds = {c["card_type"] for c in fake.cards()}
        assert kinds == {"button_interaction", "text_notice"}
        assert len(fake.calls_to("message/update_template_card")) >= 10
        group = [post.body["markdown"]["content"] for post in fake.robot_posts()]
        assert any("新案件 C-0001" in text for text in group)
        assert any("已结案" in text for text in group)
        assert not [text for text in group if any(m in text for m in MONEY)]
        assert all(row.sent_at is not None and row.dead_at is None for row in outbox)


def _key(card: dict[str, Any], action: str) -> str:
    for entry in card["button_list"]:
        ref = decode_action(entry["key"])
        if ref is not None and ref.action == action:
            return entry["key"]
    raise AssertionError(action)


def _open_items(stack: Stack, user: str) -> list[dict[str, Any]]:
    """Handover item cards of `user` not clicked yet."""
    return [c for c in stack.fake.cards(to=user)
            if c["task_id"] not in stack.clicked and _has(c, "complete_item")]


def _has(card: dict[str, Any], action: str) -> bool:
    return any((ref := decode_action(b["key"])) is not None and ref.action == action
               for b in card.get("button_list", []))
