"""The signing page's use cases: a link opens, signs once, and every misuse changes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from handlers.signing.page import Answer, Visitor, answer, link_document, open_link
from storage.models import AuditEvent, Signature, SigningToken
from tests.handlers.conftest import World
from tests.handlers.test_documents import link_in
from tests.handlers.test_flow import to_employee
from workflow.signing_rules import LinkState

PHONE = Visitor(ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone)")
SIGN = Answer(action="sign", read_confirmed=True)


async def alice_link(world: World) -> str:
    return link_in((await world.sent_to("alice", "employee_decision"))[-1])


async def footprint(world: World) -> dict[str, Any]:
    """Everything a signing attempt could change."""
    case = await world.case()
    outbox = len(await world.outbox())
    async with world.uow_factory() as uow:
        session = uow.session
        used = await session.scalar(select(func.count()).select_from(SigningToken)
                                    .where(SigningToken.used_at.is_not(None)))
        return {
            "state": case.state, "version": case.version, "record": case.record,
            "events": await session.scalar(select(func.count()).select_from(AuditEvent)),
            "signatures": await session.scalar(select(func.count()).select_from(Signature)),
            "used": used, "outbox": outbox,
        }


async def test_open_read_sign_then_already_signed(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    view = await open_link(world.uow_factory, world.deps, token, PHONE)
    assert view.state == LinkState.VALID and view.case_ref == "C-0001"
    assert {d.locale for d in view.documents} == {"zh-CN", "en"} and view.intention
    case = await world.case()
    async with world.uow_factory() as uow:
        (opened,) = [e for e in await uow.audit.for_case(case.id) if e.action == "document_opened"]
    assert opened.payload["ip"] == PHONE.ip and case.record.read_at
    # Opening again records nothing more.
    await open_link(world.uow_factory, world.deps, token, PHONE)
    async with world.uow_factory() as uow:
        assert [e.action for e in await uow.audit.for_case(case.id)].count("document_opened") == 1

    done = await answer(world.uow_factory, world.deps, token, PHONE, SIGN)
    assert done.state == LinkState.SIGNED and done.done
    case = await world.case()
    assert case.state == "handover"
    async with world.uow_factory() as uow:
        (signature,) = await uow.signatures.for_case(case.id)
    record = signature.record
    assert (record["ip"], record["user_agent"], record["channel"]) == (
        PHONE.ip, PHONE.user_agent, "signing_page")
    assert record["signer"]["identity"] == "console:local:alice"
    again = await open_link(world.uow_factory, world.deps, token, PHONE)
    assert again.state == LinkState.SIGNED and again.at is not None


async def test_signing_needs_the_read_tick_and_a_dispute_needs_a_reason(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    before = await footprint(world)
    unread = await answer(world.uow_factory, world.deps, token, PHONE,
                          Answer(action="sign", read_confirmed=False))
    assert unread.state == LinkState.VALID and "阅读并理解" in unread.problem
    silent = await answer(world.uow_factory, world.deps, token, PHONE, Answer("dispute", False, " "))
    assert silent.problem
    assert await footprint(world) == before
    disputed = await answer(world.uow_factory, world.deps, token, PHONE,
                            Answer("dispute", False, "补偿计算有误"))
    assert disputed.state == LinkState.DISPUTED
    case = await world.case()
    assert case.state == "disputed" and case.record.dispute.reason == "补偿计算有误"


async def test_a_used_link_cannot_be_used_again(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    assert (await answer(world.uow_factory, world.deps, token, PHONE, SIGN)).done
    before = await footprint(world)
    for reply in (SIGN, Answer("dispute", False, "改主意了")):
        view = await answer(world.uow_factory, world.deps, token, PHONE, reply)
        assert view.state == LinkState.SIGNED and not view.done
    assert await footprint(world) == before


async def test_an_expired_link_is_refused(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    world.clock.set(world.clock.now() + timedelta(hours=72))
    before = await footprint(world)
    assert (await open_link(world.uow_factory, world.deps, token, PHONE)).state == LinkState.EXPIRED
    assert (await answer(world.uow_factory, world.deps, token, PHONE, SIGN)).state == LinkState.EXPIRED
    assert await footprint(world) == before
    assert await link_document(world.uow_factory, world.deps, token, 1) is None


async def test_a_link_for_an_old_version_is_refused(world: World) -> None:
    await to_employee(world)
    old = await alice_link(world)
    assert (await world.act("alice", "dispute", text="有误")).ok
    assert (await world.act("wangfang", "revise", text="已更正")).ok
    before = await footprint(world)
    view = await answer(world.uow_factory, world.deps, old, PHONE, SIGN)
    assert view.state == LinkState.SUPERSEDED and view.version == 1
    assert await footprint(world) == before
    # The new card's link works.
    assert (await answer(world.uow_factory, world.deps, await alice_link(world), PHONE, SIGN)).done


async def test_a_link_bound_to_another_employee_is_refused(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    case = await world.case()
    async with world.uow_factory() as uow:
        bob = await uow.people.by_identity("console", "local", "bob")
        (link,) = await uow.signing_tokens.for_case(case.id)
        link.person_id = bob.id  # a link that was issued to Bob, presented on Alice's case
        await uow.commit()
    before = await footprint(world)
    assert (await open_link(world.uow_factory, world.deps, token, PHONE)).state == LinkState.FOREIGN
    assert (await answer(world.uow_factory, world.deps, token, PHONE, SIGN)).state == LinkState.FOREIGN
    assert await footprint(world) == before


async def test_unknown_links_and_foreign_documents_give_nothing(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    before = await footprint(world)
    assert (await open_link(world.uow_factory, world.deps, "x" * 43, PHONE)).state == LinkState.UNKNOWN
    assert (await answer(world.uow_factory, world.deps, "x" * 43, PHONE, SIGN)).state == LinkState.UNKNOWN
    assert await footprint(world) == before
    case = await world.case()
    async with world.uow_factory() as uow:
        own = (await uow.documents.for_case(case.id))[0]
    assert (await link_document(world.uow_factory, world.deps, token, own.id)).sha256 == own.sha256
    assert await link_document(world.uow_factory, world.deps, token, own.id + 1000) is None


async def test_a_case_that_moved_on_refuses_through_the_workflow(world: World) -> None:
    await to_employee(world)
    token = await alice_link(world)
    assert (await world.sign("alice")).ok  # signed in chat meanwhile
    before = await footprint(world)
    view = await answer(world.uow_factory, world.deps, token, PHONE, SIGN)
    assert view.state == LinkState.SIGNED and not view.done
    assert await footprint(world) == before


async def test_no_raw_link_is_stored_anywhere_the_message_carries_a_reference(world: World) -> None:
    """The outbox row holds an opaque reference; the link exists only in what is sent (resolved by
    the relay, or in the inline answer); the database keeps the token's hash alone."""
    await to_employee(world)
    token = await alice_link(world)  # as the relay sends it
    rows = await world.outbox()
    stored = " ".join(str(row.payload) for row in rows)
    assert "/sign/" not in stored and token not in stored
    assert "<<signing-link:" in stored
    async with world.uow_factory() as uow:
        hashes = set((await uow.session.scalars(select(SigningToken.token_hash))).all())
        tables = " ".join(str(row) for row in (await uow.session.execute(select(SigningToken))).all())
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in tables
    assert (await open_link(world.uow_factory, world.deps, token, PHONE)).state == LinkState.VALID
    # The employee's own inline answer (status) shows a working link, never the reference.
    reply = await world.act("alice", "status", "C-0001")
    shown = " ".join(str(m.data) for m in reply.messages)
    assert "/sign/" in shown and "<<signing-link:" not in shown
