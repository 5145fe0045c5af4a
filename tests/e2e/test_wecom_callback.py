"""/wecom/callback through real HTTP: URL verification, every way a callback is refused (never a
500, nothing recorded), retries that change nothing, and the answer WeCom waits for."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from wechatpy.enterprise.crypto import WeChatCrypto

from storage.models import AuditEvent, Case, InboundDelivery, OutboxMessage
from tests.e2e.wecom_support import Stack, new_aes_key, wecom_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _counts(stack: Stack) -> dict[str, int]:
    async with stack.runtime.uow_factory() as uow:
        return {
            model.__tablename__: await uow.session.scalar(select(func.count()).select_from(model))
            for model in (InboundDelivery, OutboxMessage, AuditEvent, Case)
        }


async def test_url_verification_answers_exactly_the_echostr(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        response = await stack.phone.verify("1616140317555161061")
        assert response.status_code == 200
        assert response.text == "1616140317555161061"
        assert response.headers["content-type"].startswith("text/plain")

        forged = await stack.phone.verify("1616140317555161061", token="not-the-token")
        assert forged.status_code == 403


async def test_refused_callbacks_change_nothing(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        phone = stack.phone
        before = await _counts(stack)
        xml = phone.xml("lee", "text", {"Content": "退工 @alice 不能胜任"})

        body, params = phone.envelope(xml)
        bad_signature = await phone.http.post(
            f"{phone.url}/wecom/callback", content=body.encode(),
            params={**params, "msg_signature": "0" * 40})
        other_corp = WeChatCrypto(phone.token, phone.aes_key, "ww-another-corp")
        wrong_corp = await phone.post(xml, crypto=other_corp)
        other_key = WeChatCrypto(phone.token, new_aes_key(), phone.corp_id)
        wrong_key = await phone.post(xml, crypto=other_key)
        malformed = await phone.http.post(f"{phone.url}/wecom/callback", params=params,
                                          content=b"<xml><Encrypt>")
        not_xml = await phone.http.post(f"{phone.url}/wecom/callback", params=params,
                                        content=b"{\"Encrypt\": 1}")
        entity = await phone.http.post(
            f"{phone.url}/wecom/callback", params=params,
            content=b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml><Encrypt>&a;</Encrypt></xml>")
        missing = await phone.http.post(f"{phone.url}/wecom/callback", content=body.encode())
        inner = await phone.post("<xml><MsgType>text</MsgType></xml>")  # no sender

        assert bad_signature.status_code == 403
        assert wrong_corp.status_code == 403
        assert wrong_key.status_code == 403
        assert malformed.status_code == 400
        assert not_xml.status_code == 400
        assert entity.status_code == 400
        assert missing.status_code == 400
        assert inner.status_code == 400
        assert await _counts(stack) == before
        await stack.settle()
        assert stack.fake.sent() == []


async def test_a_command_is_answered_200_empty_then_replied_through_the_outbox(
    db_url: str, engine: Any
) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        response = await stack.phone.text("wangfang", "帮助")
        assert (response.status_code, response.content) == (200, b"")
        assert stack.fake.sent() == []  # nothing is sent inside the request
        await stack.settle()
        [card] = stack.fake.cards(to="wangfang")
        assert card["card_type"] == "text_notice"
        assert card["main_title"]["title"]
        assert stack.fake.sent("markdown", to="wangfang")  # the full help, too long for a card

        await stack.set_locale("emily", "en")  # WeCom's contacts carry no language
        english = await stack.phone.text("emily", "/offboard help")
        assert english.status_code == 200
        await stack.settle()
        [card] = stack.fake.cards(to="emily")
        assert card["main_title"]["title"].isascii()


async def test_a_retried_callback_acts_once(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        xml = stack.phone.xml("lee", "text", {"Content": "退工 @alice 不能胜任 绩效不达标"})
        answers = [await stack.phone.post(xml) for _ in range(4)]  # WeCom retries 3 times
        assert [r.status_code for r in answers] == [200] * 4
        await stack.settle()
        counts = await _counts(stack)
        assert counts["cases"] == 1
        async with stack.runtime.uow_factory() as uow:
            opened = await uow.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "open"))
        assert opened == 1
        # One reply per message the handler gave, not four.
        titles = [c["main_title"]["title"] for c in stack.fake.cards(to="lee")]
        assert len(titles) == len(set(titles))


async def test_unknown_sender_is_told_and_nothing_else_happens(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url) as stack:
        response = await stack.phone.text("stranger", "退工 @alice 不能胜任")
        assert response.status_code == 200
        await stack.settle()
        [card] = stack.fake.cards(to="stranger")
        assert "stranger" in card.get("sub_title_text", "") + str(card)
        assert (await _counts(stack))["cases"] == 0


async def test_the_apps_own_worker_delivers_as_in_serve(db_url: str, engine: Any) -> None:
    async with wecom_stack(db_url, run_worker=True) as stack:
        await stack.sync_directory()
        response = await stack.phone.text("lee", "帮助")
        assert response.status_code == 200
        await stack.fake.wait_for(lambda: bool(stack.fake.cards(to="lee")))
        assert stack.fake.cards(to="lee")[0]["card_type"] == "text_notice"


async def test_a_card_sent_but_not_recorded_before_a_crash_counts_as_delivered(db_url: str, engine: Any) -> None:
    """WeCom refuses a task_id it has seen (42014): the re-send after a crash is a delivery, not a
    dead letter that would alert HR about a message that arrived."""
    async with wecom_stack(db_url) as stack:
        await stack.sync_directory()
        await stack.phone.text("wangfang", "帮助")
        await stack.settle()
        [card] = stack.fake.cards(to="wangfang")
        async with stack.runtime.uow_factory() as uow:
            # The crash: delivered, but the receipt never committed.
            await uow.session.execute(update(OutboxMessage).values(sent_at=None, attempts=0, claimed_until=None))
            await uow.commit()
        await stack.settle()
        refused = [c for c in stack.fake.calls_to("message/send", accepted=False) if c.errcode == 42014]
        assert refused and stack.fake.cards(to="wangfang") == [card]  # asked again, shown once
        async with stack.runtime.uow_factory() as uow:
            messages = list((await uow.session.scalars(select(OutboxMessage))).all())
        assert messages and all(m.sent_at is not None and m.dead_at is None for m in messages)
