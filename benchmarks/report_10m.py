"""The metrics report over 10 million events on PostgreSQL (monthly partitions of ``events``).

Creates a dedicated database (dropped at the end unless ``--keep``), migrates it, and loads
with COPY (not row inserts) a workspace of 3 experiences x 2 variants over ``--days`` days
ending today:

- ``--results`` served results (answers), each with its answer log and its funnel: prompt
  shown (and 10% abandoned), result viewed, clicked 30%, add to cart 10%, purchase 5% (with
  revenue), unsubscribe 0.5%; 10% of them for anonymous visitors;
- site-wide browsing by the same people until ``--events`` events in all: views, clicks, add
  to cart and purchases not tied to a result (the history the recommender learns from, and
  conversions the report attributes by person).

It then times the report computed from the rows over the whole range, the last 30 and the
last 7 days; builds the daily rollups of every closed day (``tastemaker maintain``) and times
the report exactly as ``GET /v1/report`` computes it now (closed days from the rollups) over the
same periods, checking it equal to the one from the rows, and once more after a late purchase
and click mark closed days; then each query family on its own, one person's history (the
request path's read, which now spans partitions), and 1,000-event batches through
``Store.insert_events`` into the loaded table (the writer's cross-month id check; for late
purchases, the marking of the closed days they change). Every section prints the load average:
the benchmark machine is shared.

    python benchmarks/report_10m.py [--events 10000000] [--results 1200000] [--days 120]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--database tm_bench10m] [--keep] [--reuse]

``--reuse`` skips creating and loading (a database kept with ``--keep``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tastemaker.encoders import get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn
from tastemaker.measure import metrics
from tastemaker.measure.events import CONVERSION_EVENTS, ENGAGEMENT_EVENTS
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.store import metrics as sql
from tastemaker.store.partitions import month_start, next_month

DAY = 86400.0
SLUG = "bench"
EXPERIENCES = ("exp0", "exp1", "exp2")
TEXTS = ["something calm", "calm and quiet", "loud rock", "heavy loud rock", "funny", "a comedy"]
CHUNK = 200_000  # rows per COPY round trip
EVENT_COLUMNS = "workspace_id, event_id, user_id, item_id, type, value, ts, request_id, context"
SERVED_COLUMNS = (
    "workspace_id, request_id, experience_key, experience_version, variant, user_id, "
    "item_ids, fallback, created_at, latency_ms"
)
ANSWER_COLUMNS = (
    "workspace_id, request_id, kind, experience_key, variant, user_id, choice_id, text, "
    "confidence, created_at"
)
N = r"\N"  # NULL in COPY's text format


def spec(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "prompt": {
            "kind": "choice",
            "question": "?",
            "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        },
        "measure": {"objective": "revenue", "guardrails": ["fallback_rate"]},
    }


class Ids:
    """Event ids shaped like derived ones ("h:" and 32 hex digits), unique, cheap to make."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"h:{(self.n * 0x9E3779B97F4A7C15F39CC0605CEDC834) % (1 << 128):032x}"


