"""Retrieve: a few hundred candidates from several sources, each with its raw signal.

Sources: semantic neighbours of the intent's embedding, lexical (BM25) matches of its terms,
collaborative filtering from the person's history, and popular items for the cold start. When
the intent carries hard constraints, candidates are drawn from the items that satisfy them, so a
narrow request ("a 90s comedy, nothing animated") still yields a full result.

The stage writes aligned feature columns (``semantic``, ``lexical``, ``cf``, ``popularity``) for
the union; rank combines them.
"""

from __future__ import annotations

import numpy as np

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.constraints import allowed_mask
from tastemaker.pipeline.understand import stem
from tastemaker.types import Answer, Candidates, FloatArray, IndexArray

SEMANTIC_K = 200
LEXICAL_K = 100
CF_K = 200
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


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Sets ``answer.candidates`` with raw signal columns."""
    assert answer.intent is not None and answer.profile is not None
    intent, profile = answer.intent, answer.profile
    mask = allowed_mask(catalog, spec, intent, profile)
    pools: list[IndexArray] = [catalog.popular_rows[:POPULAR_K]]

    if intent.vector is not None:
        rows, _ = catalog.index.search(intent.vector, SEMANTIC_K)
        pools.append(rows)

    lexical_full: FloatArray | None = None
    if intent.terms:
        lexical_full, _matched = catalog.lexical_scores([stem(t) for t in intent.terms])
        if lexical_full is not None:
            nz = np.flatnonzero(lexical_full).astype(np.int32)
            pools.append(_top(lexical_full[nz], LEXICAL_K, nz))

    user_vec = None
    cf = catalog.cf
    if cf is not None and not profile.is_cold:
        user_vec = cf.user_vector(profile.history, profile.history_weights)
        if user_vec is not None and cf.index is not None:
            pools.append(cf.index.search(user_vec, CF_K)[0])

    if mask is not None:
        # Fill from what satisfies the constraints: by CF when the allowed set is small enough
        # to score whole, else by popularity.
        allowed = np.flatnonzero(mask).astype(np.int32)
        if user_vec is not None and cf is not None and len(allowed) <= CF_EXACT_MAX:
            base = cf.item_factors[allowed] @ user_vec
        else:
            base = catalog.popularity[allowed]
        pools.append(_top(base, CONSTRAINED_K, allowed))

    rows = np.unique(np.concatenate(pools)).astype(np.int32)
    if mask is not None:
        rows = rows[mask[rows]]
    features: dict[str, FloatArray] = {
        "semantic": (
            catalog.embeddings[rows] @ intent.vector
            if intent.vector is not None
            else np.zeros(len(rows), dtype=np.float32)
        ).astype(np.float32),
        "lexical": (
            lexical_full[rows] if lexical_full is not None else np.zeros(len(rows), np.float32)
        ).astype(np.float32),
        "cf": (
            cf.item_factors[rows] @ user_vec
            if cf is not None and user_vec is not None
            else np.zeros(len(rows), np.float32)
        ).astype(np.float32),
        "popularity": catalog.popularity[rows].astype(np.float32),
    }
    answer.candidates = Candidates(rows=rows, features=features, explain={"mask": mask})
