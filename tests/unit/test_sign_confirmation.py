"""A chat signature needs the same confirmation as the page: a bare Sign (press or typed) shows the
document's title, version, full SHA-256 and the intention statement and signs nothing; only the
confirmation, naming the hash it showed, signs, and only while that version is current."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.contracts import Inbound, Message, Reply
from handlers.dispatch import handle
from handlers.signing.page import Answer, Visitor, answer, open_link
from tests.handlers.conftest import World
from tests.unit.steps import audit_actions, ok, says, with_employee
from workflow.i18n import t
from workflow.signing_rules import LinkState, intention


async def signatures(world: World) -> list[dict]:
    case = await world.case()
    async with world.uow_factory() as uow:
        return [s.record for s in await uow.signatures.for_case(case.id)]


def confirmation(reply: Reply) -> Message:
    [shown] = [m for m in reply.messages if m.kind == "sign_confirm"]
    return shown


async def test_a_bare_sign_shows_the_statement_and_hash_and_signs_nothing(world: World) -> None:
    await with_employee(world)
    before = await world.case()
    document = before.record.document
    reply = await world.act("alice", "sign")
    assert reply.ok
    shown = confirmation(reply)
    case = await world.case()
    assert (case.state, case.version) == ("awaiting_employee", before.version)  # nothing moved
    assert await signatures(world) == []
    statement = intention(document.agreement, "zh-CN", document.version, document.sha256)
    assert statement in shown.data["text"]
    fields = dict((label, value) for label, value in shown.data["fields"])
    assert fields[t("signing.confirm.hash", "zh-CN")] == document.sha256  # the whole hash
    assert "第 1 版" in fields[t("signing.confirm.document", "zh-CN")]
    assert "/sign/" in fields[t("signing.field.link", "zh-CN")]  # the page, to read the files first
    assert shown.actions == ("sign",) and shown.data["document_hash"] == document.sha256
    assert (await audit_actions(world))[-1] == "signing_confirmation_shown"


async def test_only_the_confirmation_signs_and_the_record_holds_what_was_shown(world: World) -> None:
    await with_employee(world)
    shown = confirmation(await world.act("alice", "sign"))
    await ok(world, "alice", "sign", version=shown.case_version, document_hash=shown.data["document_hash"])
    case = await world.case()
    assert case.state == "handover"
    [record] = await signatures(world)
    assert record["intention"] in shown.data["text"] and record["document"]["sha256"] == shown.data["document_hash"]
    assert (record["channel"], record["locale"]) == ("console", "zh-CN")


async def typed_in_english(world: World, **args: str) -> Reply:
    return await handle(Inbound(platform="console", platform_tenant="local", user_id="alice", name="sign",
                                case_ref="C-0001", args=args, written="en"), world.uow_factory, world.deps)


async def test_a_typed_english_sign_confirms_and_records_in_english(world: World) -> None:
    await with_employee(world)  # alice reads Chinese by the directory; she typed in English
    shown = confirmation(await typed_in_english(world))
    assert shown.locale == "en" and "I have read and understood" in shown.data["text"]
    assert (await typed_in_english(world, document_hash=shown.data["document_hash"])).ok
    [record] = await signatures(world)
    assert record["locale"] == "en" and record["intention"].startswith("I have read and understood")


async def test_who_may_not_sign_is_refused_before_any_confirmation(world: World) -> None:
    await with_employee(world)
    for who in ("lee", "wangfang"):
        reply = await world.act(who, "sign")
        assert not reply.ok and not [m for m in reply.messages if m.kind == "sign_confirm"]
    assert "signing_confirmation_shown" not in await audit_actions(world)


async def test_a_confirmation_of_a_superseded_version_does_not_sign(world: World) -> None:
    await with_employee(world)
    await world.advance_to((await world.case()).state_entered_at + timedelta(days=7))
    assert (await world.case()).state == "escalated"  # facts may be corrected again here
    shown = confirmation(await world.act("alice", "sign"))  # v1 shown
    # HR corrects a fact after the employee holds v1: v2 is issued (the frozen-facts rule).
    await ok(world, "wangfang", "facts", facts={"avg_wage": "13000"})
    case = await world.case()
    assert case.record.document.version == 2
    # The v1 confirmation pressed now: its card is stale, and its hash is no longer current.
    pressed = await world.act("alice", "sign", version=shown.case_version, document_hash=shown.data["document_hash"])
    assert not pressed.ok
    typed = await world.act("alice", "sign", document_hash=shown.data["document_hash"])
    assert says(typed, "machine.refuse.document_stale", "zh-CN")
    assert await signatures(world) == []
    assert (await world.sign("alice")).ok  # a fresh confirmation of v2 signs v2
    [record] = await signatures(world)
    assert record["document"]["version"] == 2


async def test_the_page_records_the_statement_in_the_language_it_showed(world: World) -> None:
    await with_employee(world)  # alice's directory locale is Chinese; she reads the page in English
    (card,) = await world.sent_to("alice", "employee_decision")
    token = re.search(r"/sign/([A-Za-z0-9_-]+)", str(card.data["fields"])).group(1)
    page = await open_link(world.uow_factory, world.deps, token, Visitor("10.0.0.9", "phone"), "en")
    signed = await answer(world.uow_factory, world.deps, token, Visitor("10.0.0.9", "phone"),
                          Answer("sign", True), "en")
    assert signed.state == LinkState.SIGNED
    [record] = await signatures(world)
    assert (record["locale"], record["intention"]) == ("en", page.intention)
    assert record["channel"] == "signing_page"
