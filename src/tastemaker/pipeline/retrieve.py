"""Retrieve: a few hundred candidates from several sources, each with its raw signal.

Sources: semantic neighbours of the intent's embedding, lexical (BM25) matches of its terms,
collaborative filtering from the person's history, and popular items for the cold start. When
the intent carries hard constraints, candidates are drawn from the items that satisfy them, so a
narrow request ("a 90s comedy, nothing animated") still yields a full result.

The stage writes aligned feature columns (``semantic``, ``lexical``, ``cf``, ``popularity``) for
the union; rank combines them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.constraints import Mask, allowed_mask
from tastemaker.pipeline.understand import stem
from tastemaker.types import Answer, Candidates, FloatArray, IndexArray, Intent

SEMANTIC_K = 150
LEXICAL_K = 100
CF_K = 150
CF_SEEDS = 25  # the person's strongest items whose CF neighbours become candidates
POPULAR_K = 100
CONSTRAINED_K = 300
CF_EXACT_MAX = 20_000


def _top(scores: FloatArray, k: int, rows: IndexArray | None = None) -> IndexArray:
    """Rows of the k highest scores (``rows`` maps positions back to catalog rows)."""
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int32)
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    out = part if rows is None else rows[part]
    return np.asarray(out, dtype=np.int32)


@dataclass(frozen=True, slots=True)
class TextHits:
    """What the answer's words alone retrieve: semantic neighbours and BM25 matches.

    It depends only on the words, and words repeat (every click on a choice sends the same
    intent), so it is cached per catalog snapshot.
    """

    semantic: IndexArray
    lexical_rows: IndexArray  # sorted rows with a non-zero BM25 score
    lexical_scores: FloatArray  # aligned with lexical_rows
    lexical_top: IndexArray

    def lexical(self, rows: IndexArray) -> FloatArray:
        """BM25 score of each of ``rows`` (0 where the words do not occur)."""
        out = np.zeros(len(rows), dtype=np.float32)
        if len(self.lexical_rows):
            pos = np.searchsorted(self.lexical_rows, rows)
            pos = np.minimum(pos, len(self.lexical_rows) - 1)
            hit = self.lexical_rows[pos] == rows
            out[hit] = self.lexical_scores[pos[hit]]
        return out


_HITS: OrderedDict[tuple[int, int, str, tuple[str, ...]], TextHits] = OrderedDict()
_HITS_MAX = 1024
_HITS_LOCK = threading.Lock()


def text_hits(catalog: Catalog, intent: Intent) -> TextHits:
    key = (id(catalog), catalog.version, intent.text, tuple(intent.terms))
    with _HITS_LOCK:
        hit = _HITS.get(key)
        if hit is not None:
            _HITS.move_to_end(key)
            return hit
    semantic = np.zeros(0, dtype=np.int32)
    if intent.vector is not None:
        semantic = catalog.index.search(intent.vector, SEMANTIC_K)[0]
    lex_rows = np.zeros(0, dtype=np.int32)
    lex_scores = np.zeros(0, dtype=np.float32)
    lex_top = np.zeros(0, dtype=np.int32)
    if intent.terms:
        full, _matched = catalog.lexical_scores([stem(t) for t in intent.terms])
        if full is not None:
            lex_rows = np.flatnonzero(full).astype(np.int32)
            lex_scores = full[lex_rows]
            lex_top = _top(lex_scores, LEXICAL_K, lex_rows)
    hit = TextHits(semantic, lex_rows, lex_scores, lex_top)
    with _HITS_LOCK:
        _HITS[key] = hit
        while len(_HITS) > _HITS_MAX:
            _HITS.popitem(last=False)
    return hit


def _constrained(catalog: Catalog, mask: Mask, user_vec: FloatArray | None) -> IndexArray:
    """Candidates that satisfy the constraints, for when the other sources bring too few.

    A mask that lets most items through (e.g. only "not already seen") needs no fill beyond the
    popular items; a selective one is scored whole, by CF when small enough, else popularity.
    """
    popular = catalog.popular_rows[mask[catalog.popular_rows]][:CONSTRAINED_K]
    if len(popular) >= CONSTRAINED_K:
        return popular
    allowed = np.flatnonzero(mask).astype(np.int32)
    cf = catalog.cf
    if user_vec is not None and cf is not None and len(allowed) <= CF_EXACT_MAX:
        base = cf.item_factors[allowed] @ user_vec
    else:
        base = catalog.popularity[allowed]
    return _top(base, CONSTRAINED_K, allowed)


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Sets ``answer.candidates`` with raw signal columns."""
    assert answer.intent is not None and answer.profile is not None
    intent, profile = answer.intent, answer.profile
    mask = allowed_mask(catalog, spec, intent, profile)
    hits = text_hits(catalog, intent)
    pools: list[IndexArray] = [catalog.popular_rows[:POPULAR_K], hits.semantic, hits.lexical_top]

    user_vec = None
    cf = catalog.cf
    if cf is not None and not profile.is_cold:
        user_vec = cf.user_vector(profile.history, profile.history_weights)
        if user_vec is not None:
            near = cf.neighbours[profile.history[:CF_SEEDS]].ravel()
            near = np.unique(near[near >= 0])
            pools.append(_top(cf.item_factors[near] @ user_vec, CF_K, near))
    if mask is not None and int(np.count_nonzero(mask)) < catalog.size // 2:
        # Only a selective mask needs its own pool: a loose one (e.g. "not already seen")
        # leaves the other sources' candidates standing.
        pools.append(_constrained(catalog, mask, user_vec))

    rows = np.unique(np.concatenate(pools)).astype(np.int32)
    if mask is not None:
        rows = rows[mask[rows]]
    zeros = np.zeros(len(rows), dtype=np.float32)
    features: dict[str, FloatArray] = {
        "semantic": zeros
        if intent.vector is None
        else (catalog.embeddings[rows] @ intent.vector).astype(np.float32),
        "lexical": hits.lexical(rows),
        "cf": zeros
        if cf is None or user_vec is None
        else (cf.item_factors[rows] @ user_vec).astype(np.float32),
        "popularity": catalog.popularity[rows].astype(np.float32),
    }
    answer.candidates = Candidates(rows=rows, features=features, explain={"mask": mask})
