"""Documents, signatures and chat integration through the handlers, on both databases.

The documents here are the JSON renderer's (the PDFs are tested in tests/bot); what matters is
versions, hashes, the sealed signature record and its place in the audit chain.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from handlers.document import package_hash
from handlers.seal import verify_seal
from handlers.signing.record import record_bytes
from storage.audit import verify
from tests.handlers.conftest import SHANGHAI, World
from tests.handlers.test_flow import to_employee

LINK = re.compile(r"/sign/([A-Za-z0-9_-]{20,})")


def link_in(card) -> str:
    """The signing token on an employee card."""
    found = LINK.search(str(card.data["fields"]))
    assert found, card.data["fields"]
    return found.group(1)


async def test_the_talk_issues_version_one_in_both_languages(world: World) -> None:
    await to_employee(world)
    case = await world.case()
    document = case.record.document
    async with world.uow_factory() as uow:
        rows = await uow.documents.for_case(case.id)
        events = await uow.audit.for_case(case.id)
    assert {(r.kind, r.locale) for r in rows} == {
        (kind, loc) for kind in ("termination_notice", "settlement_statement")
        for loc in ("zh-CN", "en")}
    for row in rows:
        assert row.version == 1 and row.sha256 == hashlib.sha256(row.content).hexdigest()
    assert document.sha256 == package_hash(case.ref, 1, [
        {"kind": r.kind, "locale": r.locale, "sha256": r.sha256} for r in rows])
    issued = next(e for e in events if e.action == "documents_issued")
    assert issued.payload["package_sha256"] == document.sha256
    assert {f["sha256"] for f in issued.payload["files"]} == {r.sha256 for r in rows}

    card = (await world.sent_to("alice", "employee_decision"))[-1]
    text = str(card.data["fields"])
    assert "解除劳动合同通知书" in text and "第 1 版" in text and document.sha256[:12] in text
    assert "http://127.0.0.1:8000/sign/" in text  # PUBLIC_BASE_URL's default
    # The employer's unlawful-termination risk (2 × 66,000) is HR's figure, not the employee's.
    assert "132,000.00" not in str(card.data)


async def test_revising_makes_a_new_version_and_keeps_the_old(world: World) -> None:
    await to_employee(world)
    assert (await world.act("alice", "dispute", text="补偿有误")).ok
    assert (await world.act("wangfang", "revise", text="更正补偿")).ok
    case = await world.case()
    async with world.uow_factory() as uow:
        rows = await uow.documents.for_case(case.id)
    assert sorted({r.version for r in rows}) == [1, 2]
    assert len([r for r in rows if r.version == 1]) == len([r for r in rows if r.version == 2]) == 4
    assert case.record.document.version == 2
    card = (await world.sent_to("alice", "employee_decision"))[-1]
    assert "第 2 版" in str(card.data["fields"])


async def test_a_chat_signature_is_sealed_chained_and_issues_the_certificate(world: World) -> None:
    await to_employee(world)
    assert (await world.sign("alice")).ok
    case = await world.case()
    async with world.uow_factory() as uow:
        (signature,) = await uow.signatures.for_case(case.id)
        events = await uow.audit.for_case(case.id)
        certificates = [d for d in await uow.documents.for_case(case.id)
                        if d.kind == "termination_certificate"]
        assert await verify(uow.session, case.id) == []
    record = signature.record
    assert record["signer"]["identity"] == "console:local:alice"
    assert record["document"]["sha256"] == case.record.document.sha256
    assert record["channel"] == "console" and record["intention"]
    assert record["signed_at"].endswith("+00:00")
    body = record_bytes(record)
    assert hashlib.sha256(body).hexdigest() == signature.record_sha256
    assert verify_seal(body, signature.seal, signature.public_key)
    assert not verify_seal(body + b" ", signature.seal, signature.public_key)
    chained = next(e for e in events if e.action == "signature")
    assert (chained.payload["record_sha256"], chained.payload["seal"]) == (
        signature.record_sha256, signature.seal)
    assert {c.locale for c in certificates} == {"zh-CN", "en"}


async def test_hr_sees_unopened_then_signed_with_times(world: World) -> None:
    await to_employee(world)
    reply = await world.act("wangfang", "status")
    assert "未打开（链接发送于 2024-06-04 11:00）" in str(reply.messages)
    world.clock.set(world.clock.now() + timedelta(hours=2))
    assert (await world.sign("alice")).ok
    told = (await world.sent_to("wangfang", "case_update"))[-1]
    assert "已签署，2024-06-04 13:00" in told.data["text"]
    reply = await world.act("zhao", "status")  # zhao reads English
    assert "signed 2024-06-04 13:00" in str(reply.messages)


async def test_the_employee_gets_a_fresh_link_when_looking_the_case_up(world: World) -> None:
    await to_employee(world)
    first = link_in((await world.sent_to("alice", "employee_decision"))[-1])
    reply = await world.act("alice", "status")
    card = next(m for m in reply.messages if m.kind == "case")
    assert link_in(card) != first


async def test_notice_served_records_the_proof_and_upload_as_evidence(world: World) -> None:
    await to_employee(world)
    await world.advance_to((await world.case()).state_entered_at + timedelta(days=7))
    assert (await world.case()).state == "escalated"
    escalated = (await world.sent_to("wangfang", "escalated"))[-1]
    assert "未打开" in str(escalated.data["fields"])  # HR sees the employee never opened it
    scan = b"%PDF-1.4 registered mail receipt"
    assert (await world.act("wangfang", "record_notice_served", text="EMS EA123456789CN",
                            file={"data": scan, "filename": "receipt.pdf",
                                  "media_type": "application/pdf"})).ok
    case = await world.case()
    async with world.uow_factory() as uow:
        proof = [e for e in await uow.evidence.for_case(case.id, with_files=True) if e.kind == "notice_service"]
        events = await uow.audit.for_case(case.id)
    assert len(proof) == 1 and proof[0].content == "EMS EA123456789CN"
    assert proof[0].blob == scan and proof[0].sha256 == hashlib.sha256(scan).hexdigest()
    assert any(e.action == "evidence" and e.payload["sha256"] == proof[0].sha256 for e in events)
    assert case.record.certificate.files


async def test_retention_follows_the_setting(world: World) -> None:
    world.deps = replace(world.deps, retention_years=5)
    await to_employee(world)
    assert (await world.sign("alice")).ok
    case = await world.case()
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        owners = {i.id: (await uow.people.get(i.owner_id)).employee_no for i in items}
    handles = {"M001": "lee", "H001": "wangfang", "I001": "chen", "A001": "liu", "F001": "sun"}
    world.clock.set(datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI))  # cases close on the last day at the earliest
    for item in items:
        assert (await world.act(handles[owners[item.id]], "complete_item", item=str(item.id))).ok
    case = await world.case()
    assert case.state == "closed" and case.retain_until == date(2029, 6, 30)
