"""Measurement: experiments, the workspace holdout, exposures and bandit statistics.

Its own branch off the initial schema (see ``Store.migrate``). Written by hand and
self-contained, like ``0001``.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_workspace_id_workspaces",
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("spec", JSON_T, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiments"),
        _fk("experiments"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_experiments_workspace_id_key"),
    )
    op.create_table(
        "holdouts",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("share", sa.Double, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_holdouts"),
        _fk("holdouts"),
    )
    op.create_table(
        "exposures",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("experiment_key", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(128), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("first_ts", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "experiment_key", "unit_id", name="pk_exposures"),
        _fk("exposures"),
    )
    op.create_index(
        "ix_exposures_workspace_id_experiment_key_variant",
        "exposures",
        ["workspace_id", "experiment_key", "variant"],
    )
    op.create_table(
        "bandit_stats",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("bandit", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(64), nullable=False),
        sa.Column("stat", sa.String(32), nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "bandit", "arm", "stat", name="pk_bandit_stats"),
        _fk("bandit_stats"),
    )


def downgrade() -> None:
    for table in ("bandit_stats", "exposures", "holdouts", "experiments"):
        op.drop_table(table)
