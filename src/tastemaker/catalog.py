"""The fitted, in-memory snapshot of one workspace's catalog.

Answering a prompt must cost a few milliseconds, so nothing on the request path touches the
database for item data: the snapshot holds every item as rows of NumPy arrays (row = position in
``ids``), categorical attributes as a sparse item x value matrix, numeric attributes as float
columns, unit-norm text embeddings with their vector index, popularity, and collaborative-filtering
factors. ``fit.py`` builds it; it is saved under ``<data_dir>/models/<workspace>/`` so every worker
process loads the same files instead of refitting.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import orjson
from scipy import sparse
from scipy.linalg import lapack

from tastemaker.activity import Activity
from tastemaker.index import VectorIndex
from tastemaker.types import FloatArray, IndexArray

FORMAT_VERSION = 3
FACET_MAX = 256
"""Attributes with at most this many values are *facets* (genres, moods, categories): they
describe taste and can be asked for, so they get a dense item x value matrix for fast scoring.
Attributes with more values (artists, authors) only serve filters and diversity caps."""
# The catalog's words that say how close a typical word is to each value (``word_baselines``):
# its most frequent ones, enough for a stable mean and spread and cheap to encode at fit.
BASELINE_WORDS = 5000
BASELINE_MIN_WORDS = 200
_TOKEN = re.compile(r"[a-z0-9]+")


class Memo:
    """Per-snapshot memory of what requests derive from the catalog alone (a rule's mask, the
    popularity order within a set of values), so repeated answers do not recompute it.

    Bounded (least recently used out) and locked: worker threads share one snapshot. Arrays put
    here are made read-only, so a caller that tried to change a shared one would fail loudly.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._items.get(key, _MISSING)
            if hit is not _MISSING:
                self._items.move_to_end(key)
                return hit
        value = make()
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def remembered(self) -> list[Hashable]:
        """What is remembered now (a copy)."""
        with self._lock:
            return list(self._items)

    def clear(self) -> int:
        """Forget everything; returns how many entries were dropped."""
        with self._lock:
            n = len(self._items)
            self._items.clear()
        return n


_MISSING = object()


def passing(rows: IndexArray, mask: npt.NDArray[np.bool_]) -> IndexArray:
    """The ``rows`` that pass ``mask``, in their order: ``rows[mask[rows]]`` by take and
    compress, since boolean fancy indexing costs 2-3x as much over a whole catalog (0.34-0.68
    against 0.2 ms at 100k rows)."""
    out: IndexArray = np.compress(np.take(mask, rows), rows)
    return out


def first_passing(order: IndexArray, mask: npt.NDArray[np.bool_] | None, k: int) -> IndexArray:
    """The first ``k`` of ``order`` that pass ``mask``, reading ``order`` in growing chunks: a
    dense mask fills ``k`` from the first chunk, a sparse one costs more chunks but never a
    pass over the whole catalog in Python."""
    if mask is None:
        return order[:k]
    found: list[IndexArray] = [order[:0]]
    have, start, chunk = 0, 0, 2 * k
    while have < k and start < len(order):
        part = order[start : start + chunk]
        hit = passing(part, mask)
        found.append(hit)
        have += len(hit)
        start, chunk = start + chunk, chunk * 2
    return np.concatenate(found)[:k].astype(np.int32)


