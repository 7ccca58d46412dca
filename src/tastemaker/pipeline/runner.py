"""The runner: calls the stages in order, times each, and never lets a failure reach the person.

Capture errors are the person's to fix (422) and propagate. Any exception after capture is
logged with the request id, counted, and answered with the experience's curated default
(``default_items``, else the most popular allowed items) and the brand's safe copy, flagged
``fallback: true``. Stages are looked up by name at call time so that tests can make any one of
them fail.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np

from tastemaker.catalog import Catalog
from tastemaker.encoders import Encoder
from tastemaker.experiences import ExperienceSpec
from tastemaker.guardrails import semantic
from tastemaker.pipeline import (
    assemble,
    capture,
    copywriting,
    enrich,
    guard,
    memory,
    rank,
    render,
    retrieve,
    rules,
    understand,
)
from tastemaker.pipeline.enrich import EventLike
from tastemaker.pipeline.memory import PreferenceLike
from tastemaker.types import Answer, CopyText, ResultItem

log = logging.getLogger("tastemaker.pipeline")

STAGES: tuple[str, ...] = (
    "understand",
    "recall",
    "enrich",
    "retrieve",
    "rank",
    "rules",
    "assemble",
    "copywriting",
    "guard",
    "render",
)
_MODULES: dict[str, ModuleType] = {
    "capture": capture,
    "understand": understand,
    "recall": memory,
    "enrich": enrich,
    "retrieve": retrieve,
    "rank": rank,
    "rules": rules,
    "assemble": assemble,
    "copywriting": copywriting,
    "guard": guard,
    "render": render,
}
# Fallbacks served since start, by the stage that failed; exported as a metric.
FALLBACKS: Counter[str] = Counter()


def run(
    answer: Answer,
    spec: ExperienceSpec,
    catalog: Catalog | None,
    encoder: Encoder,
    events: Sequence[EventLike],
    *,
    use_history: bool = True,
    remembered: Sequence[PreferenceLike] = (),
    copywriter: copywriting.Copywriter | None = None,
) -> Answer:
    """Run the whole pipeline on ``answer`` and return it (filled in).

    ``remembered`` are the person's stored preferences (empty without memory consent); the
    ``recall`` stage folds them into what ``understand`` made of the answer.
    ``copywriter`` is the experience's (the engine builds it from ``spec.copywriter``); the
    template copywriter when None.
    """
    t0 = time.perf_counter()
    _timed(answer, "capture", lambda: _MODULES["capture"].run(answer, spec))
    stage = "catalog"
    try:
        if catalog is None or catalog.size == 0:
            raise RuntimeError("no fitted catalog for this workspace (run `tastemaker fit`)")
        calls: dict[str, Callable[[], None]] = {
            "understand": lambda: _understand(answer, spec, catalog, encoder),
            "recall": lambda: _MODULES["recall"].run(answer, spec, catalog, remembered),
            "enrich": lambda: _MODULES["enrich"].run(
                answer, catalog, events, use_history=use_history
            ),
            "retrieve": lambda: _MODULES["retrieve"].run(answer, spec, catalog),
            "rank": lambda: _MODULES["rank"].run(answer, spec, catalog),
            "rules": lambda: _MODULES["rules"].run(answer, spec, catalog),
            "assemble": lambda: _MODULES["assemble"].run(answer, spec, catalog),
            "copywriting": lambda: _MODULES["copywriting"].run(answer, spec, copywriter),
            "guard": lambda: _MODULES["guard"].run(answer, spec),
            "render": lambda: _MODULES["render"].run(answer, spec),
        }
        for stage in STAGES:
            _timed(answer, stage, calls[stage])
        if not answer.items:
            stage = "assemble"
            raise RuntimeError("no item passed the rules")
    except Exception as exc:
        FALLBACKS[stage] += 1
        log.error(
            "fallback request_id=%s workspace=%s experience=%s stage=%s error=%r",
            answer.request_id,
            answer.workspace,
            answer.experience_key,
            stage,
            exc,
            exc_info=not isinstance(exc, RuntimeError),
        )
        fallback(answer, spec, catalog, reason=f"{stage}: {type(exc).__name__}")
    answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000.0
    return answer


def _understand(answer: Answer, spec: ExperienceSpec, catalog: Catalog, encoder: Encoder) -> None:
    """Understand the answer; free text is also checked for sensitive topics by meaning.

    Here rather than in capture because this is where the encoder is at hand; the copywriter,
    which reads ``answer.input_flags``, runs later.
    """
    _MODULES["understand"].run(answer, spec, catalog, encoder)
    captured = answer.captured
    if captured is not None and captured.text and "sensitive" in spec.guardrails.input_checks:
        semantic.flag_answer(
            captured.text, answer.input_flags, encoder, spec.guardrails.allowed_topics
        )


def _timed(answer: Answer, stage: str, call: Callable[[], None]) -> None:
    t = time.perf_counter()
    try:
        call()
    finally:
        answer.timings_ms[stage] = (time.perf_counter() - t) * 1000.0


def fallback(
    answer: Answer,
    spec: ExperienceSpec,
    catalog: Catalog | None,
    *,
    reason: str,
    default_items: list[ResultItem] | None = None,
) -> None:
    """Fill ``answer`` with the curated default; must not raise."""
    answer.fallback = True
    answer.fallback_reason = reason
    answer.bundle_total = None
    items = default_items or []
    if not items and catalog is not None and catalog.size:
        rows = [int(r) for r in catalog.rows_for(spec.default_items)]
        if not rows:
            rows = [int(r) for r in catalog.most_popular(catalog.available, spec.output.size)]
        items = [
            ResultItem(
                id=catalog.ids[r],
                title=catalog.titles[r],
                score=0.0,
                reasons=["a curated pick"],
                url=catalog.urls[r],
                price=None if np.isnan(catalog.prices[r]) else float(catalog.prices[r]),
            )
            for r in rows[: spec.output.size]
        ]
    answer.items = items
    answer.copy = CopyText(
        title=spec.brand.safe_title,
        description=spec.brand.safe_description,
        cta=spec.brand.cta,
        source="safe",
    )
    try:
        render.run(answer, spec)
    except Exception:
        log.exception("fallback render failed request_id=%s", answer.request_id)
        answer.html = ""
