"""Behaviour of VectorIndex: exact and HNSW agree, add replaces and appends, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tastemaker.index import EXACT_MAX, VectorIndex

DIM = 32


def _clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres: structured like real embeddings, unlike pure noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return _clustered(3000)


@pytest.fixture(scope="module")
def hnsw(vectors: np.ndarray) -> VectorIndex:
    return VectorIndex.build(vectors, exact_max=0)


def test_build_picks_the_engine_by_size(vectors: np.ndarray) -> None:
    assert VectorIndex.build(vectors[:10]).kind == "exact"
    assert VectorIndex.build(vectors, exact_max=len(vectors) - 1).kind == "hnsw"
    assert EXACT_MAX > 1000


def test_exact_returns_true_top_k_best_first(vectors: np.ndarray) -> None:
    index = VectorIndex.build(vectors)
    q = vectors[7]
    rows, scores = index.search(q, 20)
    assert rows.dtype == np.int32 and scores.dtype == np.float32
    expected = np.argsort(-(vectors @ q), kind="stable")[:20]
    assert rows[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert set(rows.tolist()) == set(expected.tolist())
    assert np.all(np.diff(scores) <= 0)
    np.testing.assert_allclose(scores, vectors[rows] @ q, atol=1e-6)


def test_hnsw_agrees_with_exact_on_top_results(vectors: np.ndarray, hnsw: VectorIndex) -> None:
    exact = VectorIndex.build(vectors)
    recall = []
    for q in _clustered(50, seed=1):
        e_rows, _ = exact.search(q, 50)
        h_rows, h_scores = hnsw.search(q, 50)
        assert np.all(np.diff(h_scores) <= 0)
        # HNSW scores are re-scored exactly: they are true cosines of the rows returned.
        np.testing.assert_allclose(h_scores, vectors[h_rows] @ q, atol=1e-5)
        recall.append(len(set(e_rows[:10].tolist()) & set(h_rows[:10].tolist())) / 10)
    assert np.mean(recall) > 0.95


def test_k_larger_than_index_returns_everything(vectors: np.ndarray) -> None:
    index = VectorIndex.build(vectors[:5])
    rows, _ = index.search(vectors[0], 100)
    assert sorted(rows.tolist()) == [0, 1, 2, 3, 4]
    assert len(index.search(vectors[0], 0)[0]) == 0


@pytest.mark.parametrize("engine", ["exact", "hnsw"])
def test_add_replaces_and_appends(vectors: np.ndarray, engine: str) -> None:
    index = VectorIndex.build(vectors, exact_max=len(vectors) if engine == "exact" else 0)
    target = vectors[100]
    # Row 5 now points the way of row 100: the query for 100 finds 5 beside it.
    index.add([5], target[None, :])
    rows, scores = index.search(target, 3)
    assert set(rows[:2].tolist()) == {5, 100}
    np.testing.assert_allclose(index.vector(5), target)
    # Moving row 100 away: its old vector must no longer be found under row 100.
    index.add([100], -target[None, :])
    rows, _ = index.search(target, 10)
    assert 100 not in rows.tolist() and rows[0] == 5
    # Append a new row n.
    n = len(vectors)
    fresh = _clustered(1, seed=9)
    index.add([n], fresh)
    assert len(index) == n + 1
    rows, scores = index.search(fresh[0], 1)
    assert rows[0] == n and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_add_rejects_gaps_and_wrong_dims(vectors: np.ndarray) -> None:
    index = VectorIndex.build(vectors[:10])
    with pytest.raises(ValueError, match="without gaps"):
        index.add([12], vectors[:1])
    with pytest.raises(ValueError, match="dim"):
        index.add([1], np.ones((1, DIM + 1), dtype=np.float32))


@pytest.mark.parametrize("engine", ["exact", "hnsw"])
@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(vectors: np.ndarray, tmp_path: Path, engine: str, mmap: bool) -> None:
    index = VectorIndex.build(vectors, exact_max=len(vectors) if engine == "exact" else 0)
    index.add([3, len(vectors)], _clustered(2, seed=5))
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, mmap=mmap)
    assert loaded.kind == engine and len(loaded) == len(index) and loaded.dim == DIM
    for q in _clustered(5, seed=2):
        r1, s1 = index.search(q, 25)
        r2, s2 = loaded.search(q, 25)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_allclose(s1, s2, atol=1e-6)
    # A memory-mapped index still takes updates (in its in-memory delta).
    loaded.add([0], vectors[1:2])
    assert loaded.search(vectors[1], 2)[0].tolist() in ([0, 1], [1, 0])


def test_a_graph_built_on_one_thread_is_the_same_every_time(vectors: np.ndarray) -> None:
    """``threads=1`` is what makes a fit repeatable (``Settings.fit_threads``): the graph, and so
    every neighbour list and search result, comes out the same from the same vectors."""
    first, second = (VectorIndex.build(vectors, exact_max=0, threads=1) for _ in range(2))
    assert np.array_equal(first.neighbours(10), second.neighbours(10))
    for q in vectors[:50]:
        assert np.array_equal(first.search(q, 20)[0], second.search(q, 20)[0])
