"""A timer may belong to a workspace instead of a case: the weekly HR digest (issue 17).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# A frozen copy of the model type: a migration must not change when models.py does later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("fired_at IS NULL")


def upgrade() -> None:
    # SQLite alters a column by copying the table: the partial index is rebuilt by hand after.
    op.drop_index("ix_timers_pending_due", table_name="timers")
    with op.batch_alter_table("timers") as batch:
        batch.alter_column("case_id", existing_type=ID, nullable=True)
        batch.add_column(sa.Column("tenant_id", ID, nullable=True))
        batch.create_foreign_key(op.f("fk_timers_tenant_id_tenants"), "tenants", ["tenant_id"], ["id"])
        batch.create_index(op.f("ix_timers_tenant_id"), ["tenant_id"])
        # One workspace timer of a kind per due time: replicas arming at once insert it once.
        batch.create_unique_constraint(op.f("uq_timers_tenant_id_kind_due_at"), ["tenant_id", "kind", "due_at"])
    op.create_index("ix_timers_pending_due", "timers", ["due_at"], postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM timers WHERE case_id IS NULL"))
    op.drop_index("ix_timers_pending_due", table_name="timers")
    with op.batch_alter_table("timers") as batch:
        batch.drop_constraint(op.f("uq_timers_tenant_id_kind_due_at"), type_="unique")
        batch.drop_index(op.f("ix_timers_tenant_id"))
        batch.drop_constraint(op.f("fk_timers_tenant_id_tenants"), type_="foreignkey")
        batch.drop_column("tenant_id")
        batch.alter_column("case_id", existing_type=ID, nullable=False)
    op.create_index("ix_timers_pending_due", "timers", ["due_at"], postgresql_where=PENDING, sqlite_where=PENDING)
