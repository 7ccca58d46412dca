"""Editorial control at answer time: brand kits, the experience's copywriter, the review queue.

The engine hands each answer to an :class:`Editorial`:

- :meth:`Editorial.effective_spec` puts the workspace's brand kit under the experience's brand;
- :meth:`Editorial.copywriter` is the experience's copywriter (built once per configuration),
  wrapped so that copy an editor approved for the same answer is reused, as long as it is still
  grounded in the items chosen this time;
- :meth:`Editorial.after_answer` queues copy that failed a soft check for review.

The kit and the approved copies are read from the store at most every few seconds per
workspace, so the answer path costs a dictionary lookup, not a query. What an editor does
(approve, edit, reject), brand kit saves and rollbacks go through the store's editorial
functions, which write the audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tastemaker.brandkit import BrandKit
from tastemaker.copywriters import build_copywriter
from tastemaker.copywriters.grounding import facts_of, ungrounded
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.copywriting import Copywriter
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.store import editorial as db
from tastemaker.types import Answer, CopyText

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
BRAND_KIT_KEY = "default"  # one kit per workspace
MAX_REMEMBERED = 100_000  # answers known to be queued already, per process


def answer_key(answer: Answer) -> tuple[str, str]:
    """(key, readable form) of what the person answered: the same answer has the same key."""
    captured = answer.captured
    if captured is None or not (captured.choice_id or captured.text):
        basis = "empty"
    elif captured.choice_id:
        basis = f"choice:{captured.choice_id}"
    else:
        basis = "text:" + " ".join(captured.text.casefold().split())
    key = hashlib.sha256(f"{answer.experience_key}\x1f{basis}".encode()).hexdigest()[:32]
    return key, basis


@dataclass(slots=True)
class ReviewedCopywriter:
    """Approved copy for this answer when there is some (and it still fits), else ``inner``."""

    inner: Copywriter
    approved: Mapping[tuple[str, str], dict[str, Any]]

    def write(self, answer: Answer, spec: ExperienceSpec) -> CopyText:
        if self.approved:
            hit = self.approved.get((spec.key, answer_key(answer)[0]))
            if hit is not None:
                copy = CopyText(
                    title=str(hit["title"]),
                    description=str(hit["description"]),
                    cta=str(hit["cta"]),
                    source="approved",
                )
                # The same answer can get other items (other history, a changed catalog):
                # approved words that no longer match them are not reused.
                if not ungrounded(copy, facts_of(answer, spec)):
                    return copy
        return self.inner.write(answer, spec)


class Editorial:
    """Per-process caches and hooks for one engine."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._kits: dict[int, tuple[float, BrandKit | None]] = {}
        self._approved: dict[int, tuple[float, dict[tuple[str, str], dict[str, Any]]]] = {}
        self._copywriters: dict[tuple[str, str | None], Copywriter] = {}
        self._queued: set[tuple[int, str]] = set()

    def invalidate(self, ws_id: int) -> None:
        self._kits.pop(ws_id, None)
        self._approved.pop(ws_id, None)

    # -- answer time -------------------------------------------------------------------------

    def brand_kit(self, ws_id: int) -> BrandKit | None:
        now = time.monotonic()
        hit = self._kits.get(ws_id)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        rec = db.get_version(self.store, ws_id, "brand_kit", BRAND_KIT_KEY)
        kit = None if rec is None else BrandKit.model_validate(rec.body)
        self._kits[ws_id] = (now, kit)
        return kit

    def effective_spec(self, ws_id: int, spec: ExperienceSpec) -> ExperienceSpec:
        """The spec with the workspace's brand kit applied; the spec as saved if that fails."""
        try:
            kit = self.brand_kit(ws_id)
        except Exception:  # e.g. a database not yet migrated to 0004: answer without the kit
            log.exception("could not read the brand kit of workspace %s", ws_id)
            return spec
        if kit is None:
            return spec
        brand = kit.apply(spec.brand)
        return spec if brand is spec.brand else spec.model_copy(update={"brand": brand})

    def copywriter(self, ws_id: int, spec: ExperienceSpec) -> Copywriter:
        cfg = spec.copywriter
        key = (cfg.kind, cfg.model)
        inner = self._copywriters.get(key)
        if inner is None:
            with self._lock:
                inner = self._copywriters.get(key)
                if inner is None:
                    inner = build_copywriter(cfg, self.settings)
                    self._copywriters[key] = inner
        now = time.monotonic()
        hit = self._approved.get(ws_id)
        if hit is None or now - hit[0] >= CACHE_SECONDS:
            hit = (now, db.approved_copies(self.store, ws_id))
            self._approved[ws_id] = hit
        return ReviewedCopywriter(inner, hit[1]) if hit[1] else inner

    def after_answer(self, ws_id: int, answer: Answer, spec: ExperienceSpec) -> None:
        """Queue copy that failed a soft check; must not raise (the answer is already made)."""
        if not answer.review or answer.fallback or answer.copy is None:
            return
        if not spec.guardrails.review:
            return
        key, basis = answer_key(answer)
        if (ws_id, key) in self._queued:
            return
        copy = answer.copy
        try:
            db.enqueue_review(
                self.store,
                ws_id,
                experience_key=spec.key,
                answer_key=key,
                answer_text=basis,
                request_id=answer.request_id,
                proposed={
                    "title": copy.title,
                    "description": copy.description,
                    "cta": copy.cta,
                    "source": copy.source,
                    "confidence": round(copy.confidence, 3),
                },
                reasons=list(answer.review),
            )
            if len(self._queued) >= MAX_REMEMBERED:
                self._queued.clear()  # bounded; forgetting costs one no-op insert per answer
            self._queued.add((ws_id, key))
        except Exception:
            log.exception("could not queue copy for review request_id=%s", answer.request_id)
