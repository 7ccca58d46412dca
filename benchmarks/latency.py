"""Answer latency, in-process and over HTTP on loopback, at 10k and 100k generated items.

    python benchmarks/latency.py                      # both sizes, in-process and HTTP
    python benchmarks/latency.py --sizes 100000 --no-http
    python benchmarks/latency.py --sizes 100000 --no-http --fresh-text  # no free text repeats
    python benchmarks/latency.py --sizes 100000 --http-only --workers 2 --clients 32
    python benchmarks/latency.py --sizes 100000 --http-only --rates 100 --burst 5  # + a burst
    python benchmarks/latency.py --sizes 100000 --keep /tmp/tm-bench  # fit once, reuse after

Prints p50/p99 per mode and size. With ``--burst K`` each offered rate R is followed by a burst
at K x R for ``--burst-seconds`` (30 s): a flash sale on top of the sustained load.

The catalog is generated (seeded) with the demo's vocabulary scaled up: texts, genres, moods,
decades, prices, and users with histories, so every stage (semantic, lexical, CF, rules,
diversity) does real work. Nothing here asserts: it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tastemaker.demo.vocab import MOODS as DEMO_MOODS
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.types import RequestContext

GENRES = [
    "rock",
    "pop",
    "jazz",
    "blues",
    "soul",
    "funk",
    "hip-hop",
    "electronic",
    "house",
    "techno",
    "ambient",
    "classical",
    "folk",
    "country",
    "reggae",
    "metal",
    "punk",
    "indie",
    "latin",
    "afrobeat",
]
MOODS = [*DEMO_MOODS, "chill", "playful", "nostalgic"]
NOUNS = [
    "river",
    "night",
    "city",
    "summer",
    "rain",
    "road",
    "heart",
    "light",
    "dream",
    "fire",
    "ocean",
    "garden",
    "window",
    "train",
    "moon",
    "street",
]
ADJ = [
    "golden",
    "quiet",
    "electric",
    "velvet",
    "broken",
    "silver",
    "wild",
    "lonely",
    "bright",
    "hidden",
    "slow",
    "neon",
    "gentle",
    "restless",
]
WORDS = [
    "warm",
    "guitar",
    "piano",
    "synth",
    "bass",
    "drums",
    "strings",
    "vocals",
    "groove",
    "beat",
    "melody",
    "harmony",
    "rhythm",
    "echo",
    "haze",
    "glow",
    "pulse",
]

PROMPTS_TEXT = [
    "something calm for a rainy sunday",
    "upbeat songs for a run, no metal",
    "90s hip-hop to cook to",
    "dreamy electronic music for late night",
    "romantic jazz under $2",
    "happy folk songs for kids",
    "dark techno, nothing ambient",
    "nostalgic rock from the 80s",
]
CHOICES = ["focus", "chill", "party"]
# With ``--fresh-text`` each free-text answer is composed from these, so that it is new to every
# cache keyed by the whole text (the encoder's, the retrieval's): people seldom type the same
# sentence twice, while the eight PROMPTS_TEXT above repeat and are served warm after their
# first use.
SHAPES = [
    "something {mood} for {moment}",
    "{mood} {genre} for {moment}",
    "{genre} with {word} and {word2}, no {genre2}",
    "{mood} {genre} from the {decade}s",
    "{mood} and {mood2} songs for {moment}, nothing {genre2}",
    "{word} and {noun}, something {mood} please",
    "{adj} {genre} under ${price}",
    "I don't really like {genre2}, something {mood} with {word}",
]
MOMENTS = [
    "a rainy sunday",
    "a run",
    "cooking dinner",
    "late at night",
    "the office",
    "a road trip",
    "a dinner party",
    "studying",
    "the gym",
    "a lazy morning",
    "the beach",
    "a long drive home",
]


def fresh_text(rnd: random.Random) -> str:
    """A free-text answer composed at random from the catalog's own vocabulary."""
    genre, genre2 = rnd.sample(GENRES, 2)
    mood, mood2 = rnd.sample(MOODS, 2)
    word, word2 = rnd.sample(WORDS, 2)
    return rnd.choice(SHAPES).format(
        mood=mood,
        mood2=mood2,
        genre=genre,
        genre2=genre2,
        word=word,
        word2=word2,
        noun=rnd.choice(NOUNS),
        adj=rnd.choice(ADJ),
        moment=rnd.choice(MOMENTS),
        decade=rnd.choice(range(1960, 2030, 10)),
        price=rnd.choice([1, 2, 3, 5]),
    )


