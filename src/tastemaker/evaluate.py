"""Offline evaluation: replay prompts through the serving pipeline and score the rankings.

``tastemaker eval`` answers every case of a ``cases.jsonl`` with the same :class:`Engine` and
pipeline code that serves requests, in a throwaway workspace, so the numbers describe what a
deployment would actually show, not a re-implementation of it. The run:

1. creates a workspace in a temporary SQLite file and data dir (or the given ones),
2. ingests the items and events files with the regular ingest functions (same validation, same
   ``file:line`` errors as ``tastemaker ingest``),
3. saves a generic free-text experience (:func:`eval_experience`) and fits the catalog,
4. answers each case's prompt as its user (``record=False``: nothing lands in the served log),
5. writes the rankings and scores them (:mod:`tastemaker.scoring`).

With ``baselines`` the peers of :mod:`tastemaker.baselines` rank the same queries from the same
stored data, and the report holds one entry per system.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from tqdm import tqdm

from tastemaker.errors import InvalidInput, TastemakerError
from tastemaker.scoring import METRICS, Query, SystemRun, read_cases, score_system

if TYPE_CHECKING:
    from tastemaker.engine import Engine
    from tastemaker.store import Store

__all__ = [
    "EVAL_EXPERIENCE_KEY",
    "EngineRecommender",
    "EvalReport",
    "Recommender",
    "eval_experience",
    "format_table",
    "run_eval",
    "run_system",
]

EVAL_EXPERIENCE_KEY = "eval"
EVAL_MMR_LAMBDA = 0.95
"""Near-pure relevance: the metrics reward relevance only, while a served list trades some of it
for variety (default 0.75). A little MMR is kept so near-duplicates still do not stack up."""


# -- recommenders ----------------------------------------------------------------------------


class Recommender(Protocol):
    """Anything that ranks items for a query: tastemaker itself or one of its peers."""

    name: str

    def recommend(self, query: Query, k: int) -> list[str]:
        """Item ids, best first, at most ``k``."""
        ...


class EngineRecommender:
    """tastemaker as a recommender: one ``Engine.answer`` per query, nothing recorded.

    The person's own input errors (e.g. an over-long prompt) give an empty list and are
    counted rather than ending a long run.
    """

    name = "tastemaker"

    def __init__(self, engine: Engine, workspace: str, key: str = EVAL_EXPERIENCE_KEY) -> None:
        self.engine = engine
        self.workspace = workspace
        self.key = key
        self.fallbacks = 0
        self.errors: list[str] = []

    def recommend(self, query: Query, k: int) -> list[str]:
        # A fresh context per call: the pipeline fills in derived fields (time_of_day).
        context = None if query.context is None else replace(query.context)
        try:
            answer = self.engine.answer(
                self.workspace,
                self.key,
                user_id=query.user_id,
                text=query.prompt,
                context=context,
                record=False,
            )
        except TastemakerError as exc:
            self.errors.append(f"{query.case_id}: {exc}")
            return []
        self.fallbacks += answer.fallback
        return [item.id for item in answer.items[:k]]


# -- running and scoring ---------------------------------------------------------------------


def run_system(
    system: Recommender, queries: Sequence[Query], k: int, *, show_progress: bool = False
) -> SystemRun:
    """Rank every query with ``system``, timing each call (the wall time a caller waits)."""
    rankings: dict[str, list[str]] = {}
    latencies: list[float] = []
    bar = tqdm(
        queries,
        desc=system.name,
        unit=" cases",
        file=sys.stderr,
        leave=False,
        disable=not show_progress,
    )
    for query in bar:
        t0 = time.perf_counter()
        items = system.recommend(query, k)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        rankings[query.case_id] = items
    return SystemRun(system.name, rankings, latencies)


# -- the whole run ---------------------------------------------------------------------------


def eval_experience(k: int) -> dict[str, Any]:
    """The generic free-text experience every case is answered with.

    Rules mirror a typical deployment (never re-recommend what the person has, only available
    items); ``max_length`` is the largest allowed so no benchmark prompt is refused.
    """
    return {
        "key": EVAL_EXPERIENCE_KEY,
        "name": "Offline evaluation",
        "prompt": {
            "kind": "text",
            "question": "What are you in the mood for?",
            "max_length": 2000,
            "allow_empty": True,
        },
        "output": {"kind": "list", "size": k},
        "rules": {"exclude_consumed": True, "available_only": True},
        "diversity": {"mmr_lambda": EVAL_MMR_LAMBDA},
    }


@dataclass(slots=True)
class EvalReport:
    """Everything a run measured; ``to_json`` is what ``--report`` writes."""

    systems: dict[str, dict[str, Any]]
    data: dict[str, int]
    settings: dict[str, Any]
    seconds: dict[str, float]
    errors: list[str] = field(default_factory=list)
    ranker: dict[str, Any] = field(default_factory=dict)  # what fit learned, as inspectable

    def to_json(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "settings": self.settings,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "systems": self.systems,
            "ranker": self.ranker,
            "errors": self.errors[:100],
        }


@contextmanager
def _workspace(
    database_url: str | None, data_dir: Path | None, encoder: str
) -> Iterator[tuple[Engine, Store, int, str]]:
    """A fresh engine over a new workspace; temporary files unless a database/dir is given."""
    from tastemaker.engine import Engine
    from tastemaker.settings import Settings
    from tastemaker.store import Store

    with tempfile.TemporaryDirectory(prefix="tastemaker-eval-") as tmp:
        folder = data_dir or Path(tmp) / "data"
        url = database_url or f"sqlite:///{Path(tmp) / 'eval.db'}"
        # One thread for the fit's graphs: the same data then gives the same figures.
        settings = Settings(data_dir=folder, database_url=url, encoder=encoder, fit_threads=1)
        store = Store(url)
        engine: Engine | None = None
        try:
            store.migrate()
            # A unique slug, so a given (shared) database never mixes two runs' data.
            slug = f"eval-{uuid.uuid4().hex[:12]}"
            ws = store.create_workspace(slug, "offline evaluation")
            engine = Engine(store, settings)
            yield engine, store, ws.id, slug
        finally:
            if engine is not None:
                engine.close()
            store.close()


def _say(message: str) -> None:
    tqdm.write(f"fit: {message}", file=sys.stderr)


def _progress_bar(label: str, show: bool) -> tuple[Any, Any]:
    bar = tqdm(
        desc=label, unit=" rows", unit_scale=True, file=sys.stderr, leave=False, disable=not show
    )

    def update(done: int) -> None:
        bar.update(done - bar.n)

    return bar, update


def run_eval(
    items: str | Path,
    events: str | Path,
    cases: str | Path,
    rankings: str | Path,
    *,
    k: int = 100,
    baselines: bool = False,
    encoder: str = "static",
    database_url: str | None = None,
    data_dir: Path | None = None,
    show_progress: bool = False,
) -> EvalReport:
    """Run a whole evaluation and write tastemaker's rankings (JSONL, one line per case).

    With ``baselines`` the peers of :mod:`tastemaker.baselines` are fitted on the same stored
    items and events and ranked on the same queries, so the table compares like with like.
    """
    from tastemaker.encoders import ENCODER_NAMES
    from tastemaker.ingest import ingest_events_file, ingest_items_file

    if not 1 <= k <= 100:
        raise InvalidInput("must be between 1 and 100", field="k")
    if encoder not in ENCODER_NAMES:  # checked now, not after minutes of ingest and fit
        raise InvalidInput(f"choose one of {', '.join(ENCODER_NAMES)}", field="encoder")
    all_cases = read_cases(cases)
    queries = [c.query for c in all_cases]
    seconds: dict[str, float] = {}
    systems: dict[str, dict[str, Any]] = {}
    with _workspace(database_url, data_dir, encoder) as (engine, store, ws_id, slug):
        t0 = time.perf_counter()
        for path, ingest in ((items, ingest_items_file), (events, ingest_events_file)):
            bar, update = _progress_bar(Path(path).name, show_progress)
            try:
                ingest(store, ws_id, path, progress=update)
            finally:
                bar.close()
        seconds["ingest"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        engine.save_experience(slug, eval_experience(k))
        engine.fit(slug, progress=_say if show_progress else None)
        seconds["fit"] = time.perf_counter() - t0
        fitted = engine.catalog(slug)
        ranker = dict(fitted.trained.get("ranker") or {}) if fitted is not None else {}

        t0 = time.perf_counter()
        attributes = {r.id: r.attributes for r in store.iter_items(ws_id)}
        seen: dict[str, set[str]] = {}
        for e in store.iter_events(ws_id):
            if e.item_id is not None:
                seen.setdefault(e.user_id, set()).add(e.item_id)
        seconds["load"] = time.perf_counter() - t0

        tm = EngineRecommender(engine, slug)
        t0 = time.perf_counter()
        tm_run = run_system(tm, queries, k, show_progress=show_progress)
        tm_run.fallbacks, tm_run.errors = tm.fallbacks, tm.errors
        seconds["answer"] = time.perf_counter() - t0
        _write_rankings(Path(rankings), queries, tm_run.rankings)
        systems[tm_run.name] = score_system(tm_run, all_cases, attributes, seen)

        if baselines:
            from tastemaker.baselines import TrainingData, build_peers

            t0 = time.perf_counter()
            catalog = engine.catalog(slug)
            assert catalog is not None  # fit just built it
            data = TrainingData.from_store(store, ws_id)
            peers = build_peers(
                data, engine.encoder, embeddings=catalog.embeddings[catalog.rows_for(data.ids)]
            )
            seconds["baselines_fit"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            for peer in peers:
                peer_run = run_system(peer, queries, k, show_progress=show_progress)
                systems[peer.name] = score_system(peer_run, all_cases, attributes, seen)
            seconds["baselines_rank"] = time.perf_counter() - t0

    return EvalReport(
        systems=systems,
        data={
            "items": len(attributes),
            "users": len(seen),
            "cases": len(all_cases),
            "scored_cases": sum(c.relevant is not None for c in all_cases),
            "constraint_cases": sum(c.constraints is not None for c in all_cases),
        },
        settings={"k": k, "encoder": encoder, "experience": eval_experience(k)},
        seconds=seconds,
        errors=tm_run.errors,
        ranker=ranker,
    )


def _write_rankings(
    path: Path, queries: Sequence[Query], rankings: Mapping[str, list[str]]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for q in queries:
            fh.write(orjson.dumps({"case_id": q.case_id, "items": rankings[q.case_id]}) + b"\n")


# -- printing --------------------------------------------------------------------------------


def _render(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _f(x: float) -> str:
    return f"{x:.4f}"


def format_table(report: EvalReport) -> str:
    """The printed summary: per group for tastemaker alone, one row per system with peers."""
    systems = report.systems
    tm = systems["tastemaker"]
    text = _group_table(tm) if len(systems) == 1 else _systems_table(systems)
    lat = tm["latency_ms"]
    notes = [
        f"tastemaker: latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms; "
        f"fallbacks {tm['fallbacks']}; errors {tm['errors']}; "
        f"already-seen items in top 10: {tm['seen_in_top10']}",
        "cases: {cases} ({scored_cases} with relevant, {constraint_cases} with constraints); "
        "items: {items}; users: {users}".format(**report.data),
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()),
    ]
    return text + "\n\n" + "\n".join(notes)


def _group_table(tm: Mapping[str, Any]) -> str:
    header = ["group", "n", *METRICS]
    rows = [[g, str(m["n"]), *(_f(m[k]) for k in METRICS)] for g, m in tm["groups"].items()]
    con = tm["constraints"]
    if con is not None:
        header.append("CP@10")
        rows = [[*r, ""] for r in rows]
        rows.append(
            ["constraints", str(con["n"]), "", "", "", "", _f(con["constraint_precision@10"])]
        )
    if not rows:
        return "(no case has `relevant` or `constraints`: rankings written, nothing to score)"
    return _render(header, rows)


def _systems_table(systems: Mapping[str, Mapping[str, Any]]) -> str:
    kinds: list[str] = []
    for s in systems.values():
        kinds += [g for g in s["groups"] if g != "overall" and g not in kinds]
    has_overall = any("overall" in s["groups"] for s in systems.values())
    has_con = any(s["constraints"] is not None for s in systems.values())
    header = ["system"]
    if has_overall:
        header += ["HR@10", "NDCG@10", *(f"NDCG@10 {k}" for k in kinds)]
    if has_con:
        header.append("CP@10")
    header.append("p50 ms")
    rows = []
    for name, s in systems.items():
        row = [name]
        if has_overall:
            overall = s["groups"].get("overall", {})
            row += [_f(overall.get("HR@10", 0.0)), _f(overall.get("NDCG@10", 0.0))]
            row += [_f(s["groups"][k]["NDCG@10"]) if k in s["groups"] else "" for k in kinds]
        if has_con:
            con = s["constraints"]
            row.append(_f(con["constraint_precision@10"]) if con else "")
        row.append(f"{s['latency_ms']['p50']:.2f}")
        rows.append(row)
    return _render(header, rows)
