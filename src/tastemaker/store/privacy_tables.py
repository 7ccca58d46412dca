"""The privacy area's tables: consent history, remembered preferences, kept answers, policies.

Kept in their own module (imported by ``models.py`` so that they share its ``metadata``) and
their own migration branch (``0002_privacy``), so the area can evolve without touching the
initial schema. Every table that holds a person is registered in :mod:`tastemaker.store.person`
so that export and erasure cover it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from tastemaker.store.models import ID_LEN, BigId, JsonType, events, metadata, served, users
from tastemaker.store.person import register_person_table


def _workspace_fk() -> Column[int]:
    return Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    )


# Append-only: every change is a new row, so the history of who agreed to what, when and
# through which channel is itself kept (GDPR art. 7(1): the controller must be able to show it).
consents = Table(
    "consents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("user_id", String(ID_LEN), nullable=False),
    Column("purpose", String(16), nullable=False),  # history | memory | marketing
    Column("granted", Boolean, nullable=False),
    Column("source", String(64), nullable=False),  # api | widget | cli | import ...
    Column("recorded_at", Double, nullable=False),
    Index("ix_consents_workspace_id_user_id_recorded_at", "workspace_id", "user_id", "recorded_at"),
)

# What we remember about a person: one row per remembered fact, each with its own expiry so
# that a budget stated a year ago does not quietly shape today's answer.
preferences = Table(
    "preferences",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("user_id", String(ID_LEN), nullable=False),
    Column("kind", String(16), nullable=False),  # taste | avoid | size | budget
    Column("name", String(64), nullable=False),  # the attribute it is about (genre, price ...)
    Column("value", String(200), nullable=False),
    Column("source", String(64), nullable=False),  # the experience that heard it
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    UniqueConstraint("workspace_id", "user_id", "kind", "name", "value"),
)

# Answers kept under memory consent (redacted text only: capture removed identifiers first).
answers = Table(
    "answers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("user_id", String(ID_LEN), nullable=False),
    Column("request_id", String(ID_LEN), nullable=False),
    Column("experience_key", String(64), nullable=False),
    Column("choice_id", String(64), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_answers_workspace_id_user_id", "workspace_id", "user_id"),
    Index("ix_answers_workspace_id_created_at", "workspace_id", "created_at"),
)

# One row per workspace that changed the defaults; a workspace without one uses DEFAULT_POLICY.
privacy_policies = Table(
    "privacy_policies",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("events_days", Integer, nullable=True),  # None: kept until erased
    Column("answers_days", Integer, nullable=True),
    Column("memory_days", Integer, nullable=False),
    Column("default_history", Boolean, nullable=False, server_default=true()),
    Column("default_memory", Boolean, nullable=False, server_default=false()),
    Column("default_marketing", Boolean, nullable=False, server_default=false()),
    Column("updated_at", Double, nullable=False),
)

# Receipts of erasures. The person is named only by a keyed hash (workspace id + user id), so
# an operator who is asked again can show the erasure happened without keeping the id itself.
erasures = Table(
    "erasures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("receipt_id", String(32), nullable=False, unique=True),
    Column("subject_hash", String(64), nullable=False),
    Column("erased_at", Double, nullable=False),
    Column("counts", JsonType, nullable=False),
)


# Every table that names a person. Other areas register theirs next to their own definitions.
register_person_table(events)
register_person_table(users)
# Served results feed experiment totals; erasure keeps the row and forgets whose it was.
register_person_table(served, on_erase="anonymize")
register_person_table(consents)
register_person_table(preferences)
register_person_table(answers)
