"""The relational schema (SQLAlchemy 2 declarative); one code path for PostgreSQL and SQLite.

Times are stored as timezone-aware UTC; JSON columns hold plain dicts of primitives (the case's
facts and record are typed values on the aggregate, mapped by storage/case_json.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    exists,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from storage.case_json import CaseRecordJSON, FactsJSON
from storage.sealed import Sealed
from workflow.case import Case, CaseRecord, Facts

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The hash before a chain's first event (storage.audit links every chain from it).
GENESIS = "0" * 64


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on both databases.

    SQLite has no time zone type and hands back naive values; storing UTC in a fixed-width
    format there keeps `<=` comparisons in SQL correct, and reading re-attaches UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints: migrations (SQLite batch mode especially) can only drop what has a name.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class Tenant(Base):
    """One company workspace: a Slack team, a WeCom corp, or the local console."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # e.g. "console", "slack:T123"
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    city: Mapped[str] = mapped_column(String(64), default="")
    hr_channel: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_seq: Mapped[int] = mapped_column(Integer, default=0)  # source of human case numbers


class Person(Base):
    """A directory entry; platform identities point here."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("tenant_id", "employee_no"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    employee_no: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    roles: Mapped[str] = mapped_column(String(200), default="")  # comma-separated Role values
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    hire_date: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the law reads from the person and their contract; prefilled into a new case's facts.
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    retirement_category: Mapped[str] = mapped_column(String(32), default="", server_default="")
    contract_start: Mapped[date | None] = mapped_column(Date, default=None)
    contract_end: Mapped[date | None] = mapped_column(Date, default=None)
    probation_end: Mapped[date | None] = mapped_column(Date, default=None)
    # Away: whom their cards, reminders and buttons go to, until when (handlers/delegates.py).
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    delegate_until: Mapped[datetime | None] = mapped_column(default=None)
    # Where and when reminders reach them; "" = the company's (workflow/reachable.py).
    timezone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    work_hours: Mapped[str] = mapped_column(String(16), default="", server_default="")  # "09:00-18:00"

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.roles.split(",") if r.strip())


class Identity(Base):
    """A person's account on one platform (Slack team+user, WeCom corp+userid, console name)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "platform_tenant", "platform_user_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # console | slack | wecom
    platform_tenant: Mapped[str] = mapped_column(String(128))
    platform_user_id: Mapped[str] = mapped_column(String(128))


