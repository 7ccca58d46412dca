"""Privacy costs: the per-answer consent read, export, erasure and a retention pass.

What it measures, on a fresh store with ``--people`` people of ``--events`` events each (half of
them with consent records and remembered facts):

- ``person_state``: what every answer for a known person now reads (policy, consent, and the
  remembered facts under memory consent), next to ``user_history``, the read every such answer
  already made, for scale;
- ``export`` and ``erase`` (without refit) of one person;
- ``maintain``: one retention pass that deletes half of all events.

    python benchmarks/privacy.py
    python benchmarks/privacy.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The PostgreSQL database must exist; its ``public`` schema is dropped and recreated.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from tastemaker.ingest import EventIn
from tastemaker.store import Store
from tastemaker.store.privacy import PrivacyStore
from tastemaker.store.privacy_records import DAY, Memory

T0 = 1_700_000_000.0


def timed(label: str, calls: list[Callable[[], object]]) -> None:
    ms: list[float] = []
    for call in calls:
        t = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t) * 1000.0)
    ms.sort()
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"  {label:<34} n={len(ms):>5}  p50={statistics.median(ms):8.3f} ms  p99={p99:8.3f} ms",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--events", type=int, default=30)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(url)
        if store.dialect == "postgresql":
            with store.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        store.migrate()
        ws = store.create_workspace("bench", "bench")
        privacy = PrivacyStore(store)
        people = [f"u{i}" for i in range(args.people)]
        t = time.perf_counter()
        store.insert_events(
            ws.id,
            [
                EventIn(user_id=u, item_id=f"i{(i * 7 + k) % 500}", type="view", ts=T0 + k * DAY)
                for i, u in enumerate(people)
                for k in range(args.events)
            ],
        )
        for u in people[::2]:
            privacy.record_consent(ws.id, u, {"memory": True}, source="bench", now=T0)
        privacy.remember(
            [
                Memory(
                    ws.id,
                    u,
                    uuid.uuid4().hex,
                    "bench",
                    None,
                    "a comedy under $10",
                    (("taste", "genre", "comedy"), ("budget", "price", "10")),
                    T0,
                    T0 + 1e9,
                )
                for u in people[::2]
            ]
        )
        n_events = args.people * args.events
        print(
            f"{store.dialect}: {args.people} people, {n_events} events "
            f"(setup {time.perf_counter() - t:.1f}s)"
        )
        sample = [people[(i * 7919) % len(people)] for i in range(args.samples)]
        timed(
            "user_history (already per answer)",
            [lambda u=u: store.user_history(ws.id, u, 5000) for u in sample],
        )
        timed(
            "person_state (new per answer)",
            [lambda u=u: privacy.person_state(ws.id, u, T0) for u in sample],
        )
        few = sample[: max(1, args.samples // 10)]
        timed("export one person", [lambda u=u: privacy.export(ws.id, u) for u in few])
        distinct = list(dict.fromkeys(few))
        timed(
            "erase one person (no refit)", [lambda u=u: privacy.erase(ws.id, u) for u in distinct]
        )
        privacy.set_policy(ws.id, events_days=args.events // 2)
        t = time.perf_counter()
        counts = privacy.purge_expired(ws.id, T0 + args.events * DAY)
        seconds = time.perf_counter() - t
        print(
            f"  maintain: deleted {counts['events']} events in {seconds:.2f}s "
            f"({counts['events'] / seconds:,.0f} events/s)"
        )
        store.close()


if __name__ == "__main__":
    main()
