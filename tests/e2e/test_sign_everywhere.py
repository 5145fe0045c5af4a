"""Signing from a chat card is as strong as signing on the page, and records the same thing.

Each platform's case is run twice, in two fresh databases on the same clock (so the documents,
and their hashes, come out the same): once the employee signs from the chat card (real slack-bolt
with signed requests, or real wechatpy crypto, against the fake platform), once on the signing
page (the FastAPI app). The two stored signature records must be equal but for how the signer got
there (channel, and the page's IP, browser and link). A bare tap on Sign must not sign: it brings
the confirmation step, showing the document's full SHA-256 and the intention statement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.bootstrap import Services
from bot.cards.model import decode_action
from bot.signing.routes import signing_router
from handlers.contracts import Inbound
from storage.migrate import upgrade
from tests.bot.test_signing_http import UA, open_page, post
from tests.conftest import _new_database_name, _pg_admin, _pg_url
from tests.e2e import wecom_support
from tests.e2e.slack_support import STEPS, Workspace, add_people, drive, find_button, slack_stack, text_of
from tests.e2e.wecom_support import wecom_stack
from workflow.signing_rules import intention

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

# What differs between a chat signature and a page signature: how the signer got to the button.
HOW = frozenset({"channel", "ip", "user_agent", "link_id"})
LINK = re.compile(r"/sign/([A-Za-z0-9_-]{20,})")
CORP = "wwsigntwins00001"  # the same corp in both runs: the same identities, the same documents


@pytest.fixture
def twin_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh, migrated database of the same kind as `db_url`."""
    if db_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'twin.db'}"
        upgrade(url)
        yield url
        return
    name = _new_database_name()
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        upgrade(_pg_url(name))
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _case(runtime: Services, tenant_key: str) -> Any:
    async with runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key)
        assert tenant is not None
        case = await uow.cases.by_ref(tenant.id, "C-0001")
        assert case is not None
        return case


async def _records(runtime: Services, tenant_key: str) -> list[dict[str, Any]]:
    case = await _case(runtime, tenant_key)
    async with runtime.uow_factory() as uow:
        return [s.record for s in await uow.signatures.for_case(case.id)]


async def _sign_on_page(runtime: Services, text: str) -> None:
    """Open the link found in `text` (the employee's card) and sign with the "I have read" tick."""
    found = LINK.findall(text)
    assert found, "the card carries a signing link"
    token = max(found, key=len)  # a card's short field may show it cut; its full copy is there too
    app = create_app(runtime, run_worker=False, routers=[signing_router(runtime)])
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://offboard.example.com",
                                 headers={"user-agent": UA}) as http:
        nonce, csrf = await open_page(http, token)
        signed = await post(http, token, nonce, csrf)
        assert signed.status_code in (200, 303), signed.text[:500]


def _same_but_how(chat: dict[str, Any], page: dict[str, Any]) -> None:
    assert {k: v for k, v in chat.items() if k not in HOW} == {k: v for k, v in page.items() if k not in HOW}
    assert page["channel"] == "signing_page" and page["ip"] == "198.51.100.23" and page["link_id"]
    assert chat["ip"] == "" and chat["user_agent"] == "" and chat["link_id"] is None


# ---- Slack -------------------------------------------------------------------------------------


async def _slack_chat_signature(db_url: str) -> dict[str, Any]:
    async with slack_stack(db_url) as stack:
        t1: Workspace = stack.workspace("T1")
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        await drive(stack, "awaiting_employee")
        card = t1.latest_with("alice", "sign")
        case = await _case(stack.runtime, "slack:T1")
        document = case.record.document

        # One tap on Sign: nothing is signed; her card stays as it was, the confirmation comes.
        before = json.dumps(card.blocks)  # the fake changes a message in place on chat.update
        assert (await t1.press("alice", card, "sign")).status_code == 200
        await stack.settle()
        assert (await _case(stack.runtime, "slack:T1")).state == "awaiting_employee"
        assert await _records(stack.runtime, "slack:T1") == []
        shown = t1.latest_with("alice", "sign")
        assert shown is not card and json.dumps(card.blocks) == before
        seen = text_of(shown.blocks)
        statement = intention(document.agreement, "zh-CN", document.version, document.sha256)
        assert document.sha256 in seen and statement in seen and "第 1 版" in seen
        _, button = find_button(shown.blocks, "sign")
        assert decode_action(button["value"]).arg == document.sha256
        assert button["text"]["text"] == "我已阅读并同意，签署" and "confirm" in button

        # The confirmation's button signs.
        assert (await t1.press("alice", shown, "sign")).status_code == 200
        await stack.settle()
        assert (await _case(stack.runtime, "slack:T1")).state == "handover"
        [record] = await _records(stack.runtime, "slack:T1")
        assert record["intention"] == statement and record["document"]["sha256"] == document.sha256
        assert stack.fake.problems == []
        return record


