"""The fault drill: break what a deployment leans on while load runs, and count what survived.

    python scripts/fault_drill.py            # ~3 minutes; prints one line per phase, then counts

It starts the scale-out shape of ``scripts/demo_scale.py`` (2 workers on PostgreSQL, here with a
private Redis on a free port and an OpenAI-compatible chat server that never answers), then runs
a fixed-rate client (answers, and event batches with their own event ids) through these phases:

1. steady          nothing broken
2. postgres down   the local PostgreSQL cluster stopped for a few seconds, then started again
3. recovering      buffered events drain
4. redis down      the private Redis killed, restarted after the phase
5. llm hanging     an experience switched to the "chat" copywriter, whose server never replies
6. index corrupt   the vector index file overwritten with garbage, then a catalog change

At the end it waits for the stored count of its events to settle and prints sent / acknowledged
/ stored / duplicates: the drill passes when stored == sent and nothing is doubled.

PostgreSQL is ALWAYS started again in a ``finally`` block (others use the same cluster). The
client re-sends a batch only when it got no 2xx (connection error, 5xx, 503), as a well-behaved
client would; event ids make that safe.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from demo_scale import Shape, ensure_database, start, stored_spec
from sqlalchemy import text

from tastemaker.store import Store

DB = "postgresql+psycopg://postgres@127.0.0.1:5432/tm_drill"
PROMPTS = ["something calm", "upbeat for a run", "rainy sunday", "90s nostalgia", "dinner"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the things that get broken ------------------------------------------------------------------


def pg_cluster(action: str) -> None:
    """``pg_ctlcluster`` on this machine's single cluster (Debian's layout)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
    )


def wait_for_postgres(url: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            ensure_database(url)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextlib.contextmanager
def private_redis(port: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """A redis-server on ``port`` (no persistence); yields a one-element list to swap it."""
    cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL)]
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()


@contextlib.contextmanager
def hanging_llm() -> Iterator[str]:
    """A chat-completions server that reads the request and never replies: a hung model."""
    released = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            released.wait(600)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        released.set()
        server.shutdown()
        server.server_close()


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    answers: int = 0
    answer_errors: int = 0
    fallbacks: int = 0
    template_copy: int = 0
    latencies: list[float] = field(default_factory=list)
    batches_stored: int = 0  # 200
    batches_buffered: int = 0  # 202
    batch_retries: int = 0  # no 2xx: sent again
    why: Counter[str] = field(default_factory=Counter)  # what the failed answers got

    def line(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return (
            f"{self.name:<15} answers {self.answers:>4} (errors {self.answer_errors}, "
            f"fallback {self.fallbacks}, template copy {self.template_copy}) "
            f"p50 {p50:6.1f} ms p99 {p99:7.1f} ms | event batches 200: {self.batches_stored}, "
            f"202 buffered: {self.batches_buffered}, re-sent: {self.batch_retries}"
            + (f" | answer errors: {dict(self.why)}" if self.why else "")
        )


class Load:
    """Answers and event batches at a fixed rate; every event id is unique and remembered."""

    def __init__(self, shape: Shape, key: str, rate: float, batch: int) -> None:
        self.shape = shape
        self.key = key
        self.rate = rate
        self.batch = batch
        self.phase = Phase("start")
        self.phases: list[Phase] = []
        self.sent = 0  # events whose batch got a 2xx
        self.made = 0  # events created
        self.items: list[str] = []
        self.stop = asyncio.Event()
        self.pending: set[asyncio.Task[None]] = set()

    def next_phase(self, name: str) -> None:
        self.phase = Phase(name)
        self.phases.append(self.phase)

    async def run(self) -> None:
        auth = {"Authorization": f"Bearer {self.shape.public_key}"}
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(
            base_url=self.shape.base_url, headers=auth, limits=limits, timeout=30
        ) as client:
            tick = 1.0 / self.rate
            n = 0
            next_at = time.monotonic()
            while not self.stop.is_set():
                n += 1
                coro = self.answer(client, n) if n % 2 else self.events(client)
                task = asyncio.create_task(coro)
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)
                next_at += tick
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if self.pending:
                await asyncio.wait(self.pending)

    async def answer(self, client: httpx.AsyncClient, n: int) -> None:
        phase = self.phase
        body = {"text": random.choice(PROMPTS), "user_id": f"drill-user-{n % 50}"}
        t0 = time.perf_counter()
        try:
            r = await client.post(f"/v1/experiences/{self.key}/answer", json=body)
        except httpx.HTTPError as exc:
            phase.answer_errors += 1
            phase.why[type(exc).__name__] += 1
            return
        phase.latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            phase.answer_errors += 1
            phase.why[f"HTTP {r.status_code}"] += 1
            return
        data = r.json()
        phase.answers += 1
        phase.fallbacks += bool(data["fallback"])
        phase.template_copy += (data.get("copy") or {}).get("source") == "template"
        if not self.items:
            self.items = [i["id"] for i in data["items"]]

    async def events(self, client: httpx.AsyncClient) -> None:
        items = self.items or ["none"]
        now = time.time()
        batch = []
        for _ in range(self.batch):
            self.made += 1
            batch.append(
                {
                    "event_id": f"drill-{self.made}",
                    "user_id": f"drill-user-{self.made % 50}",
                    "item_id": random.choice(items),
                    "type": "view",
                    "ts": now,
                }
            )
        while True:
            phase = self.phase
            try:
                r = await client.post("/v1/events", json={"events": batch})
                if r.status_code in (200, 202):
                    if r.status_code == 200:
                        phase.batches_stored += 1
                    else:
                        phase.batches_buffered += 1
                    self.sent += len(batch)
                    return
            except httpx.HTTPError:
                pass
            phase.batch_retries += 1
            await asyncio.sleep(0.5)


