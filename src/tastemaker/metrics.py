"""Prometheus metrics: per-stage latency, fallbacks, guard rejections, queue depths.

The answer already measures itself (``Answer.timings_ms``, one entry per pipeline stage), so
recording is a handful of histogram observations after the answer is built; nothing is timed
twice. Queue depths are gauges: the engine's write-behind buffers (served results, memories,
answer logs, set after each answer, since only the process that holds them can see them)
and the webhook deliveries still pending (a database count, taken at scrape time).

Several worker processes (:mod:`tastemaker.serving`) each hold their own counters; with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client's multiprocess mode keeps them in files
there and :func:`render` sums them, so one scrape of any worker sees the whole server. The
variable must be set before this module is imported, which ``serving.serve`` does for its
workers.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

if TYPE_CHECKING:
    from tastemaker.engine import Engine
    from tastemaker.types import Answer

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Stages run in tens of microseconds to hundreds of milliseconds (a model copywriter).
_STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000)

STAGE_MS = Histogram(
    "tastemaker_stage_duration_ms",
    "Time spent in one pipeline stage of an answer, in milliseconds.",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
ANSWERS = Counter("tastemaker_answers", "Answers served.", ["kind"])
FALLBACKS = Counter("tastemaker_fallbacks", "Answers that fell back to the curated result.")
GUARD_REJECTIONS = Counter(
    "tastemaker_guard_rejections", "Copy the guard refused and replaced with safe copy."
)
REVIEW_FLAGS = Counter("tastemaker_review_flags", "Answers whose copy went to editorial review.")
BUFFERED = Gauge(
    "tastemaker_buffered_records",
    "Records waiting in this process's write-behind buffers.",
    ["buffer"],
    multiprocess_mode="livesum",
)
PENDING_DELIVERIES = Gauge(
    "tastemaker_pending_webhook_deliveries",
    "Webhook deliveries not yet delivered or given up on (all workspaces).",
    multiprocess_mode="liveall",
)


_CHILDREN: dict[tuple[int, str], Any] = {}


def _child(metric: Any, label: str) -> Any:
    """``metric.labels(label)``, remembered: the lookup (a lock and a label check) costs more
    than the observation, a dozen times per answer."""
    key = (id(metric), label)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(label)
    return child


def observe_answer(answer: Answer, engine: Engine, kind: str = "answer") -> None:
    """Record one finished answer; never raises (metrics must not cost an answer)."""
    try:
        for stage, ms in answer.timings_ms.items():
            _child(STAGE_MS, stage).observe(ms)
        _child(ANSWERS, kind).inc()
        if answer.fallback:
            FALLBACKS.inc()
        if answer.copy is not None and answer.copy.source == "safe":
            GUARD_REJECTIONS.inc()
        if answer.review:
            REVIEW_FLAGS.inc()
        for name, depth in engine.buffer_depths().items():
            _child(BUFFERED, name).set(depth)
    except Exception:
        log.warning("could not record answer metrics", exc_info=True)


def _pending_deliveries(engine: Engine) -> int:
    from sqlalchemy import func, select

    from tastemaker.store.models import webhook_deliveries as d

    with engine.store.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(d).where(d.c.status == "pending")
        ).scalar_one()
    return int(n)


def render(engine: Engine) -> tuple[bytes, str]:
    """The metrics page (body, content type) for a scrape; queue gauges refreshed first."""
    try:
        PENDING_DELIVERIES.set(_pending_deliveries(engine))
    except Exception:  # a database outage must not hide every other metric
        log.warning("could not count pending deliveries", exc_info=True)
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
