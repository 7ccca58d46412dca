"""Build a workspace's catalog snapshot from its items and events.

Fitting is the slow, batch half of the engine: it encodes item texts, indexes them, learns
popularity and collaborative-filtering factors from events, and writes the result to disk. The
request path then only loads arrays. Refitting reuses the embeddings of items whose text did not
change, so a catalog update costs the encoder only for what is new.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import bm25s
import numpy as np
from scipy import sparse

from tastemaker.activity import Activity, covisitation, sequences
from tastemaker.als import (
    ALS_ALPHA,
    VALIDATION_TARGETS,
    RidgeChoice,
    choose_regularization,
    fit_factors,
)
from tastemaker.catalog import (
    BASELINE_MIN_WORDS,
    Catalog,
    CategoricalAttribute,
    CFModel,
    make_cf,
    reference_words,
    value_centroids,
    word_baselines,
)
from tastemaker.encoders import Encoder
from tastemaker.index import VectorIndex
from tastemaker.types import FloatArray

log = logging.getLogger(__name__)

# How strongly each event type says "this person wants this". Ratings are scaled by their value
# (see ``event_weight``); types not listed count as a weak positive. Negative signals (skips,
# dislikes) are not positives: they neither train CF nor raise popularity.
EVENT_WEIGHTS: dict[str, float] = {
    "purchase": 4.0,
    "add_to_cart": 2.0,
    "like": 2.0,
    "save": 2.0,
    "tag": 1.0,
    "click": 1.0,
    "play": 1.0,
    "complete": 1.5,
    "view": 0.5,
    "skip": 0.0,
    "dislike": 0.0,
    "remove_from_cart": 0.0,
    # the journey's own events (tastemaker.measure.events) say nothing about taste
    "prompt_shown": 0.0,
    "prompt_answered": 0.0,
    "prompt_abandoned": 0.0,
    "result_viewed": 0.0,
    "identify": 0.0,
    "unsubscribe": 0.0,
}
# A person removing an item from a result (``refine``): it cancels that person's positives for
# the item, in CF training and popularity here and in the profile (pipeline/enrich.py).
NEGATIVE_EVENTS = frozenset({"dislike"})
POPULARITY_HALF_LIFE_DAYS = 30.0
MIN_EVENTS_FOR_CF = 50


def event_weight(kind: str, value: float | None) -> float:
    """Positive-feedback weight of one event (0 = not a positive)."""
    if kind == "rating":
        if value is None:
            return 1.0
        # A rating says first that the person took the item (watched, read, bought): that much
        # is a view, whatever the stars; the stars above the middle of a 5-star scale add how
        # much they liked it: 5 -> 2.5, 4 -> 1.7, 3 -> 0.9, 2.5 and below -> 0.5. Which items
        # someone takes predicts what they take next even when they did not love them.
        return EVENT_WEIGHTS["view"] + max(0.0, (value - 2.5) / 1.25)
    return EVENT_WEIGHTS.get(kind, 0.5)


class Learned(NamedTuple):
    """What fitting learns from events alone (the rest of a snapshot comes from items)."""

    popularity: FloatArray
    cf: CFModel | None
    activity: Activity
    ridge: RidgeChoice | None = None


@dataclass(slots=True)
class ItemData:
    """The fields of an item that fitting needs (decoupled from the store's record type)."""

    id: str
    title: str
    text: str
    attributes: dict[str, Any]
    price: float | None
    available: bool
    url: str | None


@dataclass(slots=True)
class EventData:
    user_id: str
    item_id: str | None
    type: str
    value: float | None
    ts: float


def item_document(item: ItemData) -> str:
    """The text that represents an item for embedding and BM25: title, text, attribute values."""
    parts = [item.title]
    if item.text and item.text != item.title:
        parts.append(item.text)
    for name, value in item.attributes.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{name}: {', '.join(value)}")
        elif isinstance(value, str) and len(value) < 60:
            parts.append(f"{name}: {value}")
    return ". ".join(parts)


def build_catalog(
    workspace: str,
    version: int,
    items: Sequence[ItemData],
    events: Iterable[EventData] | None,
    encoder: Encoder,
    *,
    previous: Catalog | None = None,
    previous_index: VectorIndex | None = None,
    progress: Callable[[str], None] | None = None,
    threads: int = 0,
) -> Catalog:
    """Fit a snapshot.

    ``previous`` lets unchanged item texts keep their embeddings. With ``events=None`` this is
    a *refresh* after a catalog change: items keep their rows (new ones are appended), what was
    learned from events (popularity, CF factors) carries over by item id, and, given
    ``previous_index`` (a private copy of the previous snapshot's index), only new and changed
    vectors are added to it instead of rebuilding the graph.

    ``threads`` builds the approximate-neighbour graphs (items by text, items by CF factors):
    0 uses every core, 1 makes the fit repeatable, the same items and events giving the same
    snapshot bit for bit (a graph built on several threads depends on their timing).
    """
    say = progress or (lambda msg: log.info("fit %s: %s", workspace, msg))
    t0 = time.perf_counter()
    if previous is not None:
        # Keep rows stable: previous items first, in their old order, new items after them.
        known = previous.id_to_row
        items = sorted(items, key=lambda it: known.get(it.id, len(known)))
    ids = [it.id for it in items]
    id_to_row = {item_id: i for i, item_id in enumerate(ids)}
    n = len(ids)
    docs = [item_document(it) for it in items]
    hashes = [zlib.crc32(d.encode()) for d in docs]

    embeddings, changed = _embed(docs, hashes, ids, encoder, previous)
    say(f"encoded {len(changed)} of {n} items in {time.perf_counter() - t0:.1f}s")
    if previous_index is not None and events is None and len(previous_index) <= n:
        previous_index.add(np.asarray(changed, dtype=np.int64), embeddings[changed])
        index = previous_index
    else:
        index = VectorIndex.build(embeddings, threads=threads)

    categorical, numeric = _attributes(items, encoder)
    words = reference_words(docs)
    word_vectors = encoder.encode(words) if len(words) >= BASELINE_MIN_WORDS else None
    for attr in categorical.values():
        attr.centroids = value_centroids(attr.matrix, embeddings)
        if word_vectors is not None and attr.is_facet:
            attr.baselines = word_baselines(attr, word_vectors)
    tok = bm25s.tokenize(docs or [""], stemmer=_stemmer(), show_progress=False)
    lexical = bm25s.BM25()
    lexical.index(tok, show_progress=False)

    ridge: RidgeChoice | None = None
    if events is None and previous is not None:
        popularity, cf, activity = _carry_over(previous, ids)
    else:
        learned = learn_from_events(events or (), id_to_row, n, threads=threads)
        popularity, cf, activity, ridge = learned
        if ridge is not None:
            scores = ", ".join(f"{r:g}: {v:.4f}" for r, v in ridge.ndcg.items())
            say(
                f"ALS ridge {ridge.regularization:g} (NDCG of {ridge.people}"
                f" people's latest {VALIDATION_TARGETS} items held out: {scores})"
                if ridge.people
                else f"ALS ridge {ridge.regularization:g} (too few people to choose it)"
            )
    say(f"fitted in {time.perf_counter() - t0:.1f}s")
    return Catalog(
        workspace=workspace,
        version=version,
        ids=ids,
        titles=[it.title for it in items],
        texts_hash=hashes,
        urls=[it.url for it in items],
        prices=np.array(
            [np.nan if it.price is None else it.price for it in items], dtype=np.float32
        ),
        available=np.array([it.available for it in items], dtype=bool),
        categorical=categorical,
        numeric=numeric,
        embeddings=embeddings,
        index=index,
        popularity=popularity,
        lexical=lexical,
        cf=cf,
        activity=activity,
        encoder_name=encoder.name,
        trained={
            "fitted_at": time.time(),
            "items": n,
            "seconds": time.perf_counter() - t0,
            "refresh": events is None,
            **({"cf": ridge.report()} if ridge is not None else {}),
        },
    )


def _carry_over(
    previous: Catalog, ids: list[str]
) -> tuple[FloatArray, CFModel | None, Activity | None]:
    """What a previous fit learned from events, mapped onto the new rows (new items: 0)."""
    old = np.array([previous.id_to_row.get(i, -1) for i in ids], dtype=np.int64)
    hit = old >= 0
    popularity = np.zeros(len(ids), dtype=np.float32)
    popularity[hit] = previous.popularity[old[hit]]
    activity = None if previous.activity is None else previous.activity.remap(old)
    if previous.cf is None:
        return popularity, None, activity
    factors = np.zeros((len(ids), previous.cf.item_factors.shape[1]), dtype=np.float32)
    factors[hit] = previous.cf.item_factors[old[hit]]
    # Rows of known items are stable (they come first, in their old order), so their neighbour
    # lists stay valid; new items have none until the next fit.
    neighbours = np.full((len(ids), previous.cf.neighbours.shape[1]), -1, dtype=np.int32)
    neighbours[hit] = previous.cf.neighbours[old[hit]]
    # Known rows keep their numbers, so these matrices only grow (new items: no neighbours).
    covisit, sequence = (_grown(m, len(ids)) for m in (previous.cf.covisit, previous.cf.sequence))
    cf = make_cf(
        factors,
        regularization=previous.cf.regularization,
        alpha=previous.cf.alpha,
        neighbours=neighbours,
        covisit=covisit,
        sequence=sequence,
    )
    return popularity, cf, activity


def _grown(m: sparse.csr_matrix | None, n: int) -> sparse.csr_matrix | None:
    if m is None:
        return None
    out = m.copy()
    out.resize((n, n))
    return out


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _embed(
    docs: list[str],
    hashes: list[int],
    ids: list[str],
    encoder: Encoder,
    previous: Catalog | None,
) -> tuple[FloatArray, list[int]]:
    """Embeddings of every doc, and the rows that had to be (re-)encoded."""
    out = np.zeros((len(docs), encoder.dim), dtype=np.float32)
    todo = list(range(len(docs)))
    if previous is not None and previous.encoder_name == encoder.name:
        todo = []
        for row, (item_id, h) in enumerate(zip(ids, hashes, strict=True)):
            old = previous.id_to_row.get(item_id)
            if old is not None and previous.texts_hash[old] == h:
                out[row] = previous.embeddings[old]
            else:
                todo.append(row)
    for start in range(0, len(todo), 4096):
        chunk = todo[start : start + 4096]
        out[chunk] = encoder.encode([docs[i] for i in chunk])
    return out, todo


def _attributes(
    items: Sequence[ItemData], encoder: Encoder
) -> tuple[dict[str, CategoricalAttribute], dict[str, FloatArray]]:
    """Split attributes into categorical (strings, lists of strings) and numeric columns."""
    n = len(items)
    cat_cols: dict[str, dict[str, int]] = {}
    cat_rows: dict[str, tuple[list[int], list[int]]] = {}
    num: dict[str, FloatArray] = {}
    display: dict[str, dict[str, str]] = {}
    for row, it in enumerate(items):
        attrs = dict(it.attributes)
        if it.price is not None:
            attrs.setdefault("price", it.price)
        for name, value in attrs.items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            if isinstance(value, int | float):
                col = num.get(name)
                if col is None:
                    col = num[name] = np.full(n, np.nan, dtype=np.float32)
                col[row] = float(value)
                continue
            values = value if isinstance(value, list) else [value]
            vocab = cat_cols.setdefault(name, {})
            shown = display.setdefault(name, {})
            r, c = cat_rows.setdefault(name, ([], []))
            for v in values:
                if not isinstance(v, str) or not v.strip():
                    continue
                key = v.strip().lower()
                if key not in vocab:
                    vocab[key] = len(vocab)
                    shown[key] = v.strip()
                r.append(row)
                c.append(vocab[key])
    categorical: dict[str, CategoricalAttribute] = {}
    for name, vocab in cat_cols.items():
        r, c = cat_rows[name]
        m = sparse.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, len(vocab)))
        m.sum_duplicates()
        m.data[:] = 1.0
        values = [display[name][k] for k in vocab]
        categorical[name] = CategoricalAttribute(
            name=name,
            values=values,
            matrix=m,
            value_vectors=encoder.encode(values)
            if values
            else np.zeros((0, encoder.dim), dtype=np.float32),
            counts=np.asarray(m.sum(axis=0)).ravel().astype(np.int64),
        )
    return categorical, num


