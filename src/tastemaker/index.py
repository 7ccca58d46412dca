"""In-process nearest-neighbour search over unit-norm item vectors.

Two engines behind one class, chosen by size at build time:

- **exact** (up to :data:`EXACT_MAX` rows): one float32 mat-vec plus ``argpartition``. Exact
  results and no build cost; below a few thousand rows it is also the faster of the two.
- **HNSW** (above): a usearch graph over inner product of unit vectors (= cosine), stored as
  bfloat16 to halve its memory. The graph's candidates are re-scored against the float32 vectors,
  so returned cosines are exact and ordered exactly; only which rows make the list is approximate.
  bfloat16 rather than float16: widening it back is a shift, so a search costs a sixth less at the
  same recall (measured at 100k generated items, k=150, ef=200: p50 1.09 against 1.30 ms, recall
  0.886 against 0.885, the two graphs queried in turn in one process).

Items added or changed after the build go to a small exact *delta* instead of mutating the base:
the base stays immutable, so a saved index can be memory-mapped (``VectorIndex.load``) and its
pages shared by every worker process, and ``add`` works on a mapped index too. Replaced base rows
are masked out of base results. Refitting folds the delta back in.

Measured by ``benchmarks/encoders.py --index`` (see the docstring of :data:`EXACT_MAX`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tastemaker.types import FloatArray, IndexArray

__all__ = ["EXACT_MAX", "VectorIndex"]

EXACT_MAX = 5000
"""Largest row count searched exactly by default.