def gather(matrix: FloatArray, rows: IndexArray) -> FloatArray:
    """``matrix[rows]``, the request path's way: ``np.take`` copies the rows without fancy
    indexing's general machinery, which for the few hundred candidates of an answer costs
    about twice as much on 64-wide factor rows and four times on a facet's narrow ones
    (measured at 100k items; the result is the same)."""
    out: FloatArray = np.take(matrix, rows, axis=0)
    return out


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; the one tokenizer shared by lexical retrieval and understanding."""
    return _TOKEN.findall(text.lower())


@dataclass(slots=True)
class CategoricalAttribute:
    """One categorical attribute (e.g. ``genres``): its value vocabulary and item x value matrix."""

    name: str
    values: list[str]
    matrix: sparse.csr_matrix  # (n_items, n_values), 1.0 where the item has the value
    value_vectors: FloatArray  # (n_values, dim) unit-norm embeddings of the value names
    counts: npt.NDArray[np.int64]  # items per value
    index: dict[str, int] = field(default_factory=dict)  # lower-cased value -> column
    csc: sparse.csc_matrix | None = None  # column access for filters
    dense: FloatArray | None = None  # (n_items, n_values) for facets; None otherwise
    # (n_values, dim) what each value means in this catalog: see ``value_centroids``
    centroids: FloatArray | None = None
    # (2, n_values) mean and spread of the catalog's own words' closeness to each value: see
    # ``word_baselines``; None for snapshots fitted before it, or catalogs with too few words
    baselines: FloatArray | None = None
    # (n_values,) True where a value's name holds no letter ("19:00", "2-4"): what the encoder
    # makes of digits and signs is no meaning a word could be close to (see ``worded``)
    wordless: npt.NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.wordless = np.array([not any(c.isalpha() for c in v) for v in self.values], bool)
        if not self.index:
            self.index = {v.lower(): i for i, v in enumerate(self.values)}
        if self.csc is None:
            self.csc = self.matrix.tocsc()
        if self.dense is None and self.is_facet:
            self.dense = np.asarray(self.matrix.todense(), dtype=np.float32)

    @property
    def is_facet(self) -> bool:
        return 0 < len(self.values) <= FACET_MAX

    def worded(self, scores: FloatArray) -> FloatArray:
        """``scores`` of the values with those named without letters put out of reach: such a
        value can be named only outright ("price" lands 0.46 from "19:00")."""
        if not self.wordless.any():
            return scores
        out = scores.copy()
        out[self.wordless] = -np.inf
        return out

    def score(self, rows: IndexArray, weights: FloatArray) -> FloatArray:
        """Sum of ``weights`` over each row's values (facets only)."""
        assert self.dense is not None
        # Multiplied and summed by NumPy, not through BLAS: OpenBLAS's float32 mat-vec kernels
        # can read past a short vector (a facet has a handful of values) and raise the "invalid
        # value" flag from lanes they then discard; NumPy turns that flag into a RuntimeWarning
        # for a correct result (seen once in CI, on a 5-value facet). ``einsum`` multiplies and
        # sums in one loop of its own, without the temporary that ``(x * w).sum(axis=1)`` makes.
        out: FloatArray = np.einsum("ij,j->i", gather(self.dense, rows), weights)
        return out

    def totals(self, rows: IndexArray, weights: FloatArray) -> FloatArray:
        """Per value, the sum of ``weights`` (one per row) over the ``rows`` having it (facets
        only; by NumPy, as :meth:`score`)."""
        assert self.dense is not None
        out: FloatArray = np.einsum("ij,i->j", gather(self.dense, rows), weights)
        return out

    def has_any(self, columns: list[int], n_items: int) -> npt.NDArray[np.bool_]:
        """Boolean mask of items having at least one of the value columns."""
        mask = np.zeros(n_items, dtype=bool)
        assert self.csc is not None
        for c in columns:
            mask[self.csc.indices[self.csc.indptr[c] : self.csc.indptr[c + 1]]] = True
        return mask

    def values_of(self, row: int) -> list[str]:
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        return [self.values[c] for c in self.matrix.indices[start:end]]


def value_centroids(matrix: sparse.csr_matrix, embeddings: FloatArray) -> FloatArray:
    """Unit-length mean embedding of each value's items, minus the mean of all items.

    A value's name says what the value is called; its items say what it means in this catalog
    (the words of the titles and texts that come with it). Subtracting the catalog's mean keeps
    only what sets the value's items apart, so a word close to a centroid is close to what is
    *distinctive* of those items, not to what every item shares. Zero rows for empty values.
    """
    if embeddings.shape[0] == 0 or matrix.shape[1] == 0:
        return np.zeros((matrix.shape[1], embeddings.shape[1]), dtype=np.float32)
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    sums = np.asarray(matrix.T @ embeddings, dtype=np.float64)
    out = sums / np.maximum(counts, 1)[:, None] - embeddings.mean(axis=0, dtype=np.float64)
    out[counts == 0] = 0.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out = np.where(norms > 1e-9, out / np.maximum(norms, 1e-9), 0.0)
    return np.ascontiguousarray(out, dtype=np.float32)


