"""Monthly partitions of ``events`` on PostgreSQL (skipped on SQLite, where nothing changes).

Each test gets its own PostgreSQL schema (``search_path``), migrated from scratch, so it can
count partitions and set retention for every workspace without meeting other tests' rows.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from conftest import TEST_DATABASE_ENV
from tastemaker.encoders import get_encoder
from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import EventIn
from tastemaker.measure import metrics
from tastemaker.store import ServedRecord, Store, WorkspaceRecord
from tastemaker.store import measure as q
from tastemaker.store.partitions import (
    DEFAULT_PARTITION,
    create_month,
    month_start,
    partition_name,
    partitions,
)
from tastemaker.store.person import erase_person
from tastemaker.store.privacy import PrivacyStore
from tastemaker.store.store import WRITE_CHUNK

DAY = 86400.0
JAN = datetime(2026, 1, 10, tzinfo=UTC).timestamp()
FEB = datetime(2026, 2, 10, tzinfo=UTC).timestamp()
MAR = datetime(2026, 3, 10, tzinfo=UTC).timestamp()

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV, "").startswith("postgresql"),
    reason="events are partitioned on PostgreSQL only",
)


@pytest.fixture
def pg() -> Iterator[Store]:
    """A store on a fresh schema of the test database, dropped afterwards."""
    base = os.environ[TEST_DATABASE_ENV]
    schema = f"tm_part_{uuid.uuid4().hex[:10]}"
    admin = Store(base)
    with admin.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    store = Store(f"{base}{sep}options={quote(f'-csearch_path={schema}')}")
    try:
        yield store
    finally:
        store.close()
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.close()


@pytest.fixture
def ws(pg: Store) -> WorkspaceRecord:
    pg.migrate()
    return pg.create_workspace("p")


def ev(user: str, ts: float, **kw: Any) -> EventIn:
    return EventIn(user_id=user, type=kw.pop("type", "view"), item_id="i1", ts=ts, **kw)


def where(store: Store) -> dict[str, str]:
    """event_id -> the partition holding it."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, tableoid::regclass::text FROM events"))
        return {e: p for e, p in rows}


def test_events_is_partitioned_by_ts(pg: Store, ws: WorkspaceRecord) -> None:
    with pg.engine.connect() as conn:
        key = conn.execute(text("SELECT pg_get_partkeydef('events'::regclass)")).scalar()
        default = conn.execute(text("SELECT to_regclass(:n)"), {"n": DEFAULT_PARTITION}).scalar()
    assert key == "RANGE (ts)"
    assert default is not None


def test_rows_land_in_their_month_and_new_months_get_a_partition(
    pg: Store, ws: WorkspaceRecord
) -> None:
    with pg.engine.connect() as conn:
        assert partitions(conn) == []
    assert pg.insert_events(ws.id, [ev("u1", JAN, event_id="j"), ev("u1", FEB, event_id="f")])
    assert where(pg) == {"j": "events_p2026_01", "f": "events_p2026_02"}
    pg.insert_events(ws.id, [ev("u2", MAR, event_id="m")])
    with pg.engine.connect() as conn:
        got = [(p.name, p.since, p.until) for p in partitions(conn)]
    assert got == [
        ("events_p2026_01", month_start(JAN), month_start(FEB)),
        ("events_p2026_02", month_start(FEB), month_start(MAR)),
        ("events_p2026_03", month_start(MAR), datetime(2026, 4, 1, tzinfo=UTC).timestamp()),
    ]
    assert where(pg)["m"] == "events_p2026_03"
    # A month boundary belongs to the month it starts.
    pg.insert_events(ws.id, [ev("u2", month_start(FEB), event_id="edge")])
    assert where(pg)["edge"] == "events_p2026_02"