def journeys(
    ws: int, n: int, people: int, start: float, days: int, ids: Ids, seed: int = 7
) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Served rows, answer rows and their funnel events, as COPY lines, in chunks."""
    rng = random.Random(seed)
    served: list[str] = []
    answers: list[str] = []
    events: list[str] = []
    items = '["i1", "i2", "i3", "i4"]'
    for i in range(n):
        at = start + rng.random() * days * DAY
        exp, variant = EXPERIENCES[i % 3], "AB"[rng.random() < 0.5]
        person = f"u{rng.randrange(people)}"
        user = N if rng.random() < 0.1 else person
        rid = f"r{i:09d}"
        ms = rng.lognormvariate(2, 0.5)
        served.append(
            f"{ws}\t{rid}\t{exp}\t1\t{variant}\t{user}\t{items}\t"
            f"{'t' if rng.random() < 0.01 else 'f'}\t{at!r}\t{ms:.3f}"
        )
        txt = rng.choice(TEXTS) if rng.random() < 0.3 else N
        answers.append(
            f"{ws}\t{rid}\tanswer\t{exp}\t{variant}\t{user}\t{'ab'[i % 2]}\t{txt}\t"
            f"{rng.random():.4f}\t{at!r}"
        )
        ctx = orjson.dumps({"experience": exp, "variant": variant}).decode()
        item = f"i{rng.randrange(50_000)}"

        def e(
            type_: str,
            ts: float,
            item_id: str = N,
            value: str = N,
            req: str = N,
            c: str = N,
            out: list[str] = events,
            who: str = person,
        ) -> None:
            out.append(f"{ws}\t{ids()}\t{who}\t{item_id}\t{type_}\t{value}\t{ts!r}\t{req}\t{c}")

        e("prompt_shown", at - 5, c=ctx)
        if rng.random() < 0.1:
            e("prompt_abandoned", at - 1, c=ctx)
        e("result_viewed", at + 1, req=rid)
        if rng.random() < 0.3:
            e("click", at + 5, item_id=item, req=rid)
        if rng.random() < 0.1:
            e("add_to_cart", at + 60, item_id=item)
        if rng.random() < 0.05:
            e("purchase", at + 3600, item_id=item, value=f"{rng.uniform(5, 80):.2f}")
        if rng.random() < 0.005:
            e("unsubscribe", at + 7200)
        if len(served) >= CHUNK // 4:
            yield served, answers, events
            served, answers, events = [], [], []
    yield served, answers, events


def browsing(
    ws: int, n: int, people: int, start: float, days: int, ids: Ids, seed: int = 11
) -> Iterator[list[str]]:
    """Site-wide events not tied to a result, as COPY lines, in chunks."""
    rng = random.Random(seed)
    kinds = ["view"] * 14 + ["click"] * 4 + ["add_to_cart", "purchase"]
    out: list[str] = []
    for _ in range(n):
        kind = rng.choice(kinds)
        value = f"{rng.uniform(5, 80):.2f}" if kind == "purchase" else N
        ts = start + rng.random() * days * DAY
        out.append(
            f"{ws}\t{ids()}\tu{rng.randrange(people)}\ti{rng.randrange(50_000)}\t{kind}\t"
            f"{value}\t{ts!r}\t{N}\t{N}"
        )
        if len(out) >= CHUNK:
            yield out
            out = []
    yield out


def copy(raw: Any, table: str, columns: str, lines: list[str]) -> None:
    if not lines:
        return
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
        cp.write("\n".join(lines) + "\n")


def load(store: Store, ws: int, args: argparse.Namespace, start: float) -> int:
    """COPY everything in; returns the number of events."""
    # The writer would create these before its first batch; COPY bypasses it.
    months, m = [], month_start(start)
    while m < start + args.days * DAY:
        months.append(m)
        m = next_month(m)
    store.partitions.ensure(store.engine, months)
    ids = Ids()
    people = args.results // 3
    t = time.perf_counter()
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for served, answers, events in journeys(ws, args.results, people, start, args.days, ids):
            copy(raw, "served", SERVED_COLUMNS, served)
            copy(raw, "prompt_answers", ANSWER_COLUMNS, answers)
            copy(raw, "events", EVENT_COLUMNS, events)
            raw.commit()
        journey_events = ids.n
        print(
            f"  results, answers and {journey_events:,} funnel events: "
            f"{time.perf_counter() - t:.1f} s"
        )
        t2 = time.perf_counter()
        for lines in browsing(ws, args.events - journey_events, people, start, args.days, ids):
            copy(raw, "events", EVENT_COLUMNS, lines)
            raw.commit()
        print(
            f"  {args.events - journey_events:,} browsing events: {time.perf_counter() - t2:.1f} s"
        )
    return ids.n


ROLLUP_TABLES = (
    "rollup_days",
    "rollup_built",
    "rollup_dirty",
    "rollup_visitors",
    "rollup_converters",
    "rollup_people_days",
)


def loadavg() -> str:
    """The load average: the machine is shared, so every section says how busy it was."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f}"