Measured with ``benchmarks/encoders.py --index`` (k=200, 256-dim static-encoder vectors of
generated catalog texts, one query per call, 2 shared cores): exact p50 is 0.08 ms at 2k rows,
0.22 ms at 5k, 0.44 ms at 8k, 0.53 ms at 10k and ~1 ms at 20k (memory-bound: it reads every
row); HNSW p50 is 0.14, 0.24, 0.27, 0.29 and 0.33 ms. The lines cross near 5k: below it exact
is both faster and exact; above it exact grows linearly (~8 ms at 100k) and HNSW barely moves.
"""

_EXACT_CHUNK_ELEMENTS = 262_144  # 1024 rows of 256 dims: 1 MB of float32, stays in L2

FORMAT_VERSION = 1
_VECTORS = "vectors.npy"
_GRAPH = "hnsw.usearch"
_DELTA_ROWS = "delta_rows.npy"
_DELTA_VECTORS = "delta_vectors.npy"
_META = "index.json"

Kind = Literal["exact", "hnsw"]


class VectorIndex:
    """Top-k cosine search over catalog rows ``0..n-1`` (rows are the catalog's row indices)."""

    def __init__(
        self,
        vectors: FloatArray,
        graph: Any | None,
        *,
        expansion_search: int = 200,
    ) -> None:
        """Wrap prepared parts; use :meth:`build` or :meth:`load` instead of calling this."""
        self._base = vectors
        self._graph = graph
        self.expansion_search = expansion_search
        # Delta: rows added or replaced after the build, searched exactly.
        self._delta_rows: IndexArray = np.zeros(0, dtype=np.int32)
        self._delta_vectors: FloatArray = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        self._replaced: IndexArray = np.zeros(0, dtype=np.int32)  # base rows shadowed by delta
        self._size = len(vectors)

    # ---------------------------------------------------------------- building and persistence

    @classmethod
    def build(
        cls,
        vectors: npt.ArrayLike,
        *,
        exact_max: int = EXACT_MAX,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 200,
        dtype: Literal["bf16", "f16", "f32"] = "bf16",
        threads: int = 0,
    ) -> VectorIndex:
        """Index ``vectors`` (n, dim), whose rows should be unit-norm (or all-zero).

        Exact when ``n <= exact_max``, else HNSW. The HNSW defaults (M=16, ef_construction=128,
        ef_search=max(200, k)) keep recall@50 above ~0.95 on hard, near-duplicate-heavy 100k
        catalogs at ~0.5 ms a query; raise ``connectivity`` for more recall at more memory.
        """
        base = np.ascontiguousarray(vectors, dtype=np.float32)
        if base.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, dim), got shape {base.shape}")
        graph = None
        if len(base) > exact_max:
            from usearch.index import Index

            graph = Index(
                ndim=base.shape[1],
                metric="ip",
                dtype=dtype,
                connectivity=connectivity,
                expansion_add=expansion_add,
                expansion_search=expansion_search,
            )
            graph.add(np.arange(len(base), dtype=np.uint64), base, threads=threads)
        return cls(base, graph, expansion_search=expansion_search)

    def save(self, directory: str | Path) -> None:
        """Write the index under ``directory`` (created if needed), delta included."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / _VECTORS, np.asarray(self._base))
        if self._graph is not None:
            self._graph.save(str(out / _GRAPH))
        else:
            (out / _GRAPH).unlink(missing_ok=True)
        np.save(out / _DELTA_ROWS, self._delta_rows)
        np.save(out / _DELTA_VECTORS, self._delta_vectors)
        meta = {
            "format": FORMAT_VERSION,
            "kind": self.kind,
            "rows": len(self),
            "dim": self.dim,
            "expansion_search": self.expansion_search,
        }
        (out / _META).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = True) -> VectorIndex:
        """Open an index written by :meth:`save`.

        With ``mmap`` (the default) the vectors and the HNSW graph are memory-mapped read-only
        rather than copied, so worker processes that load the same files share their pages and
        loading is near-instant. ``add`` still works: it only touches the in-memory delta.
        """
        src = Path(directory)
        meta = json.loads((src / _META).read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{src}: unsupported index format {meta.get('format')!r}")
        base = np.load(src / _VECTORS, mmap_mode="r" if mmap else None)
        graph = None
        if meta["kind"] == "hnsw":
            from usearch.index import Index

            graph = Index.restore(str(src / _GRAPH), view=mmap)
            if graph is None:
                raise ValueError(f"{src / _GRAPH}: not a usearch index")
        index = cls(base, graph, expansion_search=int(meta["expansion_search"]))
        delta_rows = np.load(src / _DELTA_ROWS)
        if len(delta_rows):
            index.add(delta_rows, np.load(src / _DELTA_VECTORS))
        return index

    # ---------------------------------------------------------------------------- properties

    @property
    def kind(self) -> Kind:
        """``"exact"`` or ``"hnsw"``: which engine searches the base rows."""
        return "exact" if self._graph is None else "hnsw"

    @property
    def dim(self) -> int:
        return int(self._base.shape[1])

    def __len__(self) -> int:
        """Number of rows, including rows appended through :meth:`add`."""
        return self._size

    def vector(self, row: int) -> FloatArray:
        """The current vector of ``row`` (the delta's when it was replaced), as a copy."""
        if not 0 <= row < self._size:
            raise IndexError(f"row {row} out of range 0..{self._size - 1}")
        hit = np.flatnonzero(self._delta_rows == row)
        if len(hit):
            return np.array(self._delta_vectors[hit[0]], dtype=np.float32)
        return np.array(self._base[row], dtype=np.float32)

    # -------------------------------------------------------------------------------- updates

    def add(self, rows: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Set the vectors of ``rows``: replace existing rows, or append rows ``n, n+1, ...``.

        New rows must continue the numbering without gaps, since rows are catalog row indices
        and a gap would be a row with no vector.
        """
        new_rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(new_rows) == 0:  # before the reshape: (0, -1) has no width to infer
            return
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(new_rows), -1)
        if vecs.shape[1] != self.dim:
            raise ValueError(f"vectors have dim {vecs.shape[1]}, index has {self.dim}")
        if new_rows.min() < 0:
            raise ValueError("rows must be >= 0")
        # Last write wins within one call, as it would across calls.
        new_rows_rev, first = np.unique(new_rows[::-1], return_index=True)
        vecs = vecs[::-1][first]
        new_rows = new_rows_rev
        appended = new_rows[new_rows >= self._size]
        if len(appended) and appended[-1] != self._size + len(appended) - 1:
            raise ValueError(
                f"new rows must continue from {self._size} without gaps, got {appended.tolist()}"
            )
        keep = ~np.isin(self._delta_rows, new_rows)
        self._delta_rows = np.concatenate([self._delta_rows[keep], new_rows.astype(np.int32)])
        self._delta_vectors = np.concatenate([self._delta_vectors[keep], vecs])
        self._replaced = self._delta_rows[self._delta_rows < len(self._base)]
        self._size += len(appended)

    # -------------------------------------------------------------------------------- search

    def search(self, query: npt.ArrayLike, k: int) -> tuple[IndexArray, FloatArray]:
        """The ``k`` rows most similar to ``query`` (unit-norm, shape (dim,) or (1, dim)).

        Returns ``(rows int32, cosine float32)``, best first; fewer than ``k`` when the index
        is smaller.
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise ValueError(f"query has dim {q.shape[0]}, index has {self.dim}")
        k = min(int(k), self._size)
        if k <= 0:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)

        if self._graph is None:
            rows, scores = self._search_exact(q, k)
        else:
            rows, scores = self._search_graph(q, k)
        if len(self._delta_rows):
            delta_scores = self._delta_vectors @ q
            rows = np.concatenate([rows, self._delta_rows])
            scores = np.concatenate([scores, delta_scores])
            rows, scores = _top(rows, scores, k)
        return rows, scores

    def neighbours(self, k: int) -> IndexArray:
        """For every base row, its ``k`` most similar other rows (``-1`` pads short lists).

        A batch job for fit time (e.g. "people who liked this also liked" lists), so the
        graph search uses every core.
        """
        n = len(self._base)
        out = np.full((n, k), -1, dtype=np.int32)
        if n <= 1 or k <= 0:
            return out
        fetch = min(k + 1, n)
        step = 4096
        for start in range(0, n, step):
            block = np.ascontiguousarray(self._base[start : start + step], dtype=np.float32)
            if self._graph is None:
                scores = block @ self._base.T
                keys = np.argsort(-scores, axis=1)[:, :fetch]
            else:
                graph: Any = self._graph
                graph.expansion_search = max(self.expansion_search, fetch)
                keys = np.asarray(graph.search(block, fetch, threads=0).keys, dtype=np.int64)
            for i, row_keys in enumerate(keys):
                row = start + i
                others = [int(r) for r in row_keys if r != row and 0 <= r < n][:k]
                out[row, : len(others)] = others
        return out

    def _search_exact(self, q: FloatArray, k: int) -> tuple[IndexArray, FloatArray]:
        base = self._base
        scores = np.empty(len(base), dtype=np.float32)
        # Chunked on purpose: one big mat-vec makes OpenBLAS wake its thread pool, and when the
        # other cores are busy (other workers) that costs 10+ ms at p99; chunks this size run on
        # the calling thread at the same throughput (measured: 10k rows, p99 12 ms -> 0.6 ms).
        step = max(1, _EXACT_CHUNK_ELEMENTS // self.dim)
        for start in range(0, len(base), step):
            np.matmul(base[start : start + step], q, out=scores[start : start + step])
        if len(self._replaced):
            scores[self._replaced] = -np.inf
        take = min(k, len(scores))
        if take < len(scores):
            part = np.argpartition(-scores, take - 1)[:take]
        else:
            part = np.arange(len(scores))
        return _top(part.astype(np.int32), scores[part], take)

    def _search_graph(self, q: FloatArray, k: int) -> tuple[IndexArray, FloatArray]:
        graph: Any = self._graph
        fetch = min(k + len(self._replaced), len(self._base))
        # ef below the requested count would silently cap the result list.
        graph.expansion_search = max(self.expansion_search, fetch)
        matches = graph.search(q, fetch, threads=1)
        rows = np.asarray(matches.keys, dtype=np.int64)
        if len(self._replaced):
            rows = rows[~np.isin(rows, self._replaced)]
        rows = np.sort(rows)  # ascending rows read the mapped vectors front to back
        # Re-score in float32: the graph's 16-bit distances would blur near-ties and give
        # cosines that differ from the exact engine's.
        scores = np.asarray(self._base[rows] @ q, dtype=np.float32)
        return _top(rows.astype(np.int32), scores, k)


def _top(rows: IndexArray, scores: FloatArray, k: int) -> tuple[IndexArray, FloatArray]:
    """Best ``k`` of (rows, scores), best first; ties broken by lower row for determinism."""
    order = np.lexsort((rows, -scores))[:k]
    return rows[order].astype(np.int32, copy=False), scores[order].astype(np.float32, copy=False)
