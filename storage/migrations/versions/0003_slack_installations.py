"""Slack app installations and OAuth states for multi-workspace mode (issue 3).

The tables have the names and columns slack-sdk's AsyncSQLAlchemyInstallationStore and
AsyncSQLAlchemyOAuthStateStore use, so those stores run on our database unchanged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of the column types: naive UTC times, as slack-sdk writes them.
NAIVE = sa.DateTime()


def _table(name: str, *items: sa.Column | sa.Index) -> None:
    pk = sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}"))
    op.create_table(name, sa.Column("id", sa.Integer(), nullable=False), *items, pk)


def _text(name: str, length: int, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _bot_columns() -> list[sa.Column]:
    """The columns slack_installations and slack_bots share, in slack-sdk's order."""
    return [
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
    ]


def _bot_token_columns() -> list[sa.Column]:
    return [
        _text("team_id", 32),
        _text("team_name", 200),
        _text("bot_token", 200),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _text("bot_refresh_token", 200),
        sa.Column("bot_token_expires_at", NAIVE, nullable=True),
    ]


def upgrade() -> None:
    _table(
        "slack_installations",
        *_bot_columns(),
        _text("enterprise_url", 200),
        *_bot_token_columns(),
        _text("user_id", 32, nullable=False),
        _text("user_token", 200),
        _text("user_scopes", 1000),
        _text("user_refresh_token", 200),
        sa.Column("user_token_expires_at", NAIVE, nullable=True),
        _text("incoming_webhook_url", 200),
        _text("incoming_webhook_channel", 200),
        _text("incoming_webhook_channel_id", 200),
        _text("incoming_webhook_configuration_url", 200),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _text("token_type", 32),
        sa.Column("installed_at", NAIVE, nullable=False),
    )
    op.create_index(
        "slack_installations_idx", "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    _table(
        "slack_bots",
        *_bot_columns(),
        *_bot_token_columns(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", NAIVE, nullable=False),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    _table(
        "slack_oauth_states",
        _text("state", 200, nullable=False),
        sa.Column("expire_at", NAIVE, nullable=False),
    )


def downgrade() -> None:
    for table in ("slack_oauth_states", "slack_bots", "slack_installations"):
        op.drop_table(table)  # their indexes go with them
