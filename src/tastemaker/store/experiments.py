"""Store queries of the measurement area: experiments, holdout, exposures, metric totals, bandits.

Kept out of ``store.py`` (one idea per module); it works on the same :class:`Store` engine.
Metric totals are computed in SQL, per variant, as the sufficient statistics the analysis needs
(:class:`~tastemaker.measure.stats.PairedStats`), so they work the same on SQLite and PostgreSQL
and never pull raw events into Python.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update

from tastemaker.store.bulk import WRITE_CHUNK
from tastemaker.store.measure_tables import (
    bandit_days,
    bandit_stats,
    experiments,
    exposures,
    holdouts,
)
from tastemaker.store.models import events
from tastemaker.store.store import Store

STATUSES = ("running", "stopped")


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    key: str
    experience_key: str
    status: str
    salt: str
    spec: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class HoldoutRecord:
    share: float
    salt: str


@dataclass(frozen=True, slots=True)
class Exposure:
    workspace_id: int
    experiment_key: str
    unit_id: str
    variant: str
    ts: float


@dataclass(frozen=True, slots=True)
class VariantTotals:
    """Per variant: units, and sums of the unit-level metric ``y`` and its pre-period ``x``."""

    n: int
    sum_x: float
    sum_y: float
    sum_xx: float
    sum_yy: float
    sum_xy: float


def _experiment(row: Any) -> ExperimentRecord:
    return ExperimentRecord(
        row.key, row.experience_key, row.status, row.salt, dict(row.spec), row.created_at
    )


class ExperimentStore:
    """The measurement area's SQL, on a :class:`Store`'s engine."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- experiments ---------------------------------------------------------------------------

    def save_experiment(
        self, ws_id: int, key: str, experience_key: str, spec: Mapping[str, Any]
    ) -> ExperimentRecord:
        """Create, or replace the spec of, an experiment; its salt never changes once made."""
        ins = self.store._insert(experiments).values(
            workspace_id=ws_id,
            key=key,
            experience_key=experience_key,
            status="running",
            salt=secrets.token_hex(8),
            spec=dict(spec),
            created_at=time.time(),
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[experiments.c.workspace_id, experiments.c.key],
            set_={"spec": ins.excluded.spec, "experience_key": ins.excluded.experience_key},
        )
        with self.store.engine.begin() as conn:
            conn.execute(stmt)
        rec = self.get_experiment(ws_id, key)
        assert rec is not None
        return rec

    def get_experiment(self, ws_id: int, key: str) -> ExperimentRecord | None:
        q = select(experiments).where(experiments.c.workspace_id == ws_id, experiments.c.key == key)
        with self.store.engine.connect() as conn:
            row = conn.execute(q).first()
        return _experiment(row) if row else None

    def list_experiments(
        self, ws_id: int, *, experience_key: str | None = None, status: str | None = None
    ) -> list[ExperimentRecord]:
        q = select(experiments).where(experiments.c.workspace_id == ws_id)
        if experience_key is not None:
            q = q.where(experiments.c.experience_key == experience_key)
        if status is not None:
            q = q.where(experiments.c.status == status)
        with self.store.engine.connect() as conn:
            return [_experiment(r) for r in conn.execute(q.order_by(experiments.c.id))]

    def set_status(self, ws_id: int, key: str, status: str) -> bool:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        q = (
            update(experiments)
            .where(experiments.c.workspace_id == ws_id, experiments.c.key == key)
            .values(status=status)
        )
        with self.store.engine.begin() as conn:
            return conn.execute(q).rowcount > 0

    # -- holdout -------------------------------------------------------------------------------

    def set_holdout(self, ws_id: int, share: float) -> HoldoutRecord:
        """Set the workspace holdout's share; its salt is kept, so members stay members."""
        ins = self.store._insert(holdouts).values(
            workspace_id=ws_id, share=share, salt=secrets.token_hex(8), created_at=time.time()
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[holdouts.c.workspace_id], set_={"share": ins.excluded.share}
        )
        with self.store.engine.begin() as conn:
            conn.execute(stmt)
        rec = self.get_holdout(ws_id)
        assert rec is not None
        return rec

    def get_holdout(self, ws_id: int) -> HoldoutRecord | None:
        q = select(holdouts.c.share, holdouts.c.salt).where(holdouts.c.workspace_id == ws_id)
        with self.store.engine.connect() as conn:
            row = conn.execute(q).first()
        return HoldoutRecord(row.share, row.salt) if row else None

    # -- exposures -----------------------------------------------------------------------------

    def log_exposures(self, rows: Sequence[Exposure]) -> None:
        """Record first exposures; a unit already exposed keeps its first row (idempotent).

        Executemany in chunks: one multi-row VALUES would hit SQLite's bound-parameter limit
        on a busy second's buffer.
        """
        if not rows:
            return
        stmt = self.store._insert(exposures).on_conflict_do_nothing()
        params = [
            {
                "workspace_id": r.workspace_id,
                "experiment_key": r.experiment_key,
                "unit_id": r.unit_id,
                "variant": r.variant,
                "first_ts": r.ts,
            }
            for r in rows
        ]
        with self.store.engine.begin() as conn:
            for start in range(0, len(params), WRITE_CHUNK):
                conn.execute(stmt, params[start : start + WRITE_CHUNK])

    def exposure_counts(self, ws_id: int, key: str) -> dict[str, int]:
        q = (
            select(exposures.c.variant, func.count())
            .where(exposures.c.workspace_id == ws_id, exposures.c.experiment_key == key)
            .group_by(exposures.c.variant)
        )
        with self.store.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(q)}

    def first_exposure(self, ws_id: int, key: str) -> float | None:
        """When the experiment's first unit was exposed (None: nobody yet)."""
        q = select(func.min(exposures.c.first_ts)).where(
            exposures.c.workspace_id == ws_id, exposures.c.experiment_key == key
        )
        with self.store.engine.connect() as conn:
            ts = conn.execute(q).scalar_one_or_none()
        return None if ts is None else float(ts)

    def metric_totals(
        self,
        ws_id: int,
        key: str,
        event_type: str,
        *,
        kind: str = "conversion",
        pre_window: float = 30 * 86_400.0,
        until: float | None = None,
    ) -> dict[str, VariantTotals]:
        """Per variant, the sufficient statistics of a unit-level metric after first exposure.

        ``kind="conversion"``: 1 when the unit has any ``event_type`` event after its exposure;
        ``"value"``: the sum of those events' values (revenue). ``x`` is the same measure over
        ``pre_window`` seconds before exposure, the CUPED covariate. ``until`` cuts the data at a
        moment (a daily reading of the past).
        """
        e, x = exposures.c, events.c
        after = x.ts >= e.first_ts
        if until is not None:
            after = and_(after, x.ts < until)
        before = and_(x.ts < e.first_ts, x.ts >= e.first_ts - pre_window)
        val = func.coalesce(x.value, 0.0)
        per_unit = (
            select(
                e.variant.label("variant"),
                func.sum(case((after, 1), else_=0)).label("post_n"),
                func.sum(case((after, val), else_=0.0)).label("post_v"),
                func.sum(case((before, 1), else_=0)).label("pre_n"),
                func.sum(case((before, val), else_=0.0)).label("pre_v"),
            )
            .select_from(
                exposures.outerjoin(
                    events,
                    and_(
                        x.workspace_id == e.workspace_id,
                        x.user_id == e.unit_id,
                        x.type == event_type,
                    ),
                )
            )
            .where(e.workspace_id == ws_id, e.experiment_key == key)
            .group_by(e.variant, e.unit_id)
        )
        if until is not None:
            per_unit = per_unit.where(e.first_ts < until)
        u = per_unit.subquery()
        y: ColumnElement[float]
        xv: ColumnElement[float]
        if kind == "conversion":
            y = case((func.coalesce(u.c.post_n, 0) > 0, 1.0), else_=0.0)
            xv = case((func.coalesce(u.c.pre_n, 0) > 0, 1.0), else_=0.0)
        else:
            y = func.coalesce(u.c.post_v, 0.0)
            xv = func.coalesce(u.c.pre_v, 0.0)
        q = select(
            u.c.variant,
            func.count(),
            func.sum(xv),
            func.sum(y),
            func.sum(xv * xv),
            func.sum(y * y),
            func.sum(xv * y),
        ).group_by(u.c.variant)
        with self.store.engine.connect() as conn:
            return {
                r[0]: VariantTotals(int(r[1]), *(float(v or 0.0) for v in r[2:]))
                for r in conn.execute(q)
            }

    # -- bandit statistics -----------------------------------------------------------------------

    def bandit_add(
        self,
        ws_id: int,
        bandit: str,
        arm: str,
        deltas: Mapping[str, float],
        day: tuple[int, float, float] | None = None,
    ) -> None:
        """Add to an arm's statistics atomically (``value = value + excluded.value``).

        ``day`` is (UTC day since the epoch, pulls, rewards) to add to that day's row of
        ``bandit_days`` in the same transaction, so the history sums to the totals.
        """
        if not deltas:
            return
        ins = self.store._insert(bandit_stats).values(
            [
                {"workspace_id": ws_id, "bandit": bandit, "arm": arm, "stat": k, "value": v}
                for k, v in deltas.items()
            ]
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[
                bandit_stats.c.workspace_id,
                bandit_stats.c.bandit,
                bandit_stats.c.arm,
                bandit_stats.c.stat,
            ],
            set_={"value": bandit_stats.c.value + ins.excluded.value},
        )
        with self.store.engine.begin() as conn:
            conn.execute(stmt)
            if day is not None:
                conn.execute(self._day_upsert(ws_id, bandit, arm, *day))

    def _day_upsert(
        self, ws_id: int, bandit: str, arm: str, day: int, pulls: float, rewards: float
    ) -> Any:
        ins = self.store._insert(bandit_days).values(
            workspace_id=ws_id, bandit=bandit, arm=arm, day=day, pulls=pulls, rewards=rewards
        )
        return ins.on_conflict_do_update(
            index_elements=[
                bandit_days.c.workspace_id,
                bandit_days.c.bandit,
                bandit_days.c.arm,
                bandit_days.c.day,
            ],
            set_={
                "pulls": bandit_days.c.pulls + ins.excluded.pulls,
                "rewards": bandit_days.c.rewards + ins.excluded.rewards,
            },
        )

    def bandit_days(
        self, ws_id: int, bandit: str, since_day: int
    ) -> dict[tuple[int, str], tuple[float, float]]:
        """(day, arm) -> (pulls, rewards) from ``since_day`` on."""
        c = bandit_days.c
        q = select(c.day, c.arm, c.pulls, c.rewards).where(
            c.workspace_id == ws_id, c.bandit == bandit, c.day >= since_day
        )
        with self.store.engine.connect() as conn:
            return {(int(d), a): (float(p), float(r)) for d, a, p, r in conn.execute(q)}

    def bandit_names(self, ws_id: int) -> list[str]:
        """Every bandit of the workspace that has statistics."""
        q = (
            select(bandit_stats.c.bandit)
            .where(bandit_stats.c.workspace_id == ws_id)
            .distinct()
            .order_by(bandit_stats.c.bandit)
        )
        with self.store.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def bandit_load(self, ws_id: int, bandit: str) -> dict[str, dict[str, float]]:
        q = select(bandit_stats.c.arm, bandit_stats.c.stat, bandit_stats.c.value).where(
            bandit_stats.c.workspace_id == ws_id, bandit_stats.c.bandit == bandit
        )
        out: dict[str, dict[str, float]] = {}
        with self.store.engine.connect() as conn:
            for arm, stat, value in conn.execute(q):
                out.setdefault(arm, {})[stat] = float(value)
        return out
