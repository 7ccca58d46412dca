"""Initial schema: workspaces, api keys, items, users, events, experiences, served.

Written by hand and self-contained (it does not import ``tastemaker.store.models``), so that it
keeps describing this revision when the models move on.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("catalog_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_api_keys_workspace_id_workspaces",
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_workspace_id", "api_keys", ["workspace_id"])
    op.create_table(
        "items",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("attributes", JSON_T, nullable=False),
        sa.Column("price", sa.Double, nullable=True),
        sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "item_id", name="pk_items"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_items_workspace_id_workspaces",
        ),
    )
    op.create_table(
        "users",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("first_seen", sa.Double, nullable=False),
        sa.Column("last_seen", sa.Double, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name="pk_users"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_users_workspace_id_workspaces",
        ),
    )
    op.create_index("ix_users_workspace_id_event_count", "users", ["workspace_id", "event_count"])
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("ts", sa.Double, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("context", JSON_T, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_events_workspace_id_workspaces",
        ),
        sa.UniqueConstraint("workspace_id", "event_id", name="uq_events_workspace_id_event_id"),
    )
    op.create_index(
        "ix_events_workspace_id_user_id_ts", "events", ["workspace_id", "user_id", "ts"]
    )
    op.create_table(
        "experiences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", JSON_T, nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiences"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_experiences_workspace_id_workspaces",
        ),
        sa.UniqueConstraint(
            "workspace_id", "key", "version", name="uq_experiences_workspace_id_key_version"
        ),
    )
    op.create_table(
        "served",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("experience_version", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("item_ids", JSON_T, nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("latency_ms", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_served"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name="fk_served_workspace_id_workspaces",
        ),
        sa.UniqueConstraint("workspace_id", "request_id", name="uq_served_workspace_id_request_id"),
    )


def downgrade() -> None:
    for table in ("served", "experiences", "events", "users", "items", "api_keys", "workspaces"):
        op.drop_table(table)
