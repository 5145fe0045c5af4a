"""The case row's JSON columns as the case's typed record: `data` ↔ workflow.case.CaseRecord and
`facts` ↔ workflow.case.Facts. Rows written by older code load too: a missing key is None, a key
this code does not know (or cannot read) is kept as it was and written back unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from workflow.case import (
    Approval,
    CaseRecord,
    Certificate,
    Dispute,
    DocumentVersion,
    Facts,
    IssuedFile,
    NoticeServed,
    SignatureNote,
)


def _time(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return datetime.fromisoformat(raw)


def _int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TypeError(raw)
    return raw


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


def _optional(read: Any) -> Any:
    return lambda raw: None if raw is None else read(raw)


def _files(raw: Any) -> tuple[IssuedFile, ...]:
    return tuple(IssuedFile(id=_int(f["id"]), kind=_text(f["kind"]), locale=_text(f["locale"]),
                            title=_text(f.get("title", "")), sha256=_text(f["sha256"])) for f in raw)


def _files_json(files: tuple[IssuedFile, ...]) -> list[dict[str, Any]]:
    return [{"id": f.id, "kind": f.kind, "locale": f.locale, "title": f.title, "sha256": f.sha256}
            for f in files]


_READ = {
    "approved_by": _int,
    "approvals": lambda a: tuple(Approval(by=_int(x["by"]), opened_or_manages=bool(x["opened_or_manages"]),
                                          at=_time(x["at"])) for x in a),
    "changes_requested": _text,
    "talk_at": _time,
    "scheduled_by": _int,
    "attendance_confirmed_at": _time,
    "read_at": _time,
    "dispute": lambda d: Dispute(reason=_text(d["reason"]), at=_time(d["at"])),
    "revision_note": _text,
    "document": lambda d: DocumentVersion(
        version=_int(d["version"]), sha256=_text(d["sha256"]), issued_at=_time(d["issued_at"]),
        agreement=bool(d.get("agreement")), files=_files(d.get("files", ()))),
    "certificate": lambda d: Certificate(version=_int(d["version"]), issued_at=_time(d["issued_at"]),
                                         files=_files(d.get("files", ()))),
    "signed_at": _time,
    "signature": lambda d: SignatureNote(
        id=_int(d["id"]), person_id=_optional(_int)(d.get("person_id")), identity=_text(d.get("identity", "")),
        at=_time(d["at"]), document_sha256=_optional(_text)(d.get("document_sha256")),
        document_version=_optional(_int)(d.get("document_version")), record_sha256=_text(d["record_sha256"])),
    "notice": lambda d: NoticeServed(proof=_text(d["proof"]), at=_time(d["at"]), by=_int(d["by"]),
                                     evidence_id=_int(d["evidence_id"])),
    "last_activity_at": _time,
    "successor_id": _int,
}


def record_from_json(data: dict[str, Any] | None) -> CaseRecord:
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, raw in (data or {}).items():
        if raw is None:
            continue  # cleared (e.g. read_at after a revision): the same as never set
        read = _READ.get(key)
        try:
            if read is None:
                raise KeyError(key)
            known[key] = read(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            extra[key] = raw
    return CaseRecord(**known, extra=MappingProxyType(extra))


def _json(value: Any) -> Any:
    match value:
        case datetime():
            return value.isoformat()
        case tuple():
            return [_json(item) for item in value]
        case Approval():
            return {"by": value.by, "opened_or_manages": value.opened_or_manages, "at": value.at.isoformat()}
        case Dispute():
            return {"reason": value.reason, "at": value.at.isoformat()}
        case DocumentVersion():
            return {"version": value.version, "sha256": value.sha256, "issued_at": value.issued_at.isoformat(),
                    "agreement": value.agreement, "files": _files_json(value.files)}
        case Certificate():
            return {"version": value.version, "files": _files_json(value.files),
                    "issued_at": value.issued_at.isoformat()}
        case SignatureNote():
            return {"id": value.id, "person_id": value.person_id, "identity": value.identity,
                    "at": value.at.isoformat(), "document_sha256": value.document_sha256,
                    "document_version": value.document_version, "record_sha256": value.record_sha256}
        case NoticeServed():
            return {"proof": value.proof, "at": value.at.isoformat(), "by": value.by,
                    "evidence_id": value.evidence_id}
    return value


def record_to_json(record: CaseRecord) -> dict[str, Any]:
    out = dict(record.extra)
    for key in _READ:
        value = getattr(record, key)
        if value is not None:
            out[key] = _json(value)
    return out


class CaseRecordJSON(TypeDecorator[CaseRecord]):
    """The `data` column: JSON in the database, a CaseRecord on the case."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: CaseRecord | Mapping[str, Any] | None,
                           dialect: Dialect) -> dict[str, Any] | None:
        # A mapping is the stored form already (bulk loaders such as bench/ write rows as such).
        return None if value is None else dict(value) if isinstance(value, Mapping) else record_to_json(value)

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> CaseRecord | None:
        return None if value is None else record_from_json(value)


class FactsJSON(TypeDecorator[Facts]):
    """The `facts` column: JSON in the database, Facts on the case."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Facts | Mapping[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else dict(value) if isinstance(value, Mapping) else value.entries()

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> Facts | None:
        return None if value is None else Facts.of(value)