def table_sizes(store: Store, tables: tuple[str, ...]) -> str:
    with store.engine.connect() as conn:
        sizes = {
            t: (
                conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one(),
                conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one(),
            )
            for t in tables
        }
    return ", ".join(f"{t} {n:,} rows {b / 2**20:,.1f} MB" for t, (n, b) in sizes.items())


def differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Where two reports differ (floats compared to 1e-9, relative)."""
    if isinstance(want, dict) and isinstance(got, dict):
        if got.keys() != want.keys():
            return [f"{path}: keys"]
        return [d for k in want for d in differences(got[k], want[k], f"{path}/{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return [f"{path}: length"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in differences(g, w, f"{path}[{i}]")
        ]
    if isinstance(want, float) and isinstance(got, float):
        return [] if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12) else [path]
    return [] if got == want and type(got) is type(want) else [path]


def timed(label: str, fn: Callable[[], object], runs: int = 1) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    shown = " / ".join(f"{s:.2f}" for s in times)
    print(f"  {label:<52} {shown} s")
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--results", type=int, default=1_200_000)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="tm_bench10m")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true", help="use a kept database as it is")
    args = ap.parse_args()
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    url = make_url(args.admin_url).set(database=args.database).render_as_string(False)
    now = time.time()
    start = (now // DAY - args.days + 1) * DAY  # the first of ``days`` UTC days ending today
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {args.database}"))
            conn.execute(text(f"CREATE DATABASE {args.database}"))
    store = Store(url)
    tmp = Path(tempfile.mkdtemp())
    engine = Engine(store, Settings(data_dir=tmp, database_url=url), encoder=get_encoder("static"))
    try:
        if not args.reuse:
            store.migrate()
            ws = store.create_workspace(SLUG).id
            for key in EXPERIENCES:
                engine.save_experience(SLUG, spec(key))
            print(f"loading {args.events:,} events over {args.days} days (COPY):")
            t = time.perf_counter()
            n = load(store, ws, args, start)
            load_s = time.perf_counter() - t
            t = time.perf_counter()
            with store.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(text("VACUUM ANALYZE"))
            print(
                f"  loaded {n:,} events in {load_s:.1f} s ({n / load_s:,.0f} rows/s); "
                f"VACUUM ANALYZE {time.perf_counter() - t:.1f} s"
            )
        ws = engine.workspace(SLUG).id
        with store.engine.connect() as conn:
            rows = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("events", "served", "prompt_answers")
            }
            sizes = {
                t: conn.execute(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(relid)), "
                        "pg_total_relation_size(:t)) FROM pg_partition_tree(:t)"
                    ),
                    {"t": t},
                ).scalar_one()
                for t in ("events", "served", "prompt_answers")
            }
            parts = conn.execute(
                text("SELECT count(*) FROM pg_partition_tree('events') WHERE isleaf")
            ).scalar_one()
        for t in rows:
            print(f"  {t:<15} {rows[t]:>12,} rows  {sizes[t] / 2**20:>9,.0f} MB (with indexes)")
        print(f"  events: {parts} partitions (months + DEFAULT)")

        full = args.days

        def live(days: int) -> dict[str, Any]:
            return metrics.workspace_report(engine, SLUG, days=days, rollups=False)

        def rolled(days: int) -> dict[str, Any]:
            return metrics.workspace_report(engine, SLUG, days=days)

        print(f"every day from the rows (rollups=False), three runs each; {loadavg()}")
        timed(f"whole range, days={full}", lambda: live(full), 3)
        timed("last 30 days", lambda: live(30), 3)
        timed("last 7 days", lambda: live(7), 3)

        print(f"daily rollups (store/rollups.py); {loadavg()}")
        with store.engine.begin() as conn:  # as if no report had run since the load
            for table in ROLLUP_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        built = [0]
        build_s = timed(
            "build every closed day (tastemaker maintain)",
            lambda: built.__setitem__(0, metrics.refresh_rollups(engine, SLUG, days=full)),
        )
        print(f"  {built[0]} days built in {build_s:.1f} s; {table_sizes(store, ROLLUP_TABLES)}")
        with store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f"VACUUM ANALYZE {', '.join(ROLLUP_TABLES)}"))
        print(f"report as GET /v1/report computes it (closed days from the rollups); {loadavg()}")
        timed(f"whole range, days={full}", lambda: rolled(full), 3)
        timed("last 30 days", lambda: rolled(30), 3)
        timed("last 7 days", lambda: rolled(7), 3)
        for days in (full, 30, 7):
            diff = differences(rolled(days), live(days))
            print(f"  days={days}: rollups vs rows, figures that differ: {len(diff)} {diff[:3]}")
        late_ts = now - 20 * DAY
        late = [
            EventIn(user_id="u7", item_id="i1", type="purchase", value=20.0, ts=late_ts),
            EventIn(user_id="u8", type="click", item_id="i1", ts=now, request_id="r000000007"),
        ]
        store.insert_events(ws, late)
        with store.engine.connect() as conn:
            marked = conn.execute(text("SELECT count(DISTINCT day) FROM rollup_dirty")).scalar()
        timed(
            f"last 30 days, after a late purchase and click ({marked} days marked)",
            lambda: rolled(30),
        )
        period = metrics.Period.last_days(full, now)
        a, b = period.since, period.until
        print(
            "query families over the whole range (days and totals in one pass, as in the report):"
        )
        timed("served metrics", lambda: sql.served_metrics(store, ws, a, b, by_day="both"))
        timed(
            "prompt events",
            lambda: sql.prompt_events(
                store, ws, ("prompt_shown", "prompt_abandoned"), a, b, by_day="both"
            ),
        )
        timed(
            "engagement", lambda: sql.engagement(store, ws, ENGAGEMENT_EVENTS, a, b, by_day="both")
        )
        timed(
            "attributed conversions",
            lambda: sql.conversions(
                store, ws, CONVERSION_EVENTS, window_s=7 * DAY, since=a, until=b, by_day="both"
            ),
        )
        timed("answer choices", lambda: sql.answer_choices(store, ws, a, b, by_day=False))
        timed("free-text answers", lambda: sql.answer_texts(store, ws, EXPERIENCES, a, b))

        rng = random.Random(5)
        people = [f"u{rng.randrange(args.results // 3)}" for _ in range(300)]
        lat = []
        for p in people:
            t = time.perf_counter()
            store.user_history(ws, p, 200)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        print(
            f"one person's history (user_history over {parts} "
            f"partitions): p50 {statistics.median(lat):.2f} ms, "
            f"p99 {lat[int(len(lat) * 0.99)]:.2f} ms"
        )
        batch = [
            EventIn(
                user_id=f"u{rng.randrange(1000)}",
                item_id="i1",
                type="view",
                ts=now - rng.random() * 90 * DAY,
            )
            for _ in range(1000)
        ]
        t = time.perf_counter()
        stored = store.insert_events(ws, batch)
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = store.insert_events(ws, batch)
        second = time.perf_counter() - t
        print(
            f"Store.insert_events, 1,000 events into the loaded table: {first * 1000:.0f} ms "
            f"({stored} new); re-sent: {second * 1000:.0f} ms ({again} new)"
        )
        purchases = [
            EventIn(
                user_id=f"u{rng.randrange(args.results // 3)}",
                item_id="i1",
                type="purchase",
                value=10.0,
                ts=now - rng.random() * 90 * DAY,
            )
            for _ in range(1000)
        ]
        with store.engine.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM rollup_dirty")).scalar_one()
        t = time.perf_counter()
        store.insert_events(ws, purchases)
        took = time.perf_counter() - t
        with store.engine.connect() as conn:
            marks = conn.execute(text("SELECT count(*) FROM rollup_dirty")).scalar_one() - before
        print(
            f"  the same with 1,000 late purchases (each marks the closed days of its person's "
            f"results in the window): {took * 1000:.0f} ms, {marks} day marks; {loadavg()}"
        )
    finally:
        engine.close()
        store.close()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
