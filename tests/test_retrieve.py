"""Retrieve's pool from a narrowed set, against its definition.

The pool reads only as much of the set's popularity order as it needs (its head, and the rest
only when the head holds too few allowed items), so the sizes are shrunk here until every one
of those paths runs on the small film catalog.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline_fixtures import film_catalog, film_spec, new_answer
from tastemaker.encoders import get_encoder
from tastemaker.pipeline import retrieve, runner
from tastemaker.pipeline.vocabulary import stem
from tastemaker.types import Intent


def _definition(
    in_set: np.ndarray, mask: np.ndarray, user_vec: np.ndarray | None, k: int, exact: int
) -> set[int]:
    """The ``exact`` most popular rows of the set that pass the mask, best ``k`` of them by CF
    score (by popularity without one)."""
    catalog = film_catalog()
    rows = [int(r) for r in catalog.popular_rows if in_set[r] and mask[r]][:exact]
    assert catalog.cf is not None
    scores = (
        catalog.popularity[rows] if user_vec is None else catalog.cf.item_factors[rows] @ user_vec
    )
    order = np.argsort(-scores, kind="stable")[:k]
    return {rows[i] for i in order}


@pytest.mark.parametrize("known", [True, False], ids=["known person", "newcomer"])
@pytest.mark.parametrize(
    ("block", "exact"),
    [(50, 40), (6, 3), (6, 5), (3, 2)],
    ids=["set within the block", "head holds enough", "head holds too few", "tiny head"],
)
def test_the_narrowed_pool_is_the_sets_most_popular_allowed_items(
    monkeypatch: pytest.MonkeyPatch, block: int, exact: int, known: bool
) -> None:
    catalog = film_catalog()
    assert catalog.cf is not None
    monkeypatch.setattr(retrieve, "FOCUS_BLOCK", block)
    monkeypatch.setattr(retrieve, "CF_EXACT_MAX", exact)
    monkeypatch.setattr(retrieve, "FOCUS_K", 2)
    rng = np.random.default_rng(block * 10 + exact)
    in_set = rng.random(catalog.size) < 0.8
    mask = rng.random(catalog.size) < 0.6
    user_vec = catalog.cf.item_factors[:3].sum(axis=0) if known else None
    key = ("test", block, exact, known)  # what a set is remembered under, one per case
    pool, _scored = retrieve._focused(catalog, key, in_set, mask, user_vec, None)
    assert set(pool.tolist()) == _definition(in_set, mask, user_vec, 2, exact)
    # asked again, it is read from what the snapshot remembers, and the same
    again, _ = retrieve._focused(catalog, key, in_set, mask, user_vec, None)
    assert set(again.tolist()) == set(pool.tolist())


def test_the_remembered_words_score_any_row_as_the_whole_catalog_does() -> None:
    """What an answer's words retrieve is remembered as their columns of the BM25 index, not
    as every matching row's score; a candidate's lexical score read from them is the whole
    catalog's score at that row, to the bit, and they hold no copy of the index."""
    catalog = film_catalog()
    answer = new_answer(text="a funny action movie with a heist")
    runner.run(answer, film_spec(), catalog, get_encoder("static"), [])
    intent = answer.intent
    assert isinstance(intent, Intent) and intent.terms
    hits = retrieve.text_hits(catalog, intent)
    full, _matched = catalog.lexical_scores([stem(t) for t in intent.terms])
    assert full is not None and np.count_nonzero(full)
    rows = np.arange(catalog.size, dtype=np.int32)
    assert np.array_equal(hits.lexical(rows), full)
    assert all(rows_.base is not None for rows_, _scores in hits.postings)
    best = set(np.flatnonzero(full == full.max()).tolist())
    assert best <= set(hits.lexical_top.tolist())
