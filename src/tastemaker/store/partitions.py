"""Monthly partitions of ``events`` on PostgreSQL: created on demand, dropped by retention.

Events grow fastest of all tables, so on PostgreSQL ``events`` is ``PARTITIONED BY RANGE
(ts)`` with one partition per UTC month (migration 0007; SQLite keeps one plain table). Two
things follow: a report over a date range reads only the months it covers (partition pruning),
and retention drops whole months instead of deleting rows one by one.

Partitions are created by the writer, for months it has not seen yet in this process, before a
batch is written (:meth:`EventPartitions.ensure`). Creating one takes an ACCESS EXCLUSIVE lock
on ``events`` for a moment, so it runs in its own short transaction, serialised across workers
by an advisory lock and bounded by a lock timeout. Whatever cannot go to a monthly partition
(creation timed out, a timestamp far outside the window below, a month created later in a
transaction already writing) lands in the DEFAULT partition, and the next creation of that
month moves those rows into it. Nothing is ever refused for want of a partition.

Timestamps before :data:`FIRST_MONTH` or more than a year ahead go to DEFAULT for good: an
import of decades-old history (MovieLens starts in 1995) or a client with a broken clock must
not create hundreds of tables, each of which every unpruned query (one person's history) visits.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

PARENT = "events"
DEFAULT_PARTITION = "events_default"
FIRST_MONTH = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
AHEAD_S = 366 * 86400.0
# Creating a partition waits this long at most for readers of ``events`` to finish; meanwhile
# every new query on ``events`` queues behind it, so it must stay short.
LOCK_TIMEOUT = "3s"
# pg_advisory_xact_lock key: "tm_part" as an integer, shared by every worker creating partitions.
ADVISORY_KEY = 0x746D5F70617274
_NAME = re.compile(r"^events_p(\d{4})_(\d{2})$")


def month_start(ts: float) -> float:
    """The epoch second at which the UTC month holding ``ts`` begins."""
    d = datetime.fromtimestamp(ts, UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()


def next_month(start: float) -> float:
    d = datetime.fromtimestamp(start, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()


def partition_name(start: float) -> str:
    d = datetime.fromtimestamp(start, UTC)
    return f"events_p{d.year:04d}_{d.month:02d}"


@dataclass(frozen=True, slots=True)
class Partition:
    """One monthly partition: its table name and the [since, until) range of ``ts`` it holds."""

    name: str
    since: float
    until: float


def partitions(conn: Connection) -> list[Partition]:
    """The monthly partitions of ``events``, oldest first (DEFAULT is not listed)."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": PARENT},
    ).scalars()
    out = []
    for name in rows:
        m = _NAME.match(name)
        if m:
            since = datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC).timestamp()
            out.append(Partition(name, since, next_month(since)))
    return sorted(out, key=lambda p: p.since)


def create_month(conn: Connection, start: float) -> bool:
    """Create the partition of the month beginning at ``start`` in the caller's transaction.

    Rows of that month already in DEFAULT are moved into it (PostgreSQL refuses the new
    partition otherwise). Returns False when it already existed.
    """
    name = partition_name(start)
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY})
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
        return False
    # Taken up front (CREATE ... PARTITION OF takes it anyway) so that no row of this month can
    # reach DEFAULT between the move below and the creation.
    conn.execute(text(f"LOCK TABLE {PARENT} IN ACCESS EXCLUSIVE MODE"))
    until = next_month(start)
    bounds = {"a": start, "b": until}
    moved = 0
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": DEFAULT_PARTITION}).scalar():
        conn.execute(text(f"CREATE TEMP TABLE _tm_moved (LIKE {PARENT}) ON COMMIT DROP"))
        conn.execute(
            text(
                f"WITH m AS (DELETE FROM {DEFAULT_PARTITION} WHERE ts >= :a AND ts < :b "
                "RETURNING *) INSERT INTO _tm_moved SELECT * FROM m"
            ),
            bounds,
        )
        moved = int(conn.execute(text("SELECT count(*) FROM _tm_moved")).scalar_one())
    # Bounds are literals (DDL takes no parameters); repr() of a float round-trips exactly.
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} "
            f"FOR VALUES FROM ({start!r}) TO ({until!r})"
        )
    )
    if moved:
        conn.execute(text(f"INSERT INTO {PARENT} SELECT * FROM _tm_moved"))
        log.info("moved %d events from %s into %s", moved, DEFAULT_PARTITION, name)
    return True


class EventPartitions:
    """Per process: which months have a partition, and creating the missing ones.

    The cache only avoids asking the database again; correctness never depends on it (a stale
    entry sends rows to DEFAULT, which the next creation of that month empties).
    """

    def __init__(self) -> None:
        self._known: set[float] = set()
        self._lock = threading.Lock()

    def missing(self, timestamps: Iterable[float], now: float | None = None) -> set[float]:
        """Month starts of ``timestamps`` that should get a partition and may not have one."""
        horizon = (time.time() if now is None else now) + AHEAD_S
        months = {month_start(ts) for ts in timestamps if FIRST_MONTH <= ts < horizon}
        return months - self._known

    def ensure(self, engine: Engine, months: Iterable[float]) -> None:
        """Create the partitions of ``months``, each in its own short transaction."""
        for start in sorted(months):
            with self._lock:
                if start in self._known:
                    continue
                try:
                    with engine.begin() as conn:
                        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                        create_month(conn, start)
                except OperationalError as exc:
                    # Busy (a long report holds ``events``): this batch's rows of that month go
                    # to DEFAULT, and the next batch tries again.
                    log.warning("partition %s not created: %s", partition_name(start), exc.orig)
                    continue
                self._known.add(start)

    def forget(self, starts: Iterable[float]) -> None:
        with self._lock:
            self._known.difference_update(starts)


def drop_months_before(
    engine: Engine, cutoff: float, *, before: Callable[[Connection, float], None] | None = None
) -> dict[int, int]:
    """Drop every monthly partition wholly older than ``cutoff``.

    Returns how many events each workspace lost, counted before the drop, so that retention
    reports the same numbers as when it deleted row by row. ``before(conn, until)`` runs in the
    same transaction just before the drops, ``until`` being the end of the newest month
    dropped (the report's rollups mark what they counted of it).
    """
    lost: dict[int, int] = {}
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY})
        going = [p for p in partitions(conn) if p.until <= cutoff]
        if going and before is not None:
            before(conn, max(p.until for p in going))
        for p in going:
            for ws_id, n in conn.execute(
                text(f"SELECT workspace_id, count(*) FROM {p.name} GROUP BY workspace_id")
            ):
                lost[int(ws_id)] = lost.get(int(ws_id), 0) + int(n)
            conn.execute(text(f"DROP TABLE {p.name}"))
            log.info("retention dropped %s", p.name)
    return lost


def is_partition(table_name: str | None) -> bool:
    """Whether a table is a partition of ``events`` (schema comparisons leave them out)."""
    return table_name == DEFAULT_PARTITION or bool(table_name and _NAME.match(table_name))


def include_in_comparison(dialect: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` for comparing the models with a migrated database.

    It leaves out the partitions (the models describe ``events`` only) and the constraints
    declared for another dialect with ``ddl_if`` (Alembic's comparison ignores ``ddl_if``).
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        if is_partition(table):
            return False
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, dialect)

    return include
