"""The inbox: platform requests acknowledged at once and handled by the worker (issue 6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("delivery_id", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("lane", sa.String(300), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("dead_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_inbox_delivery_id")),
    )
    live = sa.text("dead_at IS NULL")
    op.create_index("ix_inbox_live_lane", "inbox", ["lane", "id"],
                    postgresql_where=live, sqlite_where=live)


def downgrade() -> None:
    op.drop_index("ix_inbox_live_lane", table_name="inbox")
    op.drop_table("inbox")
