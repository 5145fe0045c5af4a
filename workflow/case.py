"""The Case aggregate: one separation case with its typed facts and record (the talk, documents and
their versions, signature, dispute, notice, reads …), and the rules for changing them.

A plain dataclass; storage/models.py maps it to the cases table and storage/case_json.py its facts
and record to the row's JSON columns. Facts and record are immutable values: a change returns a new
value that is set on the case, so storage sees every change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

DATE_FACTS = ("hired", "last_day", "birth_date", "contract_start", "contract_end", "probation_end",
              "notice_date", "sick_since")
MONEY_FACTS = ("avg_wage", "prev_wage", "local_avg", "min_wage")
BOOL_FACTS = ("pay_in_lieu", "in_probation", "union_notified", "written_reasons", "notice_served",
              "open_ended", "employee_declined", "employee_wants_renewal", "past_separation")
# their allowed values: handlers/assessment.py
CHOICE_FACT_KEYS = ("proposed_by", "retirement_category", "union", "renewal_offered")
COUNT_FACTS = ("work_years", "headcount", "reduced", "fixed_terms", "work_injury_grade")
# The Art. 41 round (staff, people cut): also given when a layoff is opened, to be told which rule applies.
LAYOFF_ROUND_FACTS = ("headcount", "reduced")
LIST_FACT_KEYS = ("protections",)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Facts:
    """The facts the law needs, as HR entered them (None: not entered). `extra` keeps keys this
    code does not know (written by older code), so they survive a save unchanged."""

    hired: date | None = None
    last_day: date | None = None
    avg_wage: Decimal | None = None
    prev_wage: Decimal | None = None
    local_avg: Decimal | None = None
    min_wage: Decimal | None = None
    pay_in_lieu: bool | None = None
    in_probation: bool | None = None
    union_notified: bool | None = None
    written_reasons: bool | None = None
    notice_served: bool | None = None
    proposed_by: str | None = None
    protections: tuple[str, ...] | None = None  # () is an answer: none of them
    birth_date: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    probation_end: date | None = None
    notice_date: date | None = None
    sick_since: date | None = None
    open_ended: bool | None = None
    employee_declined: bool | None = None
    employee_wants_renewal: bool | None = None
    past_separation: bool | None = None  # HR records a separation that already happened
    retirement_category: str | None = None
    union: str | None = None
    renewal_offered: str | None = None
    work_years: int | None = None
    headcount: int | None = None
    reduced: int | None = None
    fixed_terms: int | None = None
    work_injury_grade: int | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def of(cls, entries: Mapping[str, Any]) -> Facts:
        """Facts from their entered form (what parsing HR's text gives, and what is stored)."""
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, raw in entries.items():
            try:
                value = _fact(key, raw)
            except (ValueError, ArithmeticError, TypeError):
                value = _UNKNOWN
            if value is _UNKNOWN:
                extra[key] = raw
            else:
                known[key] = value
        return cls(**known, extra=MappingProxyType(extra) if extra else _EMPTY)

    def entries(self) -> dict[str, Any]:
        """The facts entered, in their entered (JSON) form, unknown keys included."""
        out = dict(self.extra)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra" or value is None:
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def updated(self, entries: Mapping[str, Any]) -> Facts:
        """These facts with `entries` (entered form) set over them."""
        return Facts.of({**self.entries(), **entries})

    def missing(self, required: Iterable[str]) -> list[str]:
        """The required facts not entered, or entered in a form this code cannot read (so HR is
        asked for them again rather than the arithmetic failing)."""
        return [key for key in required if key not in FACT_NAMES or getattr(self, key) is None]


_UNKNOWN = object()
FACT_NAMES = frozenset(f.name for f in fields(Facts)) - {"extra"}


def _fact(key: str, raw: Any) -> Any:
    if raw is None:
        return _UNKNOWN
    if key in DATE_FACTS and isinstance(raw, str):
        return date.fromisoformat(raw)
    if key in MONEY_FACTS and isinstance(raw, str | int):
        return Decimal(str(raw))
    if key in BOOL_FACTS and isinstance(raw, bool):
        return raw
    if key in CHOICE_FACT_KEYS and isinstance(raw, str):
        return raw
    if key in COUNT_FACTS and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if key in LIST_FACT_KEYS and isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw):
        return tuple(raw)
    return _UNKNOWN


@dataclass(frozen=True)
class IssuedFile:
    """One rendered file of a document version (its stored document row's id)."""

    id: int
    kind: str
    locale: str
    title: str
    sha256: str


@dataclass(frozen=True)
class DocumentVersion:
    """The decision documents the employee is asked to sign: one version, bound by its package hash."""

    version: int
    sha256: str
    issued_at: datetime
    agreement: bool
    files: tuple[IssuedFile, ...] = ()


