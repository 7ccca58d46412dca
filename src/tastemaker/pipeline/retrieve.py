"""Retrieve: a few hundred candidates from several sources, each with its raw signal.

Sources: semantic neighbours of the intent's embedding, lexical (BM25) matches of its terms,
collaborative filtering from the person's history and from their latest picks, what is wanted
around the person's "now" (trend), and popular items for the cold start. When
the intent carries hard constraints, candidates are drawn from the items that satisfy them, so a
narrow request ("a 90s comedy, nothing animated") still yields a full result.

The stage writes aligned feature columns (``semantic``, ``lexical``, ``cf``, ``recent``,
``popularity``, ``trend``) for the union; rank combines them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tastemaker.catalog import Catalog, CFModel, Memo, first_passing, gather
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.constraints import Mask, allowed, hard_mask
from tastemaker.pipeline.vocabulary import stem
from tastemaker.types import Answer, Candidates, FloatArray, IndexArray, Intent

SEMANTIC_K = 150
LEXICAL_K = 100
CF_K = 150
CF_SEEDS = 25  # the person's strongest items whose CF neighbours become candidates
RECENT_SEEDS = 10  # the person's latest picks, whose neighbours become candidates too
RECENT_DECAY = 0.8  # each older pick counts this much less in the ``recent`` signal
TREND_K = 100
POPULAR_K = 100
FOCUS_K = 300
CF_EXACT_MAX = 4_000  # a constrained set larger than this: CF over its most popular items
FOCUS_BLOCK = 5_000  # factor rows kept per narrowed set (room for what the person has seen)


def _top(scores: FloatArray, k: int, rows: IndexArray | None = None) -> IndexArray:
    """Rows of the k highest scores (``rows`` maps positions back to catalog rows)."""
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int32)
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    out = part if rows is None else rows[part]
    return np.asarray(out, dtype=np.int32)


def _run_starts(ordered: IndexArray) -> npt.NDArray[np.intp]:
    """Where each run of equal values begins in a sorted array (non-empty)."""
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def distinct(rows: IndexArray) -> IndexArray:
    """The distinct rows, sorted, as int32: ``np.unique`` by one sort and a comparison, which
    on the few thousand rows of a request costs a fifth of what ``np.unique`` does."""
    out = np.sort(rows)
    if len(out) > 1:
        out = out[_run_starts(out)]
    return np.asarray(out, dtype=np.int32)


def lookup(sparse_row: tuple[IndexArray, FloatArray], rows: IndexArray) -> FloatArray:
    """Values of a (sorted rows, values) pair at ``rows`` (0 where absent)."""
    keys, vals = sparse_row
    out = np.zeros(len(rows), dtype=np.float32)
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, rows), len(keys) - 1)
        hit = keys[pos] == rows
        out[hit] = vals[pos[hit]]
    return out


@dataclass(frozen=True, slots=True)
class TextHits:
    """What the answer's words alone retrieve: semantic neighbours and BM25 matches.

    It depends only on the words, and words repeat (every click on a choice sends the same
    intent), so it is cached per catalog snapshot. It keeps the words' columns of the BM25
    index (views, no copy) rather than every matching row's score: a common word matches
    a third of a large catalog, and a thousand remembered answers would hold hundreds of MB.
    """

    semantic: IndexArray
    lexical_top: IndexArray
    postings: tuple[tuple[IndexArray, FloatArray], ...]  # per word: rows ascending, score

    def lexical(self, rows: IndexArray) -> FloatArray:
        """BM25 score of each of ``rows`` (0 where the words do not occur), summed over the
        words in the index's own order, so it equals the whole catalog's scores at ``rows``."""
        out = np.zeros(len(rows), dtype=np.float32)
        for posting in self.postings:
            out += lookup(posting, rows)
        return out


# What the words alone retrieve, across snapshots (keyed by snapshot and words); it holds answer
# words, so an erasure empties it (privacy.clear_text_caches).
TEXT_HITS = Memo(size=1024)
# The same for the values an answer points to (keyed by the embedding of its words).
INTENT_WEIGHTS = Memo(size=1024)


def text_hits(catalog: Catalog, intent: Intent) -> TextHits:
    key = (catalog.uid, intent.text, tuple(intent.terms))
    hits: TextHits = TEXT_HITS.get(key, lambda: _text_hits(catalog, intent))
    return hits


def _text_hits(catalog: Catalog, intent: Intent) -> TextHits:
    semantic = np.zeros(0, dtype=np.int32)
    if intent.vector is not None:
        semantic = catalog.index.search(intent.vector, SEMANTIC_K)[0]
    lex_top = np.zeros(0, dtype=np.int32)
    postings: list[tuple[IndexArray, FloatArray]] = []
    if intent.terms:
        full, matched = catalog.lexical_scores([stem(t) for t in intent.terms])
        if full is not None:
            # through a boolean mask: ``flatnonzero`` on floats costs six times as much (0.53
            # against 0.09 ms on 100k scores with 35k non-zero)
            nonzero = np.flatnonzero(full != 0).astype(np.int32)
            lex_top = _top(full[nonzero], LEXICAL_K, nonzero)
            postings = catalog.lexical_postings(matched)
    return TextHits(semantic, lex_top, tuple(postings))


Scored = tuple[IndexArray, FloatArray]


def _focused(
    catalog: Catalog,
    key: Hashable,
    in_set: Mask | None,
    mask: Mask | None,
    user_vec: FloatArray | None,
    trend: FloatArray | None,
) -> tuple[IndexArray, Scored | None]:
    """The best of a narrowed set for this person: by CF when we know them, else by what is
    wanted around their "now", else by popularity. The set is ``in_set`` (None: the whole
    catalog), remembered under ``key`` with its rows in popularity order, and ``mask`` what
    the person may get; CF looks at the set's ``CF_EXACT_MAX`` most popular allowed items,
    which bounds the cost.

    The other sources pick from the whole catalog; when the answer narrows it (a constraint, or
    values it points to), most of what they bring does not fit, and the items that fit *and*
    suit the person would be missed without a pool drawn from the narrowed set itself.

    Also returns every allowed item of the set with its CF score when they were all scored (a
    small set): a pool drawn from a subset of them then needs no second product.
    """
    # The set's head in popularity order, one row past the block: whether the set ends within
    # the block is then known without ordering the rest of it.
    if in_set is None:
        head = catalog.popular_rows[: FOCUS_BLOCK + 1]
    else:
        head = catalog.popular_head(key, in_set, FOCUS_BLOCK + 1)
    whole_set = len(head) <= FOCUS_BLOCK
    head = head[:FOCUS_BLOCK]
    cf = catalog.cf
    if user_vec is not None and cf is not None:
        fits = np.flatnonzero(mask[head]) if mask is not None else np.arange(len(head))
        if len(fits) >= CF_EXACT_MAX or whole_set:
            # The head's factors, copied once into one block: scoring the block whole costs
            # less than gathering thousands of scattered rows per request. (Only here: when
            # the mask leaves too few of the head, the rows scored lie beyond it.)
            block = catalog.blocks.get(key, lambda: gather(cf.item_factors, head))
            whole = whole_set and len(fits) <= CF_EXACT_MAX
            fits = fits[:CF_EXACT_MAX]
            rows, scores = head[fits], (block @ user_vec)[fits]
            return _top(scores, FOCUS_K, rows), ((rows, scores) if whole else None)
        rows = _first_allowed(catalog, key, in_set, head, whole_set, mask)
        return _top(gather(cf.item_factors, rows) @ user_vec, FOCUS_K, rows), None
    rows = _first_allowed(catalog, key, in_set, head, whole_set, mask)
    if trend is not None and trend[rows].any():
        return _top(trend[rows], FOCUS_K, rows), None
    return _top(catalog.popularity[rows], FOCUS_K, rows), None


def _first_allowed(
    catalog: Catalog,
    key: Hashable,
    in_set: Mask | None,
    head: IndexArray,
    whole_set: bool,
    mask: Mask | None,
) -> IndexArray:
    """The set's ``CF_EXACT_MAX`` most popular rows that pass ``mask``: from its head when the
    head holds enough of them, else from the set's whole order (remembered, so it is paid
    once per set and snapshot)."""
    rows = first_passing(head, mask, CF_EXACT_MAX)
    if len(rows) >= CF_EXACT_MAX or whole_set:
        return rows
    order = catalog.popular_rows if in_set is None else catalog.popular_within(key, in_set)
    return first_passing(order, mask, CF_EXACT_MAX)


def meant_set(catalog: Catalog, weights: dict[str, FloatArray]) -> tuple[Hashable, Mask]:
    """Items having any value the answer points to, as a mask, and the key the set is
    remembered under for the snapshot (the same choice points to the same values)."""
    cols = tuple((name, tuple(int(c) for c in np.flatnonzero(w))) for name, w in weights.items())

    def meant() -> Mask:
        out = np.zeros(catalog.size, dtype=bool)
        for name, which in cols:
            out |= catalog.categorical[name].has_any(list(which), catalog.size)
        return out

    key = ("meant", cols)
    in_set: Mask = catalog.memo.get(("mask", key), meant)
    return key, in_set


# How far below the best-matching value another value may be and still count as meant.
INTENT_MARGIN = 0.08


def intent_weights(catalog: Catalog, intent: Intent) -> dict[str, FloatArray]:
    """Per attribute, how much each value is meant by the answer (0 = not at all).

    Declared preferences count fully; otherwise the values whose names lie closest to the
    answer's embedding, within a small margin of the best one, count by their closeness (values
    named without letters only when named outright).

    Remembered (:data:`INTENT_WEIGHTS`) under what it reads, the snapshot, the embedding and
    the named values: a choice's answer is the same for everyone who picks it. The arrays are
    read-only.
    """
    key = (
        catalog.uid,
        None if intent.vector is None else intent.vector.tobytes(),
        tuple((k, tuple(v)) for k, v in intent.preferred.items()),
        tuple((k, tuple(v)) for k, v in intent.asked.items()),
    )
    out: dict[str, FloatArray] = INTENT_WEIGHTS.get(key, lambda: _intent_weights(catalog, intent))
    return out


def _intent_weights(catalog: Catalog, intent: Intent) -> dict[str, FloatArray]:
    out: dict[str, FloatArray] = {}
    for name, attr in catalog.categorical.items():
        if not attr.is_facet:
            continue
        w = np.zeros(len(attr.values), dtype=np.float32)
        if intent.vector is not None:
            # A value named without letters ("19:00") is never what words lean to.
            sims = attr.worded(attr.value_vectors @ intent.vector)
            best = float(sims.max())
            if best > 0.2:
                keep = sims >= best - INTENT_MARGIN
                w[keep] = np.clip(sims[keep], 0, 1) * 0.5
        for v in [*intent.preferred.get(name, []), *intent.asked.get(name, [])]:
            j = attr.index.get(v.lower())
            if j is not None:
                w[j] = 1.0
        if w.any():
            w.flags.writeable = False
            out[name] = w
    return out


def attribute_score(
    catalog: Catalog, rows: IndexArray, weights: dict[str, FloatArray]
) -> FloatArray:
    total = np.zeros(len(rows), dtype=np.float32)
    for name, w in weights.items():
        total += catalog.categorical[name].score(rows, w)
    return total


def recent_similarity(cf: CFModel, rows: IndexArray, recent: IndexArray) -> FloatArray:
    """Closeness (cosine of CF factors) to the person's latest picks, newer ones counting more.

    The ALS user vector sums a whole history; the next pick is usually close to the last few,
    which this keeps apart.
    """
    if len(recent) == 0 or len(rows) == 0:
        return np.zeros(len(rows), dtype=np.float32)
    seeds = recent[:RECENT_SEEDS]
    w = RECENT_DECAY ** np.arange(len(seeds), dtype=np.float32)
    sims = gather(cf.unit_factors, rows) @ gather(cf.unit_factors, seeds).T
    # By einsum, not BLAS, over the few seeds: see ``CategoricalAttribute.score`` (a spurious
    # "invalid value" flag from OpenBLAS's mat-vec on a short vector failed a fit here too).
    out: FloatArray = (np.einsum("ij,j->i", sims, w) / w.sum()).astype(np.float32)
    return out


def covisited(
    matrix: sparse.csr_matrix | None, recent: IndexArray
) -> tuple[IndexArray, FloatArray]:
    """Items related to the person's latest picks by an item x item ``matrix`` (co-visitation,
    or what people picked next), newer picks counting more: the rows and the square root of
    their summed scores (co-occurrence is heavy-tailed: scaled raw, one outlier would squash
    every other candidate to zero)."""
    if matrix is None or len(recent) == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    seeds = recent[:RECENT_SEEDS]
    w = RECENT_DECAY ** np.arange(len(seeds), dtype=np.float32)
    # The seeds' rows gathered straight from the CSR arrays, and summed per column by one sort:
    # scipy's row slicing and product, or np.unique, cost several times the arithmetic on a
    # few hundred entries.
    starts, ends = matrix.indptr[seeds], matrix.indptr[seeds + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    # position of every entry: its row's start plus its offset within the row
    offsets = np.cumsum(lengths) - lengths
    at = np.arange(total) + np.repeat(starts - offsets, lengths)
    cols = matrix.indices[at]
    vals = matrix.data[at] * np.repeat(w.astype(np.float64), lengths)
    order = np.argsort(cols, kind="stable")
    cols, vals = cols[order], vals[order]
    first = _run_starts(cols)
    summed = np.add.reduceat(vals, first)
    scores = np.sqrt(summed / float(w.sum())).astype(np.float32)
    return cols[first].astype(np.int32), scores


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Sets ``answer.candidates`` with raw signal columns."""
    assert answer.intent is not None and answer.profile is not None
    intent, profile = answer.intent, answer.profile
    mask, narrowed = allowed(catalog, spec, intent, profile)
    hits = text_hits(catalog, intent)
    pools: list[IndexArray] = [catalog.popular_rows[:POPULAR_K], hits.semantic, hits.lexical_top]
    trend = None
    if catalog.activity is not None:
        trend, trending = catalog.activity.trend(profile.now)
        pools.append(trending[:TREND_K])

    user_vec = None
    cf = catalog.cf
    covisit = covisited(cf.covisit, profile.recent) if cf is not None else None
    sequence = covisited(cf.sequence, profile.recent) if cf is not None else None
    for related in (covisit, sequence):
        if related is not None and len(related[0]):
            pools.append(_top(related[1], CF_K, related[0]))
    if cf is not None and not profile.is_cold:
        user_vec = cf.user_vector(profile.history, profile.history_weights)
        if user_vec is not None:
            seeds = np.concatenate([profile.history[:CF_SEEDS], profile.recent[:RECENT_SEEDS]])
            near = cf.neighbours[seeds].ravel()
            near = distinct(near[near >= 0])
            pools.append(_top(gather(cf.item_factors, near) @ user_vec, CF_K, near))
    if intent.relaxed:
        # Items meeting requirements that were relaxed lead the result (rules), and there are
        # fewer of them than it needs (``constraints.allowed``): every one is a candidate.
        strict = hard_mask(catalog, intent.relaxed, {}, {}, {})
        if strict is not None:
            pools.append(np.flatnonzero(strict if mask is None else strict & mask).astype(np.int32))
    scored: Scored | None = None
    if mask is not None and int(np.count_nonzero(mask)) < catalog.size // 2:
        # Only a selective mask needs its own pool: a loose one (e.g. "not already seen")
        # leaves the other sources' candidates standing.
        key: Hashable = "all"
        in_set: Mask | None = None
        if narrowed is not None:
            key, in_set = narrowed
        pool, scored = _focused(catalog, key, in_set, mask, user_vec, trend)
        pools.append(pool)
    iw = intent_weights(catalog, intent)
    if iw:
        meant_key, in_meant = meant_set(catalog, iw)
        if scored is not None:
            # Every allowed item already has its CF score: the meant ones are among them.
            rows, scores = scored
            keep = in_meant[rows]
            pools.append(_top(scores[keep], FOCUS_K, rows[keep]))
        else:
            pools.append(_focused(catalog, meant_key, in_meant, mask, user_vec, trend)[0])

    rows = distinct(np.concatenate(pools))
    if mask is not None:
        rows = rows[mask[rows]]
    zeros = np.zeros(len(rows), dtype=np.float32)
    features: dict[str, FloatArray] = {
        "semantic": zeros
        if intent.vector is None
        else (gather(catalog.embeddings, rows) @ intent.vector).astype(np.float32),
        "lexical": hits.lexical(rows),
        "cf": zeros
        if cf is None or user_vec is None
        else (gather(cf.item_factors, rows) @ user_vec).astype(np.float32),
        "recent": zeros
        if cf is None or user_vec is None
        else recent_similarity(cf, rows, profile.recent),
        "covisit": zeros if covisit is None else lookup(covisit, rows),
        "sequence": zeros if sequence is None else lookup(sequence, rows),
        "popularity": catalog.popularity[rows].astype(np.float32),
        "trend": zeros if trend is None else trend[rows],
        "fresh": zeros
        if catalog.activity is None
        else catalog.activity.freshness(profile.now, rows),
    }
    # The intent weights go along for rank, which scores them (they cost a product per facet).
    explain = {"mask": mask, "meant_weights": iw}
    answer.candidates = Candidates(rows=rows, features=features, explain=explain)
