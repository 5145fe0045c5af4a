"""A case's row holds the head (last seq and hash) of its audit chain (issue 15).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # frozen here: a migration must not change when models.py does later


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("audit_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("audit_hash", sa.String(64), nullable=False, server_default=GENESIS))
    op.execute(sa.text(
        "UPDATE cases SET"
        " audit_seq = COALESCE((SELECT max(e.seq) FROM audit_events e WHERE e.case_id = cases.id), 0),"
        " audit_hash = COALESCE((SELECT e.hash FROM audit_events e WHERE e.case_id = cases.id"
        " ORDER BY e.seq DESC LIMIT 1), :genesis)").bindparams(genesis=GENESIS))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("audit_hash")
        batch.drop_column("audit_seq")
