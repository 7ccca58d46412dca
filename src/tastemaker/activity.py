"""When items were wanted, and with what: weekly positive-event weight per item, for time-aware
popularity, and the item x item co-occurrence of picks.

Overall popularity answers "what do people like"; what a person picks next is much closer to what
was being picked around the time they are active: new releases, the season's products, whatever
just launched. The snapshot keeps a sparse item x week matrix of positive-event weights, so rank
can ask "how wanted was this item in the weeks up to now" without touching the store. "Now" is
the person's latest activity (the same clock enrich uses), so a replayed history behaves like a
live one, and nothing after that moment is ever counted.

Alongside, what people do *together*, as item x item matrices: :func:`covisitation` (items taken
by the same people) and :func:`sequences` (items taken soon after one another).

Only counts per item and week, and per pair of items, are kept: no person can be read back out
of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tastemaker.types import FloatArray, IndexArray

BUCKET_SECONDS = 7 * 86400.0
WINDOW_BUCKETS = 13  # a quarter: long enough to smooth weekly noise, short enough to move
FRESH_BUCKETS = 52.0  # freshness halves with every year an item has been around
_CACHE_MAX = 64


@dataclass(slots=True)
class Activity:
    """Positive-event weight per item (rows) and week (columns) since ``origin``."""

    counts: sparse.csc_matrix  # (n_items, n_buckets)
    origin: float  # epoch seconds where bucket 0 starts
    _cache: OrderedDict[int, tuple[FloatArray, IndexArray]] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _first: npt.NDArray[np.int64] | None = field(default=None, repr=False)

    @classmethod
    def from_events(
        cls, rows: IndexArray, weights: FloatArray, ts: np.ndarray, n_items: int
    ) -> Activity:
        """Bucket positive events (catalog row, weight, epoch seconds) by week."""
        if len(rows) == 0:
            return cls.empty(n_items)
        origin = float(np.floor(ts.min() / BUCKET_SECONDS) * BUCKET_SECONDS)
        buckets = ((ts - origin) // BUCKET_SECONDS).astype(np.int64)
        m = sparse.csc_matrix(
            (weights.astype(np.float32), (rows.astype(np.int64), buckets)),
            shape=(n_items, int(buckets.max()) + 1),
        )
        m.sum_duplicates()
        return cls(counts=m, origin=origin)

    @classmethod
    def empty(cls, n_items: int) -> Activity:
        return cls(counts=sparse.csc_matrix((n_items, 0), dtype=np.float32), origin=0.0)

    @property
    def latest(self) -> float | None:
        """The end of the last week with any event (None: no events at all)."""
        n = self.counts.shape[1]
        return None if n == 0 else self.origin + n * BUCKET_SECONDS

    def remap(self, old_rows: npt.NDArray[np.integer[Any]]) -> Activity:
        """The same weeks for a new row order (``old_rows[i]``: old row of new row i, or -1)."""
        n_new = len(old_rows)
        keep = np.flatnonzero(old_rows >= 0)
        picked = self.counts.tocsr()[old_rows[keep]]
        expand = sparse.csr_matrix(
            (np.ones(len(keep), dtype=np.float32), (keep, np.arange(len(keep)))),
            shape=(n_new, len(keep)),
        )
        return Activity(counts=(expand @ picked).tocsc(), origin=self.origin)

    def _bucket(self, now: float | None) -> int:
        n_buckets = self.counts.shape[1]
        end = n_buckets - 1 if now is None else int((now - self.origin) // BUCKET_SECONDS)
        return int(min(end, n_buckets - 1))

    def freshness(self, now: float | None, rows: IndexArray) -> FloatArray:
        """How new each item was at ``now``: 1 in its first week of activity, halving with each
        year since, and 0 for an item nobody had picked yet (it may not have existed)."""
        if self.counts.shape[1] == 0:
            return np.zeros(len(rows), dtype=np.float32)
        first = self.first_bucket[rows]
        # Age keeps counting after the last recorded week (unlike trend, which has no data there).
        current = (
            self.counts.shape[1] - 1 if now is None else int((now - self.origin) // BUCKET_SECONDS)
        )
        age = current - first
        out = np.where(
            (first >= 0) & (age >= 0), np.power(0.5, np.maximum(age, 0) / FRESH_BUCKETS), 0.0
        )
        return out.astype(np.float32)

    @property
    def first_bucket(self) -> npt.NDArray[np.int64]:
        """Each item's first week with any activity (-1: none)."""
        if self._first is None:
            csr = self.counts.tocsr()
            csr.sort_indices()
            first = np.full(csr.shape[0], -1, dtype=np.int64)
            has = np.diff(csr.indptr) > 0
            first[has] = csr.indices[csr.indptr[:-1][has]]
            self._first = first
        return self._first

    def trend(self, now: float | None) -> tuple[FloatArray, IndexArray]:
        """Each item's share of the weeks up to ``now`` in [0, 1] (log-scaled), and the rows
        ordered by it (best first, items with no activity left out).

        ``now=None`` means the latest week on record. Cached per week: every request of the same
        week asks the same question.
        """
        n_items = self.counts.shape[0]
        if self.counts.shape[1] == 0:
            return np.zeros(n_items, dtype=np.float32), np.zeros(0, dtype=np.int32)
        end = self._bucket(now)
        with self._lock:
            hit = self._cache.get(end)
            if hit is not None:
                self._cache.move_to_end(end)
                return hit
        if end < 0:
            out = (np.zeros(n_items, dtype=np.float32), np.zeros(0, dtype=np.int32))
        else:
            lo = max(0, end - WINDOW_BUCKETS + 1)
            window = np.asarray(self.counts[:, lo : end + 1].sum(axis=1)).ravel()
            score = np.log1p(window).astype(np.float32)
            top = float(score.max())
            if top > 0:
                score /= top
            active = np.flatnonzero(score > 0)
            order = active[np.argsort(-score[active], kind="stable")].astype(np.int32)
            out = (score, order)
        with self._lock:
            self._cache[end] = out
            while len(self._cache) > _CACHE_MAX:
                self._cache.popitem(last=False)
        return out


