"""The directory holds the dates the law reads from a contract and a person (issue 13): birth date and
retirement category (Art. 42(5), 44(2)), contract start and end, probation end (Art. 19, 44(1)).
They prefill a new case's facts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DATES = ("birth_date", "contract_start", "contract_end", "probation_end")


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        for column in DATES:
            batch.add_column(sa.Column(column, sa.Date(), nullable=True))
        batch.add_column(sa.Column("retirement_category", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        for column in ("retirement_category", *reversed(DATES)):
            batch.drop_column(column)