def closeness(attr: CategoricalAttribute, vectors: FloatArray) -> FloatArray:
    """How close each text vector is to each value: the mean of its similarity to the value's
    name and to the value's centroid (``value_centroids``). Shape ``(len(vectors), n_values)``.
    """
    assert attr.centroids is not None
    both = vectors @ attr.value_vectors.T + vectors @ attr.centroids.T
    out: FloatArray = both.astype(np.float32, copy=False) * np.float32(0.5)
    return out


def reference_words(docs: Sequence[str], limit: int = BASELINE_WORDS) -> list[str]:
    """The catalog's own most frequent words (three letters or more, no digits)."""
    counts = Counter(w for doc in docs for w in tokens(doc) if len(w) >= 3 and w.isalpha())
    return [w for w, _ in counts.most_common(limit)]


def word_baselines(attr: CategoricalAttribute, word_vectors: FloatArray) -> FloatArray | None:
    """Mean and standard deviation, per value, of how close the catalog's words are to it.

    A similarity of 0.3 means little on its own: the encoder places some values close to
    almost every word and others far from all of them, and that differs by encoder and by
    catalog. Measured against the catalog's own words, a word's closeness becomes a z-score:
    "cowboy" sits four deviations above the typical word's closeness to Western and less than
    three above any other value, which is what "cowboy stands out for Western" means
    (``pipeline.vocabulary.Vocabulary.implied``). ``None`` below ``BASELINE_MIN_WORDS``: too
    few words to say what is typical.
    """
    if attr.centroids is None or len(word_vectors) < BASELINE_MIN_WORDS:
        return None
    sims = closeness(attr, word_vectors).astype(np.float64)
    spread = np.maximum(sims.std(axis=0), 1e-6)
    return np.ascontiguousarray(np.stack([sims.mean(axis=0), spread]), dtype=np.float32)


@dataclass(slots=True)
class CFModel:
    """Implicit-feedback matrix factorisation (ALS) factors.

    Users are not stored: a user's vector is solved at request time from their latest events
    (``user_vector``), so events that arrived after the fit count at once and erasing a person
    leaves nothing of them in the model.
    """

    item_factors: FloatArray  # (n_items, k); zero rows for items unseen at fit time
    gram: FloatArray  # item_factors.T @ item_factors, cached for the per-user solve
    regularization: float
    alpha: float
    # (n_items, CF_NEIGHBOURS): each item's closest items in factor space, -1 padded. Candidate
    # generation gathers the neighbours of a person's strongest items, which costs microseconds
    # where a per-request search over all factors costs a few hundred.
    neighbours: IndexArray
    # (n_items, n_items) sparse: each item's top co-visited items with their cosine (item-kNN)
    covisit: sparse.csr_matrix | None = None
    # (n_items, n_items) sparse: what people picked soon after each item (activity.sequences)
    sequence: sparse.csr_matrix | None = None
    # item_factors scaled to unit length, for the cosine signals (computed once per snapshot)
    unit_factors: FloatArray = field(init=False, repr=False)
    # gram plus the ridge: the part of every person's system that is the same for all
    _base: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        f = self.item_factors
        norms = np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-9)
        self.unit_factors = (f / norms).astype(np.float32)
        k = f.shape[1]
        self._base = (self.gram + self.regularization * np.eye(k, dtype=np.float32)).astype(
            np.float32
        )

    def user_vector(self, rows: IndexArray, weights: FloatArray) -> FloatArray | None:
        """Least-squares user factors for the given interactions (Hu, Koren & Volinsky 2008).

        The system is symmetric positive definite (gram, ridge and non-negative confidences),
        so it is solved by Cholesky straight through LAPACK (``sposv``): a fifth of the cost of
        ``np.linalg.solve``'s general LU with its checks, which every answer would pay.
        """
        if len(rows) == 0:
            return None
        y = gather(self.item_factors, rows)
        conf = (self.alpha * weights).astype(np.float32)
        a = self._base + (y.T * conf) @ y
        b = ((1.0 + conf) @ y).astype(np.float32)
        _c, x, info = lapack.sposv(a, b, overwrite_a=True, overwrite_b=True)
        if info != 0:  # not positive definite after all (negative weights): the general solve
            x = np.linalg.solve(self._base + (y.T * conf) @ y, b)
        vec: FloatArray = np.asarray(x, dtype=np.float32)
        return vec


