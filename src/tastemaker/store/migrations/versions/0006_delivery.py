"""Syndication: webhook endpoints, deliveries and their receipts, saved prompts.

Its own branch off the initial schema (``Store.migrate`` upgrades every head). Written by hand
and self-contained, like 0001.

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_workspace_id_workspaces",
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("channels", JSON_T, nullable=False),
        sa.Column("secrets", JSON_T, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        _workspace_fk("webhook_endpoints"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_webhook_endpoints_workspace_id_name"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("endpoint_id", sa.Integer, nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Double, nullable=False),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("delivered_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        _workspace_fk("webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            ondelete="CASCADE",
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
        ),
        sa.UniqueConstraint("msg_id", name="uq_webhook_deliveries_msg_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_webhook_deliveries_workspace_id_user_id",
        "webhook_deliveries",
        ["workspace_id", "user_id"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Double, nullable=False),
        sa.Column("response", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            ondelete="CASCADE",
            name="fk_webhook_attempts_delivery_id_webhook_deliveries",
        ),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])
    op.create_table(
        "saved_prompts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("choice", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("next_run_at", sa.Double, nullable=False),
        sa.Column("last_run_at", sa.Double, nullable=True),
        sa.Column("last_request_id", sa.String(128), nullable=True),
        sa.Column("sent_item_ids", JSON_T, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_prompts"),
        _workspace_fk("saved_prompts"),
        sa.UniqueConstraint(
            "workspace_id",
            "user_id",
            "experience_key",
            name="uq_saved_prompts_workspace_id_user_id_experience_key",
        ),
    )
    op.create_index(
        "ix_saved_prompts_active_next_run_at", "saved_prompts", ["active", "next_run_at"]
    )


def downgrade() -> None:
    op.drop_table("saved_prompts")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