def make_items(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    items = []
    for i in range(n):
        genres = rnd.sample(GENRES, rnd.choice([1, 1, 2]))
        moods = rnd.sample(MOODS, 2)
        year = rnd.randint(1960, 2024)
        title = f"{rnd.choice(ADJ).title()} {rnd.choice(NOUNS).title()} {i}"
        text = (
            f"A {moods[0]} {genres[0]} track with {rnd.choice(WORDS)} and {rnd.choice(WORDS)}, "
            f"{moods[1]} and {rnd.choice(ADJ)}, like a {rnd.choice(NOUNS)} at {rnd.choice(NOUNS)}."
        )
        items.append(
            {
                "id": f"t{i}",
                "title": title,
                "text": text,
                "attributes": {
                    "genres": genres,
                    "moods": moods,
                    "year": year,
                    "artist": f"artist {rnd.randint(0, n // 8)}",
                },
                "price": round(rnd.uniform(0.5, 3.0), 2),
                "available": rnd.random() > 0.02,
            }
        )
    return items


def make_events(n_items: int, n_users: int, per_user: int, seed: int = 2) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    now = time.time()
    events = []
    for u in range(n_users):
        # Users stick to a neighbourhood of the catalog: CF has structure to find.
        centre = rnd.randrange(n_items)
        for _ in range(per_user):
            item = (centre + int(rnd.gauss(0, n_items / 50))) % n_items
            events.append(
                {
                    "user_id": f"u{u}",
                    "item_id": f"t{item}",
                    "type": rnd.choice(["play", "play", "like", "skip"]),
                    "ts": now - rnd.uniform(0, 90 * 86400),
                }
            )
    return events


EXPERIENCES = [
    {
        "key": "vibe",
        "name": "Pick a vibe",
        "prompt": {
            "kind": "choice",
            "question": "Pick a vibe",
            "choices": [
                {
                    "id": "focus",
                    "label": "Focus",
                    "intent": {"text": "calm focused instrumental", "moods": ["focused", "calm"]},
                },
                {
                    "id": "chill",
                    "label": "Chill",
                    "intent": {"text": "chill dreamy slow", "moods": ["chill", "dreamy"]},
                },
                {
                    "id": "party",
                    "label": "Party",
                    "intent": {"text": "energetic dance party", "moods": ["energetic", "happy"]},
                },
            ],
        },
        "output": {"kind": "playlist", "size": 10},
        "diversity": {"max_per_value": {"artist": 2}},
    },
    {
        "key": "ask",
        "name": "Tell us",
        "prompt": {"kind": "text", "question": "What do you want to hear?"},
        "output": {"kind": "playlist", "size": 10},
    },
]


def setup(n: int, root: Path) -> tuple[Settings, Engine]:
    settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'bench.db'}")
    store = Store(settings.database_url)
    store.migrate()
    store.create_workspace("bench", "bench")
    engine = Engine(store, settings)
    t = time.perf_counter()
    ws = store.get_workspace("bench")
    assert ws is not None
    store.upsert_items(ws.id, [ItemIn.model_validate(i) for i in make_items(n)])
    n_users = max(200, n // 50)
    store.insert_events(ws.id, [EventIn.model_validate(e) for e in make_events(n, n_users, 30)])
    for spec in EXPERIENCES:
        engine.save_experience("bench", spec)
    print(f"  loaded {n} items, {n_users} users in {time.perf_counter() - t:.1f}s", flush=True)
    t = time.perf_counter()
    engine.fit("bench")
    print(f"  fitted in {time.perf_counter() - t:.1f}s", flush=True)
    return settings, engine


def requests(n_users: int, count: int, seed: int = 3, fresh: bool = False) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        user = f"u{rnd.randrange(n_users)}" if rnd.random() < 0.8 else None
        if rnd.random() < 0.5:
            out.append(
                {"key": "vibe", "user_id": user, "choice": rnd.choice(CHOICES), "text": None}
            )
        else:
            text = fresh_text(rnd) if fresh else rnd.choice(PROMPTS_TEXT)
            out.append({"key": "ask", "user_id": user, "choice": None, "text": text})
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def in_process(engine: Engine, n: int, count: int, fresh: bool = False) -> None:
    reqs = requests(max(200, n // 50), count, fresh=fresh)
    # warm caches (encoder LRU, first-touch pages); fresh texts are warmed with other ones
    warm = requests(max(200, n // 50), 50, seed=4, fresh=fresh) if fresh else reqs[:50]
    for r in warm:
        engine.answer("bench", r["key"], user_id=r["user_id"], choice=r["choice"], text=r["text"])
    lat: list[float] = []
    fallbacks = 0
    for r in reqs:
        t = time.perf_counter()
        a = engine.answer(
            "bench",
            r["key"],
            user_id=r["user_id"],
            choice=r["choice"],
            text=r["text"],
            context=RequestContext(hour=20, device="mobile"),
        )
        lat.append((time.perf_counter() - t) * 1000)
        fallbacks += a.fallback
    texts = "fresh text" if fresh else "repeated text"
    print(
        f"  in-process  n={n:>7}  requests={count} ({texts})  p50={pct(lat, 50):.2f} ms  "
        f"p99={pct(lat, 99):.2f} ms  mean={statistics.mean(lat):.2f} ms  fallbacks={fallbacks}",
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(
    url: str, key: str, bodies: list[dict[str, Any]], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    import httpx

    lat: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=10
    ) as client:

        async def worker(i: int) -> None:
            nonlocal errors
            j = i
            while time.perf_counter() < deadline:
                b = bodies[j % len(bodies)]
                j += clients
                t = time.perf_counter()
                try:
                    r = await client.post(
                        f"/v1/experiences/{b['key']}/answer",
                        json={k: v for k, v in b.items() if k != "key"},
                    )
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                lat.append((time.perf_counter() - t) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    return lat, errors, elapsed


WRK_LUA = """
local bodies = {}
local i = 0
for line in io.lines("%s") do
  local key, body = line:match("^(%%S+)\t(.*)$")
  bodies[#bodies + 1] = {key = key, body = body}
end
request = function()
  i = i %% #bodies + 1
  local b = bodies[i]
  return wrk.format("POST", "/v1/experiences/" .. b.key .. "/answer",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, b.body)
end
%s
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000) .. string.char(10))
end
"""


def _wrk(
    url: str,
    key: str,
    bodies: list[dict[str, Any]],
    clients: int,
    seconds: float,
    rate: float | None = None,
) -> str:
    """Drive the server with wrk (C, one thread per core): the client must not eat the CPU
    the server is being measured on, which a Python client at 500+ requests/s would."""
    import json

    folder = Path(tempfile.mkdtemp(prefix="tm-wrk-"))
    lines = folder / "bodies.tsv"
    lines.write_text(
        "\n".join(
            f"{b['key']}\t{json.dumps({k: v for k, v in b.items() if k != 'key'})}" for b in bodies
        )
        + "\n"
    )
    script = folder / "answer.lua"
    # Paced: each connection waits clients/rate seconds between requests on average, so the
    # offered load is about ``rate`` per second and latency is measured below saturation (wrk
    # alone is a closed loop that always saturates the server, where latency just measures the
    # queue). The wait is drawn uniformly from 0 to twice that: with a fixed wait the
    # connections, all started together, stay in step and arrive as bursts of ``clients``
    # requests at once, which measures a burst, not a sustained rate.
    pacing = (
        "math.randomseed(os.time())\n"
        f"delay = function() return math.random(0, {2000 * clients / rate:.0f}) end"
        if rate
        else ""
    )
    script.write_text(WRK_LUA % (lines, key, pacing))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shutil.rmtree(folder, ignore_errors=True)
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    requests_, errors, duration_us = int(fields[1]), int(fields[2]), int(fields[3])
    p50, p99, worst = float(fields[4]), float(fields[5]), float(fields[6])
    return (
        f"throughput={requests_ / (duration_us / 1e6):.0f}/s  p50={p50:.1f} ms  "
        f"p99={p99:.1f} ms  max={worst:.1f} ms  errors={errors}  (wrk)"
    )


def over_http(
    settings: Settings,
    n: int,
    workers: int,
    clients: int,
    seconds: float,
    rates: tuple[float, ...] = (500.0,),
    burst: float = 0.0,
    burst_seconds: float = 30.0,
    fresh: bool = False,
) -> None:
    store = Store(settings.database_url)
    key = store.create_api_key("bench", "public")
    port = free_port()
    env = {
        **os.environ,
        "TASTEMAKER_DATABASE_URL": settings.database_url,
        "TASTEMAKER_DATA_DIR": str(settings.data_dir),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tastemaker",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not become healthy in 60 s")
        bodies = [
            {**{k: v for k, v in r.items() if v is not None}, "context": {"hour": 20}}
            # fresh: more bodies than a run sends, so that none is sent twice (the composed
            # texts themselves coincide now and then: 923 distinct of 966 in a run in-process)
            for r in requests(max(200, n // 50), 20000 if fresh else 2000, fresh=fresh)
        ]
        texts = "fresh text" if fresh else "repeated text"
        head = f"  http        n={n:>7}  workers={workers} clients={clients} ({texts})  "
        if shutil.which("wrk"):
            _wrk(url, key, bodies, clients, 3.0)  # warm every worker
            print(head + "saturated: " + _wrk(url, key, bodies, clients, seconds), flush=True)
            for rate in rates:
                paced = _wrk(url, key, bodies, clients, seconds, rate)
                print(head + f"offered {rate:.0f}/s: " + paced, flush=True)
                if burst:
                    # More connections for the burst: a paced connection cannot exceed one
                    # request per its own delay, so the offered rate needs them.
                    more = int(clients * burst)
                    hot = _wrk(url, key, bodies, more, burst_seconds, rate * burst)
                    print(
                        head + f"burst {burst:g}x = {rate * burst:.0f}/s for "
                        f"{burst_seconds:.0f} s, {more} connections: " + hot,
                        flush=True,
                    )
        else:
            asyncio.run(_load(url, key, bodies, clients, 3.0))
            lat, errors, elapsed = asyncio.run(_load(url, key, bodies, clients, seconds))
            print(
                head + f"throughput={len(lat) / elapsed:.0f}/s  p50={pct(lat, 50):.1f} ms  "
                f"p99={pct(lat, 99):.1f} ms  errors={errors}  (httpx; install wrk for a "
                "client that does not compete with the server for the CPU)",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument(
        "--fresh-text",
        action="store_true",
        help="a new free text for every text answer (see SHAPES), as people type",
    )
    ap.add_argument("--http-only", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument(
        "--rates", type=float, nargs="*", default=[500.0], help="offered loads to pace at (wrk)"
    )
    ap.add_argument("--burst", type=float, default=0.0, help="after each rate, K x it (wrk)")
    ap.add_argument("--burst-seconds", type=float, default=30.0)
    ap.add_argument(
        "--keep",
        type=Path,
        help="keep each size's loaded and fitted workspace under this folder and reuse it "
        "when it is there (the fit takes minutes at 100k; refit after changing the fit code)",
    )
    args = ap.parse_args()
    for n in args.sizes:
        root = args.keep / str(n) if args.keep else Path(tempfile.mkdtemp(prefix=f"tm-bench-{n}-"))
        try:
            print(f"catalog of {n} items:", flush=True)
            if args.keep and (root / "bench.db").exists():
                settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'bench.db'}")
                engine = Engine(Store(settings.database_url), settings)
                print(f"  reused the workspace kept in {root}", flush=True)
            else:
                root.mkdir(parents=True, exist_ok=True)
                settings, engine = setup(n, root)
            if not args.http_only:
                in_process(engine, n, args.requests, args.fresh_text)
            engine.close()
            if not args.no_http:
                over_http(
                    settings,
                    n,
                    args.workers,
                    args.clients,
                    args.seconds,
                    tuple(args.rates),
                    args.burst,
                    args.burst_seconds,
                    args.fresh_text,
                )
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
