"""Timers count failed firings and go dead after the last one, as inbox and outbox rows do (issue 12).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Server defaults fill the rows already there (SQLite adds a NOT NULL column only with one).
    op.add_column("timers", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("timers", sa.Column("dead_at", UTC, nullable=True))
    op.add_column("timers", sa.Column("last_error", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    for column in ("last_error", "dead_at", "attempts"):
        op.drop_column("timers", column)
