"""Measure: identities (session stitching), prompt answers, remembered preferences.

Its own branch off 0001 (each area migrates independently; ``Store.migrate()`` upgrades every
head). Self-contained like 0001, so it keeps describing this revision when the models move on.

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

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
        "identities",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("anonymous_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("linked_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "anonymous_id", name="pk_identities"),
        _workspace_fk("identities"),
    )
    op.create_index("ix_identities_workspace_id_user_id", "identities", ["workspace_id", "user_id"])
    op.create_table(
        "prompt_answers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_request_id", sa.String(128), nullable=True),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("choice_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("confidence", sa.Double, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_answers"),
        sa.UniqueConstraint(
            "workspace_id", "request_id", name="uq_prompt_answers_workspace_id_request_id"
        ),
        _workspace_fk("prompt_answers"),
    )
    op.create_index(
        "ix_prompt_answers_workspace_id_user_id", "prompt_answers", ["workspace_id", "user_id"]
    )
    op.create_table(
        "saved_answers",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("question", sa.String(16), nullable=False),
        sa.Column("choice_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "user_id", "experience_key", "question", name="pk_saved_answers"
        ),
        _workspace_fk("saved_answers"),
    )
    op.create_index(
        "ix_served_workspace_id_user_id_created_at",
        "served",
        ["workspace_id", "user_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_served_workspace_id_user_id_created_at", table_name="served")
    op.drop_table("saved_answers")
    op.drop_index("ix_prompt_answers_workspace_id_user_id", table_name="prompt_answers")
    op.drop_table("prompt_answers")
    op.drop_index("ix_identities_workspace_id_user_id", table_name="identities")
    op.drop_table("identities")
