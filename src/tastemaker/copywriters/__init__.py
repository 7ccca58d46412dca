"""Copywriters behind one Protocol (:class:`~tastemaker.pipeline.copywriting.Copywriter`).

An experience picks one with ``copywriter.kind``:

- ``template`` (the default): phrase banks in the brand's voice, deterministic, microseconds;
- ``chat``: any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp's
  server), configured by ``TASTEMAKER_LLM_BASE_URL``, ``_MODEL`` and ``_API_KEY``;
- ``local``: SmolLM2-135M-Instruct run in-process by llama.cpp (``pip install
  'tastemaker[llm]'``).

Model copywriters are wrapped in :class:`~tastemaker.copywriters.model.ModelCopywriter`
(grounding, latency budget, cache, fall back to the template copy). :func:`build_copywriter`
never raises: a copywriter that cannot be built (no URL, the extra not installed) is logged and
replaced by the template one, so a misconfigured experience still answers.
"""

from __future__ import annotations

import logging

from tastemaker.copywriters.chat import BackendError, ChatCompletionsBackend
from tastemaker.copywriters.model import COPY_FALLBACKS, Backend, ModelCopywriter
from tastemaker.experiences import CopywriterConfig
from tastemaker.pipeline.copywriting import DEFAULT_COPYWRITER, Copywriter
from tastemaker.settings import Settings

log = logging.getLogger("tastemaker.copy")

__all__ = [
    "COPY_FALLBACKS",
    "Backend",
    "BackendError",
    "ChatCompletionsBackend",
    "ModelCopywriter",
    "build_copywriter",
]


def build_copywriter(config: CopywriterConfig, settings: Settings) -> Copywriter:
    """The copywriter an experience asks for, or the template one when it cannot be had."""
    if config.kind == "template":
        return DEFAULT_COPYWRITER
    backend: Backend
    try:
        if config.kind == "chat":
            backend = ChatCompletionsBackend(
                settings.llm_base_url, config.model or settings.llm_model, settings.llm_api_key
            )
        else:
            from tastemaker.copywriters.local import LlamaBackend

            backend = LlamaBackend(settings.local_model_path)
    except Exception:
        log.exception("copywriter %r unavailable; using the template copywriter", config.kind)
        return DEFAULT_COPYWRITER
    return ModelCopywriter(backend, timeout_cap=settings.llm_timeout_seconds)
