"""Editorial control: versioned assets (brand kits, templates), the copy review queue, audit log.

Self-contained like 0001 (it does not import the models).

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=f"fk_{table}_workspace_id_workspaces",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "versioned_assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", JSON_T, nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_versioned_assets"),
        _workspace_fk("versioned_assets"),
        sa.UniqueConstraint(
            "workspace_id",
            "kind",
            "key",
            "version",
            name="uq_versioned_assets_workspace_id_kind_key_version",
        ),
    )
    op.create_table(
        "review_queue",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("answer_key", sa.String(64), nullable=False),
        sa.Column("answer_text", sa.String(300), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed", JSON_T, nullable=False),
        sa.Column("final", JSON_T, nullable=True),
        sa.Column("reasons", JSON_T, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("decided_at", sa.Double, nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_review_queue"),
        _workspace_fk("review_queue"),
        sa.UniqueConstraint(
            "workspace_id",
            "experience_key",
            "answer_key",
            name="uq_review_queue_workspace_id_experience_key_answer_key",
        ),
    )
    op.create_index(
        "ix_review_queue_workspace_id_status_created_at",
        "review_queue",
        ["workspace_id", "status", "created_at"],
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", JSON_T, nullable=True),
        sa.Column("ts", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        _workspace_fk("audit_log"),
    )
    op.create_index("ix_audit_log_workspace_id_ts", "audit_log", ["workspace_id", "ts"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_workspace_id_ts", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_review_queue_workspace_id_status_created_at", table_name="review_queue")
    op.drop_table("review_queue")
    op.drop_table("versioned_assets")
