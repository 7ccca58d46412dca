"""The model copywriter: a language model writes the copy, the template copywriter stands by.

It works with any :class:`Backend` (the chat-completions client, the local llama.cpp model) and
adds what every model needs around it in production:

- **grounding**: the model sees only the answer's facts, and copy that names a number, a name
  or a claim the facts do not hold is rejected (:mod:`tastemaker.copywriters.grounding`);
- **a latency budget** per experience (``copywriter.budget_ms``, capped by the settings'
  ``llm_timeout_seconds``), passed to the backend as its timeout and checked again afterwards;
- **a cache** of identical requests (same backend, same messages, same sampling), so the same
  answer over the same items costs one model call per hour rather than one per page view;
- **a fall back** to the template copywriter whenever the model errs, times out, answers
  something unparseable or ungrounded, or fails the guard: the person always gets copy.

Each fall back is logged with its reason and counted in :data:`COPY_FALLBACKS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import replace
from typing import Protocol

from cachetools import TTLCache

from tastemaker.copywriters.chat import BackendError
from tastemaker.copywriters.grounding import confidence, facts_of, messages, parse_copy, ungrounded
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline import guard
from tastemaker.pipeline.copywriting import DEFAULT_COPYWRITER, Copywriter
from tastemaker.types import Answer, CopyText

log = logging.getLogger("tastemaker.copy")

# Fall backs to the template copy since start, by "backend:reason"; exported as a metric.
COPY_FALLBACKS: Counter[str] = Counter()


class Backend(Protocol):
    """Anything that turns chat messages into a reply within ``timeout`` seconds."""

    name: str

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
    ) -> str: ...


class ModelCopywriter:
    """Copy from a model, held to the facts, within budget, cached; else the template copy."""

    def __init__(
        self,
        backend: Backend,
        *,
        fallback: Copywriter = DEFAULT_COPYWRITER,
        timeout_cap: float = 10.0,
        cache_size: int = 4096,
        cache_ttl: float = 3600.0,
    ) -> None:
        self.backend = backend
        self._fallback = fallback
        self._timeout_cap = timeout_cap
        self._cache: TTLCache[str, CopyText] = TTLCache(maxsize=cache_size, ttl=cache_ttl)
        self._lock = threading.Lock()  # TTLCache is not thread-safe
        self.calls = 0  # model calls made (cache misses); for tests and metrics

    def write(self, answer: Answer, spec: ExperienceSpec) -> CopyText:
        start = time.perf_counter()
        cfg = spec.copywriter
        facts = facts_of(answer, spec)
        msgs = messages(facts, spec)
        key = hashlib.sha256(
            json.dumps(
                [self.backend.name, msgs, cfg.max_tokens, cfg.temperature], sort_keys=True
            ).encode()
        ).hexdigest()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return replace(hit, legal=[])
        budget = min(cfg.budget_ms / 1000.0, self._timeout_cap)
        try:
            self.calls += 1
            raw = self.backend.complete(
                msgs, max_tokens=cfg.max_tokens, temperature=cfg.temperature, timeout=budget
            )
        except BackendError as exc:
            reason = "timeout" if "timeout" in str(exc) else "error"
            return self._fall_back(answer, spec, reason, str(exc))
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            return self._fall_back(answer, spec, "timeout", f"{elapsed:.2f}s > {budget:.2f}s")
        parsed = parse_copy(raw)
        if parsed is None:
            return self._fall_back(answer, spec, "unparseable", raw[:120])
        copy = CopyText(*parsed, source=self.backend.name)
        problems = ungrounded(copy, facts)
        if problems:
            return self._fall_back(answer, spec, "ungrounded", ", ".join(problems))
        violations = guard.check(copy, spec)
        if violations:
            detail = ", ".join(f"{v.kind}:{v.term}" for v in violations)
            return self._fall_back(answer, spec, "guard", detail)
        copy.confidence = confidence(copy, facts)
        with self._lock:
            self._cache[key] = copy
        return replace(copy)

    def _fall_back(
        self, answer: Answer, spec: ExperienceSpec, reason: str, detail: str
    ) -> CopyText:
        COPY_FALLBACKS[f"{self.backend.name}:{reason}"] += 1
        log.warning(
            "copy fallback request_id=%s backend=%s reason=%s detail=%r",
            answer.request_id,
            self.backend.name,
            reason,
            detail,
        )
        return self._fallback.write(answer, spec)
