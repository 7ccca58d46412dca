"""Privacy: consent history, remembered preferences, kept answers, policies, erasure receipts.

Self-contained like 0001 (it does not import the models). Its own branch off the initial schema.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_workspace_id_workspaces",
    )


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
        _fk("consents"),
    )
    op.create_index(
        "ix_consents_workspace_id_user_id_recorded_at",
        "consents",
        ["workspace_id", "user_id", "recorded_at"],
    )
    op.create_table(
        "preferences",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_preferences"),
        _fk("preferences"),
        sa.UniqueConstraint(
            "workspace_id",
            "user_id",
            "kind",
            "name",
            "value",
            name="uq_preferences_workspace_id_user_id_kind_name_value",
        ),
    )
    op.create_table(
        "answers",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("choice_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        _fk("answers"),
    )
    op.create_index("ix_answers_workspace_id_user_id", "answers", ["workspace_id", "user_id"])
    op.create_index("ix_answers_workspace_id_created_at", "answers", ["workspace_id", "created_at"])
    op.create_table(
        "privacy_policies",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("events_days", sa.Integer, nullable=True),
        sa.Column("answers_days", sa.Integer, nullable=True),
        sa.Column("memory_days", sa.Integer, nullable=False),
        sa.Column("default_history", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("default_memory", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("default_marketing", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_privacy_policies"),
        _fk("privacy_policies"),
    )
    op.create_table(
        "erasures",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("receipt_id", sa.String(32), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.Double, nullable=False),
        sa.Column("counts", JSON_T, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erasures"),
        _fk("erasures"),
        sa.UniqueConstraint("receipt_id", name="uq_erasures_receipt_id"),
    )


def downgrade() -> None:
    for table in ("erasures", "privacy_policies", "answers", "preferences", "consents"):
        op.drop_table(table)