def learn_from_events(
    events: Iterable[EventData],
    id_to_row: dict[str, int],
    n_items: int,
    *,
    threads: int = 0,
    regularization: float | None = None,
) -> Learned:
    """Popularity, CF factors and weekly activity from the positive events (``threads``: as
    in :func:`build_catalog`). The ALS ridge is ``regularization`` when given, else chosen
    from the events themselves (:func:`choose_regularization`)."""
    users: dict[str, int] = {}
    u_idx: list[int] = []
    i_idx: list[int] = []
    weights: list[float] = []
    stamps: list[float] = []
    rejected: set[tuple[int, int]] = set()
    for ev in events:
        if ev.item_id is None:
            continue
        row = id_to_row.get(ev.item_id)
        if row is None:
            continue
        if ev.type in NEGATIVE_EVENTS:
            rejected.add((users.setdefault(ev.user_id, len(users)), row))
            continue
        w = event_weight(ev.type, ev.value)
        if w <= 0:
            continue
        u_idx.append(users.setdefault(ev.user_id, len(users)))
        i_idx.append(row)
        weights.append(w)
        stamps.append(ev.ts)
    if rejected:
        keep = [k for k, pair in enumerate(zip(u_idx, i_idx, strict=True)) if pair not in rejected]
        u_idx = [u_idx[k] for k in keep]
        i_idx = [i_idx[k] for k in keep]
        weights = [weights[k] for k in keep]
        stamps = [stamps[k] for k in keep]
    popularity = np.zeros(n_items, dtype=np.float32)
    if not weights:
        return Learned(popularity, None, Activity.empty(n_items))
    w_arr = np.asarray(weights, dtype=np.float32)
    ts = np.asarray(stamps, dtype=np.float64)
    activity = Activity.from_events(np.asarray(i_idx), w_arr, ts, n_items)
    age_days = (ts.max() - ts) / 86400.0
    decayed = w_arr * np.power(0.5, age_days / POPULARITY_HALF_LIFE_DAYS).astype(np.float32)
    np.add.at(popularity, np.asarray(i_idx), decayed)
    popularity = np.log1p(popularity)
    if popularity.max() > 0:
        popularity /= popularity.max()

    cf = None
    ridge = None
    if len(weights) >= MIN_EVENTS_FOR_CF and len(users) >= 2:
        u_arr, i_arr = np.asarray(u_idx), np.asarray(i_idx)
        ui = sparse.csr_matrix((w_arr, (u_arr, i_arr)), shape=(len(users), n_items))
        ui.sum_duplicates()
        if regularization is None:
            ridge = choose_regularization(u_arr, i_arr, w_arr, ts, ui.shape)
            regularization = ridge.regularization
        cf = make_cf(
            fit_factors(ui, regularization),
            regularization=regularization,
            alpha=ALS_ALPHA,
            covisit=covisitation(ui),
            sequence=sequences(u_arr, i_arr, ts, n_items),
            threads=threads,
        )
    return Learned(popularity.astype(np.float32), cf, activity, ridge)
