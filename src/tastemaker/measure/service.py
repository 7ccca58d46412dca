"""The engine's side of experiments: assign on the answer path, log exposures, analyse.

Hot-path rule, as for experience specs: the running experiments and the holdout of a workspace
are cached for a few seconds, so answering a prompt costs one hash, not a query; exposures are
buffered and written with the served results (write-behind), so it costs no write either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.experiences import ExperienceSpec
from tastemaker.measure.analysis import analyse
from tastemaker.measure.assign import HOLDOUT, Assignment, choose_variant, in_holdout
from tastemaker.measure.bandit_state import RedisBanditState, SqlBanditState, bandit_state
from tastemaker.measure.bandits import (
    Bandit,
    FloatArray,
    LinearThompson,
    ThompsonSampling,
    context_features,
    linear_deltas,
    time_of_day,
)
from tastemaker.measure.design import ExperimentSpec, MetricSpec, VariantSpec, variant_spec
from tastemaker.measure.timeline import (
    MAX_DAYS,
    arm_shares,
    bandit_arms,
    day_index,
    experiment_timeline,
    iso_day,
)
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.store.experiments import (
    ExperimentRecord,
    ExperimentStore,
    Exposure,
    HoldoutRecord,
)
from tastemaker.types import RequestContext

log = logging.getLogger(__name__)

CACHE_TTL_SECONDS = 2.0
# The holdout's own exposure log: "holdout" against everyone personalized.
HOLDOUT_KEY = "holdout"
PERSONALIZED = "personalized"


class ExperimentService:
    """One per engine; thread-safe."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.db = ExperimentStore(store)
        self.settings = settings or Settings(database_url=store.url)
        self._bandit_states: dict[int, SqlBanditState | RedisBanditState] = {}
        self._cache: dict[int, tuple[float, HoldoutRecord | None, list[ExperimentRecord]]] = {}
        self._pending: list[Exposure] = []
        self._lock = threading.Lock()

    # -- declaring -----------------------------------------------------------------------------

    def save(self, ws_id: int, spec: ExperimentSpec, base: ExperienceSpec) -> ExperimentRecord:
        """Store an experiment on ``base`` once every variant makes a valid experience of it."""
        if spec.key == HOLDOUT_KEY or any(v.name == HOLDOUT for v in spec.variants):
            raise InvalidInput("'holdout' is reserved for the workspace holdout", field="key")
        for v in spec.variants:
            try:
                variant_spec(base, v.overrides)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise InvalidInput(
                    f"variant {v.name!r} does not make a valid experience: {where}: {err['msg']}",
                    field="variants",
                ) from exc
        rec = self.db.save_experiment(ws_id, spec.key, spec.experience, spec.model_dump())
        self._cache.pop(ws_id, None)
        return rec

    def get(self, ws_id: int, key: str) -> ExperimentRecord:
        rec = self.db.get_experiment(ws_id, key)
        if rec is None:
            raise NotFound(f"experiment {key!r} does not exist")
        return rec

    def list_all(self, ws_id: int) -> list[ExperimentRecord]:
        return self.db.list_experiments(ws_id)

    def set_status(self, ws_id: int, key: str, status: str) -> None:
        if status not in ("running", "stopped"):
            raise InvalidInput("must be running or stopped", field="status")
        if not self.db.set_status(ws_id, key, status):
            raise NotFound(f"experiment {key!r} does not exist")
        self._cache.pop(ws_id, None)

    def set_holdout(self, ws_id: int, share: float) -> HoldoutRecord:
        if not 0 <= share <= 0.5:
            raise InvalidInput("must be between 0 and 0.5", field="share")
        rec = self.db.set_holdout(ws_id, share)
        self._cache.pop(ws_id, None)
        return rec

    # -- answer path -------------------------------------------------------------------------

    def _state(self, ws_id: int) -> tuple[HoldoutRecord | None, list[ExperimentRecord]]:
        now = time.monotonic()
        hit = self._cache.get(ws_id)
        if hit is not None and now - hit[0] < CACHE_TTL_SECONDS:
            return hit[1], hit[2]
        holdout = self.db.get_holdout(ws_id)
        running = self.db.list_experiments(ws_id, status="running")
        self._cache[ws_id] = (now, holdout, running)
        return holdout, running

    def assign(self, ws_id: int, experience_key: str, unit_id: str) -> Assignment | None:
        """The unit's holdout membership, else its variant of the experience's experiment.

        When several experiments run on one experience, the oldest one applies (one change at a
        time is what keeps the comparison clean). Exposures are buffered for :meth:`flush`.
        """
        holdout, running = self._state(ws_id)
        now = time.time()
        if holdout is not None and holdout.share > 0:
            member = in_holdout(holdout.salt, unit_id, holdout.share)
            arm = HOLDOUT if member else PERSONALIZED
            self._expose(Exposure(ws_id, HOLDOUT_KEY, unit_id, arm, now))
            if member:
                return Assignment(HOLDOUT_KEY, HOLDOUT, {})
        for exp in running:
            if exp.experience_key != experience_key:
                continue
            variants = [VariantSpec.model_validate(v) for v in exp.spec["variants"]]
            name = choose_variant(
                exp.salt, unit_id, [v.name for v in variants], [v.weight for v in variants]
            )
            self._expose(Exposure(ws_id, exp.key, unit_id, name, now))
            chosen = next(v for v in variants if v.name == name)
            return Assignment(exp.key, name, dict(chosen.overrides))
        return None

    def _expose(self, row: Exposure) -> None:
        with self._lock:
            self._pending.append(row)

    def flush(self) -> int:
        """Write buffered exposures; on a store error keep them for the next try."""
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            self.db.log_exposures(rows)
        except Exception:
            log.exception("could not log %d exposures; will retry", len(rows))
            with self._lock:
                self._pending = rows + self._pending
            return 0
        return len(rows)

    # -- analysis ------------------------------------------------------------------------------

    def analyse(self, ws_id: int, key: str, *, until: float | None = None) -> dict[str, Any]:
        self.flush()
        rec = self.get(ws_id, key)
        spec = ExperimentSpec.model_validate(rec.spec)
        out = analyse(self.db, ws_id, key, spec, until=until)
        out["status"] = rec.status
        return out

    def analyse_holdout(
        self,
        ws_id: int,
        metric: MetricSpec,
        *,
        planned_units: int = 100_000,
        until: float | None = None,
    ) -> dict[str, Any]:
        """Personalized against the holdout (the control): the product's incremental value."""
        self.flush()
        holdout = self.db.get_holdout(ws_id)
        if holdout is None or holdout.share <= 0:
            raise NotFound("this workspace has no holdout (set one first)")
        spec = ExperimentSpec(
            key=HOLDOUT_KEY,
            experience="all",
            variants=[
                VariantSpec(name=HOLDOUT, weight=holdout.share),
                VariantSpec(name=PERSONALIZED, weight=1 - holdout.share),
            ],
            metric=metric,
            planned_units=planned_units,
        )
        out = analyse(self.db, ws_id, HOLDOUT_KEY, spec, until=until)
        out["status"] = "running"
        return out

    # -- bandits -------------------------------------------------------------------------------

    def _bandit_state(self, ws_id: int) -> SqlBanditState | RedisBanditState:
        state = self._bandit_states.get(ws_id)
        if state is None:
            state = self._bandit_states[ws_id] = bandit_state(self.db, ws_id, self.settings)
        return state

    def bandit(self, ws_id: int, name: str, arms: Sequence[str], *, contextual: bool) -> Bandit:
        """A bandit over ``arms`` on the workspace's shared state (Redis or the database)."""
        if len(arms) < 2 or len(set(arms)) != len(arms):
            raise InvalidInput("need at least two distinct arms", field="arms")
        policy: ThompsonSampling | LinearThompson = (
            LinearThompson(tuple(arms)) if contextual else ThompsonSampling(tuple(arms))
        )
        return Bandit(name, policy, self._bandit_state(ws_id))

    def bandit_reward(
        self,
        ws_id: int,
        name: str,
        arm: str,
        reward: float,
        context: FloatArray | None,
        *,
        now: float | None = None,
    ) -> None:
        """Count one reward for ``arm`` (with its context for a contextual bandit), in the
        totals the policy reads and in the day's history the console charts."""
        deltas = (
            ThompsonSampling.deltas(reward) if context is None else linear_deltas(context, reward)
        )
        day = day_index(time.time() if now is None else now)
        self._bandit_state(ws_id).record(name, arm, deltas, day)

    def bandit_summary(self, ws_id: int, name: str) -> list[dict[str, Any]]:
        """Per arm: pulls, rewards, observed rate, share of pulls and the Beta posterior."""
        stats = self._bandit_state(ws_id).load(name)
        if not stats:
            raise NotFound(f"bandit {name!r} has no data")
        return bandit_arms(stats)

    def bandit_names(self, ws_id: int) -> list[str]:
        return self._bandit_state(ws_id).names()

    def bandit_history(
        self, ws_id: int, name: str, *, days: int = 30, now: float | None = None
    ) -> dict[str, Any]:
        """Each arm's share of the pulls per UTC day over the last ``days`` days, and its
        posterior now."""
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"between 1 and {MAX_DAYS} days", field="days")
        state = self._bandit_state(ws_id)
        arms = self.bandit_summary(ws_id, name)
        last = day_index(time.time() if now is None else now)
        first = last - days + 1
        history = state.days(name, first)
        if history:  # start at the first day with pulls, not at an empty month
            first = min(d for d, _ in history)
        names = [a["arm"] for a in arms]
        return {
            "bandit": name,
            "arms": arms,
            "days": [iso_day(d) for d in range(first, last + 1)],
            "shares": arm_shares(history, names, first, last),
        }

    def timeline(
        self,
        store: Store,
        ws_id: int,
        key: str,
        experience: ExperienceSpec | None,
        *,
        days: int = 30,
        now: float | None = None,
    ) -> dict[str, Any]:
        """An experiment day by day (:func:`~tastemaker.measure.timeline.experiment_timeline`)."""
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"between 1 and {MAX_DAYS} days", field="days")
        self.flush()
        rec = self.get(ws_id, key)
        spec = ExperimentSpec.model_validate(rec.spec)
        return experiment_timeline(
            store,
            self.db,
            ws_id,
            key,
            spec,
            rec.created_at,
            experience,
            days=days,
            now=time.time() if now is None else now,
        )


def features(context: RequestContext | None, *, returning: bool = False) -> FloatArray:
    """The contextual bandit's features from a request's context."""
    if context is None:
        return context_features(returning=returning)
    tod = context.time_of_day or time_of_day(context.hour)
    return context_features(time=tod, device=context.device, returning=returning)
