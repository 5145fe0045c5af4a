"""Checking a case bundle offline: every file's SHA-256, the audit chain, every signature, and the
server's seal on the manifest. Problems are reported in that order; the first names the first
thing that does not match.

What a pass proves: nothing in the bundle changed since it was sealed. Who sealed it is proven only
by a key the operator pins (`trusted_key`: the server's published public key), never by the key
the bundle carries: anyone can rebuild a bundle and re-seal it with a key of their own. Without a
pinned key the report is not `trusted`.

The zip is untrusted input: duplicate entry names, paths that leave the bundle, encrypted entries
and anything that would expand past `max_bytes` are refused before any entry is read, and every
entry is read in chunks against that same budget (a lying size header cannot get past it either).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from handlers.archive import FORMAT, MANIFEST, MANIFEST_SEAL
from handlers.document import package_hash
from handlers.seal import key_id, verify_seal
from handlers.signing.record import record_bytes
from storage.audit import GENESIS, event_hash, payload_hash
from storage.models import AuditEvent

# What a bundle may expand to in all (documents and evidence files included), and the size of the
# entries read whole (the manifest, its seal, the public keys).
MAX_EXPANDED_BYTES = 512 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_SMALL_BYTES = 64 * 1024
MAX_ENTRIES = 10_000
CHUNK = 1024 * 1024


class Refused(ValueError):
    """An entry cannot be read safely (too large, corrupt); the message says why."""


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
    pinned_key: str | None = None  # the id of the key the operator pinned, None: none pinned

    @property
    def ok(self) -> bool:
        """Nothing changed since the bundle was sealed (by whichever key it names)."""
        return not self.problems

    @property
    def trusted(self) -> bool:
        """Intact and sealed by the pinned key: the only result that proves the server made it."""
        return self.ok and self.pinned_key is not None

    def count(self, what: str) -> None:
        self.checked[what] = self.checked.get(what, 0) + 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _unsafe_name(name: str) -> str | None:
    """Why an entry name could land outside the bundle (or hide as another), or None."""
    path = PurePosixPath(name)
    if not name or "\\" in name or "\0" in name or (len(name) > 1 and name[1] == ":"):
        return "not a plain relative path"
    if path.is_absolute() or ".." in path.parts or name.endswith("/") or "//" in name:
        return "a path outside the bundle"
    return None


def refusals(archive: zipfile.ZipFile, max_bytes: int) -> list[Problem]:
    """What makes a zip unsafe to read, judged from its directory alone (nothing is expanded)."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        return [Problem("bundle", f"{len(infos)} entries, more than {MAX_ENTRIES}")]
    problems, seen, declared = [], set(), 0
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            problems.append(Problem(info.filename, why))
        elif info.filename in seen:
            problems.append(Problem(info.filename, "appears twice in the bundle (which one is meant?)"))
        if info.flag_bits & 0x1:
            problems.append(Problem(info.filename, "encrypted entries are not part of a bundle"))
        seen.add(info.filename)
        declared += info.file_size
    if declared > max_bytes:
        problems.append(Problem("bundle", f"expands to {declared} bytes, more than the limit of "
                                          f"{max_bytes} (a zip bomb, or not a case bundle)"))
    return problems


