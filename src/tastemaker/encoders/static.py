"""The default encoder: a model2vec static model shipped inside the package.

A text's vector is the unit-normalised mean of its WordPiece tokens' vectors, which were distilled
once from all-MiniLM-L6-v2 (``scripts/distill_encoder.py``; provenance in
``static_minilm/NOTICE``). Encoding is a tokeniser call and a gather: no torch, no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tastemaker.encoders import EncoderUnavailable, _unit_rows
from tastemaker.types import FloatArray

MODEL_DIR = Path(__file__).resolve().parent / "static_minilm"
_REQUIRED_FILES = ("model.safetensors", "tokenizer.json", "config.json")


class StaticEncoder:
    """model2vec static embeddings (256 dimensions by default), loaded from a local folder."""

    def __init__(self, path: Path | str = MODEL_DIR, name: str = "static") -> None:
        path = Path(path)
        missing = [f for f in _REQUIRED_FILES if not (path / f).is_file()]
        if missing:
            # model2vec treats a path that does not exist as a Hugging Face hub id and downloads
            # it; fail here instead, so loading can never touch the network.
            raise EncoderUnavailable(
                f"static encoder files missing under {path}: {', '.join(missing)} "
                "(reinstall tastemaker, or rebuild them with scripts/distill_encoder.py)"
            )
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(path, normalize=True)
        self.name = name
        self.dim = int(self.model.dim)
        self._tokenizer = self.model.tokenizer
        self._embedding = self.model.embedding
        self._unk = self.model.unk_token_id
        max_length = self.model.max_length
        # model2vec cuts long texts by characters before tokenising; do the same so that the
        # single-text fast path and the batch path give identical vectors.
        self._max_chars = (
            None if max_length is None else max_length * self.model.median_token_length
        )

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encode ``texts`` into unit-norm rows (all-zero for a text with no known token)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if len(texts) == 1:
            return self._encode_one(texts[0])
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            list(texts), normalize=False, use_multiprocessing=False, show_progress_bar=False
        )
        return _unit_rows(np.ascontiguousarray(out, dtype=np.float32))

    def knows(self, word: str) -> bool:
        """Whether ``word`` (lower case) is one of the model's whole-word tokens: a word of the
        language it was trained on, as opposed to a misspelling it can only cut into pieces."""
        return self._tokenizer.token_to_id(word) is not None

    def _encode_one(self, text: str) -> FloatArray:
        """One text without model2vec's batching machinery: about half the latency."""
        if self._max_chars is not None:
            text = text[: self._max_chars]
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids
        if self._unk is not None:
            ids = [i for i in ids if i != self._unk]
        out = np.zeros((1, self.dim), dtype=np.float32)
        if ids:
            out[0] = self._embedding[ids].mean(axis=0)
        return _unit_rows(out)
