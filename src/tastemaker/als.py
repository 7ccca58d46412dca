"""ALS item factors for a workspace, and how strongly to shrink them (the ridge).

Collaborative filtering is implicit-feedback ALS (Hu, Koren & Volinsky 2008): item factors are
fitted here at fit time; a person's vector is solved per request from their latest events
(:meth:`tastemaker.catalog.CFModel.user_vector`). How hard the factors should be shrunk depends
on how many interactions each person and item has, which no one constant fits, so the ridge is
chosen per workspace from its own later events (:func:`choose_regularization`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from threadpoolctl import threadpool_limits

from tastemaker.catalog import CFModel
from tastemaker.types import FloatArray, IndexArray

log = logging.getLogger(__name__)

ALS_FACTORS = 64
ALS_REGULARIZATION = 0.05  # the ridge when there are too few people to choose it (below)
ALS_ALPHA = 2.0
ALS_ITERATIONS = 15

# How hard ALS should shrink its factors depends on how many interactions each person and item
# has, which no one constant fits; fit chooses from these by each workspace's own later events
# (choose_regularization). The serving-time fold-in uses the same ridge.
ALS_REGULARIZATION_GRID = (0.05, 0.5, 2.0, 5.0, 10.0, 20.0, 50.0)
VALIDATION_TARGETS = 3  # each person's latest distinct positives held out to choose the ridge
VALIDATION_MIN_HISTORY = 5  # distinct positives a person keeps before those
VALIDATION_PEOPLE = 1000  # at most (a seeded sample): scoring every item costs per person
VALIDATION_MIN_PEOPLE = 20  # fewer: keep ALS_REGULARIZATION
VALIDATION_SEED = 7


@dataclass(frozen=True, slots=True)
class RidgeChoice:
    """Which ALS ridge the workspace's own events chose, and how each candidate did."""

    regularization: float
    ndcg: dict[float, float]  # NDCG (whole list) of the held-out positives, per candidate
    people: int  # whose latest positives were held out (0: too few, the default was kept)

    def report(self) -> dict[str, Any]:
        return {
            "regularization": self.regularization,
            "people": self.people,
            "ndcg": {str(r): round(v, 4) for r, v in self.ndcg.items()},
        }


def choose_regularization(
    users: IndexArray,
    rows: IndexArray,
    weights: FloatArray,
    ts: npt.NDArray[np.float64],
    shape: tuple[int, int],
) -> RidgeChoice:
    """The ALS ridge under which CF best predicts what people took next.

    Each sampled person's latest ``VALIDATION_TARGETS`` distinct items are held out; ALS is fitted
    on everything else once per candidate in ``ALS_REGULARIZATION_GRID``; each held-out item is
    then ranked among everything the person had not taken, by the same fold-in that serves
    (:meth:`CFModel.user_vector`). Too few people with enough history keep the default.

    The score is NDCG over the whole list, not its top 10: an answer's filters pick a slice of
    the catalog and CF orders the slice, so the person's 300th-best item overall can be the
    best 90s comedy; the order far down the list counts too, the top still most.
    """
    n_users, n_items = shape
    pair = users.astype(np.int64) * n_items + rows
    keys, inverse = np.unique(pair, return_inverse=True)
    last = np.full(len(keys), -np.inf)
    np.maximum.at(last, inverse, ts)
    owner = keys // n_items
    # each person's distinct items, latest first
    order = np.lexsort((-last, owner))
    bounds = np.searchsorted(owner[order], np.arange(n_users + 1))
    counts = np.diff(bounds)
    eligible = np.flatnonzero(counts >= VALIDATION_TARGETS + VALIDATION_MIN_HISTORY)
    if len(eligible) < VALIDATION_MIN_PEOPLE:
        return RidgeChoice(ALS_REGULARIZATION, {}, 0)
    rng = np.random.default_rng(VALIDATION_SEED)
    people = np.sort(rng.permutation(eligible)[:VALIDATION_PEOPLE])
    held = np.zeros(len(keys), dtype=bool)
    for p in people:
        held[order[bounds[p] : bounds[p] + VALIDATION_TARGETS]] = True
    train = ~held[inverse]
    ui = sparse.csr_matrix((weights[train], (users[train], rows[train])), shape=shape)
    ui.sum_duplicates()
    targets = [keys[order[bounds[p] : bounds[p] + VALIDATION_TARGETS]] % n_items for p in people]
    ndcg = {reg: _held_out_ndcg(ui, reg, people, targets) for reg in ALS_REGULARIZATION_GRID}
    best = max(ALS_REGULARIZATION_GRID, key=lambda r: ndcg[r])  # first of equals
    log.info("ALS ridge %s chosen on %d people: %s", best, len(people), ndcg)
    return RidgeChoice(best, ndcg, len(people))


def _held_out_ndcg(
    ui: sparse.csr_matrix, regularization: float, people: IndexArray, targets: list[IndexArray]
) -> float:
    factors = fit_factors(ui, regularization)
    cf = CFModel(
        item_factors=factors,
        gram=(factors.T @ factors).astype(np.float32),
        regularization=regularization,
        alpha=ALS_ALPHA,
        neighbours=np.zeros((len(factors), 0), dtype=np.int32),
    )
    total = 0.0
    for p, held in zip(people, targets, strict=True):
        taken = ui.indices[ui.indptr[p] : ui.indptr[p + 1]]
        vec = cf.user_vector(taken, ui.data[ui.indptr[p] : ui.indptr[p + 1]])
        if vec is None:
            continue
        scores = factors @ vec
        scores[taken] = -np.inf
        ranks = np.sum(scores[None, :] > scores[held][:, None], axis=1)
        ideal = 1.0 / np.log2(np.arange(len(held)) + 2.0)
        total += float(np.sum(1.0 / np.log2(ranks + 2.0)) / ideal.sum())
    return total / len(people)


def fit_factors(user_items: sparse.csr_matrix, regularization: float) -> FloatArray:
    """Item factors from implicit's ALS (one BLAS thread: implicit parallelises itself)."""
    from implicit.cpu.als import AlternatingLeastSquares

    k = min(ALS_FACTORS, max(2, min(user_items.shape) - 1))
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=k,
            regularization=regularization,
            alpha=ALS_ALPHA,
            iterations=ALS_ITERATIONS,
            random_state=42,
        )
        model.fit(user_items, show_progress=False)
    f: FloatArray = np.asarray(model.item_factors, dtype=np.float32)
    return f
