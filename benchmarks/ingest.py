"""Ingest throughput: events per second from a JSONL file into a fresh store.

Measures the whole path a user runs (read + parse + validate + derive event ids + write + update
users), not the database alone. The target is >= 50,000 events/s into SQLite.

    python benchmarks/ingest.py                      # 200k events into a fresh SQLite file
    python benchmarks/ingest.py -n 1000000
    python benchmarks/ingest.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The PostgreSQL database must exist; its ``public`` schema is dropped and recreated.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import text

from tastemaker.ingest import ingest_events_file
from tastemaker.store import Store

TYPES = ["view"] * 6 + ["click"] * 2 + ["rating", "add_to_cart", "purchase", "like"]


def generate(path: Path, n: int, *, users: int, items: int, seed: int = 7) -> None:
    """Write n plausible events: skewed item popularity, mixed types, some with values."""
    rng = random.Random(seed)
    t0 = 1_700_000_000.0
    with path.open("wb") as fh:
        for i in range(n):
            kind = rng.choice(TYPES)
            event: dict[str, object] = {
                "user_id": f"u{rng.randrange(users)}",
                "item_id": f"i{int(rng.paretovariate(1.2)) % items}",
                "type": kind,
                "ts": t0 + i * 0.5,
            }
            if kind == "rating":
                event["value"] = rng.choice([1, 2, 3, 4, 5])
            if i % 10 == 0:
                event["context"] = {"device": rng.choice(["mobile", "desktop"])}
            fh.write(orjson.dumps(event) + b"\n")


def run(url: str, path: Path, n: int) -> float:
    store = Store(url)
    try:
        if store.dialect == "postgresql":
            with store.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        store.migrate()
        ws = store.create_workspace("bench", "Benchmark")
        start = time.perf_counter()
        report = ingest_events_file(store, ws.id, path)
        seconds = time.perf_counter() - start
        assert report.stored == n, report
        rate = n / seconds
        print(f"{store.dialect:10s} {n:,} events in {seconds:.2f} s = {rate:,.0f} events/s")
        start = time.perf_counter()
        again = ingest_events_file(store, ws.id, path)
        seconds = time.perf_counter() - start
        assert again.stored == 0, again
        print(f"{'':10s} re-ingest (all duplicates) in {seconds:.2f} s = {n / seconds:,.0f} rows/s")
        return rate
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--events", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", help="also measure this PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        generate(path, args.events, users=args.users, items=args.items)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.events:,} events ({size_mb:.1f} MB) in {path}")
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", path, args.events)
        if args.database_url:
            run(args.database_url, path, args.events)


if __name__ == "__main__":
    main()
