"""Bulk writes: rows consumed in chunks, JSON encoded once, and the events insert of each
dialect.

The events insert is the hot ingest path (tens of thousands of rows per second) and the one
statement that differs most between the databases: SQLite reads the inserted rows back by rowid
under its write lock; PostgreSQL passes one array per column and counts the rows its insert
returns, and creates the monthly partitions a batch reaches. Both keep re-sends idempotent and
update the users table from exactly the rows inserted, and mark the report's closed days that
the batch changes (``store/rollup_marks.py``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tastemaker.store.models import events
from tastemaker.store.partitions import EventPartitions
from tastemaker.store.rollup_marks import mark_events, marks_events

if TYPE_CHECKING:
    from tastemaker.ingest import EventIn

T = TypeVar("T")
WRITE_CHUNK = 5_000


def json_dumps(obj: object) -> str:
    # Sorted keys: equal dicts serialize to equal text, which the SQLite side of the items
    # upsert relies on to detect unchanged rows.
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def first_per_id(chunk: list[EventIn]) -> list[EventIn]:
    seen: set[str] = set()
    out = []
    for e in chunk:
        if e.event_id not in seen:
            seen.add(e.event_id)  # type: ignore[arg-type]  # set by EventIn's validator
            out.append(e)
    return out


SQLITE_INSERT_EVENTS = """
INSERT INTO events
    (workspace_id, event_id, user_id, item_id, type, value, ts, request_id, context)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (workspace_id, event_id) DO NOTHING
"""
SQLITE_UPSERT_USERS = """
INSERT INTO users (workspace_id, user_id, first_seen, last_seen, event_count)
SELECT workspace_id, user_id, min(ts), max(ts), count(*)
FROM events WHERE id > ?
GROUP BY workspace_id, user_id
ON CONFLICT (workspace_id, user_id) DO UPDATE SET
    first_seen = min(users.first_seen, excluded.first_seen),
    last_seen = max(users.last_seen, excluded.last_seen),
    event_count = users.event_count + excluded.event_count
"""
PG_INSERT_EVENTS = """
WITH new AS (
    INSERT INTO events
        (workspace_id, event_id, user_id, item_id, type, value, ts, request_id, context)
    SELECT %(ws)s, r.event_id, r.user_id, r.item_id, r.type, r.value, r.ts, r.request_id,
           r.context::jsonb
    FROM unnest(
        %(event_id)s::text[], %(user_id)s::text[], %(item_id)s::text[], %(type)s::text[],
        %(value)s::float8[], %(ts)s::float8[], %(request_id)s::text[], %(context)s::text[]
    ) AS r(event_id, user_id, item_id, type, value, ts, request_id, context)
    -- events is partitioned by ts, so its unique key is (workspace_id, event_id, ts): an id
    -- already stored with another ts is caught here (the key's leading columns, every month).
    WHERE NOT EXISTS (
        SELECT 1 FROM events x WHERE x.workspace_id = %(ws)s AND x.event_id = r.event_id
    )
    ON CONFLICT (workspace_id, event_id, ts) DO NOTHING
    RETURNING user_id, ts
), seen AS (
    INSERT INTO users (workspace_id, user_id, first_seen, last_seen, event_count)
    SELECT %(ws)s, user_id, min(ts), max(ts), count(*)
    FROM new GROUP BY user_id
    ORDER BY user_id  -- concurrent ingests lock user rows in the same order
    ON CONFLICT (workspace_id, user_id) DO UPDATE SET
        first_seen = LEAST(users.first_seen, excluded.first_seen),
        last_seen = GREATEST(users.last_seen, excluded.last_seen),
        event_count = users.event_count + excluded.event_count
)
SELECT count(*) FROM new
"""


def insert_events_sqlite(engine: Engine, ws_id: int, events_in: Iterable[EventIn]) -> int:
    """Store events on SQLite; returns how many were new."""
    # BEGIN IMMEDIATE takes the write lock up front, so the rows this call inserts are
    # exactly those with a rowid above the current maximum: the users aggregate below reads
    # them back from the table instead of tracking them in Python.
    stored = 0
    marking: list[EventIn] = []
    engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    with engine.begin() as conn:
        before = conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one()
        for chunk in chunks(events_in, WRITE_CHUNK):
            marking += filter(marks_events, chunk)
            rows = [
                (
                    ws_id,
                    e.event_id,
                    e.user_id,
                    e.item_id,
                    e.type,
                    e.value,
                    e.ts,
                    e.request_id,
                    None if e.context is None else json_dumps(e.context),
                )
                for e in chunk
            ]
            stored += conn.exec_driver_sql(SQLITE_INSERT_EVENTS, rows).rowcount
        if stored:
            conn.exec_driver_sql(SQLITE_UPSERT_USERS, (before,))
            mark_events(conn, ws_id, marking)
    return stored


def insert_events_postgresql(
    engine: Engine, partitions: EventPartitions, ws_id: int, events_in: Iterable[EventIn]
) -> int:
    """Store events on PostgreSQL; returns how many were new."""
    # One statement per chunk: the rows travel as one array per column (unnest), and the
    # users upsert aggregates the RETURNING rows of the insert in the same statement, so
    # it counts exactly what was inserted even with concurrent ingests.
    #
    # Monthly partitions are created before the first chunk is written. A later chunk that
    # reaches a new month cannot create it (this transaction holds a lock on ``events``
    # that creation must wait for), so its rows go to the DEFAULT partition and are moved
    # into their month right after the commit.
    stored = 0
    late: set[float] = set()
    marking: list[EventIn] = []
    with engine.begin() as conn:
        for n, raw in enumerate(chunks(events_in, WRITE_CHUNK)):
            # One row per event id, the first: the unique key includes ts, so two rows with
            # one id and two timestamps in the same statement would both be stored.
            chunk = first_per_id(raw)
            marking += filter(marks_events, chunk)
            months = partitions.missing(e.ts for e in chunk)
            if n == 0:
                partitions.ensure(engine, months)
            else:
                late |= months
            params = {
                "ws": ws_id,
                "event_id": [e.event_id for e in chunk],
                "user_id": [e.user_id for e in chunk],
                "item_id": [e.item_id for e in chunk],
                "type": [e.type for e in chunk],
                "value": [e.value for e in chunk],
                "ts": [e.ts for e in chunk],
                "request_id": [e.request_id for e in chunk],
                "context": [None if e.context is None else json_dumps(e.context) for e in chunk],
            }
            stored += int(conn.exec_driver_sql(PG_INSERT_EVENTS, params).scalar_one())
        if stored:
            mark_events(conn, ws_id, marking)
    partitions.ensure(engine, late)
    return stored