# -- the drill -----------------------------------------------------------------------------------


def admin(shape: Shape) -> httpx.Client:
    auth = {"Authorization": f"Bearer {shape.admin_key}"}
    return httpx.Client(base_url=shape.base_url, headers=auth, timeout=60)


def stored_count(url: str) -> tuple[int, int]:
    """(rows, distinct ids) of the drill's events in the database."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT event_id) FROM events "
                    "WHERE event_id LIKE 'drill-%'"
                )
            ).one()
            return int(row[0]), int(row[1])
    finally:
        store.close()


async def drill(
    shape: Shape, args: argparse.Namespace, redis: list[subprocess.Popen[bytes]]
) -> None:
    key = args.experience
    load = Load(shape, key, args.rate, args.batch)
    load.next_phase("steady")
    runner = asyncio.create_task(load.run())
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(args.phase)

        load.next_phase("postgres down")
        await loop.run_in_executor(None, pg_cluster, "stop")
        try:
            await asyncio.sleep(args.outage)
        finally:
            await loop.run_in_executor(None, pg_cluster, "start")
        load.next_phase("recovering")
        await loop.run_in_executor(None, wait_for_postgres, shape.database_url)
        await asyncio.sleep(args.phase)

        load.next_phase("redis down")
        redis[0].terminate()
        redis[0].wait()
        await asyncio.sleep(args.phase)
        cmd = ["redis-server", "--port", str(args.redis_port), "--save", "", "--appendonly", "no"]
        redis[0] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)

        load.next_phase("llm hanging")
        spec = stored_spec(shape.database_url, key)
        hung = {**spec, "copywriter": {"kind": "chat", "budget_ms": 400}}
        with admin(shape) as c:
            r = await loop.run_in_executor(None, lambda: c.post("/v1/experiences", json=hung))
            assert r.status_code == 200, r.text
            await asyncio.sleep(args.phase)
            r = await loop.run_in_executor(None, lambda: c.post("/v1/experiences", json=spec))
            assert r.status_code == 200, r.text

        load.next_phase("index corrupt")
        index = shape.data_dir / "models" / "demo" / "index"
        for f in index.glob("*.npy"):
            f.write_bytes(b"garbage")
        item = {"id": "drill-item", "title": "Drill record", "text": "a calm drill record"}
        with admin(shape) as c:
            r = await loop.run_in_executor(
                None, lambda: c.post("/v1/items", json={"items": [item]})
            )
            print(f"catalog change with a corrupt index: HTTP {r.status_code}")
        await asyncio.sleep(args.phase)
    finally:
        load.stop.set()
        await runner
    for p in load.phases:
        print(p.line())
    deadline = time.monotonic() + 60
    rows, distinct = stored_count(shape.database_url)
    while rows < load.sent and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        rows, distinct = stored_count(shape.database_url)
    print(
        f"events made {load.made}, acknowledged {load.sent}, stored {rows} "
        f"(distinct {distinct}): lost {load.sent - distinct}, doubled {rows - distinct}"
    )
    print("PASS" if rows == distinct == load.sent == load.made else "FAIL")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=30.0, help="requests/s (half answers)")
    ap.add_argument("--batch", type=int, default=5, help="events per batch")
    ap.add_argument("--phase", type=float, default=6.0, help="seconds per phase")
    ap.add_argument("--outage", type=float, default=6.0, help="seconds PostgreSQL stays down")
    ap.add_argument("--database-url", default=DB)
    ap.add_argument("--experience", default="tell-us", help="the demo experience answered")
    args = ap.parse_args()
    args.redis_port = free_port()
    with hanging_llm() as llm_url, private_redis(args.redis_port) as redis:
        data_dir = Path(tempfile.mkdtemp(prefix="tm-drill-"))
        ensure_database(args.database_url)
        store = Store(args.database_url)
        with store.engine.begin() as conn:  # a clean slate: the count must be this run's alone
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        store.close()
        shape = start(
            workers=args.workers,
            port=free_port(),
            database_url=args.database_url,
            redis_url=f"redis://127.0.0.1:{args.redis_port}/0",
            data_dir=data_dir,
            log=data_dir / "workers.log",
            extra_env={
                "TASTEMAKER_LLM_BASE_URL": llm_url,
                "TASTEMAKER_LLM_MODEL": "hang",
                "TASTEMAKER_DELIVER_IN_SERVER": "0",
            },
        )
        print(f"workers' logs: {data_dir / 'workers.log'}", flush=True)
        try:
            asyncio.run(drill(shape, args, redis))
        finally:
            shape.stop()
            with contextlib.suppress(subprocess.CalledProcessError):  # "already running"
                pg_cluster("start")


if __name__ == "__main__":
    main()