def test_far_timestamps_go_to_default(pg: Store, ws: WorkspaceRecord) -> None:
    old = datetime(1997, 5, 1, tzinfo=UTC).timestamp()  # MovieLens-era history
    pg.insert_events(ws.id, [ev("u", old, event_id="old"), ev("u", JAN, event_id="new")])
    assert where(pg) == {"old": DEFAULT_PARTITION, "new": "events_p2026_01"}


def test_resent_events_are_not_doubled(pg: Store, ws: WorkspaceRecord) -> None:
    batch = [ev("u1", JAN), ev("u1", FEB, type="click"), ev("u2", MAR, event_id="x")]
    assert pg.insert_events(ws.id, batch) == 3
    assert pg.insert_events(ws.id, batch) == 0
    # The same id with another timestamp (another month even) is the same event: first wins,
    # as on SQLite, whose key has no ts.
    assert pg.insert_events(ws.id, [ev("u2", JAN, event_id="x")]) == 0
    # ... also when both arrive in one batch.
    assert pg.insert_events(ws.id, [ev("u3", JAN, event_id="y"), ev("u3", FEB, event_id="y")])
    assert pg.count_events(ws.id) == 4
    assert where(pg)["x"] == "events_p2026_03"
    assert where(pg)["y"] == "events_p2026_01"
    # The users table counted each event once.
    with pg.engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT user_id, event_count FROM users")).all())
    assert counts == {"u1": 2, "u2": 1, "u3": 1}


def test_a_new_month_in_a_later_chunk_is_moved_out_of_default(
    pg: Store, ws: WorkspaceRecord
) -> None:
    # The first chunk's months are created before writing; a month first seen in a later chunk
    # goes to DEFAULT inside the transaction and into its own partition right after.
    first = [ev(f"u{i}", JAN + i) for i in range(WRITE_CHUNK)]
    assert pg.insert_events(ws.id, [*first, ev("late", FEB, event_id="late")]) == WRITE_CHUNK + 1
    assert where(pg)["late"] == "events_p2026_02"
    with pg.engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {DEFAULT_PARTITION}")).scalar()
    assert n == 0


def test_creating_a_month_moves_its_rows_out_of_default(pg: Store, ws: WorkspaceRecord) -> None:
    pg.insert_events(ws.id, [ev("u", JAN, event_id="a")])
    with pg.engine.begin() as conn:  # as when creation timed out: the row went to DEFAULT
        conn.execute(
            text(
                "INSERT INTO events_default (workspace_id, event_id, user_id, type, ts) "
                "VALUES (:w, 'b', 'u', 'view', :ts)"
            ),
            {"w": ws.id, "ts": FEB},
        )
    with pg.engine.begin() as conn:
        assert create_month(conn, month_start(FEB))
        assert not create_month(conn, month_start(FEB))
    assert where(pg) == {"a": "events_p2026_01", "b": "events_p2026_02"}


def test_erasure_removes_a_person_from_every_month(pg: Store, ws: WorkspaceRecord) -> None:
    pg.insert_events(ws.id, [ev("gone", t) for t in (JAN, FEB, MAR)] + [ev("kept", FEB)])
    with pg.engine.begin() as conn:
        counts = erase_person(conn, ws.id, "gone")
    assert counts["events"] == 3
    assert [e.user_id for e in pg.iter_events(ws.id)] == ["kept"]


def test_retention_drops_whole_months(pg: Store, ws: WorkspaceRecord) -> None:
    other = pg.create_workspace("q")
    pg.insert_events(ws.id, [ev("u", JAN), ev("u", FEB, type="click"), ev("u", MAR)])
    pg.insert_events(other.id, [ev("v", JAN)])
    privacy = PrivacyStore(pg, policy_ttl=0)
    now = MAR + 5 * DAY
    # One workspace keeps events until erased: no month may go.
    privacy.set_policy(ws.id, events_days=30)
    assert privacy.drop_expired_months(now) == {}
    # Both set: months that ended before the longer period (40 days) go, whole.
    privacy.set_policy(other.id, events_days=40)
    assert privacy.drop_expired_months(now) == {ws.id: 1, other.id: 1}
    with pg.engine.connect() as conn:
        assert [p.name for p in partitions(conn)] == ["events_p2026_02", "events_p2026_03"]
    assert sorted(e.ts for e in pg.iter_events(ws.id)) == [FEB, MAR]


