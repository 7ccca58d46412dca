"""Tables of editorial control: versioned assets, the copy review queue, the audit log.

Imported by :mod:`tastemaker.store.models` so that they share its ``metadata`` (and the
migration check); created by migration ``0004_copy_review``.
"""

from __future__ import annotations

from sqlalchemy import Column, Double, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from tastemaker.store.models import ID_LEN, BigId, JsonType, metadata

# Brand kits and templates, one row per saved version (experiences keep their own table).
versioned_assets = Table(
    "versioned_assets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(32), nullable=False),  # "brand_kit" | "template"
    Column("key", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", JsonType, nullable=False),
    # sha256 of the canonical JSON: saving an unchanged body keeps its version
    Column("body_hash", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("created_by", String(ID_LEN), nullable=False),
    UniqueConstraint("workspace_id", "kind", "key", "version"),
)

# Copy waiting for an editor, one row per (experience, answer): the same answer asked again
# while its copy waits does not queue it twice, and its approved copy is reused.
review_queue = Table(
    "review_queue",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("experience_key", String(64), nullable=False),
    Column("answer_key", String(64), nullable=False),
    Column("answer_text", String(300), nullable=False),  # the choice id or redacted text
    Column("request_id", String(ID_LEN), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected
    Column("proposed", JsonType, nullable=False),  # the copy as written
    Column("final", JsonType, nullable=True),  # the copy as approved (maybe edited)
    Column("reasons", JsonType, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("decided_at", Double, nullable=True),
    Column("decided_by", String(ID_LEN), nullable=True),
    UniqueConstraint("workspace_id", "experience_key", "answer_key"),
    Index("ix_review_queue_workspace_id_status_created_at", "workspace_id", "status", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("actor", String(ID_LEN), nullable=False),  # "key:<sha256 prefix>" | "cli:<user>"
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", JsonType, nullable=True),
    Column("ts", Double, nullable=False),
    Index("ix_audit_log_workspace_id_ts", "workspace_id", "ts"),
)
