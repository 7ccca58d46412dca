"""The peers ``tastemaker eval --baselines`` compares against, fitted on the same data.

Each peer is a standard, untuned way to rank a catalog from one signal or a textbook blend of
two, so the comparison answers "does tastemaker beat the obvious thing?":

- ``popularity``: most positive interactions first (the floor any personalization must clear);
- ``ALS (history)``: implicit-feedback matrix factorisation (``implicit``, 64 factors, the
  library's default regularization, alpha and iterations), history only;
- ``semantic (prompt)``: cosine of the prompt's embedding with each item's text embedding, with
  the same encoder and item texts as the engine, prompt only;
- ``BM25 (prompt)``: ``bm25s`` over the same item texts (English stop words and stemmer),
  prompt only;
- ``RRF (ALS+semantic)``: reciprocal-rank fusion of the two lists, ``1 / (60 + rank)``;
- ``hybrid (semantic>ALS)``: the semantic top 200 re-ranked by the ALS score.

Every peer sees the items and events stored in the evaluation workspace, i.e. exactly what the
engine was fitted on, and never recommends an item the user already has any event with. Nothing
is tuned on the cases: the settings are the libraries' defaults or the usual textbook values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from tastemaker.encoders import Encoder
from tastemaker.evaluate import Recommender
from tastemaker.fit import ItemData, event_weight, item_document
from tastemaker.scoring import Query
from tastemaker.store import Store
from tastemaker.types import FloatArray, IndexArray

__all__ = [
    "ALSRecommender",
    "BM25Recommender",
    "HybridRecommender",
    "PopularityRecommender",
    "RRFRecommender",
    "SemanticRecommender",
    "TrainingData",
    "build_peers",
]

ALS_FACTORS = 64
ALS_SEED = 42
RRF_K = 60  # the constant of Cormack, Clarke & Buettcher (2009)
RRF_DEPTH = 1000  # how deep each fused list goes
HYBRID_POOL = 200


@dataclass(slots=True)
class TrainingData:
    """Items and events of a workspace in the array form the peers train on.

    ``user_items`` holds positive interactions weighted like the engine weighs them
    (:func:`tastemaker.fit.event_weight`), so ALS learns from the same signal as tastemaker's CF.
    """

    ids: list[str]
    docs: list[str]  # the text each item is embedded and indexed by (as the engine does)
    id_to_row: dict[str, int]
    user_index: dict[str, int]
    user_items: sparse.csr_matrix  # (users, items) summed positive weights
    seen: dict[str, IndexArray]  # rows of every item the user has any event with
    popularity: FloatArray  # count of positive interactions per item

    @classmethod
    def from_store(cls, store: Store, ws_id: int) -> TrainingData:
        ids: list[str] = []
        docs: list[str] = []
        for r in store.iter_items(ws_id):
            ids.append(r.id)
            docs.append(
                item_document(
                    ItemData(r.id, r.title, r.text, r.attributes, r.price, r.available, r.url)
                )
            )
        id_to_row = {item_id: i for i, item_id in enumerate(ids)}
        users: dict[str, int] = {}
        seen: dict[str, set[int]] = {}
        u_idx: list[int] = []
        i_idx: list[int] = []
        weights: list[float] = []
        for e in store.iter_events(ws_id):
            row = id_to_row.get(e.item_id) if e.item_id is not None else None
            if row is None:
                continue
            seen.setdefault(e.user_id, set()).add(row)
            w = event_weight(e.type, e.value)
            if w > 0:
                u_idx.append(users.setdefault(e.user_id, len(users)))
                i_idx.append(row)
                weights.append(w)
        matrix = sparse.csr_matrix(
            (np.asarray(weights, dtype=np.float32), (u_idx, i_idx)),
            shape=(len(users), len(ids)),
        )
        matrix.sum_duplicates()
        popularity = np.bincount(np.asarray(i_idx, dtype=np.int64), minlength=len(ids))
        return cls(
            ids=ids,
            docs=docs,
            id_to_row=id_to_row,
            user_index=users,
            user_items=matrix,
            seen={u: np.fromiter(rows, dtype=np.int32) for u, rows in seen.items()},
            popularity=popularity.astype(np.float32),
        )

    def seen_rows(self, user_id: str | None) -> IndexArray:
        empty: IndexArray = np.zeros(0, dtype=np.int32)
        return empty if user_id is None else self.seen.get(user_id, empty)


def top_rows(scores: FloatArray, exclude: IndexArray, k: int) -> IndexArray:
    """The ``k`` best rows by score, ties in row order, never one of ``exclude``."""
    s = np.array(scores, dtype=np.float64)
    s[exclude] = -np.inf
    k = min(k, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int32)
    # -s, not s: argpartition/argsort order ascending; "stable" keeps ties in row order.
    part = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
    part = np.sort(part)
    order = part[np.argsort(-s[part], kind="stable")]
    out: IndexArray = order.astype(np.int32)
    return out


class _ScoringPeer:
    """A peer that scores every item for a query, then takes the best unseen ones."""

    name = "peer"

    def __init__(self, data: TrainingData) -> None:
        self.data = data

    def scores(self, query: Query) -> FloatArray:
        raise NotImplementedError

    def recommend(self, query: Query, k: int) -> list[str]:
        rows = top_rows(self.scores(query), self.data.seen_rows(query.user_id), k)
        return [self.data.ids[r] for r in rows]


class PopularityRecommender(_ScoringPeer):
    name = "popularity"

    def scores(self, query: Query) -> FloatArray:
        return self.data.popularity


class ALSRecommender(_ScoringPeer):
    """Implicit ALS on the user x item matrix; a user without events gets popularity."""

    name = "ALS (history)"

    def __init__(self, data: TrainingData, factors: int = ALS_FACTORS) -> None:
        super().__init__(data)
        from implicit.cpu.als import AlternatingLeastSquares

        n_users, n_items = data.user_items.shape
        self.user_factors: FloatArray = np.zeros((n_users, 0), dtype=np.float32)
        self.item_factors: FloatArray = np.zeros((n_items, 0), dtype=np.float32)
        if data.user_items.nnz == 0:
            return
        # implicit parallelises itself; BLAS threads on top only contend (its own advice).
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(factors=factors, random_state=ALS_SEED)
            model.fit(data.user_items, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def user_scores(self, user_id: str | None) -> FloatArray | None:
        """Predicted preference of every item, or None when the user has no positive events."""
        u = None if user_id is None else self.data.user_index.get(user_id)
        if u is None or self.item_factors.shape[1] == 0:
            return None
        out: FloatArray = self.item_factors @ self.user_factors[u]
        return out

    def scores(self, query: Query) -> FloatArray:
        s = self.user_scores(query.user_id)
        return self.data.popularity if s is None else s


class SemanticRecommender(_ScoringPeer):
    """Cosine of the prompt with each item's text, both embedded by the engine's encoder."""

    name = "semantic (prompt)"

    def __init__(
        self, data: TrainingData, encoder: Encoder, embeddings: FloatArray | None = None
    ) -> None:
        super().__init__(data)
        self.encoder = encoder
        # The engine's catalog already holds these (same encoder, same texts): reuse saves a
        # full re-encode, which with the transformer encoder costs minutes.
        self.embeddings = embeddings if embeddings is not None else encoder.encode(data.docs)
        if self.embeddings.shape[0] != len(data.ids):
            raise ValueError("one embedding per item expected")

    def scores(self, query: Query) -> FloatArray:
        q = self.encoder.encode([query.prompt])[0]
        out: FloatArray = self.embeddings @ q
        return out


class BM25Recommender(_ScoringPeer):
    """Okapi BM25 (bm25s defaults: k1 1.5, b 0.75) over the item texts."""

    name = "BM25 (prompt)"

    def __init__(self, data: TrainingData) -> None:
        super().__init__(data)
        import Stemmer

        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            data.docs or [""], stopwords="en", stemmer=self.stemmer, show_progress=False
        )
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self.vocab = self.bm25.vocab_dict
        self.zeros: FloatArray = np.zeros(len(data.ids), dtype=np.float32)

    def scores(self, query: Query) -> FloatArray:
        terms = bm25s.tokenize(
            [query.prompt],
            stopwords="en",
            stemmer=self.stemmer,
            return_ids=False,
            show_progress=False,
        )[0]
        known = [t for t in dict.fromkeys(terms) if t in self.vocab]
        if not known:
            return self.zeros
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


class RRFRecommender:
    """Reciprocal-rank fusion: each item scores ``sum 1 / (k + rank)`` over the fused lists."""

    def __init__(
        self,
        peers: Sequence[Recommender],
        name: str,
        k: int = RRF_K,
        depth: int = RRF_DEPTH,
    ) -> None:
        self.peers = peers
        self.name = name
        self.k = k
        self.depth = depth

    def recommend(self, query: Query, k: int) -> list[str]:
        fused: dict[str, float] = {}
        for peer in self.peers:
            for rank, item in enumerate(peer.recommend(query, self.depth), start=1):
                fused[item] = fused.get(item, 0.0) + 1.0 / (self.k + rank)
        # sorted() is stable: equal scores keep the first list's order.
        return sorted(fused, key=lambda item: -fused[item])[:k]


class HybridRecommender:
    """The semantic top ``pool`` re-ranked by ALS score (kept as is for users without history)."""

    name = "hybrid (semantic>ALS)"

    def __init__(
        self, semantic: SemanticRecommender, als: ALSRecommender, pool: int = HYBRID_POOL
    ) -> None:
        self.semantic = semantic
        self.als = als
        self.pool = pool

    def recommend(self, query: Query, k: int) -> list[str]:
        data = self.semantic.data
        rows = top_rows(self.semantic.scores(query), data.seen_rows(query.user_id), self.pool)
        cf = self.als.user_scores(query.user_id)
        if cf is not None:
            rows = rows[np.argsort(-cf[rows], kind="stable")]
        return [data.ids[r] for r in rows[:k]]


def build_peers(
    data: TrainingData, encoder: Encoder, *, embeddings: FloatArray | None = None
) -> list[Recommender]:
    """Fit every peer on ``data``, in the order the report lists them."""
    als = ALSRecommender(data)
    semantic = SemanticRecommender(data, encoder, embeddings)
    return [
        PopularityRecommender(data),
        als,
        semantic,
        BM25Recommender(data),
        RRFRecommender([als, semantic], name="RRF (ALS+semantic)"),
        HybridRecommender(semantic, als),
    ]
