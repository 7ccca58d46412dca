"""The scale-out shape on one machine: N API worker processes on PostgreSQL, Redis configured.

    python scripts/demo_scale.py                 # serve until Ctrl-C (what `make demo-scale` runs)
    python scripts/demo_scale.py --check         # start, prove propagation across workers, stop

Each worker is its own process with its own engine, caches and connection pool (``tastemaker
demo --workers N``: SO_REUSEPORT sockets, the kernel spreads connections); they share only the
database (PostgreSQL), Redis (bandit counters) and the data directory holding the fitted
snapshots. ``--check`` changes an experience's question through the API and then asks, each
time on a fresh connection (so a different worker as often as not), until every one of 20
answers in a row shows the new question: the time printed is how long the slowest worker took.

Defaults: database ``tm_scale`` on the local PostgreSQL (created when missing), Redis db 8 under
the prefix ``tm-scale:``; ``--database-url`` and ``--redis-url`` point elsewhere.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/tm_scale"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` when it does not exist yet."""
    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{u.database}"')


@dataclass
class Shape:
    """The running workers and the keys the demo minted."""

    proc: subprocess.Popen[str]
    base_url: str
    public_key: str
    admin_key: str
    data_dir: Path
    database_url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(
    *,
    workers: int,
    port: int,
    database_url: str,
    redis_url: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Shape:
    """Load the demo into the database, fit, and start ``workers`` processes; wait for health."""
    ensure_database(database_url)
    env = {
        **os.environ,
        "TASTEMAKER_DATABASE_URL": database_url,
        "TASTEMAKER_REDIS_URL": redis_url,
        "TASTEMAKER_REDIS_PREFIX": "tm-scale:",
        "TASTEMAKER_DATA_DIR": str(data_dir),
        "OPENBLAS_NUM_THREADS": "1",
        **(extra_env or {}),
    }
    cmd = [sys.executable, "-m", "tastemaker", "demo", "--workers", str(workers)]
    cmd += ["--port", str(port)]
    err = None if log is None else log.open("w")  # the workers' logs (stderr)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    keys: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:  # the demo prints its keys before it starts serving
        m = re.match(r"(public|admin) key: (\S+)", line)
        if m:
            keys[m.group(1)] = m.group(2)
        if len(keys) == 2:
            break
    if len(keys) != 2:
        proc.wait()
        raise SystemExit(f"the demo did not start (exit {proc.returncode})")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        raise SystemExit("the workers did not become healthy within 120 s")
    return Shape(proc, base, keys["public"], keys["admin"], data_dir, database_url)


def check_propagation(shape: Shape, rounds: int = 20, limit: float = 10.0) -> float:
    """Change an experience through one connection; seconds until ``rounds`` fresh ones agree."""
    auth = {"Authorization": f"Bearer {shape.admin_key}"}
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection, a new worker draw
    with httpx.Client(base_url=shape.base_url, headers=auth, limits=fresh, timeout=10) as c:
        key = c.get("/v1/experiences").json()["experiences"][0]["key"]
        before = c.get(f"/v1/experiences/{key}").json()
        # Warm every worker's cache with the old version, so the check measures propagation.
        for _ in range(rounds):
            c.get(f"/v1/experiences/{key}")
        question = f"{before['prompt']['question']} (changed {time.strftime('%H:%M:%S')})"
        spec = _spec_with_question(shape, key, question)
        t0 = time.monotonic()
        assert c.post("/v1/experiences", json=spec).status_code == 200
        agree = 0
        while agree < rounds:
            if time.monotonic() - t0 > limit:
                raise SystemExit(f"not every worker saw the change within {limit} s")
            seen = c.get(f"/v1/experiences/{key}").json()["prompt"]["question"]
            agree = agree + 1 if seen == question else 0
            if seen != question:
                time.sleep(0.05)
        return time.monotonic() - t0


def stored_spec(database_url: str, key: str) -> dict[str, Any]:
    """The demo's stored spec of ``key``, read straight from the database."""
    from tastemaker.store import Store

    store = Store(database_url)
    try:
        ws = store.get_workspace("demo")
        assert ws is not None
        rec = store.get_experience(ws.id, key)
        assert rec is not None
        return dict(rec.spec)
    finally:
        store.close()


def _spec_with_question(shape: Shape, key: str, question: str) -> dict[str, Any]:
    spec = stored_spec(shape.database_url, key)
    spec["prompt"] = {**dict(spec["prompt"]), "question": question}
    return spec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--port", type=int, default=8010)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--redis-url", default=DEFAULT_REDIS)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="prove propagation, then stop")
    args = ap.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tm-scale-"))
    shape = start(
        workers=args.workers,
        port=args.port,
        database_url=args.database_url,
        redis_url=args.redis_url,
        data_dir=data_dir,
    )
    print(f"{args.workers} workers on {shape.base_url}, PostgreSQL {args.database_url}")
    print(f"Redis {args.redis_url}; snapshots in {data_dir}")
    print(f"public key: {shape.public_key}\nadmin key: {shape.admin_key}", flush=True)
    try:
        if args.check:
            took = check_propagation(shape)
            print(f"experience change seen by every worker after {took:.2f} s (limit 5 s)")
            return
        shape.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        shape.stop()


if __name__ == "__main__":
    main()
