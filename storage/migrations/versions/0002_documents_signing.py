"""Documents, signing tokens and signature records (issue 5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


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
        "documents",
        _ref("documents", "case_id", "cases"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _unique("documents", "case_id", "version", "kind", "locale"),
    )
    op.create_index(op.f("ix_documents_case_id"), "documents", ["case_id"])
    _table(
        "signing_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _unique("signing_tokens", "token_hash"),
        _ref("signing_tokens", "case_id", "cases"),
        _ref("signing_tokens", "person_id", "people"),
        sa.Column("identity", sa.String(300), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("opened_at", UTC, nullable=True),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("used_for", sa.String(16), nullable=False),
    )
    op.create_index(op.f("ix_signing_tokens_case_id"), "signing_tokens", ["case_id"])
    _table(
        "signatures",
        _ref("signatures", "case_id", "cases"),
        _ref("signatures", "person_id", "people"),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("signed_at", UTC, nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("seal", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_signatures_case_id"), "signatures", ["case_id"])


def downgrade() -> None:
    for table in ("signatures", "signing_tokens", "documents"):
        op.drop_table(table)  # their indexes go with them
