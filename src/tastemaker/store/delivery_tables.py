"""Tables of syndication: webhook endpoints, deliveries and their receipts, saved prompts.

Imported by :mod:`tastemaker.store.models` so that they share its ``metadata``; created by the
migration ``0006_delivery``. ``webhook_deliveries.user_id`` and ``saved_prompts.user_id`` name
the person a pending payload or a schedule is about, so erasure can find them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

# The same column types as models.py (kept here so this module does not import it back).
JsonType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
ID_LEN = 128


def define(metadata: MetaData) -> tuple[Table, Table, Table, Table]:
    """The four tables, added to ``metadata``."""
    endpoints = Table(
        "webhook_endpoints",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "workspace_id",
            Integer,
            ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("name", String(64), nullable=False),
        Column("url", Text, nullable=False),
        Column("channels", JsonType, nullable=False),  # which renderings the receiver wants
        # Signing secrets, newest first; more than one while a key is being rotated.
        Column("secrets", JsonType, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created_at", Double, nullable=False),
        UniqueConstraint("workspace_id", "name"),
    )
    deliveries = Table(
        "webhook_deliveries",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column(
            "workspace_id",
            Integer,
            ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column(
            "endpoint_id",
            Integer,
            ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # The Standard Webhooks ``webhook-id``: the same on every retry, so receivers dedupe.
        Column("msg_id", String(64), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("user_id", String(ID_LEN), nullable=True),
        Column("request_id", String(ID_LEN), nullable=True),
        Column("body", Text, nullable=False),  # the exact bytes that are signed and sent
        Column("status", String(16), nullable=False),  # pending | delivered | dead
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", Double, nullable=False),
        Column("last_status", Integer, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("created_at", Double, nullable=False),
        Column("delivered_at", Double, nullable=True),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_workspace_id_user_id", "workspace_id", "user_id"),
    )
    attempts = Table(
        "webhook_attempts",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column(
            "delivery_id",
            BigId,
            ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("attempt", Integer, nullable=False),
        Column("at", Double, nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("error", Text, nullable=True),
        Column("duration_ms", Double, nullable=False),
        Column("response", Text, nullable=True),  # the start of the receiver's answer
    )
    saved = Table(
        "saved_prompts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "workspace_id",
            Integer,
            ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("user_id", String(ID_LEN), nullable=False),
        Column("experience_key", String(64), nullable=False),
        Column("choice", String(64), nullable=True),
        Column("text", Text, nullable=True),
        Column("cadence", String(16), nullable=False),  # daily | weekly
        Column("next_run_at", Double, nullable=False),
        Column("last_run_at", Double, nullable=True),
        Column("last_request_id", String(ID_LEN), nullable=True),
        Column("sent_item_ids", JsonType, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created_at", Double, nullable=False),
        UniqueConstraint("workspace_id", "user_id", "experience_key"),
        Index("ix_saved_prompts_active_next_run_at", "active", "next_run_at"),
    )
    return endpoints, deliveries, attempts, saved
