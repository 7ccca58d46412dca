"""Benchmark the measure area: the report's SQL, and the cost of preparing event batches.

Generates a workspace with ``--results`` served results over 30 days (3 experiences x 2
variants), their answer logs, and a journey per result (prompt shown, sometimes abandoned,
result viewed, clicks, add-to-cart, purchases with revenue, a few unsubscribes; a quarter of the
people anonymous and later identified), then times:

- the whole report (every query, totals and per day, themes with the static encoder);
- each query family on its own (served, prompt events, engagement, attribution);
- event ingest through ``Engine.insert_events`` (checks, stitching, UTM) against the store's raw
  ``insert_events``, in events per second.

    .venv/bin/python benchmarks/report.py [--results 100000] [--database-url URL]

Without ``--database-url`` it runs on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from tastemaker.encoders import get_encoder
from tastemaker.engine import Engine
from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import EventIn
from tastemaker.measure import metrics
from tastemaker.measure.events import CONVERSION_EVENTS, ENGAGEMENT_EVENTS
from tastemaker.settings import Settings
from tastemaker.store import ServedRecord, Store
from tastemaker.store import measure as q
from tastemaker.store import metrics as sql

DAY = 86400.0
TEXTS = ["something calm", "calm and quiet", "loud rock", "heavy loud rock", "funny", "a comedy"]


def spec(key: str) -> ExperienceSpec:
    return ExperienceSpec.model_validate(
        {
            "key": key,
            "name": key,
            "prompt": {
                "kind": "choice",
                "question": "?",
                "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            },
            "measure": {"objective": "revenue"},
        }
    )


def generate(store: Store, ws: int, n: int, start: float) -> list[EventIn]:
    rng = random.Random(7)
    served: list[ServedRecord] = []
    logs: list[q.AnswerLog] = []
    events: list[EventIn] = []
    for i in range(n):
        at = start + rng.random() * 30 * DAY
        exp, variant = f"exp{i % 3}", "AB"[rng.random() < 0.5]
        user = f"u{rng.randrange(n // 3)}"
        rid = f"r{i}"
        served.append(
            ServedRecord(
                ws,
                rid,
                exp,
                1,
                variant,
                user,
                ("i1", "i2"),
                rng.random() < 0.01,
                at,
                rng.lognormvariate(2, 0.5),
            )
        )
        text = rng.choice(TEXTS) if rng.random() < 0.3 else None
        logs.append(
            q.AnswerLog(
                ws,
                rid,
                "answer",
                exp,
                variant,
                user,
                rng.choice("ab"),
                text,
                rng.random(),
                None,
                at,
            )
        )
        ctx = {"experience": exp, "variant": variant}
        events.append(EventIn(user_id=user, type="prompt_shown", ts=at - 5, context=ctx))
        if rng.random() < 0.1:
            events.append(EventIn(user_id=user, type="prompt_abandoned", ts=at - 1, context=ctx))
        events.append(EventIn(user_id=user, type="result_viewed", ts=at + 1, request_id=rid))
        if rng.random() < 0.3:
            events.append(
                EventIn(user_id=user, item_id="i1", type="click", ts=at + 5, request_id=rid)
            )
        if rng.random() < 0.1:
            events.append(EventIn(user_id=user, item_id="i1", type="add_to_cart", ts=at + 60))
        if rng.random() < 0.05:
            events.append(
                EventIn(
                    user_id=user, type="purchase", value=round(rng.uniform(5, 80), 2), ts=at + 3600
                )
            )
        if rng.random() < 0.005:
            events.append(EventIn(user_id=user, type="unsubscribe", ts=at + 7200))
    for k in range(0, n, 5000):
        store.record_served(served[k : k + 5000])
        q.record_answers(store, logs[k : k + 5000])
    return events


def timed(label: str, fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    s = time.perf_counter() - t
    print(f"  {label:<44} {s * 1000:9.1f} ms")
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=int, default=100_000)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    store = Store(url)
    store.migrate()
    slug = f"bench-{int(time.time())}"
    ws = store.create_workspace(slug)
    engine = Engine(store, Settings(data_dir=tmp, database_url=url), encoder=get_encoder("static"))
    start = (time.time() // DAY - 29) * DAY
    t = time.perf_counter()
    events = generate(store, ws.id, args.results, start)
    print(
        f"{store.dialect}: {args.results} results, {len(events)} events "
        f"(generated and results stored in {time.perf_counter() - t:.1f} s)"
    )

    half = len(events) // 2
    t = time.perf_counter()
    store.insert_events(ws.id, events[:half])
    raw = half / (time.perf_counter() - t)
    t = time.perf_counter()
    for k in range(half, len(events), 1000):  # API-sized batches
        engine.insert_events(slug, events[k : k + 1000])
    prepared = (len(events) - half) / (time.perf_counter() - t)
    print(f"  ingest, store.insert_events (one batch)      {raw:9.0f} events/s")
    print(f"  ingest, Engine.insert_events (1000 a batch)  {prepared:9.0f} events/s")
    links = range(0, min(args.results // 3, 2000), 4)  # some of the people log in
    t = time.perf_counter()
    for u in links:
        q.link_identity(store, ws.id, f"u{u}", f"known{u}")
    print(
        f"  identify (re-keys the person's rows)         "
        f"{len(links) / (time.perf_counter() - t):9.0f} links/s"
    )

    if store.dialect == "postgresql":
        # What autovacuum does after a bulk load; without statistics the planner guesses tiny
        # tables and picks nested loops for the report's joins.
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    specs = {f"exp{i}": spec(f"exp{i}") for i in range(3)}
    period = metrics.Period(start, start + 30 * DAY)
    a, b = period.since, period.until
    print("timings:")
    timed("served metrics by day", lambda: sql.served_metrics(store, ws.id, a, b))
    timed(
        "prompt events by day",
        lambda: sql.prompt_events(store, ws.id, ("prompt_shown", "prompt_abandoned"), a, b),
    )
    timed("engagement by day", lambda: sql.engagement(store, ws.id, ENGAGEMENT_EVENTS, a, b))
    timed(
        "attributed conversions by day",
        lambda: sql.conversions(
            store, ws.id, CONVERSION_EVENTS, window_s=7 * DAY, since=a, until=b
        ),
    )
    out: dict[str, object] = {}
    timed(
        "whole report (totals + days + themes)",
        lambda: out.update(metrics.report(store, ws.id, specs, period, encoder=engine.encoder)),
    )
    exps = out["experiences"]
    assert isinstance(exps, list)
    first = exps[0]["variants"][0]["totals"]
    print(
        f"  sample: exp0/{exps[0]['variants'][0]['variant']} results {first['results']}, "
        f"answer rate {first['answer_rate']:.3f}, CTR {first['click_through_rate']:.3f}, "
        f"revenue/visitor {first['revenue_per_visitor']:.3f}"
    )
    engine.close()
    store.close()


if __name__ == "__main__":
    main()
