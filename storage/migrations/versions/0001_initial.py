"""Initial schema: directory, cases, evidence, handover, audit chain, timers, outbox, inbound dedup.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


# Constraint names follow models.Base.metadata's naming convention; alembic's operations do not
# apply it themselves, so they are spelled out here.


def _table(name: str, *items: sa.Column | sa.Constraint) -> None:
    pk = sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}"))
    op.create_table(name, sa.Column("id", ID, nullable=False), *items, pk)


def _ref(table: str, column: str, target: str, *, nullable: bool = False) -> sa.Column:
    fk = sa.ForeignKey(f"{target}.id", name=op.f(f"fk_{table}_{column}_{target}"))
    return sa.Column(column, ID, fk, nullable=nullable)


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def upgrade() -> None:
    _table(
        "tenants",
        sa.Column("key", sa.String(128), nullable=False),
        _unique("tenants", "key"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("hr_channel", sa.String(200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("case_seq", sa.Integer(), nullable=False),
    )
    _table(
        "people",
        _ref("people", "tenant_id", "tenants"),
        sa.Column("employee_no", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        _ref("people", "manager_id", "people", nullable=True),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _unique("people", "tenant_id", "employee_no"),
    )
    op.create_index(op.f("ix_people_tenant_id"), "people", ["tenant_id"])
    _table(
        "identities",
        _ref("identities", "person_id", "people"),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("platform_tenant", sa.String(128), nullable=False),
        sa.Column("platform_user_id", sa.String(128), nullable=False),
        _unique("identities", "platform", "platform_tenant", "platform_user_id"),
    )
    op.create_index(op.f("ix_identities_person_id"), "identities", ["person_id"])
    _table(
        "cases",
        _ref("cases", "tenant_id", "tenants"),
        sa.Column("ref", sa.String(32), nullable=False),
        _ref("cases", "employee_id", "people"),
        _ref("cases", "manager_id", "people"),
        _ref("cases", "opened_by_id", "people"),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("facts_confirmed", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("state_entered_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        _unique("cases", "tenant_id", "ref"),
    )
    op.create_index(op.f("ix_cases_employee_id"), "cases", ["employee_id"])
    op.create_index(op.f("ix_cases_manager_id"), "cases", ["manager_id"])
    op.create_index("ix_cases_tenant_state", "cases", ["tenant_id", "state"])
    _table(
        "evidence",
        _ref("evidence", "case_id", "cases"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _ref("evidence", "added_by_id", "people"),
        sa.Column("added_at", UTC, nullable=False),
    )
    op.create_index(op.f("ix_evidence_case_id"), "evidence", ["case_id"])
    _table(
        "handover_items",
        _ref("handover_items", "case_id", "cases"),
        sa.Column("kind", sa.String(64), nullable=False),
        _ref("handover_items", "owner_id", "people"),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        _ref("handover_items", "done_by_id", "people", nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_handover_items_case_id"), "handover_items", ["case_id"])
    op.create_index(op.f("ix_handover_items_owner_id"), "handover_items", ["owner_id"])
    _table(
        "audit_events",
        _ref("audit_events", "case_id", "cases"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        _ref("audit_events", "actor_id", "people", nullable=True),
        sa.Column("actor_identity", sa.String(300), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _unique("audit_events", "case_id", "seq"),
    )
    op.create_index(op.f("ix_audit_events_case_id"), "audit_events", ["case_id"])
    _table(
        "timers",
        _ref("timers", "case_id", "cases"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fired_at", UTC, nullable=True),
        sa.Column("claimed_until", UTC, nullable=True),
        _unique("timers", "case_id", "kind", "case_version"),
    )
    op.create_index(op.f("ix_timers_case_id"), "timers", ["case_id"])
    pending_timer = sa.text("fired_at IS NULL")
    op.create_index(
        "ix_timers_pending_due",
        "timers",
        ["due_at"],
        postgresql_where=pending_timer,
        sqlite_where=pending_timer,
    )
    _table(
        "outbox",
        sa.Column("dedup_key", sa.String(300), nullable=False),
        _unique("outbox", "dedup_key"),
        _ref("outbox", "tenant_id", "tenants"),
        _ref("outbox", "case_id", "cases", nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("dead_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("platform_ref", sa.JSON(), nullable=False),
    )
    op.create_index(op.f("ix_outbox_case_id"), "outbox", ["case_id"])
    pending_message = sa.text("sent_at IS NULL AND dead_at IS NULL")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=pending_message,
        sqlite_where=pending_message,
    )
    _table(
        "inbound_deliveries",
        sa.Column("delivery_id", sa.String(300), nullable=False),
        _unique("inbound_deliveries", "delivery_id"),
        sa.Column("received_at", UTC, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "inbound_deliveries",
        "outbox",
        "timers",
        "audit_events",
        "handover_items",
        "evidence",
        "cases",
        "identities",
        "people",
        "tenants",
    ):
        op.drop_table(table)  # their indexes go with them