@dataclass(frozen=True)
class Certificate:
    """The documents issued when employment ends (Art. 50), for one document version."""

    version: int
    issued_at: datetime
    files: tuple[IssuedFile, ...] = ()


@dataclass(frozen=True)
class Dispute:
    reason: str
    at: datetime


@dataclass(frozen=True)
class SignatureNote:
    """Who signed which document version when; the sealed record itself is a Signature row."""

    id: int
    person_id: int | None
    identity: str
    at: datetime
    document_sha256: str | None
    document_version: int | None
    record_sha256: str


@dataclass(frozen=True)
class NoticeServed:
    """Notice served another way (registered mail …): the proof, stored as evidence too."""

    proof: str
    at: datetime
    by: int
    evidence_id: int


@dataclass(frozen=True)
class Approval:
    """One HR member's approval in review; whether they opened or manage the case (then another's
    approval is needed too: separation of duties)."""

    by: int
    opened_or_manages: bool
    at: datetime


class RecordError(ValueError):
    """A change that would break the record's rules (a programming error, never user input)."""


@dataclass(frozen=True)
class CaseRecord:
    """What the workflow recorded on a case. Times are aware instants; ids are people's ids.
    `extra` keeps keys this code does not know (written by older code) so they survive a save."""

    approved_by: int | None = None
    approvals: tuple[Approval, ...] | None = None  # since the case was last sent back for changes
    changes_requested: str | None = None
    talk_at: datetime | None = None
    scheduled_by: int | None = None
    attendance_confirmed_at: datetime | None = None
    read_at: datetime | None = None
    dispute: Dispute | None = None
    revision_note: str | None = None
    document: DocumentVersion | None = None
    certificate: Certificate | None = None
    signed_at: datetime | None = None
    signature: SignatureNote | None = None
    notice: NoticeServed | None = None
    last_activity_at: datetime | None = None
    successor_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def recorded(self, **values: Any) -> CaseRecord:
        """The action table's `records` set by name (an unknown name is an error, not a new key)."""
        unknown = set(values) - FIELD_NAMES
        if unknown:
            raise RecordError(f"no such case record field: {sorted(unknown)}")
        return replace(self, **values)

    def marked_read(self, at: datetime) -> CaseRecord:
        """The employee saw the decision: the first time counts, later reads change nothing."""
        return self if self.read_at is not None else replace(self, read_at=at)

    def touched(self, at: datetime) -> CaseRecord:
        return replace(self, last_activity_at=at)

    def with_document(self, document: DocumentVersion) -> CaseRecord:
        """A new document version replaces the current one; versions only go up."""
        if self.document is not None and document.version <= self.document.version:
            raise RecordError(f"document version {document.version} after {self.document.version}")
        return replace(self, document=document)

    def with_certificate(self, certificate: Certificate) -> CaseRecord:
        """The termination certificate is issued once per case."""
        if self.certificate is not None:
            raise RecordError("the certificate was already issued")
        return replace(self, certificate=certificate)

    def signed(self, note: SignatureNote) -> CaseRecord:
        """The employee signed the current version: signing is also reading it."""
        if self.document is None or note.document_version != self.document.version:
            raise RecordError("a signature must be for the current document version")
        return replace(self.marked_read(note.at), signed_at=note.at, signature=note)

    def notice_served(self, notice: NoticeServed) -> CaseRecord:
        return replace(self, notice=notice)


FIELD_NAMES = frozenset(f.name for f in fields(CaseRecord)) - {"extra"}


@dataclass(eq=False, kw_only=True)
class Case:
    """One separation case, the aggregate every action loads, changes and saves. `version` is the
    optimistic lock and the card/timer freshness stamp. storage/models.py maps it to the cases table
    (its `record` is the row's "data" column); compared by identity, as one row is one case."""

    tenant_id: int
    employee_id: int
    manager_id: int
    opened_by_id: int
    ground: str
    state: str
    opened_at: datetime
    state_entered_at: datetime
    updated_at: datetime
    id: int = None  # type: ignore[assignment]  # given when stored
    ref: str = ""  # the tenant's human number shown in chat, e.g. "C-0007", given when stored
    note: str = ""
    version: int = 1
    outcome: str | None = None
    facts: Facts = field(default_factory=Facts)
    facts_confirmed: bool = False
    record: CaseRecord = field(default_factory=CaseRecord)
    closed_at: datetime | None = None
    retain_until: date | None = None

    def touch(self, now: datetime, record: CaseRecord | None = None) -> None:
        """A change that keeps the state (and its new `record`, if any): the version goes up, so
        older cards and timers go stale."""
        if record is not None:
            self.record = record
        self.version += 1
        self.updated_at = now

    def mark_read(self, at: datetime) -> None:
        """The employee opened the decision outside the chat: read, without a new version (their
        chat card stays current)."""
        self.record = self.record.marked_read(at)
