"""Experiments on the answer path: a person's arm, the experience that arm runs, the holdout.

Why a module of its own: :mod:`tastemaker.measure.service` decides and records assignments;
this is what the engine does with one while answering. The rule here is that an experiment
never costs a person their answer: a failed assignment answers as if nobody were enrolled, an
invalid variant serves the base experience, and the holdout gets the curated default.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pydantic import ValidationError

from tastemaker.catalog import Catalog
from tastemaker.experiences import Brand, ExperienceSpec
from tastemaker.measure.assign import Assignment
from tastemaker.measure.design import variant_spec
from tastemaker.measure.service import ExperimentService
from tastemaker.pipeline import capture, runner
from tastemaker.types import Answer

log = logging.getLogger(__name__)

# (workspace slug, experience key, experience version, experiment, variant)
VariantKey = tuple[str, str, int, str, str]


class Variants:
    """One per engine: assignment that never raises, and a cache of variant specs."""

    def __init__(self, experiments: ExperimentService) -> None:
        self.experiments = experiments
        self._specs: dict[VariantKey, tuple[Brand, ExperienceSpec]] = {}

    def assign(self, ws_id: int, slug: str, key: str, user_id: str) -> Assignment | None:
        """The person's arm, or None when no experiment applies or assignment failed."""
        try:
            return self.experiments.assign(ws_id, key, user_id)
        except Exception:  # an experiment must never cost a person their answer
            log.exception("assignment failed workspace=%s experience=%s", slug, key)
            return None

    def spec(self, slug: str, version: int, spec: ExperienceSpec, a: Assignment) -> ExperienceSpec:
        """The experience the arm runs: the base with the variant's overrides applied."""
        cache_key = (slug, spec.key, version, a.experiment or "", a.variant)
        cached = self._specs.get(cache_key)
        # The base carries the brand kit, which changes without a new experience version.
        if cached is not None and cached[0] == spec.brand:
            return cached[1]
        try:
            hit = variant_spec(spec, a.overrides)
        except ValidationError:
            log.exception("variant %s of %s is invalid; serving the base", a.variant, spec.key)
            hit = spec
        self._specs[cache_key] = (spec.brand, hit)
        return hit

    def invalidate(self, slug: str) -> None:
        """Forget the cached variant specs of a workspace (its brand kit changed)."""
        self._specs = {k: v for k, v in self._specs.items() if k[0] != slug}


def serve_holdout(
    answer: Answer,
    spec: ExperienceSpec,
    catalog: Catalog | None,
    store_fallback: Callable[[Answer, ExperienceSpec], None],
) -> None:
    """The curated default, never personalized: what the holdout measures against.

    ``store_fallback`` fills in the curated items from the store when there is no snapshot.
    """
    t0 = time.perf_counter()
    capture.run(answer, spec)  # the person's input errors are still theirs to see
    runner.fallback(answer, spec, catalog, reason="holdout")
    if not answer.items:
        store_fallback(answer, spec)
    answer.fallback = False
    answer.fallback_reason = None
    answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000.0
