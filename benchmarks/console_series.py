"""Benchmark the console's series: an experiment's 30-day timeline and a bandit's arm shares.

Generates one experiment with ``--units`` people exposed evenly over 30 days (two variants,
about 10% converting after exposure, a few with a purchase before it, so CUPED is in play), and
a bandit with ``--pulls`` rewards over the same days, then times:

- ``experiment_timeline`` for 30 days (one analysis per day on the data up to that day; no
  experience spec, so this is the lift series alone), and the 7-day window;
- ``bandit_history`` for 30 days (one query over ``bandit_days``);
- what the daily row adds to a reward's write: 1,000 rewards with the totals only, and 1,000
  with the totals and the day's row (one transaction either way).

    .venv/bin/python benchmarks/console_series.py [--units 20000] [--database-url URL]

Without ``--database-url`` it runs on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from tastemaker.ingest import EventIn
from tastemaker.measure.design import ExperimentSpec
from tastemaker.measure.metrics import DAY
from tastemaker.measure.service import ExperimentService
from tastemaker.measure.timeline import experiment_timeline
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.store.experiments import Exposure

SPEC = ExperimentSpec.model_validate(
    {
        "key": "bench",
        "experience": "bench",
        "variants": [{"name": "a"}, {"name": "b"}],
        "metric": {"event": "purchase"},
    }
)


def seed(store: Store, service: ExperimentService, ws: int, units: int, pulls: int) -> float:
    rng = random.Random(7)
    now = time.time()
    start = (now // DAY - 29) * DAY
    exposures, events = [], []
    for i in range(units):
        variant = "ab"[i % 2]
        ts = start + rng.random() * (now - start)
        exposures.append(Exposure(ws, "bench", f"u{i}", variant, ts))
        if rng.random() < (0.10 if variant == "a" else 0.11):
            events.append(EventIn(user_id=f"u{i}", type="purchase", ts=min(now, ts + 3600)))
        if rng.random() < 0.05:
            events.append(EventIn(user_id=f"u{i}", type="purchase", ts=ts - 86400))
    service.db.log_exposures(exposures)
    for at in range(0, len(events), 5000):
        store.insert_events(ws, events[at : at + 5000])
    for _ in range(pulls):
        arm = rng.choice(["short", "long", "question"])
        t = start + rng.random() * (now - start)
        service.bandit_reward(ws, "titles", arm, float(rng.random() < 0.1), None, now=t)
    return now


def timed(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=20_000)
    ap.add_argument("--pulls", type=int, default=5_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    store = Store(url)
    store.migrate()
    ws = store.create_workspace(f"bench-{int(time.time())}").id
    service = ExperimentService(store, Settings(database_url=url))
    t0 = time.perf_counter()
    now = seed(store, service, ws, args.units, args.pulls)
    print(f"{store.engine.dialect.name}: seeded {args.units} units, {args.pulls} bandit pulls "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    for days in (30, 7):
        ms = timed(
            lambda d=days: experiment_timeline(
                store, service.db, ws, "bench", SPEC, now - 30 * DAY, None, days=d, now=now
            ),
            args.runs,
        )
        print(f"experiment timeline, {days} days: median {statistics.median(ms):.0f} ms, "
              f"max {max(ms):.0f} ms ({args.runs} runs)")  # fmt: skip
    ms = timed(lambda: service.bandit_history(ws, "titles", days=30, now=now), args.runs)
    print(f"bandit history, 30 days: median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms")
    state = service._bandit_state(ws)
    deltas = {"n": 1.0, "r": 1.0}
    for label, day in (("totals only", None), ("totals + day row", int(now // DAY))):
        ms = sorted(timed(lambda d=day: state.record("writes", "a", deltas, d), 1000))
        print(f"reward write, {label}: p50 {ms[500]:.2f} ms, p95 {ms[950]:.2f} ms")
    store.close()


if __name__ == "__main__":
    main()
