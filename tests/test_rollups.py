"""The report from daily rollups equals the report from the rows, and stays equal when closed
days change: late events, late results and answer logs, a late conversion, identify, erasure,
retention, and a write racing a rebuild.

Generated journeys over the last 40 days (relative to the real clock: rollups cover the days
closed by now) for two experiences with different attribution windows; every comparison is
the whole report, per day and in total, computed both ways (``rollups=False`` reads the rows).
Runs on SQLite and, with ``TASTEMAKER_TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from rollup_fixtures import DAY, DAYS, SPECS, check, ev, fill, same
from tastemaker.measure import events as vocabulary
from tastemaker.measure import metrics
from tastemaker.store import ServedRecord, Store, WorkspaceRecord, rollup_marks, rollups
from tastemaker.store import measure as q
from tastemaker.store.models import served
from tastemaker.store.privacy import PrivacyStore
from tastemaker.store.rollup_tables import (
    rollup_built,
    rollup_converters,
    rollup_dirty,
    rollup_people_days,
    rollup_visitors,
)


def _count(store: Store, table: Any, ws: int) -> int:
    with store.engine.connect() as conn:
        stmt = select(func.count()).select_from(table).where(table.c.workspace_id == ws)
        return int(conn.execute(stmt).scalar_one())


@pytest.fixture
def filled(store: Store, workspace: WorkspaceRecord) -> int:
    fill(store, workspace.id, time.time())
    return workspace.id


def test_the_report_types_are_the_vocabulary() -> None:
    # The store cannot import the measure package's names; if these drift, days stop being
    # marked (or rolled up) for a type the report counts.
    assert (
        tuple(sorted((vocabulary.PROMPT_SHOWN, vocabulary.PROMPT_ABANDONED)))
        == rollups.PROMPT_TYPES
    )
    assert tuple(sorted(vocabulary.ENGAGEMENT_EVENTS)) == rollups.ENGAGEMENT_TYPES
    assert tuple(sorted(vocabulary.CONVERSION_EVENTS)) == rollups.CONVERSION_TYPES


def test_settled_day() -> None:
    d = 20_000
    assert rollups.settled_day(d * DAY + 60) == d - 1  # just after midnight: yesterday is open
    assert rollups.settled_day(d * DAY + rollups.SETTLE_S) == d


def test_rollups_equal_the_live_report(store: Store, filled: int) -> None:
    check(store, filled)
    # Both windows and the shared part were built, and the distinct counts have their rows.
    with store.engine.connect() as conn:
        parts = set(conn.execute(select(rollup_built.c.window_s).distinct()).scalars())
    assert {0.0, 24 * 3600.0, 168 * 3600.0} <= parts
    assert _count(store, rollup_visitors, filled) > 0
    assert _count(store, rollup_converters, filled) > 0
    assert _count(store, rollup_dirty, filled) == 0
    report = metrics.report(store, filled, SPECS, metrics.Period.last_days(30, time.time()))
    totals = report["experiences"][0]["variants"][0]["totals"]
    assert totals["results"] > 50 and totals["conversions"] > 0 and totals["p99_latency_ms"]


def test_closed_days_are_read_from_the_rollups(store: Store, filled: int) -> None:
    period = metrics.Period.last_days(30, time.time())
    before = metrics.report(store, filled, SPECS, period)
    # Rows deleted behind the writers' back (no mark): the rollups still answer for closed days.
    cutoff = (int(time.time() // DAY) - 2) * DAY
    with store.engine.begin() as conn:
        conn.execute(delete(served).where(served.c.created_at < cutoff))
    after = metrics.report(store, filled, SPECS, period)
    closed = metrics._day(int(cutoff // DAY))

    def days(report: dict[str, Any]) -> list[Any]:
        return [
            [d for d in v["days"] if d["day"] < closed]
            for e in report["experiences"]
            for v in e["variants"]
        ]

    assert sum(len(d) for d in days(before)) > 80
    same(days(after), days(before))


def test_late_events_results_and_answers(store: Store, filled: int) -> None:
    check(store, filled, (30,))  # built
    now = time.time()
    today = int(now // DAY)
    old = (today - 10) * DAY + 3600
    ctx = {"experience": "films", "variant": "A"}
    store.record_served(
        [
            ServedRecord(filled, "late-1", "films", 1, "A", "u1", ("f1",), False, old, 3.25),
            ServedRecord(filled, "late-2", "books", 1, "B", None, ("f1",), True, old + 5, 99.0),
        ]
    )
    q.record_answers(
        store,
        [
            q.AnswerLog(filled, "late-1", "followup", "films", "A", "u1", "a", None, 0.8),
            # an answer of a closed day (its choice counts there), to a result of another
            q.AnswerLog(filled, "late-2", "answer", "books", "B", None, "b", None, None, None, old),
        ],
    )
    store.insert_events(
        filled,
        [
            ev("u2", "prompt_shown", (today - 12) * DAY + 50, context=ctx),
            ev("u2", "click", now, item_id="f1", request_id="late-1"),
            ev("u1", "purchase", old + 7200, value=12.5),  # crediting late-1 (and others)
            ev("u3", "save", old, item_id="f1", request_id="r3-7"),  # a result of the fill
        ],
    )
    assert _count(store, rollup_dirty, filled) > 0
    check(store, filled)


def test_a_late_conversion_moves_the_last_touch(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    for spec in SPECS.values():  # the marks read the windows of the saved experiences
        store.save_experience(ws, spec.model_dump(mode="json"))
    now = time.time()
    today = int(now // DAY)
    d5, d3 = (today - 5) * DAY + 3600, (today - 3) * DAY + 3600
    store.record_served([ServedRecord(ws, "x5", "books", 1, "A", "p", ("f1",), False, d5, 5.0)])
    store.insert_events(ws, [ev("p", "purchase", d3 + 600, value=20.0)])
    check(store, ws, (30,))
    # A result served in between, written late: the purchase's last touch moves to it (day -3),
    # and day -5 keeps only an assist.
    store.record_served([ServedRecord(ws, "x3", "books", 1, "A", "p", ("f1",), False, d3, 7.0)])
    check(store, ws, (30,))
    # A conversion today crediting a result of a closed day.
    store.insert_events(ws, [ev("p", "purchase", now, value=3.0)])
    check(store, ws, (30, 7))
    report = metrics.report(store, ws, SPECS, metrics.Period.last_days(30, now))
    (books,) = [e for e in report["experiences"] if e["key"] == "books"]
    assert books["variants"][0]["totals"]["revenue"] == 23.0


def test_identify_moves_closed_days(store: Store, filled: int) -> None:
    check(store, filled, (30,))
    now = time.time()
    old = (int(now // DAY) - 6) * DAY + 100
    store.record_served(
        [ServedRecord(filled, "anon-r", "films", 1, "B", "browser-9", ("f1",), False, old, 4.0)]
    )
    store.insert_events(filled, [ev("browser-9", "purchase", old + 60, value=9.0)])
    check(store, filled, (30,))
    q.link_identity(store, filled, "browser-9", "u5")  # u5 has results of their own
    check(store, filled)


def test_erasure_keeps_the_rollups_equal(store: Store, filled: int) -> None:
    check(store, filled, (30,))
    with store.engine.connect() as conn:
        assert conn.execute(
            select(func.count())
            .select_from(rollup_visitors)
            .where(rollup_visitors.c.workspace_id == filled, rollup_visitors.c.person == "u7")
        ).scalar_one()
    PrivacyStore(store).erase(filled, "u7")  # their results stay, anonymized: visitors change
    with store.engine.connect() as conn:
        for table in (rollup_visitors, rollup_converters):
            assert not conn.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.workspace_id == filled, table.c.person == "u7")
            ).scalar_one()
    check(store, filled)


def test_retention_keeps_the_rollups_equal(store: Store, filled: int) -> None:
    check(store, filled, (45,))
    privacy = PrivacyStore(store, policy_ttl=0)
    privacy.set_policy(filled, events_days=20)
    counts = privacy.purge_expired(filled, time.time())
    assert counts["events"] > 0 and counts["served"] > 0
    check(store, filled)


def test_a_write_during_a_rebuild_leaves_its_day_marked(
    store: Store, filled: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    old = (int(now // DAY) - 4) * DAY + 100
    ctx = {"experience": "books", "variant": "A"}
    write = rollups._write_days
    calls: list[int] = []

    def racing(store_: Store, ws: int, part: float, a: int, b: int) -> None:
        write(store_, ws, part, a, b)
        if not calls:  # after the first part's rows were read: a late event commits
            store.insert_events(ws, [ev("u9", "prompt_shown", old, context=ctx)])
        calls.append(a)

    monkeypatch.setattr(rollups, "_write_days", racing)
    rollups.refresh(store, filled, int(now // DAY) - DAYS - 1, [24 * 3600.0])
    assert _count(store, rollup_dirty, filled) == 1  # its mark outlived the rebuild
    monkeypatch.undo()
    check(store, filled, (30,))
    assert _count(store, rollup_dirty, filled) == 0


def test_refresh_builds_each_day_once(store: Store, filled: int) -> None:
    first = int(time.time() // DAY) - 30
    built = rollups.refresh(store, filled, first, [24 * 3600.0])
    assert built in (29, 30)  # the closed days (yesterday stays open just after midnight)
    assert rollups.refresh(store, filled, first, [24 * 3600.0]) == 0
    # Another window builds its conversions only; a marked day is built again.
    assert rollups.refresh(store, filled, first, [24 * 3600.0, 3600.0]) == built
    with store.engine.begin() as conn:
        assert rollup_marks.mark_days(conn, filled, [first + 3, first + 3, first - 400]) == 1
    assert rollups.refresh(store, filled, first, [3600.0]) == 1


def test_people_last_seen_before_any_report_are_dropped(store: Store, filled: int) -> None:
    check(store, filled, (30,))
    today = int(time.time() // DAY)
    aged = {"workspace_id": filled, "experience_key": "films", "variant": "A", "person": "gone"}
    with store.engine.begin() as conn:  # a person last seen 400 days ago, from an older build
        conn.execute(rollup_visitors.insert().values(**aged, last_day=today - 400))
        conn.execute(
            rollup_people_days.insert().values(
                workspace_id=filled,
                window_s=0.0,
                figure="visitors",
                experience_key="films",
                variant="A",
                last_day=today - 400,
                people=1,
            )
        )
        rollup_marks.mark_days(conn, filled, [today - 3])
    check(store, filled, (30,))
    for table in (rollup_visitors, rollup_people_days):
        with store.engine.connect() as conn:
            oldest = conn.execute(
                select(func.min(table.c.last_day)).where(table.c.workspace_id == filled)
            ).scalar_one()
        assert oldest >= today - rollups.MAX_DAYS - 1
