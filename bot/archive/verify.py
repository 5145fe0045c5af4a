"""Checking a case bundle offline: every file's SHA-256, the audit chain, every signature, and the
server's seal on the manifest. Problems are reported in that order; the first names the first
thing that does not match.

What a pass proves: nothing in the bundle changed since the server sealed it, and every signature
was made by the key in the bundle. Pin that key with `trusted_key` (the server's published public
key) to rule out a bundle rebuilt and re-sealed with another key.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.archive import FORMAT, MANIFEST, MANIFEST_SEAL
from handlers.document import package_hash
from handlers.seal import key_id, verify_seal
from handlers.signing.record import record_bytes
from storage.audit import GENESIS, event_hash, payload_hash
from storage.models import AuditEvent


@dataclass(frozen=True)
class Problem:
    item: str  # what does not match, e.g. "document documents/C-0001-v1-….pdf", "audit event 7"
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, what: str) -> None:
        self.checked[what] = self.checked.get(what, 0) + 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Checker:
    def __init__(self, archive: zipfile.ZipFile, manifest_bytes: bytes, trusted_key: str | None):
        self.archive = archive
        self.manifest_bytes = manifest_bytes
        self.manifest: dict[str, Any] = json.loads(manifest_bytes)
        self.trusted_key = trusted_key.strip() if trusted_key else None
        self.report = Report()
        self.listed: set[str] = {MANIFEST, MANIFEST_SEAL}

    def problem(self, item: str, reason: str) -> None:
        self.report.problems.append(Problem(item, reason))

    @contextmanager
    def entry(self, item: str) -> Iterator[None]:
        """A malformed manifest entry is a problem with that entry, never a crash."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.problem(item, f"malformed entry ({type(error).__name__}: {error})")

    def read(self, path: str) -> bytes | None:
        self.listed.add(path)
        try:
            return self.archive.read(path)
        except KeyError:
            return None

    def file_hash(self, item: str, path: str | None, expected: str) -> None:
        if path is None:
            return
        data = self.read(path)
        if data is None:
            self.problem(item, "missing from the bundle")
        elif _sha256(data) != expected:
            self.problem(item, "SHA-256 does not match the manifest (the file was changed)")

    # --- the checks, in reporting order ---------------------------------------------------

    def documents(self) -> None:
        for doc in self.manifest.get("documents", []):
            item = f"document {doc.get('file', doc.get('id'))}"
            with self.entry(item):
                self.file_hash(item, doc["file"], doc["sha256"])
                self.report.count("documents")

    def evidence(self) -> None:
        for ev in self.manifest.get("evidence", []):
            item = f"evidence #{ev.get('id')} ({ev.get('file') or ev.get('kind')})"
            with self.entry(item):
                if ev.get("file"):
                    self.file_hash(item, ev["file"], ev["sha256"])
                elif _sha256(str(ev["content"]).encode()) != ev["sha256"]:
                    self.problem(item, "SHA-256 does not match its text (the text was changed)")
                self.report.count("evidence")

    def audit(self) -> None:
        prev, expected_seq = GENESIS, 1
        for raw in self.manifest.get("audit", []):
            item = f"audit event {raw.get('seq')} ({raw.get('action')})"
            with self.entry(item):
                event = AuditEvent(
                    case_id=raw["case_id"], seq=raw["seq"], at=datetime.fromisoformat(raw["at"]),
                    actor_id=raw["actor_id"], actor_identity=raw["actor_identity"],
                    action=raw["action"], from_state=raw["from_state"], to_state=raw["to_state"],
                    payload=raw["payload"], payload_hash=raw["payload_hash"],
                )
                reason = None
                if event.seq != expected_seq:
                    reason = f"event {expected_seq} is missing (deleted)"
                elif raw["prev_hash"] != prev:
                    reason = "chain broken (an event before it was deleted, edited or reordered)"
                elif payload_hash(event.payload) != event.payload_hash:
                    reason = "payload edited"
                elif event_hash(event, prev) != raw["hash"]:
                    reason = "event edited"
                if reason:
                    self.problem(item, reason)
                    return  # past a broken link, every later event fails too
                prev, expected_seq = raw["hash"], event.seq + 1
                self.report.count("audit events")

    def chained_files(self) -> None:
        """Documents and evidence agree with the hashes the audit chain recorded when they were
        made: a file replaced together with its manifest entry is still caught."""
        chained: dict[int, str] = {}
        evidence_hashes: set[str] = set()
        for event in self.manifest.get("audit", []):
            payload = event.get("payload") or {}
            if event.get("action") == "documents_issued":
                chained.update({f["id"]: f["sha256"] for f in payload.get("files", [])})
            elif event.get("action") == "evidence":
                evidence_hashes.add(payload.get("sha256"))
        for doc in self.manifest.get("documents", []):
            with self.entry(f"document {doc.get('file')}"):
                if chained.get(doc["id"]) != doc["sha256"]:
                    self.problem(f"document {doc['file']}",
                                 "SHA-256 differs from the one recorded in the audit chain")
        for ev in self.manifest.get("evidence", []):
            with self.entry(f"evidence #{ev.get('id')}"):
                if ev["sha256"] not in evidence_hashes:
                    self.problem(f"evidence #{ev['id']}",
                                 "SHA-256 differs from the one recorded in the audit chain")

    def key(self, item: str, path: str, kid: str) -> str | None:
        data = self.read(path)
        if data is None:
            self.problem(item, f"public key {path} missing from the bundle")
            return None
        pem = data.decode()
        if key_id(pem) != kid:
            self.problem(item, f"public key {path} is not key {kid}")
            return None
        if self.trusted_key is not None and pem.strip() != self.trusted_key:
            self.problem(item, f"signed with key {kid}, not the trusted key {key_id(self.trusted_key)}")
            return None
        return pem

    def signatures(self) -> None:
        sealed = {e["payload"].get("signature_id"): e["payload"]
                  for e in self.manifest.get("audit", [])
                  if e.get("action") == "signature" and isinstance(e.get("payload"), dict)}
        documents = self.manifest.get("documents", [])
        ref = self.manifest.get("case", {}).get("ref", "")
        for sig in self.manifest.get("signatures", []):
            item = f"signature #{sig.get('id')}"
            with self.entry(item):
                body = record_bytes(sig["record"])
                pem = self.key(item, sig["key_file"], sig["key_id"])
                chain = sealed.get(sig["id"])
                present = {(d["kind"], d["locale"], d["sha256"]) for d in documents
                           if d["version"] == sig["document_version"]}
                signed_files = sig["record"]["document"]["files"]
                if _sha256(body) != sig["record_sha256"]:
                    self.problem(item, "the signature record was changed")
                elif pem is None:
                    pass  # already reported
                elif not verify_seal(body, sig["seal"], pem):
                    self.problem(item, "the server's seal does not verify (forged or altered)")
                elif chain is None or (chain["record_sha256"], chain["seal"]) != (
                        sig["record_sha256"], sig["seal"]):
                    self.problem(item, "differs from the signature recorded in the audit chain")
                elif sig["record"]["document"]["sha256"] != sig["document_sha256"] or \
                        package_hash(ref, sig["document_version"], signed_files) != sig["document_sha256"]:
                    self.problem(item, "does not match the document version it claims")
                elif any((f["kind"], f["locale"], f["sha256"]) not in present for f in signed_files):
                    self.problem(item, "the signed documents are not the ones in the bundle")
                self.report.count("signatures")

    def manifest_seal(self) -> None:
        item = MANIFEST
        with self.entry(item):
            data = self.read(MANIFEST_SEAL)
            if data is None:
                self.problem(item, f"{MANIFEST_SEAL} is missing")
                return
            seal = json.loads(data)
            pem = self.key(item, seal["key_file"], seal["key_id"])
            if pem is not None and not verify_seal(self.manifest_bytes, seal["seal"], pem):
                self.problem(item, "the server's seal on the manifest does not verify "
                                   "(the manifest was changed after export)")
            self.report.count("manifest seal")

    def unlisted(self) -> None:
        for key_file in self.manifest.get("keys", {}).get("files", {}).values():
            self.listed.add(key_file)
        for name in self.archive.namelist():
            if name not in self.listed:
                self.problem(name, "in the bundle but not in the manifest")

    def run(self) -> Report:
        if self.manifest.get("format") != FORMAT:
            self.problem(MANIFEST, f"not an offboard-bot archive (format {FORMAT} expected)")
            return self.report
        checks: list[Callable[[], None]] = [self.documents, self.evidence, self.audit,
                                            self.chained_files, self.signatures,
                                            self.manifest_seal, self.unlisted]
        for check in checks:
            check()
        return self.report


def verify_bundle(source: Path | bytes, trusted_key: str | None = None) -> Report:
    """Check a bundle (a path or its bytes) without any database or network."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, zipfile.BadZipFile) as error:
        return Report([Problem("bundle", f"cannot be opened as a zip archive ({error})")])
    with archive:
        try:
            manifest = archive.read(MANIFEST)
            checker = _Checker(archive, manifest, trusted_key)
        except KeyError:
            return Report([Problem(MANIFEST, "missing from the bundle")])
        except (ValueError, UnicodeDecodeError) as error:
            return Report([Problem(MANIFEST, f"not valid JSON ({error})")])
        if not isinstance(checker.manifest, dict):
            return Report([Problem(MANIFEST, "not a JSON object")])
        return checker.run()
