"""The tables, as SQLAlchemy Core.

Core tables rather than ORM classes because every write path is a bulk ``INSERT ... ON CONFLICT``
(executemany in large chunks) and every read path builds small frozen records; an identity map
would only cost time. The migration in ``migrations/versions`` is written by hand and must match
these definitions (``tests/test_store.py`` checks that with Alembic's autogenerate comparison).

Timestamps are float epoch seconds everywhere: events arrive that way, the catalog works in
them, and floats compare and aggregate the same on SQLite and PostgreSQL.
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
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

# Named constraints so that later migrations can drop or alter them on both dialects.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSONB on PostgreSQL: it has an equality operator, which the items upsert needs to detect
# unchanged rows (plain ``json`` has none).
# ``none_as_null``: a Python None is SQL NULL, not the JSON text ``null``.
JsonType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)
# SQLite only auto-increments an ``INTEGER PRIMARY KEY`` (the rowid alias).
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

ID_LEN = 128

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # Bumped in the same transaction as every items change; workers compare it with the
    # version their catalog snapshot was fitted on to know when to refit or reload.
    Column("catalog_version", Integer, nullable=False, server_default="0"),
    Column("created_at", Double, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # sha256 hex of the raw key: a leaked database does not leak usable keys.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scope", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("item_id", String(ID_LEN), primary_key=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("attributes", JsonType, nullable=False),
    Column("price", Double, nullable=True),
    Column("available", Boolean, nullable=False, server_default=true()),
    Column("url", Text, nullable=True),
    Column("updated_at", Double, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String(ID_LEN), primary_key=True),
    # Event time (the ``ts`` of the user's first and last events), not ingest time, so that an
    # imported history reads right.
    Column("first_seen", Double, nullable=False),
    Column("last_seen", Double, nullable=False),
    Column("event_count", Integer, nullable=False),
    Index("ix_users_workspace_id_event_count", "workspace_id", "event_count"),
)

# (name, columns, included columns, predicate) of the report's partial indexes on events.
REPORT_INDEXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "ix_events_report_prompt",
        ("workspace_id", "ts"),
        ("type", "context"),
        "type IN ('prompt_abandoned', 'prompt_shown')",
    ),
    (
        "ix_events_report_request",
        ("workspace_id", "request_id"),
        ("type",),
        "request_id IS NOT NULL",
    ),
    (
        "ix_events_report_conversion",
        ("workspace_id", "ts"),
        ("type", "id", "event_id", "value", "user_id", "request_id"),
        "type IN ('add_to_cart', 'complete', 'email_capture', 'purchase', 'trial_signup', "
        "'unsubscribe')",
    ),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(ID_LEN), nullable=False),
    Column("user_id", String(ID_LEN), nullable=False),
    Column("item_id", String(ID_LEN), nullable=True),
    Column("type", String(32), nullable=False),
    Column("value", Double, nullable=True),
    Column("ts", Double, nullable=False),
    Column("request_id", String(ID_LEN), nullable=True),
    Column("context", JsonType, nullable=True),
    # The idempotency key: a re-sent batch or file never double counts. On PostgreSQL the
    # table is partitioned by month on ts (migration 0007, store/partitions.py), and a
    # partitioned table's unique keys must hold the partition key, so the key there is
    # (workspace_id, event_id, ts) and the primary key (id, ts); the writer checks
    # (workspace_id, event_id) across months before inserting, so the guarantee is the same.
    UniqueConstraint("workspace_id", "event_id").ddl_if(dialect="sqlite"),
    UniqueConstraint("workspace_id", "event_id", "ts").ddl_if(dialect="postgresql"),
    # One user's history, newest first, is the hot read (enrich stage). There is deliberately
    # no (workspace_id, ts) index: the full scan by time happens once per fit, and every index
    # slows the bulk ingest.
    Index("ix_events_workspace_id_user_id_ts", "workspace_id", "user_id", "ts"),
    # PostgreSQL only (migration 0007): what the report reads, so that over millions of events
    # it scans these small partial indexes (index-only: past months' partitions are all-visible
    # once vacuumed) instead of every event. Each holds a few percent of the rows, so ingest
    # barely notices them. The type lists must stay those of ``tastemaker.measure.events``
    # (a test checks).
    *(
        Index(name, *cols, postgresql_include=list(include), postgresql_where=text(where)).ddl_if(
            dialect="postgresql"
        )
        for name, cols, include, where in REPORT_INDEXES
    ),
)

experiences = Table(
    "experiences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("spec", JsonType, nullable=False),
    # sha256 of the canonical JSON of ``spec``: saving an unchanged spec keeps its version.
    Column("spec_hash", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("workspace_id", "key", "version"),
)


def latest_experiences(ws_id: int, *columns: ColumnElement[Any]) -> Select[Any]:
    """``columns`` of the latest version of each of the workspace's experiences.

    Shared by the store's listing and the rollups' marking, which runs it inside a writer's
    transaction.
    """
    x = experiences
    latest = (
        select(x.c.key, func.max(x.c.version).label("version"))
        .where(x.c.workspace_id == ws_id)
        .group_by(x.c.key)
        .subquery()
    )
    return (
        select(*columns)
        .join(latest, (x.c.key == latest.c.key) & (x.c.version == latest.c.version))
        .where(x.c.workspace_id == ws_id)
    )


served = Table(
    "served",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("request_id", String(ID_LEN), nullable=False),
    Column("experience_key", String(64), nullable=False),
    Column("experience_version", Integer, nullable=False),
    Column("variant", String(64), nullable=False),
    Column("user_id", String(ID_LEN), nullable=True),
    Column("item_ids", JsonType, nullable=False),
    Column("fallback", Boolean, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("latency_ms", Double, nullable=True),
    UniqueConstraint("workspace_id", "request_id"),
    # The report reads the results served in its period (migration 0007).
    Index("ix_served_workspace_id_created_at", "workspace_id", "created_at"),
    # A percentile over many days: the rollups' histograms find the latency bucket holding the
    # rank, and this index the exact value inside it (migration 0009, store/rollups.py).
    Index(
        "ix_served_latency", "workspace_id", "experience_key", "variant", "latency_ms", "created_at"
    ),
)

# -- areas' tables ---------------------------------------------------------------------------
# Each area defines its tables in its own module on this ``metadata``; importing them here
# means anything that imports the models (Alembic's env, the schema test) sees every table.
from tastemaker.store import journey_tables as journey_tables  # noqa: E402
from tastemaker.store import measure_tables as measure_tables  # noqa: E402
from tastemaker.store import privacy_tables as privacy_tables  # noqa: E402
from tastemaker.store import rollup_tables as rollup_tables  # noqa: E402
from tastemaker.store.delivery_tables import define as _define_delivery  # noqa: E402
from tastemaker.store.person import register_person_table  # noqa: E402

webhook_endpoints, webhook_deliveries, webhook_attempts, saved_prompts = _define_delivery(metadata)
# Pending payloads and saved prompts name the person: export and erasure cover them (attempts
# go with their delivery by cascade).
register_person_table(webhook_deliveries)
register_person_table(saved_prompts)

# --- editorial control (issue 4): versioned assets, review queue, audit log -----------------------
# Defined in their own module; imported here so that they share ``metadata``.
from tastemaker.store.editorial_models import (  # noqa: E402, F401
    audit_log,
    review_queue,
    versioned_assets,
)
