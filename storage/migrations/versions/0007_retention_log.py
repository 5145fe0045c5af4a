"""The retention job's own log: each prune with its count (issue 14).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("what", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("older_than", UTC, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_log")),
    )


def downgrade() -> None:
    op.drop_table("retention_log")