def test_migration_copies_existing_events(pg: Store) -> None:
    pg.migrate("0001")
    ws_id = pg.create_workspace("m").id
    with pg.engine.begin() as conn:
        for n, ts in enumerate((JAN, FEB, FEB + 1, 500_000_000.0)):
            conn.execute(
                text(
                    "INSERT INTO events (workspace_id, event_id, user_id, type, ts) "
                    "VALUES (:w, :e, 'u', 'view', :ts)"
                ),
                {"w": ws_id, "e": f"e{n}", "ts": ts},
            )
    pg.migrate()
    assert where(pg) == {
        "e0": "events_p2026_01",
        "e1": "events_p2026_02",
        "e2": "events_p2026_02",
        "e3": DEFAULT_PARTITION,
    }
    # The id sequence carries on after the copied rows.
    pg.insert_events(ws_id, [ev("u", MAR, event_id="e4")])
    with pg.engine.connect() as conn:
        ids = conn.execute(text("SELECT event_id, id FROM events ORDER BY id")).all()
    assert [e for e, _ in ids] == ["e0", "e1", "e2", "e3", "e4"]


# -- the report over partitions equals the report over one table -------------------------------

SPEC = ExperienceSpec.model_validate(
    {
        "key": "films",
        "name": "Films",
        "prompt": {
            "kind": "choice",
            "question": "?",
            "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        },
        "measure": {"objective": "revenue"},
    }
)


def journeys(store: Store, ws_id: int, start: float, days: int, n: int) -> None:
    """``n`` served results over ``days`` days from ``start``, with their funnels."""
    rng = random.Random(3)
    served, logs, events = [], [], []
    for i in range(n):
        at = start + rng.random() * days * DAY
        variant, user, rid = "AB"[i % 2], f"u{rng.randrange(n // 3)}", f"r{i}"
        served.append(
            ServedRecord(ws_id, rid, "films", 1, variant, user, ("i1",), i % 17 == 0, at, i % 40)
        )
        logs.append(
            q.AnswerLog(
                ws_id, rid, "answer", "films", variant, user, "ab"[i % 2], None, 0.5, None, at
            )
        )
        ctx = {"experience": "films", "variant": variant}
        events.append(EventIn(user_id=user, type="prompt_shown", ts=at - 5, context=ctx))
        if rng.random() < 0.2:
            events.append(EventIn(user_id=user, type="prompt_abandoned", ts=at - 1, context=ctx))
        events.append(EventIn(user_id=user, type="result_viewed", ts=at + 1, request_id=rid))
        if rng.random() < 0.4:
            events.append(
                EventIn(user_id=user, item_id="i1", type="click", ts=at + 5, request_id=rid)
            )
        if rng.random() < 0.2:
            value = round(rng.uniform(5, 80), 2)
            events.append(EventIn(user_id=user, type="purchase", value=value, ts=at + 3600))
    store.record_served(served)
    q.record_answers(store, logs)
    store.insert_events(ws_id, events)


def rounded(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 9)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return x


def test_report_over_partitions_equals_sqlite(
    pg: Store, ws: WorkspaceRecord, tmp_path: Path
) -> None:
    lite = Store(f"sqlite:///{tmp_path / 'ref.db'}")
    lite.migrate()
    ref = lite.create_workspace("p")
    start = datetime(2026, 1, 20, tzinfo=UTC).timestamp()  # across three months
    for store, ws_id in ((pg, ws.id), (lite, ref.id)):
        journeys(store, ws_id, start, 50, 600)
    with pg.engine.connect() as conn:
        assert len(partitions(conn)) == 3
    encoder = get_encoder("static")
    for period in (
        metrics.Period(start - DAY, start + 60 * DAY),  # all of it
        metrics.Period(datetime(2026, 2, 1, tzinfo=UTC).timestamp(), start + 60 * DAY),
        metrics.Period(start + 10 * DAY, start + 20 * DAY),  # across a month boundary
    ):
        got = metrics.report(pg, ws.id, {"films": SPEC}, period, encoder=encoder)
        want = metrics.report(lite, ref.id, {"films": SPEC}, period, encoder=encoder)
        assert rounded(got) == rounded(want)
        assert got["experiences"][0]["variants"][0]["totals"]["results"] > 0
    lite.close()
    assert partition_name(start) == "events_p2026_01"


def test_report_indexes_name_the_report_event_types() -> None:
    # The partial indexes' predicates are literals (migration 0007, models); if the event
    # types the report reads change, PostgreSQL silently stops using them.
    from tastemaker.measure.events import CONVERSION_EVENTS, PROMPT_ABANDONED, PROMPT_SHOWN
    from tastemaker.store.models import REPORT_INDEXES

    where = {name: w for name, _, _, w in REPORT_INDEXES}
    assert where["ix_events_report_prompt"] == _in_list((PROMPT_ABANDONED, PROMPT_SHOWN))
    assert where["ix_events_report_conversion"] == _in_list(CONVERSION_EVENTS)


def _in_list(types: tuple[str, ...]) -> str:
    return "type IN (" + ", ".join(f"'{t}'" for t in sorted(types)) + ")"


def test_attribution_reads_the_conversion_index(pg: Store, ws: WorkspaceRecord) -> None:
    from tastemaker.measure.events import CONVERSION_EVENTS
    from tastemaker.store import metrics as sql

    pg.insert_events(ws.id, [ev("u", JAN, type="purchase", value=3.0)])
    # Parameters bound as the report binds them (not literals): the partial index's predicate
    # must still be provable from the query's IN list.
    stmt = sql.attribution_select(ws.id, CONVERSION_EVENTS, DAY, 0.0, MAR)
    compiled = stmt.compile(dialect=pg.engine.dialect, compile_kwargs={"render_postcompile": True})
    with pg.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # a tiny table: make the choice visible
        plan = "\n".join(
            conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
        )
        children = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'ix_events_report_conversion'::regclass"
            )
        ).scalars()
        assert any(name in plan for name in children), plan


