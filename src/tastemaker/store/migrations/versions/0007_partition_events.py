"""Events partitioned by month on PostgreSQL, and the indexes the report reads.

``events`` becomes ``PARTITIONED BY RANGE (ts)``: one partition per UTC month that holds rows
(the writer creates later months on demand, :mod:`tastemaker.store.partitions`) plus a DEFAULT
partition. PostgreSQL requires every unique constraint of a partitioned table to contain the
partition key, so the primary key becomes ``(id, ts)`` and the idempotency key
``(workspace_id, event_id, ts)``; the writer keeps a re-sent event with another ``ts`` out by
checking ``(workspace_id, event_id)`` first (same index, leading columns).

Also (PostgreSQL only) three small partial indexes covering what the metrics report reads of
events, and (both dialects) an index on served results by time.

Existing rows are copied into the new table inside the migration's transaction, keeping their
ids and the id sequence. Self-contained, like 0001: it does not import the package's helpers.

Revision ID: 0007
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

revision = "0007"
down_revision: str | None = "0001"
branch_labels: tuple[str, ...] | None = ("events_partitions",)
depends_on: str | None = None

COLUMNS = "id, workspace_id, event_id, user_id, item_id, type, value, ts, request_id, context"
# Months before this or more than a year ahead of now stay in DEFAULT (as the writer does).
FIRST_MONTH = datetime(2000, 1, 1, tzinfo=UTC).timestamp()


# The report's partial indexes (what it reads of events; see store/models.py).
REPORT_INDEXES = (
    (
        "ix_events_report_prompt",
        "workspace_id, ts",
        "type, context",
        "WHERE type IN ('prompt_abandoned', 'prompt_shown')",
    ),
    (
        "ix_events_report_request",
        "workspace_id, request_id",
        "type",
        "WHERE request_id IS NOT NULL",
    ),
    (
        "ix_events_report_conversion",
        "workspace_id, ts",
        "type, id, event_id, value, user_id, request_id",
        "WHERE type IN ('add_to_cart', 'complete', 'email_capture', 'purchase', "
        "'trial_signup', 'unsubscribe')",
    ),
)


def _next_month(start: float) -> float:
    d = datetime.fromtimestamp(start, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()


def upgrade() -> None:
    # Both dialects: the report reads the results served in its period.
    op.create_index("ix_served_workspace_id_created_at", "served", ["workspace_id", "created_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    conn = op.get_bind()
    for sql in (
        "ALTER TABLE events RENAME TO events_unpartitioned",
        "ALTER INDEX pk_events RENAME TO pk_events_unpartitioned",
        "ALTER INDEX uq_events_workspace_id_event_id RENAME TO uq_events_unpartitioned",
        "ALTER INDEX ix_events_workspace_id_user_id_ts RENAME TO ix_events_unpartitioned",
        "ALTER TABLE events_unpartitioned RENAME CONSTRAINT fk_events_workspace_id_workspaces "
        "TO fk_events_unpartitioned_workspace_id",
        """
        CREATE TABLE events (
            id bigint NOT NULL DEFAULT nextval('events_id_seq'::regclass),
            workspace_id integer NOT NULL,
            event_id varchar(128) NOT NULL,
            user_id varchar(128) NOT NULL,
            item_id varchar(128),
            type varchar(32) NOT NULL,
            value double precision,
            ts double precision NOT NULL,
            request_id varchar(128),
            context jsonb,
            CONSTRAINT pk_events PRIMARY KEY (id, ts),
            CONSTRAINT uq_events_workspace_id_event_id_ts UNIQUE (workspace_id, event_id, ts),
            CONSTRAINT fk_events_workspace_id_workspaces FOREIGN KEY (workspace_id)
                REFERENCES workspaces (id) ON DELETE CASCADE
        ) PARTITION BY RANGE (ts)
        """,
        "CREATE TABLE events_default PARTITION OF events DEFAULT",
    ):
        conn.execute(text(sql))
    horizon = datetime.now(UTC).timestamp() + 366 * 86400.0
    months = conn.execute(
        text(
            "SELECT DISTINCT extract(epoch FROM date_trunc('month', to_timestamp(ts), 'UTC'))"
            "::float8 FROM events_unpartitioned WHERE ts >= :a AND ts < :b"
        ),
        {"a": FIRST_MONTH, "b": horizon},
    ).scalars()
    for start in sorted(months):
        d = datetime.fromtimestamp(start, UTC)
        conn.execute(
            text(
                f"CREATE TABLE events_p{d.year:04d}_{d.month:02d} PARTITION OF events "
                f"FOR VALUES FROM ({start!r}) TO ({_next_month(start)!r})"
            )
        )
    conn.execute(text(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_unpartitioned"))
    conn.execute(text("ALTER SEQUENCE events_id_seq OWNED BY events.id"))
    conn.execute(text("DROP TABLE events_unpartitioned"))
    conn.execute(
        text("CREATE INDEX ix_events_workspace_id_user_id_ts ON events (workspace_id, user_id, ts)")
    )
    for name, columns, include, where in REPORT_INDEXES:
        conn.execute(text(f"CREATE INDEX {name} ON events ({columns}) INCLUDE ({include}) {where}"))


def downgrade() -> None:
    op.drop_index("ix_served_workspace_id_created_at", table_name="served")
    if op.get_bind().dialect.name != "postgresql":
        return
    conn = op.get_bind()
    for sql in (
        "ALTER TABLE events RENAME TO events_partitioned",
        "ALTER INDEX pk_events RENAME TO pk_events_partitioned",
        "ALTER INDEX ix_events_workspace_id_user_id_ts RENAME TO ix_events_partitioned",
        """
        CREATE TABLE events (
            id bigint NOT NULL DEFAULT nextval('events_id_seq'::regclass),
            workspace_id integer NOT NULL,
            event_id varchar(128) NOT NULL,
            user_id varchar(128) NOT NULL,
            item_id varchar(128),
            type varchar(32) NOT NULL,
            value double precision,
            ts double precision NOT NULL,
            request_id varchar(128),
            context jsonb,
            CONSTRAINT pk_events PRIMARY KEY (id),
            CONSTRAINT uq_events_workspace_id_event_id UNIQUE (workspace_id, event_id),
            CONSTRAINT fk_events_workspace_id_workspaces FOREIGN KEY (workspace_id)
                REFERENCES workspaces (id) ON DELETE CASCADE
        )
        """,
        # The old key is narrower: of events re-sent with another ts, the first stored stays.
        f"INSERT INTO events ({COLUMNS}) SELECT DISTINCT ON (workspace_id, event_id) {COLUMNS} "
        "FROM events_partitioned ORDER BY workspace_id, event_id, id",
        "ALTER SEQUENCE events_id_seq OWNED BY events.id",
        "DROP TABLE events_partitioned",
        "CREATE INDEX ix_events_workspace_id_user_id_ts ON events (workspace_id, user_id, ts)",
    ):
        conn.execute(text(sql))