COVISIT_K = 50  # neighbours kept per item
_COVISIT_BLOCK = 512


def covisitation(user_items: sparse.csr_matrix, k: int = COVISIT_K) -> sparse.csr_matrix:
    """Item x item cosine of who interacted with both, the top ``k`` per item (item-kNN).

    ALS factors smooth everything through a few dozen dimensions; the items people actually
    take together (a sequel, the same week's releases, one author's books) stay sharper in
    plain co-occurrence. Computed sparse, in blocks of items, so memory follows the number of
    co-occurring pairs in a block, never ``block x n_items``.
    """
    binary = user_items.copy().tocsc()
    binary.data[:] = 1.0
    n = binary.shape[1]
    degree = np.asarray(binary.sum(axis=0)).ravel()
    norm = sparse.diags((1.0 / np.sqrt(np.maximum(degree, 1.0))).astype(np.float32)).tocsr()
    at = binary.T.tocsr()
    blocks: list[sparse.csr_matrix] = []
    for lo in range(0, n, _COVISIT_BLOCK):
        hi = min(n, lo + _COVISIT_BLOCK)
        block = (norm[lo:hi, lo:hi] @ (at[lo:hi] @ binary) @ norm).tocoo()
        other = block.col != block.row + lo  # an item is not its own neighbour
        block = sparse.csr_matrix(
            (block.data[other], (block.row[other], block.col[other])), shape=block.shape
        )
        blocks.append(_top_k_rows(block, k))
    if not blocks:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    return sparse.vstack(blocks, format="csr").astype(np.float32)


SEQUENCE_WINDOW = 10  # how many later picks of the same person count as "picked next"


def _top_k_rows(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keep each row's ``k`` largest entries."""
    n = m.shape[0]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for r in range(n):
        start, end = m.indptr[r], m.indptr[r + 1]
        if start == end:
            continue
        c, v = m.indices[start:end], m.data[start:end]
        if len(c) > k:
            top = np.argpartition(-v, k - 1)[:k]
            c, v = c[top], v[top]
        rows.append(np.full(len(c), r, dtype=np.int64))
        cols.append(c.astype(np.int64))
        vals.append(v.astype(np.float32))
    if not rows:
        return sparse.csr_matrix(m.shape, dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=m.shape
    )


def sequences(
    users: np.ndarray,
    items: np.ndarray,
    stamps: np.ndarray,
    n_items: int,
    window: int = SEQUENCE_WINDOW,
    k: int = COVISIT_K,
) -> sparse.csr_matrix:
    """Item x item: how often people picked the column item soon *after* the row item.

    Co-visitation counts a whole history at once; what a person picks next depends much more on
    what they picked last (a series watched in order, one shopping trip, a listening session).
    Each person's picks are put in time order and every pick is paired with the next
    ``window`` ones, the d-th later pick counting 1/d; counts are normalised by both items'
    overall counts (cosine-like, so popular items do not dominate) and the top ``k`` kept per
    item. Memory follows ``events x window`` pairs.
    """
    users = np.asarray(users)
    items = np.asarray(items, dtype=np.int64)
    order = np.lexsort((np.asarray(stamps), users))
    u, it = users[order], items[order]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for d in range(1, window + 1):
        same = u[:-d] == u[d:]
        rows.append(it[:-d][same])
        cols.append(it[d:][same])
        vals.append(np.full(int(same.sum()), 1.0 / d, dtype=np.float32))
    m = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )
    m.sum_duplicates()
    m.setdiag(0)
    m.eliminate_zeros()
    count = np.bincount(items, minlength=n_items).astype(np.float32)
    norm = sparse.diags(1.0 / np.sqrt(np.maximum(count, 1.0)))
    return _top_k_rows((norm @ m @ norm).tocsr(), k)
