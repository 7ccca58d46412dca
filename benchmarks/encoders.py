"""Benchmark the text encoders and the vector index.

Default mode, per available encoder (static always; minilm when the extra is installed), on the
prompted-movielens benchmark:

- prompt-only semantic retrieval: embed each item's ``text`` and each case's ``prompt``, rank the
  whole catalog by cosine, report HR@10 / NDCG@10 / Recall@50 overall and per ``prompt_kind``.
  Nothing is excluded (not even items the user already rated), so the numbers measure the
  encoder alone, not a recommender;
- single-prompt encode latency p50/p99 (cold: the LRU cache is bypassed) and catalog encode
  throughput.

``--index``: VectorIndex exact vs HNSW at 10k and 100k rows of vectors that the static encoder
makes from generated catalog texts (random vectors would be unrealistically hard for HNSW),
reporting build time, recall@10/@50 against exact search, the mean cosine lost per top-50 slot
(small = the misses are near-ties), and p50/p99 latency at k=200. A sweep over ``--sizes`` is how
``index.EXACT_MAX`` was chosen.

    .venv/bin/python benchmarks/encoders.py [--data DIR] [--encoders static,minilm]
    .venv/bin/python benchmarks/encoders.py --index [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from tastemaker.encoders import EncoderUnavailable, get_encoder
from tastemaker.index import VectorIndex

DEFAULT_DATA = Path("/work/shared/bench/prompted-movielens")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def _percentiles_ms(samples: Sequence[float]) -> tuple[float, float]:
    p50, p99 = np.percentile(np.asarray(samples) * 1e3, [50, 99])
    return float(p50), float(p99)


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in cells:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print()


# ------------------------------------------------------------------------------- encoders


def _retrieval_metrics(
    item_vecs: np.ndarray, item_ids: list[str], cases: list[dict[str, Any]], prompt_vecs: np.ndarray
) -> dict[str, dict[str, float]]:
    row_of = {item_id: i for i, item_id in enumerate(item_ids)}
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    scores = prompt_vecs @ item_vecs.T
    top50 = np.argsort(-scores, axis=1, kind="stable")[:, :50]
    for case, ranked in zip(cases, top50, strict=True):
        relevant = {row_of[r] for r in case["relevant"] if r in row_of}
        hits = [int(r in relevant) for r in ranked]
        hr = float(any(hits[:10]))
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits[:10]))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
        recall = sum(hits) / max(len(relevant), 1)
        for group in ("all", case["prompt_kind"]):
            s = sums[group]
            s["n"] += 1
            s["HR@10"] += hr
            s["NDCG@10"] += dcg / idcg if idcg else 0.0
            s["Recall@50"] += recall
    return {g: {m: v / s["n"] if m != "n" else v for m, v in s.items()} for g, s in sums.items()}


def bench_encoders(data: Path, names: Sequence[str]) -> None:
    items = _read_jsonl(data / "items.jsonl")
    cases = _read_jsonl(data / "cases.jsonl")
    texts = [it.get("text") or it["title"] for it in items]
    prompts = [c["prompt"] for c in cases]
    quality_rows: list[list[object]] = []
    speed_rows: list[list[object]] = []
    for name in names:
        try:
            start = time.perf_counter()
            encoder = get_encoder(name)
            load_s = time.perf_counter() - start
        except EncoderUnavailable as exc:
            print(f"[skip] {name}: {exc}\n")
            continue
        inner = getattr(encoder, "inner", encoder)  # bypass the LRU cache for honest timings
        start = time.perf_counter()
        item_vecs = inner.encode(texts)
        catalog_s = time.perf_counter() - start
        prompt_vecs = inner.encode(prompts)
        metrics = _retrieval_metrics(item_vecs, [it["id"] for it in items], cases, prompt_vecs)
        for group in ("all", "genre", "tag"):
            if group in metrics:
                m = metrics[group]
                quality_rows.append(
                    [name, group, int(m["n"]), m["HR@10"], m["NDCG@10"], m["Recall@50"]]
                )
        singles: list[float] = []
        for prompt in prompts:
            singles.extend(_timed(partial(inner.encode, [prompt]), repeat=5))
        p50, p99 = _percentiles_ms(singles)
        cached = _timed(partial(encoder.encode, [prompts[0]]), repeat=2000)
        speed_rows.append(
            [
                name,
                encoder.dim,
                f"{load_s:.2f}",
                f"{p50:.3f}",
                f"{p99:.3f}",
                f"{_percentiles_ms(cached)[0]:.4f}",
                f"{len(texts) / catalog_s:,.0f}",
            ]
        )
    print(f"Prompt-only retrieval on {data.name} ({len(items)} items, nothing excluded)")
    _print_table(["encoder", "prompts", "n", "HR@10", "NDCG@10", "Recall@50"], quality_rows)
    print("Encode speed (single prompt = one text per call, LRU cache bypassed)")
    _print_table(
        [
            "encoder",
            "dim",
            "load s",
            "1 prompt p50 ms",
            "p99 ms",
            "cached p50 ms",
            "catalog texts/s",
        ],
        speed_rows,
    )


# ---------------------------------------------------------------------------------- index


def _generated_texts(items: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    """Catalog-like texts: random title words, a year and 1-3 genres from the real catalog.

    Why generated: 100k real item texts are not at hand, and random vectors have no cluster
    structure, which makes any graph index look far worse (and exact look no different).
    """
    rng = np.random.default_rng(seed)
    words = [w for it in items for w in it["title"].split()[:-1] if w.isalpha()]
    genres = sorted({g for it in items for g in it.get("attributes", {}).get("genres", [])})
    out = []
    for _ in range(n):
        title = " ".join(rng.choice(words, int(rng.integers(1, 5))))
        picked = ", ".join(rng.choice(genres, int(rng.integers(1, 4)), replace=False))
        out.append(f"{title} ({int(rng.integers(1930, 2024))}). Genres: {picked}")
    return out


def bench_index(data: Path, sizes: Sequence[int], k: int, n_queries: int) -> None:
    items = _read_jsonl(data / "items.jsonl")
    encoder = get_encoder("static")
    largest = max(sizes)
    vectors = encoder.encode(_generated_texts(items, largest + n_queries, seed=0))
    queries = vectors[largest:]
    rows: list[list[object]] = []
    for n in sizes:
        base = vectors[:n]
        exact_scores = queries @ base.T
        truth = np.argsort(-exact_scores, axis=1, kind="stable")
        # Mean cosine of the true 50th neighbour: tells whether misses are near-ties.
        best50 = np.take_along_axis(exact_scores, truth[:, :50], axis=1)
        for kind, exact_max in (("exact", n), ("hnsw", 0)):
            if kind == "exact" and n > 200_000:
                continue
            start = time.perf_counter()
            index = VectorIndex.build(base, exact_max=exact_max)
            build_s = time.perf_counter() - start
            times: list[float] = []
            r10 = r50 = gap = 0.0
            for q, t, b in zip(queries, truth, best50, strict=True):
                start = time.perf_counter()
                got, cos = index.search(q, k)
                times.append(time.perf_counter() - start)
                r10 += len(set(got[:10].tolist()) & set(t[:10].tolist())) / 10
                r50 += len(set(got[:50].tolist()) & set(t[:50].tolist())) / 50
                gap += float(b.sum() - cos[:50].sum()) / 50
            p50, p99 = _percentiles_ms(times[5:])
            nq = len(queries)
            lost = max(gap / nq, 0.0)
            rows.append([n, kind, f"{build_s:.2f}", r10 / nq, r50 / nq, f"{lost:.5f}", p50, p99])
    print(f"VectorIndex, k={k}, {len(queries)} queries, dim {encoder.dim}, one query per call")
    headers = ["rows", "engine", "build s", "recall@10", "recall@50", "cos lost@50"]
    _print_table([*headers, "p50 ms", "p99 ms"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--encoders", default="static,minilm")
    parser.add_argument("--index", action="store_true", help="benchmark VectorIndex instead")
    parser.add_argument("--sizes", default="2000,5000,10000,100000")
    parser.add_argument("--k", type=int, default=200)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    if args.index:
        sizes = [int(s) for s in args.sizes.split(",")]
        bench_index(args.data, sizes, args.k, args.queries)
    else:
        bench_encoders(args.data, args.encoders.split(","))


if __name__ == "__main__":
    main()
