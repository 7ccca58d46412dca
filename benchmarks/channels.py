"""Channel rendering and webhook delivery costs.

    python benchmarks/channels.py                 # render p50/p99 per channel, signing, delivery
    python benchmarks/channels.py --items 20 --runs 2000

Renders one 10-item bundle (with an offer and open slots) for every channel and prints p50/p99
per channel in milliseconds; then the cost of signing a push with one and with two secrets; then
end-to-end deliveries per second through the worker to a local HTTP receiver on a temporary
SQLite store. Nothing here asserts: it measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from tastemaker.channels import formats
from tastemaker.channels.spec import CHANNELS
from tastemaker.engine import Engine
from tastemaker.experiences import ExperienceSpec
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.syndication import signing
from tastemaker.syndication.publish import publish
from tastemaker.syndication.service import Syndication
from tastemaker.types import Answer, CopyText, RequestContext, ResultItem
from webhook_receiver import receiver

SPEC: dict[str, Any] = {
    "key": "bench",
    "name": "Bench",
    "prompt": {"kind": "text", "question": "What's the plan?"},
    "output": {"kind": "bundle", "size": 10},
    "template": "package",
    "delivery": {
        "offer": {"percent_off": 10, "valid_hours": 24},
        "slots": {"per_item": 3},
        "email": {"followups": [{"delay_days": 2, "subject": "Again", "intro": "Hello again"}]},
    },
}


def answer(n: int) -> Answer:
    items = [
        ResultItem(
            id=f"s{k}",
            title=f"Service number {k} with a longer name",
            score=1.0,
            reasons=["matches what you asked for"],
            url=f"https://local.example/s{k}?ref=feed",
            price=20.0 + k,
            attributes={"open_days": ["mon", "wed", "fri"], "open_hours": ["09:00", "14:00"]},
        )
        for k in range(n)
    ]
    return Answer(
        request_id="0123456789abcdef0123456789abcdef",
        workspace="bench",
        experience_key="bench",
        experience_version=1,
        variant="default",
        user_id="u1",
        raw_choice=None,
        raw_text=None,
        context=RequestContext(),
        items=items,
        bundle_total=sum(i.price or 0 for i in items),
        copy=CopyText("Your week, sorted", "A few services with open slots.", "Book the package"),
    )


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


def timed(fn: Any, runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return pct(samples, 50), pct(samples, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=300)
    args = parser.parse_args()

    spec = ExperienceSpec.model_validate(SPEC)
    a = answer(args.items)
    print(f"render, {args.items} items, {args.runs} runs (ms)")
    print(f"{'channel':<10} {'p50':>8} {'p99':>8}")
    for channel in CHANNELS:
        p50, p99 = timed(lambda c=channel: formats.render(a, spec, c), args.runs)
        print(f"{channel:<10} {p50:8.3f} {p99:8.3f}")

    body = '{"type":"asset.generated","data":{"x":' + "1" * 20_000 + "}}"
    one, two = [signing.new_secret()], [signing.new_secret(), signing.new_secret()]
    for label, secrets in (("1 secret", one), ("2 secrets", two)):
        p50, p99 = timed(lambda s=secrets: signing.headers(s, "msg_x", 1_700_000_000, body), 2000)
        print(f"sign 20 KB, {label}: p50 {p50:.3f} ms  p99 {p99:.3f} ms")

    with tempfile.TemporaryDirectory() as tmp, receiver() as hook:
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.migrate()
        ws = store.create_workspace("bench")
        engine = Engine(store, Settings(data_dir=Path(tmp), webhook_allow_private=True))
        engine.save_experience("bench", SPEC)
        syn = Syndication(engine)
        syn.add_webhook("bench", "cms", hook.url, ["json", "email"])
        t = time.perf_counter()
        for _ in range(args.deliveries):
            publish(syn.rows, ws.id, a, spec)
        queued = time.perf_counter() - t
        worker = syn.deliverer()
        t = time.perf_counter()
        sent = 0
        while sent < args.deliveries:
            sent += worker.run_once(limit=100).delivered
        took = time.perf_counter() - t
        worker.close()
        engine.close()
        store.close()
        n = args.deliveries
        print(f"queue {n} pushes (render json+email, store): {n / queued:,.0f}/s")
        print(f"deliver {n} pushes (sign, POST, receipt) one worker: {n / took:,.0f}/s")


if __name__ == "__main__":
    main()
