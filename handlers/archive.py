"""The case archive: everything that makes a closed case provable, gathered for one bundle, and the
retention purge that deletes cases past their retain-until date.

The manifest names every file with its SHA-256 and carries the audit chain and the signature
records, so the bundle can be checked without the database; the server seals the manifest too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from handlers.seal import SignatureProvider, key_id
from storage.audit import canonical_json
from storage.models import AuditEvent, Document, EvidenceItem, Person, Signature
from storage.retention import purge_cases
from storage.uow import UnitOfWork
from workflow.case import Case

FORMAT = "offboard-bot/archive/1"
MANIFEST = "manifest.json"
MANIFEST_SEAL = "manifest.seal.json"
SERVER_KEY = "keys/server-public-key.pem"


@dataclass(frozen=True)
class BundleFile:
    path: str  # inside the bundle
    content: bytes


@dataclass(frozen=True)
class CaseBundle:
    tenant: str
    ref: str
    retain_until: date | None
    files: tuple[BundleFile, ...]  # manifest and its seal first, then keys, documents, evidence


def _safe(name: str) -> str:
    """A file name that stays inside its folder and means the same on every system."""
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._")
    return cleaned[:120] or "file"


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(UTC).isoformat() if instant else None


def _person(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.id, "employee_no": person.employee_no, "name": person.name,
            "department": person.department, "position": person.position}


def _event(event: AuditEvent) -> dict[str, Any]:
    """Every field the chain's hash covers, spelled as storage.audit hashes it."""
    return {"case_id": event.case_id, "seq": event.seq, "at": _iso(event.at),
            "actor_id": event.actor_id, "actor_identity": event.actor_identity,
            "action": event.action, "from_state": event.from_state, "to_state": event.to_state,
            "payload": event.payload, "payload_hash": event.payload_hash,
            "prev_hash": event.prev_hash, "hash": event.hash}


def _document(document: Document) -> tuple[dict[str, Any], BundleFile]:
    path = f"documents/{_safe(document.filename)}"
    entry = {"id": document.id, "version": document.version, "kind": document.kind,
             "locale": document.locale, "title": document.title,
             "media_type": document.media_type, "size": document.size,
             "sha256": document.sha256, "created_at": _iso(document.created_at), "file": path}
    return entry, BundleFile(path, document.content)


def _evidence(item: EvidenceItem) -> tuple[dict[str, Any], BundleFile | None]:
    path = f"evidence/{item.id}-{_safe(item.filename or item.kind)}" if item.blob is not None else None
    entry = {"id": item.id, "kind": item.kind, "content": item.content, "filename": item.filename,
             "media_type": item.media_type, "size": item.size, "sha256": item.sha256,
             "added_by": item.added_by_id, "added_at": _iso(item.added_at), "file": path}
    return entry, BundleFile(path, item.blob) if path and item.blob is not None else None


def _signature(signature: Signature, key_files: dict[str, str]) -> dict[str, Any]:
    kid = key_id(signature.public_key)
    key_files.setdefault(kid, f"keys/{kid}.pem")
    return {"id": signature.id, "provider": signature.provider,
            "document_version": signature.document_version,
            "document_sha256": signature.document_sha256, "signed_at": _iso(signature.signed_at),
            "record": signature.record, "record_sha256": signature.record_sha256,
            "seal": signature.seal, "key_id": kid, "key_file": key_files[kid]}


async def collect(uow: UnitOfWork, case: Case, signer: SignatureProvider,
                  now: datetime) -> CaseBundle:
    """The bundle of one case: manifest (sealed by the server), documents, evidence, keys."""
    server_public_key = signer.public_key
    tenant = await uow.tenants.get(case.tenant_id)
    events = await uow.audit.for_case(case.id)
    files: list[BundleFile] = []
    documents = []
    for row in await uow.documents.for_case(case.id):
        entry, file = _document(row)
        documents.append(entry)
        files.append(file)
    evidence = []
    for item in await uow.evidence.for_case(case.id, with_files=True):
        entry, blob = _evidence(item)
        evidence.append(entry)
        if blob is not None:
            files.append(blob)
    key_files = {key_id(server_public_key): SERVER_KEY}
    public_keys = {key_id(server_public_key): server_public_key}
    signatures = []
    for signature in await uow.signatures.for_case(case.id):
        signatures.append(_signature(signature, key_files))
        public_keys.setdefault(key_id(signature.public_key), signature.public_key)
    manifest = {
        "format": FORMAT,
        "exported_at": _iso(now),
        "case": {
            "id": case.id, "ref": case.ref, "tenant": tenant.key if tenant else "",
            "ground": case.ground, "state": case.state, "outcome": case.outcome,
            "note": case.note, "facts": case.facts.entries(), "opened_at": _iso(case.opened_at),
            "closed_at": _iso(case.closed_at),
            "retain_until": case.retain_until.isoformat() if case.retain_until else None,
            "employee": _person(await uow.people.get(case.employee_id)),
            "manager": _person(await uow.people.get(case.manager_id)),
        },
        "states": [{"at": _iso(e.at), "from": e.from_state, "to": e.to_state, "action": e.action,
                    "by": e.actor_identity} for e in events if e.to_state],
        "documents": documents,
        "evidence": evidence,
        "signatures": signatures,
        "audit": [_event(e) for e in events],
        "keys": {"server": SERVER_KEY, "files": dict(sorted(key_files.items()))},
    }
    body = canonical_json(manifest).encode()
    seal = await signer.seal(body)
    sealed = {"provider": seal.provider, "seal": seal.value, "key_id": seal.key_id,
              "key_file": key_files.get(seal.key_id, SERVER_KEY)}
    keys = [BundleFile(path, public_keys[kid].encode()) for kid, path in sorted(key_files.items())]
    return CaseBundle(
        tenant=tenant.key if tenant else "", ref=case.ref, retain_until=case.retain_until,
        files=(BundleFile(MANIFEST, body), BundleFile(MANIFEST_SEAL, canonical_json(sealed).encode()),
               *keys, *files),
    )


@dataclass(frozen=True)
class Purged:
    tenant: str
    ref: str
    retain_until: date
    rows: dict[str, int]


async def purge(uow_factory: Callable[[], UnitOfWork], today: date, now: datetime | None = None) -> list[Purged]:
    """Delete every closed case whose retain-until date is before `today`, with all its records
    (each logged by the retention log); cases still within retention are not touched."""
    async with uow_factory() as uow:
        purged = await purge_cases(uow.session, today, now)
        keys = {t.id: t.key for t in await uow.tenants.get_many({p.detail["tenant_id"] for p in purged})}
        await uow.commit()
    return [Purged(keys.get(p.detail["tenant_id"], ""), p.detail["ref"], date.fromisoformat(p.detail["retain_until"]),
                   p.detail["rows"]) for p in purged]
