"""The console keeps its clock and each person's last card across restarts (issue 16).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# A frozen copy of the model type: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_state",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_state")),
        sa.UniqueConstraint("key", name=op.f("uq_console_state_key")),
    )


def downgrade() -> None:
    op.drop_table("console_state")