class _Budget:
    """Bytes the bundle may still expand to; every chunk read is taken from it."""

    def __init__(self, max_bytes: int) -> None:
        self.left = max_bytes

    def chunks(self, archive: zipfile.ZipFile, name: str, limit: int | None = None) -> Iterator[bytes]:
        """The entry's bytes in chunks; Refused past `limit`, the budget, or on a corrupt entry."""
        limit = self.left if limit is None else min(limit, self.left)
        read = 0
        try:
            if archive.getinfo(name).file_size > limit:  # as declared: refused unread
                raise Refused(f"larger than {limit} bytes")
            with archive.open(name) as entry:
                while chunk := entry.read(CHUNK):
                    read += len(chunk)
                    if read > limit:
                        raise Refused(f"larger than {limit} bytes")
                    self.left -= len(chunk)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise Refused(f"corrupt entry ({error})") from None

    def read(self, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
        return b"".join(self.chunks(archive, name, limit))

    def sha256(self, archive: zipfile.ZipFile, name: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks(archive, name):
            digest.update(chunk)
        return digest.hexdigest()


def read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One entry whole, read in chunks; Refused if it expands past `limit` or is corrupt."""
    return _Budget(limit).read(archive, name, limit)


class _Checker:
    def __init__(self, archive: zipfile.ZipFile, manifest_bytes: bytes, trusted_key: str | None,
                 budget: _Budget):
        self.archive = archive
        self.manifest_bytes = manifest_bytes
        self.manifest: dict[str, Any] = json.loads(manifest_bytes)
        self.trusted_key = trusted_key.strip() if trusted_key else None
        self.budget = budget
        self.report = Report(pinned_key=key_id(self.trusted_key) if self.trusted_key else None)
        self.listed: set[str] = {MANIFEST, MANIFEST_SEAL}
        self.names = set(archive.namelist())

    def problem(self, item: str, reason: str) -> None:
        self.report.problems.append(Problem(item, reason))

    @contextmanager
    def entry(self, item: str) -> Iterator[None]:
        """A malformed manifest entry is a problem with that entry, never a crash."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.problem(item, f"malformed entry ({type(error).__name__}: {error})")

    @contextmanager
    def refused(self, item: str) -> Iterator[None]:
        try:
            yield
        except Refused as refused:
            self.problem(item, str(refused))

    def read(self, path: str, limit: int = MAX_SMALL_BYTES) -> bytes | None:
        """A small entry whole (a key, the seal); None when missing. Refused past `limit`."""
        self.listed.add(path)
        if path not in self.names:
            return None
        return self.budget.read(self.archive, path, limit)

    def file_hash(self, item: str, path: str | None, expected: str) -> None:
        if path is None:
            return
        self.listed.add(path)
        if path not in self.names:
            self.problem(item, "missing from the bundle")
            return
        try:
            actual = self.budget.sha256(self.archive, path)
        except Refused as refused:
            self.problem(item, str(refused))
            return
        if actual != expected:
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
        """The key to check a seal with: the pinned one when pinned (the bundle's own copy must
        then be that key), else the bundle's own."""
        data = self.read(path)
        if data is None:
            self.problem(item, f"public key {path} missing from the bundle")
            return None
        pem = data.decode()
        if key_id(pem) != kid:
            self.problem(item, f"public key {path} is not key {kid}")
            return None
        if self.trusted_key is not None:
            if kid != self.report.pinned_key:
                self.problem(item, f"sealed with key {kid}, not the pinned key {self.report.pinned_key}")
                return None
            return self.trusted_key
        return pem

    def signatures(self) -> None:
        sealed = {e["payload"].get("signature_id"): e["payload"]
                  for e in self.manifest.get("audit", [])
                  if e.get("action") == "signature" and isinstance(e.get("payload"), dict)}
        documents = self.manifest.get("documents", [])
        ref = self.manifest.get("case", {}).get("ref", "")
        for sig in self.manifest.get("signatures", []):
            item = f"signature #{sig.get('id')}"
            with self.entry(item), self.refused(item):
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
        with self.entry(item), self.refused(item):
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


def verify_bundle(source: Path | bytes, trusted_key: str | None = None, *,
                  max_bytes: int = MAX_EXPANDED_BYTES) -> Report:
    """Check a bundle (a path or its bytes) without any database or network, against the pinned
    `trusted_key` (PEM) when given; never reading more than `max_bytes` expanded."""
    pinned = key_id(trusted_key.strip()) if trusted_key else None
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, zipfile.BadZipFile) as error:
        return Report([Problem("bundle", f"cannot be opened as a zip archive ({error})")], pinned_key=pinned)
    with archive:
        refused = refusals(archive, max_bytes)
        if refused:
            return Report(refused, pinned_key=pinned)
        budget = _Budget(max_bytes)
        try:
            if MANIFEST not in archive.namelist():
                return Report([Problem(MANIFEST, "missing from the bundle")], pinned_key=pinned)
            manifest = budget.read(archive, MANIFEST, MAX_MANIFEST_BYTES)
            checker = _Checker(archive, manifest, trusted_key, budget)
        except Refused as error:
            return Report([Problem(MANIFEST, str(error))], pinned_key=pinned)
        except (ValueError, UnicodeDecodeError) as error:
            return Report([Problem(MANIFEST, f"not valid JSON ({error})")], pinned_key=pinned)
        if not isinstance(checker.manifest, dict):
            return Report([Problem(MANIFEST, "not a JSON object")], pinned_key=pinned)
        return checker.run()
