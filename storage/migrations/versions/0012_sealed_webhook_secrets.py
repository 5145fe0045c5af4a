"""Webhook signing secrets are kept encrypted (storage/sealed.py), as Slack tokens are: the column
takes the longer ciphertext and the secrets stored in clear are sealed (issue 17).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage import sealed

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# A frozen view of the table: only the two columns this migration reads and writes.
SUBSCRIPTIONS = sa.table("webhook_subscriptions", sa.column("id", sa.BigInteger()), sa.column("secret", sa.Text()))


def _rewrite(change: str) -> None:
    """Seal (or unseal) every stored secret, in this migration's transaction."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.secret)).all()
    clear = [(id_, secret) for id_, secret in rows if secret and not secret.startswith(sealed.PREFIX)]
    stored = [(id_, secret) for id_, secret in rows if secret and secret.startswith(sealed.PREFIX)]
    todo = clear if change == "seal" else stored
    if todo and sealed.cipher() is None:
        raise sealed.KeyMissing(f"{len(todo)} webhook secret(s) to {change}: set SECRET_KEYS (Fernet keys, as "
                                "SLACK_TOKEN_KEYS) and run `python -m bot db upgrade` again")
    for id_, secret in todo:
        value = sealed.seal(secret) if change == "seal" else sealed.unseal(secret)
        connection.execute(sa.update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == id_).values(secret=value))


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=False)
    _rewrite("seal")


def downgrade() -> None:
    _rewrite("unseal")
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=False)