async def _slack_page_signature(db_url: str) -> dict[str, Any]:
    async with slack_stack(db_url) as stack:
        t1 = stack.workspace("T1")
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        await drive(stack, "awaiting_employee")
        await _sign_on_page(stack.runtime, text_of(t1.latest_with("alice", "sign").blocks))
        [record] = await _records(stack.runtime, "slack:T1")
        return record


async def test_signing_from_a_slack_card_records_what_the_page_records(
        db_url: str, engine: AsyncEngine, twin_url: str) -> None:
    chat = await _slack_chat_signature(db_url)
    page = await _slack_page_signature(twin_url)
    _same_but_how(chat, page)
    assert chat["channel"] == "slack" and chat["signer"]["identity"] == "slack:T1:UT1ALICE"


# ---- WeCom -------------------------------------------------------------------------------------


async def _wecom_drive(stack: wecom_support.Stack) -> None:
    """The case up to the employee's answer, as requests straight to the gateway."""
    await stack.sync_directory()
    for state, handle, name, args in STEPS:
        if name == "record_talk":
            stack.clock.set(stack.clock.now().replace(day=4, hour=11))
        if name == "open":
            args = {**args, "employee": "alice"}
        if name == "confirm_facts":  # WeCom's directory knows no hire date
            args = {"facts": {**args["facts"], "hired": "2019-03-15"}}
        reply = await stack.runtime.gateway.dispatch(Inbound(
            platform="wecom", platform_tenant=CORP, user_id=handle, name=name,
            case_ref=None if name == "open" else "C-0001", args=args))
        assert reply.ok, (state, name, reply)
    await stack.settle()
    assert (await _case(stack.runtime, f"wecom:{CORP}")).state == "awaiting_employee"


def _alice_cards(stack: wecom_support.Stack, action: str) -> list[dict[str, Any]]:
    return [c for c in stack.fake.cards(to="alice")
            if any((r := decode_action(b["key"])) and r.action == action for b in c.get("button_list", []))]


async def _wecom_chat_signature(db_url: str) -> dict[str, Any]:
    async with wecom_stack(db_url, corp_id=CORP) as stack:
        await _wecom_drive(stack)
        [card] = _alice_cards(stack, "sign")
        case = await _case(stack.runtime, f"wecom:{CORP}")
        document = case.record.document

        # One tap on Sign: nothing is signed, her card keeps its buttons, the confirmation comes.
        response = await stack.click("alice", card, "sign")
        assert (response.status_code, response.content) == (200, b"")
        await stack.settle()
        assert await _records(stack.runtime, f"wecom:{CORP}") == []
        assert stack.fake.calls_to("message/update_template_card") == []
        confirm = _alice_cards(stack, "sign")[-1]
        assert confirm is not card
        [key] = [b["key"] for b in confirm["button_list"] if decode_action(b["key"]).action == "sign"]
        assert decode_action(key).arg == document.sha256
        statement = intention(document.agreement, "zh-CN", document.version, document.sha256)
        said = "\n".join(m["markdown"]["content"] for m in stack.fake.sent("markdown", to="alice"))
        assert statement in said and document.sha256 in said  # the whole text, not cut to the card

        # "我已阅读并同意，签署" signs.
        response = await stack.click("alice", confirm, "sign")
        assert (response.status_code, response.content) == (200, b"")
        await stack.settle()
        assert (await _case(stack.runtime, f"wecom:{CORP}")).state == "handover"
        [record] = await _records(stack.runtime, f"wecom:{CORP}")
        assert record["intention"] == statement and record["document"]["sha256"] == document.sha256
        return record


async def _wecom_page_signature(db_url: str) -> dict[str, Any]:
    async with wecom_stack(db_url, corp_id=CORP) as stack:
        await _wecom_drive(stack)
        said = [str(c) for c in stack.fake.cards(to="alice")] + [
            m["markdown"]["content"] for m in stack.fake.sent("markdown", to="alice")]
        await _sign_on_page(stack.runtime, "\n".join(said))
        [record] = await _records(stack.runtime, f"wecom:{CORP}")
        return record


async def test_signing_from_a_wecom_card_records_what_the_page_records(
        db_url: str, engine: AsyncEngine, twin_url: str) -> None:
    chat = await _wecom_chat_signature(db_url)
    page = await _wecom_page_signature(twin_url)
    _same_but_how(chat, page)
    assert chat["channel"] == "wecom" and chat["signer"]["identity"] == f"wecom:{CORP}:alice"
