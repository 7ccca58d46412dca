"""Rules: the business's word is final.

Hard filters (the experience's rules and the person's constraints, one mask shared with
retrieve), exclusions of what the person already has, blocked items, boosts and pins. Pins and
boosts are merchandising decisions, so they apply after relevance: a pinned item leads the
result even if the ranker would not have chosen it, as long as it is allowed.
"""

from __future__ import annotations

import numpy as np

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.constraints import allowed_mask, hard_mask
from tastemaker.types import Answer, Candidates


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Filters, boosts and pins ``answer.candidates`` in place."""
    cand = answer.candidates
    assert cand is not None and cand.score is not None
    assert answer.intent is not None and answer.profile is not None
    mask = cand.explain.get("mask", None)
    if "mask" not in cand.explain:
        mask = allowed_mask(catalog, spec, answer.intent, answer.profile)
    if mask is not None:
        cand = cand.take(mask[cand.rows])
    assert cand.score is not None
    if answer.intent.relaxed and len(cand):
        # Relaxed requirements only fill the result: every item that meets them stays ahead of
        # every item that does not, whatever the other signals say.
        strict = hard_mask(catalog, answer.intent.relaxed, {}, {}, {})
        if strict is not None:
            lift = float(cand.score.max() - cand.score.min()) + 1.0
            cand.score = cand.score + strict[cand.rows].astype(np.float32) * np.float32(lift)
    for boost in spec.rules.boosts:
        attr = catalog.categorical.get(boost.attribute)
        j = None if attr is None else attr.index.get(boost.value.lower())
        if attr is None or j is None:
            continue
        has = np.asarray(attr.matrix[cand.rows, j].todense()).ravel() > 0
        cand.score = cand.score + has.astype(np.float32) * np.float32(boost.weight)
        cand.features["contrib_boost"] = has.astype(np.float32) * np.float32(boost.weight)
    pins = [int(r) for r in catalog.rows_for(spec.rules.pins)]
    pins = [r for r in pins if mask is None or mask[r]]
    missing = [r for r in pins if r not in set(cand.rows.tolist())]
    if missing:
        cand = _append(cand, np.array(missing, dtype=np.int32))
    cand.pinned = pins
    answer.candidates = cand


def _append(cand: Candidates, rows: np.ndarray) -> Candidates:
    """Add rows (pinned items the retrievers did not bring) with zero signals."""
    assert cand.score is not None
    extra = len(rows)
    return Candidates(
        rows=np.concatenate([cand.rows, rows]).astype(np.int32),
        features={
            k: np.concatenate([v, np.zeros(extra, dtype=v.dtype)]) for k, v in cand.features.items()
        },
        score=np.concatenate([cand.score, np.zeros(extra, dtype=np.float32)]),
        pinned=cand.pinned,
        explain=cand.explain,
    )
