"""The case's typed record and facts survive save → load on both databases and in the memory unit of
work, and rows written by older code (missing, cleared, unknown or unreadable keys) load and save
back without losing anything."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, bindparam, column, text

from storage.memory import MemoryDatabase
from storage.models import Case
from storage.uow import UnitOfWork
from tests.storage.data import NOW, OpenCase
from workflow.case import (
    CaseRecord,
    Certificate,
    Dispute,
    DocumentVersion,
    Facts,
    IssuedFile,
    NoticeServed,
    SignatureNote,
)

FILES = (IssuedFile(id=7, kind="termination_notice", locale="zh-CN", title="解除通知", sha256="a" * 64),
         IssuedFile(id=8, kind="termination_notice", locale="en", title="Notice", sha256="b" * 64))
FULL = CaseRecord(
    approved_by=1, changes_requested="补充证据", talk_at=NOW + timedelta(days=2), scheduled_by=1,
    attendance_confirmed_at=NOW + timedelta(days=2, minutes=5), read_at=NOW + timedelta(days=3),
    dispute=Dispute(reason="补偿计算有误", at=NOW + timedelta(days=3, hours=1)), revision_note="加一个月",
    document=DocumentVersion(version=2, sha256="c" * 64, issued_at=NOW, agreement=True, files=FILES),
    certificate=Certificate(version=2, issued_at=NOW + timedelta(days=9), files=FILES[:1]),
    signed_at=NOW + timedelta(days=4),
    signature=SignatureNote(id=3, person_id=2, identity="slack:T1:U1", at=NOW + timedelta(days=4),
                            document_sha256="c" * 64, document_version=2, record_sha256="d" * 64),
    notice=NoticeServed(proof="EMS1234567890CN", at=NOW + timedelta(days=5), by=1, evidence_id=4),
    last_activity_at=NOW + timedelta(days=5), successor_id=2,
)
FULL_FACTS = Facts(
    hired=date(2019, 3, 15), last_day=date(2026, 4, 30), avg_wage=Decimal("12000.50"), prev_wage=Decimal("11000"),
    local_avg=Decimal("10000"), min_wage=Decimal("2690"), pay_in_lieu=True, in_probation=False,
    union_notified=True, written_reasons=True, notice_served=False, proposed_by="employer",
    protections=("pregnant",),
)
# As today's code wrote it, plus what older code may have left: a cleared time, a key this code
# does not know, a time it cannot read, and a fact it does not know.
OLD_DATA = {"talk_at": "2026-03-04T10:00:00+08:00", "scheduled_by": 1, "read_at": None,
            "document": {"version": 1, "sha256": "e" * 64, "issued_at": "2026-03-02T01:00:00+00:00",
                         "agreement": False, "files": [{"id": 9, "kind": "termination_notice", "locale": "en",
                                                        "title": "Notice", "sha256": "f" * 64}]},
            "legacy_flag": {"kept": [1, 2]}, "attendance_confirmed_at": "yesterday"}
OLD_FACTS = {"hired": "2019-03-15", "avg_wage": "12000", "protections": ["pregnant"], "shoe_size": "42"}


async def _raw(uow: UnitOfWork, case_id: int) -> tuple[Any, Any]:
    query = text("SELECT data, facts FROM cases WHERE id = :id").columns(column("data", JSON), column("facts", JSON))
    row = (await uow.session.execute(query, {"id": case_id})).one()
    return row.data, row.facts


async def test_every_field_survives_save_and_load(uow_factory, open_case: OpenCase) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        assert case.record == CaseRecord() and case.facts == Facts()
        case.record, case.facts = FULL, FULL_FACTS
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.cases.get(case.id)
        assert stored.record == FULL and stored.facts == FULL_FACTS
        assert stored.record.talk_at.utcoffset() is not None
        data, facts = await _raw(uow, case.id)
    # The columns keep today's JSON shapes: ISO times, version/sha256 dicts, facts as entered.
    assert data["talk_at"] == FULL.talk_at.isoformat() and data["document"]["files"][0]["title"] == "解除通知"
    assert data["dispute"] == {"reason": "补偿计算有误", "at": FULL.dispute.at.isoformat()}
    assert facts["avg_wage"] == "12000.50" and facts["hired"] == "2019-03-15" and facts["protections"] == ["pregnant"]


async def test_a_row_written_by_older_code_loads_and_keeps_what_it_does_not_know(uow_factory,
                                                                              open_case: OpenCase) -> None:
    async with uow_factory() as uow:
        case = await open_case(uow)
        await uow.session.execute(
            text("UPDATE cases SET data = :data, facts = :facts WHERE id = :id").bindparams(
                bindparam("data", type_=JSON), bindparam("facts", type_=JSON)),
            {"data": OLD_DATA, "facts": OLD_FACTS, "id": case.id})
        await uow.commit()
    async with uow_factory() as uow:
        old = await uow.cases.get(case.id, for_update=True)
        record = old.record
        assert record.talk_at.isoformat() == "2026-03-04T10:00:00+08:00" and record.scheduled_by == 1
        assert record.read_at is None and record.attendance_confirmed_at is None
        assert record.document.version == 1 and record.document.files[0].sha256 == "f" * 64
        assert old.facts.hired == date(2019, 3, 15) and old.facts.avg_wage == Decimal("12000")
        assert old.facts.missing(("hired", "last_day", "avg_wage")) == ["last_day"]
        old.record = record.marked_read(NOW)
        old.facts = old.facts.updated({"last_day": "2026-04-30"})
        old.version += 1
        await uow.commit()
    async with uow_factory() as uow:
        data, facts = await _raw(uow, case.id)
    assert data["legacy_flag"] == {"kept": [1, 2]} and data["attendance_confirmed_at"] == "yesterday"
    assert data["read_at"] == NOW.isoformat() and data["document"] == OLD_DATA["document"]
    assert facts == {**OLD_FACTS, "last_day": "2026-04-30"}


async def test_the_memory_unit_of_work_keeps_the_same_record() -> None:
    database = MemoryDatabase()
    async with database.unit_of_work() as uow:
        tenant = await uow.tenants.get_or_create("console", name="Acme")
        person = await uow.people.upsert(tenant.id, "E001", name="Hana")
        case = await uow.cases.add(Case(
            tenant_id=tenant.id, employee_id=person.id, manager_id=person.id, opened_by_id=person.id,
            ground="incompetent", state="collecting_evidence", opened_at=NOW, state_entered_at=NOW,
            updated_at=NOW))
        case.record, case.facts = FULL, FULL_FACTS
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored = await uow.cases.get(case.id)
        assert stored.record == FULL and stored.facts == FULL_FACTS
        assert stored.record is not FULL  # read back through storage, not aliased