_SNAPSHOT_UIDS = itertools.count()


@dataclass(slots=True)
class Catalog:
    """Everything the request path needs to know about a workspace's items."""

    workspace: str
    version: int  # the store's catalog_version this snapshot reflects
    ids: list[str]
    titles: list[str]
    texts_hash: list[int]  # hash of the embedded text, to re-encode only what changed
    urls: list[str | None]
    prices: FloatArray  # NaN = no price
    available: npt.NDArray[np.bool_]
    categorical: dict[str, CategoricalAttribute]
    numeric: dict[str, FloatArray]  # NaN = unknown
    embeddings: FloatArray  # (n, dim) unit-norm
    index: VectorIndex
    popularity: FloatArray  # [0, 1], recency-decayed
    lexical: bm25s.BM25  # BM25 over title, text and attribute values
    cf: CFModel | None = None
    activity: Activity | None = None  # positive events per item and week (time-aware popularity)
    encoder_name: str = "static"
    id_to_row: dict[str, int] = field(default_factory=dict)
    popular_rows: IndexArray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    trained: dict[str, Any] = field(default_factory=dict)  # fit metadata
    _attributes_cache: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    memo: Memo = field(default_factory=Memo, repr=False)
    # Larger things derived per request pattern (e.g. a narrowed set's CF factor block, ~1 MB),
    # fewer of them.
    blocks: Memo = field(default_factory=lambda: Memo(size=48), repr=False)
    # This snapshot's key in memories shared across snapshots (what a word reads as, what an
    # answer's words retrieve): unique for the process's life, where ``id()`` is reused once a
    # snapshot is freed, and the next snapshot at that address would be served the last one's.
    uid: int = field(default_factory=lambda: next(_SNAPSHOT_UIDS), repr=False)

    def __post_init__(self) -> None:
        if not self.id_to_row:
            self.id_to_row = {item_id: i for i, item_id in enumerate(self.ids)}
        if len(self.popular_rows) == 0 and len(self.ids):
            # Every row, most popular first: a constraint's most popular items are then a
            # boolean gather away, not a partition of the scores per request.
            self.popular_rows = np.argsort(-self.popularity, kind="stable").astype(np.int32)

    @property
    def size(self) -> int:
        return len(self.ids)

    def most_popular(self, mask: npt.NDArray[np.bool_], k: int) -> IndexArray:
        """The ``k`` most popular rows that pass ``mask``."""
        return first_passing(self.popular_rows, mask, k)

    def popular_within(self, key: Hashable, mask: npt.NDArray[np.bool_]) -> IndexArray:
        """Every row of the set ``mask`` describes, most popular first, remembered under
        ``key``: the set is the same for every answer naming the same values."""
        order = self.popular_rows
        out: IndexArray = self.memo.get(("popular", key), lambda: passing(order, mask))
        return out

    def popular_head(self, key: Hashable, mask: npt.NDArray[np.bool_], k: int) -> IndexArray:
        """The first ``k`` rows of :meth:`popular_within` (all of them when the set is smaller),
        remembered under ``key``, without ordering the whole set: the popularity order is read
        only until ``k`` rows pass (``first_passing``). A set new to the snapshot (a fresh
        answer's values) mostly needs only its head, and a dense one fills it from the first
        few thousand rows instead of a pass over the catalog."""
        order = self.popular_rows
        out: IndexArray = self.memo.get(("head", key, k), lambda: first_passing(order, mask, k))
        return out

    def rows_for(self, item_ids: list[str]) -> IndexArray:
        """Rows of the known ids, in the given order; unknown ids are skipped."""
        return np.array(
            [self.id_to_row[i] for i in item_ids if i in self.id_to_row], dtype=np.int32
        )

    def attributes_of(self, row: int) -> dict[str, Any]:
        """The item's attributes as plain data (cached: result items repeat across requests)."""
        hit = self._attributes_cache.get(row)
        if hit is not None:
            return hit
        out: dict[str, Any] = {}
        for name, attr in self.categorical.items():
            vals = attr.values_of(row)
            if vals:
                out[name] = vals
        for name, col in self.numeric.items():
            v = col[row]
            if not np.isnan(v):
                out[name] = int(v) if float(v).is_integer() else float(v)
        if len(self._attributes_cache) > 50_000:
            self._attributes_cache.clear()
        self._attributes_cache[row] = out
        return out

    def lexical_scores(self, terms: list[str]) -> tuple[FloatArray | None, list[str]]:
        """BM25 scores of every item for the query terms, and the terms that matched."""
        vocab = self.lexical.vocab_dict
        known = [t for t in dict.fromkeys(terms) if t in vocab]
        if not known:
            return None, []
        scores = np.asarray(self.lexical.get_scores(known), dtype=np.float32)
        return scores, known

    def lexical_rows(self, term: str) -> IndexArray:
        """Rows of the items whose indexed words include ``term`` (stemmed): one column of the
        BM25 index read as it is, with no scoring of the whole catalog."""
        postings = self.lexical_postings([term])
        if not postings:
            return np.zeros(0, dtype=np.int32)
        return np.asarray(postings[0][0], dtype=np.int32)

    def lexical_postings(self, terms: list[str]) -> list[tuple[IndexArray, FloatArray]]:
        """Each known term's column of the BM25 index, in the order ``lexical_scores`` sums
        them: the rows that use it, ascending, and its score in each. Views of the index, not
        copies, so an answer can keep them; the sum of their scores at a row is that row's
        ``lexical_scores``, to the bit."""
        vocab = self.lexical.vocab_dict
        index = self.lexical.scores
        indptr, indices, data = index["indptr"], index["indices"], index["data"]
        out: list[tuple[IndexArray, FloatArray]] = []
        for term in dict.fromkeys(terms):
            column = vocab.get(term)
            if column is not None:
                start, end = int(indptr[column]), int(indptr[column + 1])
                out.append((indices[start:end], data[start:end]))
        return out

    # -- persistence ------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the snapshot; a reader never sees a half-written one (write to tmp, rename)."""
        tmp = folder.with_name(folder.name + ".tmp")
        if tmp.exists():
            _rmtree(tmp)
        tmp.mkdir(parents=True)
        meta = {
            "format": FORMAT_VERSION,
            "workspace": self.workspace,
            "version": self.version,
            "ids": self.ids,
            "titles": self.titles,
            "texts_hash": self.texts_hash,
            "urls": self.urls,
            "encoder": self.encoder_name,
            "categorical": {n: a.values for n, a in self.categorical.items()},
            "numeric": list(self.numeric),
            "cf": None
            if self.cf is None
            else {"regularization": self.cf.regularization, "alpha": self.cf.alpha},
            "trained": self.trained,
            "activity_origin": None if self.activity is None else self.activity.origin,
        }
        (tmp / "catalog.json").write_bytes(orjson.dumps(meta))
        arrays: dict[str, Any] = {
            "prices": self.prices,
            "available": self.available,
            "embeddings": self.embeddings,
            "popularity": self.popularity,
        }
        for n, col in self.numeric.items():
            arrays[f"num__{n}"] = col
        for n, a in self.categorical.items():
            arrays[f"catvec__{n}"] = a.value_vectors
            if a.centroids is not None:
                arrays[f"catcent__{n}"] = a.centroids
            if a.baselines is not None:
                arrays[f"catbase__{n}"] = a.baselines
        if self.cf is not None:
            arrays["cf_items"] = self.cf.item_factors
            arrays["cf_neighbours"] = self.cf.neighbours
            if self.cf.covisit is not None:
                sparse.save_npz(tmp / "covisit.npz", self.cf.covisit)
            if self.cf.sequence is not None:
                sparse.save_npz(tmp / "sequence.npz", self.cf.sequence)
        np.savez(tmp / "arrays.npz", **arrays)
        if self.activity is not None:
            sparse.save_npz(tmp / "activity.npz", self.activity.counts)
        for n, a in self.categorical.items():
            sparse.save_npz(tmp / f"cat__{_safe(n)}.npz", a.matrix)
        self.lexical.save(str(tmp / "lexical"))
        self.index.save(tmp / "index")
        if folder.exists():
            old = folder.with_name(folder.name + ".old")
            if old.exists():
                _rmtree(old)
            folder.rename(old)
            tmp.rename(folder)
            _rmtree(old)
        else:
            tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> Catalog:
        meta = orjson.loads((folder / "catalog.json").read_bytes())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: catalog format {meta.get('format')}, expected {FORMAT_VERSION}"
            )
        arrays = np.load(folder / "arrays.npz")
        categorical = {}
        embeddings = arrays["embeddings"]
        for n, values in meta["categorical"].items():
            m = sparse.load_npz(folder / f"cat__{_safe(n)}.npz").tocsr()
            # Snapshots written before centroids were fitted get them now (one sparse product).
            key = f"catcent__{n}"
            centroids = arrays[key] if key in arrays else value_centroids(m, embeddings)
            categorical[n] = CategoricalAttribute(
                name=n,
                values=values,
                matrix=m,
                value_vectors=arrays[f"catvec__{n}"],
                counts=np.asarray(m.sum(axis=0)).ravel().astype(np.int64),
                centroids=centroids,
                baselines=arrays.get(f"catbase__{n}"),
            )
        cf = None
        if meta["cf"] is not None:
            covisit_file = folder / "covisit.npz"
            sequence_file = folder / "sequence.npz"
            cf = make_cf(
                arrays["cf_items"],
                neighbours=arrays["cf_neighbours"],
                covisit=sparse.load_npz(covisit_file).tocsr() if covisit_file.exists() else None,
                sequence=sparse.load_npz(sequence_file).tocsr() if sequence_file.exists() else None,
                **meta["cf"],
            )
        activity = None
        if meta.get("activity_origin") is not None:
            activity = Activity(
                counts=sparse.load_npz(folder / "activity.npz").tocsc(),
                origin=float(meta["activity_origin"]),
            )
        return cls(
            workspace=meta["workspace"],
            version=meta["version"],
            ids=meta["ids"],
            titles=meta["titles"],
            texts_hash=meta["texts_hash"],
            urls=meta["urls"],
            prices=arrays["prices"],
            available=arrays["available"],
            categorical=categorical,
            numeric={n: arrays[f"num__{n}"] for n in meta["numeric"]},
            embeddings=embeddings,
            index=VectorIndex.load(folder / "index"),
            popularity=arrays["popularity"],
            lexical=bm25s.BM25.load(str(folder / "lexical")),
            cf=cf,
            activity=activity,
            encoder_name=meta["encoder"],
            trained=meta["trained"],
        )


CF_NEIGHBOURS = 20


def make_cf(
    item_factors: FloatArray,
    regularization: float,
    alpha: float,
    neighbours: IndexArray | None = None,
    covisit: sparse.csr_matrix | None = None,
    sequence: sparse.csr_matrix | None = None,
    threads: int = 0,
) -> CFModel:
    """Wrap ALS item factors with what the per-user solve and CF retrieval need.

    ``threads`` builds the neighbours' graph (:meth:`VectorIndex.build`); 1 makes it repeatable.
    """
    f = np.ascontiguousarray(item_factors, dtype=np.float32)
    gram = (f.T @ f).astype(np.float32)
    if neighbours is None:
        neighbours = VectorIndex.build(f, threads=threads).neighbours(CF_NEIGHBOURS)
    return CFModel(
        item_factors=f,
        gram=gram,
        regularization=regularization,
        alpha=alpha,
        neighbours=neighbours,
        covisit=covisit,
        sequence=sequence,
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)