def test_downgrade_restores_one_table(pg: Store, ws: WorkspaceRecord) -> None:
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    pg.insert_events(ws.id, [ev("u", JAN, event_id="a"), ev("u", FEB, event_id="b")])
    pkg = resources.files("tastemaker.store")
    with (
        resources.as_file(pkg / "alembic.ini") as ini,
        resources.as_file(pkg / "migrations") as scripts,
    ):
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(scripts))
        with pg.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "events_partitions@-1")
    with pg.engine.connect() as conn:
        key = conn.execute(text("SELECT pg_get_partkeydef('events'::regclass)")).scalar()
    assert key is None
    assert sorted(e.event_id for e in pg.iter_events(ws.id)) == ["a", "b"]
    pg.migrate()  # and up again
    assert where(pg) == {"a": "events_p2026_01", "b": "events_p2026_02"}


def test_dropping_months_keeps_the_report_rollups_equal(pg: Store, ws: WorkspaceRecord) -> None:
    from rollup_fixtures import check, fill

    now = time.time()
    fill(pg, ws.id, now)  # the last 40 days: two or three months
    check(pg, ws.id, (45,))  # every closed day rolled up
    privacy = PrivacyStore(pg, policy_ttl=0)
    privacy.set_policy(ws.id, events_days=5)  # the month of 40 days ago ended before that
    assert privacy.drop_expired_months(now)[ws.id] > 0
    check(pg, ws.id)  # the months' events are gone, their results not yet
    assert privacy.purge_expired(ws.id, now)["served"] > 0
    check(pg, ws.id)
