"""Delegates, snoozes and each person's time zone and working hours (issue 17).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does later.
UTC = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("delegate_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("delegate_until", UTC, nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("work_hours", sa.String(16), nullable=False, server_default=""))
        batch.create_foreign_key("fk_people_delegate_id_people", "people", ["delegate_id"], ["id"])
    op.create_table(
        "snoozes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("until", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_snoozes_case_id_cases"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_snoozes_person_id_people"),
        sa.PrimaryKeyConstraint("id", name="pk_snoozes"),
        sa.UniqueConstraint("case_id", "person_id", name="uq_snoozes_case_id_person_id"),
    )
    op.create_index("ix_snoozes_case_id", "snoozes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_snoozes_case_id", table_name="snoozes")
    op.drop_table("snoozes")
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("fk_people_delegate_id_people", type_="foreignkey")
        for column in ("work_hours", "timezone", "delegate_until", "delegate_id"):
            batch.drop_column(column)