# The case aggregate is workflow.case.Case, a plain dataclass; this maps it to its table. The JSON
# columns hold its typed facts and record (storage/case_json.py); "data" is the record's column.
cases = Table(
    "cases",
    Base.metadata,
    Column("id", BigId, primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("ref", String(32), nullable=False),
    Column("employee_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("manager_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("opened_by_id", ForeignKey("people.id"), nullable=False),
    Column("ground", String(32), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("state", String(32), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("outcome", String(32), nullable=True, default=None),
    Column("facts", FactsJSON, nullable=False, default=Facts),
    Column("facts_confirmed", Boolean, nullable=False, default=False),
    Column("data", CaseRecordJSON, nullable=False, default=CaseRecord),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("state_entered_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True, default=None),
    Column("retain_until", Date, nullable=True, default=None),
    # The last (seq, hash) of the case's audit chain, moved on with each event under the case's
    # lock: the next event links to it without a read of the chain, and the verifier sees a chain
    # whose last events were deleted.
    Column("audit_seq", Integer, nullable=False, default=0, server_default="0"),
    Column("audit_hash", String(64), nullable=False, default=GENESIS, server_default=GENESIS),
    UniqueConstraint("tenant_id", "ref"),
    Index("ix_cases_tenant_state", "tenant_id", "state"),
)
Base.registry.map_imperatively(
    Case, cases, properties={"record": cases.c.data},
    # Optimistic lock: UPDATE … WHERE version = <loaded>; the case bumps `version` itself (it is
    # also the card/timer freshness stamp), so SQLAlchemy must not generate it.
    version_id_col=cases.c.version, version_id_generator=False,
)
# What declarative classes carry, for the code that reaches the table through its class.
Case.__table__ = cases  # type: ignore[attr-defined]
Case.__tablename__ = cases.name  # type: ignore[attr-defined]


class EvidenceItem(Base):
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, default="")  # text or link
    filename: Mapped[str] = mapped_column(String(300), default="")
    media_type: Mapped[str] = mapped_column(String(100), default="")
    # Loaded only where the files are wanted (the archive): a transition reads every item's
    # kind and hash, and must not pull megabytes of scans with them. Touching it unloaded raises.
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True, deferred_raiseload=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime]


class HandoverItem(Base):
    __tablename__ = "handover_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # template item key, e.g. "property_return"
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(Base):
    """One link of a case's hash chain: hash = sha256(prev_hash + canonical event body)."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    actor_identity: Mapped[str] = mapped_column(String(300), default="")  # "slack:T1:U2"
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str] = mapped_column(String(32), default="")
    to_state: Mapped[str] = mapped_column(String(32), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Timer(Base):
    """A durable timer armed for one case version (stale, doing nothing, once the case moves on),
    or for a workspace (`tenant_id`, no case: the weekly HR digest)."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "case_version"),
        UniqueConstraint("tenant_id", "kind", "due_at"),
        # The poller's only query: pending timers by due time.
        Index(
            "ix_timers_pending_due",
            "due_at",
            postgresql_where=text("fired_at IS NULL"),
            sqlite_where=text("fired_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    case_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fired_at: Mapped[datetime | None] = mapped_column(default=None)
    # A failed firing holds the timer off by its lease until the backoff ends (storage.queue).
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A message to deliver, written in the transaction that caused it; sent by the relay."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL AND dead_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND dead_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # console | slack | wecom
    recipient: Mapped[str] = mapped_column(String(300))  # "person:<id>" or "hr_group"
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    platform_ref: Mapped[dict[str, Any]] = mapped_column(default=dict)  # channel+ts, task_id …


class WebhookSubscription(Base):
    """A company system told of case events: where to, which events, which fields it may see, and
    which handover items it may complete by calling back (both signed with `secret`)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))  # e.g. "payroll", "it"
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(Sealed)  # "whsec_<base64>", encrypted at rest (storage/sealed.py)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # the payload fields it may see
    completes: Mapped[list[str]] = mapped_column(JSON, default=list)  # item kinds it may call back on
    created_at: Mapped[datetime]


# Read with the tenant's row (an EXISTS beside it, no round trip of its own): a request of a
# tenant with no subscriber publishes no webhook without asking for subscriptions. None on a
# tenant not read from the database (the fast lane's memory): ask then.
Tenant.has_webhooks = column_property(  # type: ignore[attr-defined]
    exists().where(WebhookSubscription.tenant_id == Tenant.id).correlate_except(WebhookSubscription))


class Snooze(Base):
    """A person's reminders about one case held back until `until` (never past a deadline)."""

    __tablename__ = "snoozes"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    until: Mapped[datetime]
    created_at: Mapped[datetime]


class InboundDelivery(Base):
    """A platform delivery id already handled: a retry hits the unique key and changes nothing."""

    __tablename__ = "inbound_deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(300), unique=True)
    received_at: Mapped[datetime]


class InboxEntry(Base):
    """A platform request acknowledged but not yet handled: the worker takes it, in order per lane
    (one person's requests), and deletes it once handled."""

    __tablename__ = "inbox"
    __table_args__ = (
        # The claim's one question: is an earlier request of this lane still waiting?
        Index(
            "ix_inbox_live_lane",
            "lane",
            "id",
            postgresql_where=text("dead_at IS NULL"),
            sqlite_where=text("dead_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(300), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # slack | wecom
    lane: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")


# Handed out with a claimed request (deferred: read only where named): does a later request of its
# lane wait behind it? The worker then takes those too, with no look of its own when none does.
# Written out: SQLite's compiler writes a RETURNING clause's columns without their table, which
# would compare the inner table's columns with themselves.
InboxEntry.waiting_behind = column_property(  # type: ignore[attr-defined]
    exists().select_from(InboxEntry.__table__.alias("later")).where(
        text("later.lane = inbox.lane AND later.id > inbox.id AND later.dead_at IS NULL")),
    deferred=True)


class Document(Base):
    """One rendered document (PDF) of a case, per version, kind and language; never overwritten.

    Revising makes a new version beside the old; `sha256` is over `content`, the exact bytes shown
    and signed; `text` is the same document as simple markup, for the signing page.
    """

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "version", "kind", "locale"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))  # termination_notice | mutual_agreement | …
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SigningToken(Base):
    """A single-use signing link for one employee and one document version.

    Only the SHA-256 of the token is stored here; the link itself travels in the employee's
    message (the outbox row) and nowhere else.
    """

    __tablename__ = "signing_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    identity: Mapped[str] = mapped_column(String(300))  # platform account the link was sent to
    document_version: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_for: Mapped[str] = mapped_column(String(16), default="")  # sign | dispute


class Signature(Base):
    """A signature record, sealed by its provider; its hash and seal are also in the audit chain."""

    __tablename__ = "signatures"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    provider: Mapped[str] = mapped_column(String(64))  # click_to_sign | a licensed service
    document_version: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    record: Mapped[dict[str, Any]] = mapped_column()  # exactly what was sealed
    record_sha256: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(Text)  # provider's signature over the record (base64)
    public_key: Mapped[str] = mapped_column(Text)  # key that verifies `seal` (PEM)


# Slack app installations (multi-workspace OAuth). The Slack channel reads and writes these rows
# through slack-sdk's AsyncSQLAlchemyInstallationStore / AsyncSQLAlchemyOAuthStateStore, so the
# table and column names are the ones that library expects; times are naive UTC, as it writes them.


class SlackInstallation(Base):
    """One installation of the Slack app in a workspace (kept per install, newest wins)."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id",
              "installed_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str] = mapped_column(String(32))
    user_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    user_refresh_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    incoming_webhook_url: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackBot(Base):
    """The bot token of the latest installation per workspace (what deliveries authorise with)."""

    __tablename__ = "slack_bots"
    __table_args__ = (
        Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)  # encrypted (bot/token_cipher.py)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackOAuthState(Base):
    """A pending OAuth `state` (single use, expiring): ties the redirect to the browser that began it."""

    __tablename__ = "slack_oauth_states"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(200))
    expire_at: Mapped[datetime] = mapped_column(DateTime)


class RetentionRecord(Base):
    """One prune of the retention job (storage/retention.py): what went, how many, and when.

    Pruned rows (and purged cases, whose own audit chains go with them) leave only this count."""

    __tablename__ = "retention_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    what: Mapped[str] = mapped_column(String(64))  # inbound_deliveries | outbox | inbox | … | case
    count: Mapped[int] = mapped_column(Integer)
    older_than: Mapped[datetime]  # the cut-off the rows were past
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # a purged case: tenant, ref, rows


class ConsoleStateEntry(Base):
    """What a console session needs after a restart (bot/console.py): its clock, each person's
    last card with buttons. Keyed by name: "clock", "card:<recipient>"."""

    __tablename__ = "console_state"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
