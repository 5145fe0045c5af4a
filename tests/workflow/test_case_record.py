"""The case record's rules: documents only go up a version, the certificate is issued once, a
signature is for the current version and counts as reading it, the first read is kept, and the
action table records only fields the record has."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from workflow.actions import ACTIONS
from workflow.case import (
    FIELD_NAMES,
    Case,
    CaseRecord,
    Certificate,
    DocumentVersion,
    Facts,
    RecordError,
    SignatureNote,
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
V1 = DocumentVersion(version=1, sha256="a" * 64, issued_at=NOW, agreement=False)
V2 = DocumentVersion(version=2, sha256="b" * 64, issued_at=NOW, agreement=False)


def _signature(version: int, at: datetime) -> SignatureNote:
    return SignatureNote(id=1, person_id=2, identity="console:x:2", at=at, document_sha256="a" * 64,
                         document_version=version, record_sha256="c" * 64)


def test_document_versions_only_go_up() -> None:
    record = CaseRecord().with_document(V1).with_document(V2)
    assert record.document == V2
    with pytest.raises(RecordError):
        record.with_document(V1)
    with pytest.raises(RecordError):
        record.with_document(V2)


def test_the_certificate_is_issued_once() -> None:
    record = CaseRecord().with_certificate(Certificate(version=1, issued_at=NOW))
    with pytest.raises(RecordError):
        record.with_certificate(Certificate(version=2, issued_at=NOW))


def test_the_first_read_is_kept() -> None:
    read = CaseRecord().marked_read(NOW)
    assert read.marked_read(NOW + timedelta(hours=1)).read_at == NOW


def test_signing_is_for_the_current_version_and_counts_as_reading() -> None:
    later = NOW + timedelta(hours=2)
    with pytest.raises(RecordError):
        CaseRecord().signed(_signature(1, later))  # nothing issued
    with pytest.raises(RecordError):
        CaseRecord().with_document(V2).signed(_signature(1, later))  # an older version
    signed = CaseRecord().with_document(V1).signed(_signature(1, later))
    assert (signed.signed_at, signed.read_at, signed.signature.document_version) == (later, later, 1)
    opened_first = CaseRecord().with_document(V1).marked_read(NOW).signed(_signature(1, later))
    assert opened_first.read_at == NOW


def test_recording_an_unknown_field_is_an_error_not_a_new_key() -> None:
    with pytest.raises(RecordError):
        CaseRecord().recorded(talk_time=NOW)
    assert CaseRecord().recorded(scheduled_by=3, talk_at=NOW) == CaseRecord(scheduled_by=3, talk_at=NOW)


def test_every_field_the_action_table_records_is_on_the_record() -> None:
    recorded = {name for action in ACTIONS for name, _ in action.records}
    assert recorded and recorded <= FIELD_NAMES


def test_facts_read_their_entered_form_and_keep_unknown_keys() -> None:
    entered = {"hired": "2019-03-15", "avg_wage": "12000.50", "pay_in_lieu": False,
               "protections": ["pregnant"], "shoe_size": "42", "last_day": "not a date"}
    facts = Facts.of(entered)
    assert (facts.hired, facts.avg_wage, facts.pay_in_lieu) == (date(2019, 3, 15), Decimal("12000.50"), False)
    assert facts.protections == ("pregnant",) and facts.last_day is None
    assert facts.extra == {"shoe_size": "42", "last_day": "not a date"}
    assert facts.entries() == entered
    assert facts.missing(("hired", "last_day", "avg_wage")) == ["last_day"]  # unreadable: asked again
    assert Facts.of({"avg_wage": "0"}).missing(("avg_wage",)) == []
    assert facts.updated({"last_day": "2026-04-30"}).last_day == date(2026, 4, 30)


def _case() -> Case:
    return Case(tenant_id=1, employee_id=2, manager_id=3, opened_by_id=3, ground="incompetent",
                state="collecting_evidence", opened_at=NOW, state_entered_at=NOW, updated_at=NOW)


def test_a_new_case_starts_at_version_one_with_nothing_recorded() -> None:
    case = _case()
    assert (case.version, case.record, case.facts, case.ref, case.id) == (1, CaseRecord(), Facts(), "", None)


def test_touching_the_case_bumps_its_version_and_keeps_the_new_record() -> None:
    case, later = _case(), NOW + timedelta(minutes=5)
    case.touch(later, case.record.touched(later))
    assert (case.version, case.updated_at, case.record.last_activity_at) == (2, later, later)
    case.touch(later)
    assert case.version == 3 and case.record.last_activity_at == later


def test_reading_outside_the_chat_keeps_the_version() -> None:
    case = _case()
    case.mark_read(NOW)
    case.mark_read(NOW + timedelta(days=1))
    assert (case.version, case.record.read_at) == (1, NOW)
