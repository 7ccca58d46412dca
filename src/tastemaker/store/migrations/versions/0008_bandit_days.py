"""Console charts: pulls and rewards of each bandit arm per UTC day.

``bandit_stats`` keeps running totals only (what the policy needs); the console's arm-share
chart needs them by day. Its own branch off the initial schema (``Store.migrate`` upgrades every
head). Written by hand and self-contained, like ``0001``.

Revision ID: 0008
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0001"
branch_labels: tuple[str, ...] | None = ("console",)
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "bandit_days",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("bandit", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(64), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("pulls", sa.Double, nullable=False),
        sa.Column("rewards", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "bandit", "arm", "day", name="pk_bandit_days"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_bandit_days_workspace_id_workspaces",
        ),
    )


def downgrade() -> None:
    op.drop_table("bandit_days")
