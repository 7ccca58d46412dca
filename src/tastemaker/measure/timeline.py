"""Series over time for the console's charts: an experiment day by day, a bandit's arm shares.

Nothing here defines a metric or a test of its own. An experiment's daily answer and conversion
rates per variant are the report's (:func:`tastemaker.measure.metrics.report`, same definitions,
same SQL); its lift over control is the analysis's own comparison
(:func:`tastemaker.measure.analysis.compare` on :meth:`ExperimentStore.metric_totals`) read as of
the end of each day, so the last point of the lift series is what the analysis says now and the
earlier ones are what it would have said then (cumulative data, not a per-day lift, which would
be too noisy to read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scipy import stats as sps

from tastemaker.experiences import ExperienceSpec
from tastemaker.measure.analysis import compare, paired
from tastemaker.measure.bandits import PULLS, REWARDS
from tastemaker.measure.design import ExperimentSpec
from tastemaker.measure.metrics import DAY, Period, report
from tastemaker.store.experiments import ExperimentStore

if TYPE_CHECKING:
    from tastemaker.store import Store

# What the console charts per variant and day (names as in measure.metrics.derive).
DAILY_METRICS = ("answer_rate", "conversion_rate", "results", "visitors")
MAX_DAYS = 90


def day_index(ts: float) -> int:
    """UTC days since the epoch: the key of a day's row."""
    return int(ts // DAY)


def iso_day(day: int) -> str:
    return datetime.fromtimestamp(day * DAY, UTC).date().isoformat()


def experiment_timeline(
    store: Store,
    db: ExperimentStore,
    ws_id: int,
    key: str,
    spec: ExperimentSpec,
    created_at: float,
    experience: ExperienceSpec | None,
    *,
    days: int,
    now: float,
) -> dict[str, Any]:
    """Per day since the experiment's first exposure (at most ``days``): rates by variant and
    the cumulative lift.

    ``experience`` is the spec the experiment varies; without it (deleted since) the daily rates
    are left out and the lift, which needs only exposures and events, is still given.
    """
    names = [v.name for v in spec.variants]
    control, treatments = names[0], names[1:]
    period = Period.last_days(days, now)
    # From the first exposure (or the declaration, before anyone is exposed), within the window.
    exposed = db.first_exposure(ws_id, key)
    start = created_at if exposed is None else min(created_at, exposed)
    first = max(day_index(period.since), day_index(start))
    last = day_index(now)
    day_list = list(range(first, last + 1))

    daily: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    objective_metric = None
    if experience is not None:
        rep = report(store, ws_id, {experience.key: experience}, period, experience=experience.key)
        exp = rep["experiences"][0]
        objective_metric = exp["objective_metric"]
        for row in exp["variants"]:
            if row["variant"] in daily:
                daily[row["variant"]] = [
                    {"day": d["day"], **{m: d.get(m) for m in DAILY_METRICS}}
                    for d in row["days"]
                    if d["day"] >= iso_day(first)
                ]

    lift: dict[str, list[dict[str, Any]]] = {t: [] for t in treatments}
    for d in day_list:
        until = min((d + 1) * DAY, now)
        totals = db.metric_totals(ws_id, key, spec.metric.event, kind=spec.metric.kind, until=until)
        base = paired(totals.get(control))
        for t in treatments:
            res = compare(spec.metric, base, paired(totals.get(t)), spec.alpha).as_dict()
            lift[t].append(
                {
                    "day": iso_day(d),
                    "control_units": res["control"]["n"],  # type: ignore[index]
                    "units": res["treatment"]["n"],  # type: ignore[index]
                    "lift": res["lift"],
                    "lift_ci": res["lift_ci"],
                    "p_value": res["p_value"],
                    "significant": res["significant"],
                    "message": res["message"],
                }
            )
    return {
        "experiment": key,
        "experience": spec.experience,
        "control": control,
        "metric": spec.metric.name,
        "alpha": spec.alpha,
        "days": [iso_day(d) for d in day_list],
        "daily_metric_source": objective_metric,
        "daily": daily,
        "lift": lift,
    }


def beta_posterior(pulls: float, rewards: float) -> dict[str, float]:
    """Mean and 95% credible interval of an arm's rate under the bandit's Beta(1, 1) prior."""
    a = 1.0 + max(0.0, min(rewards, pulls))
    b = 1.0 + max(0.0, pulls - rewards)
    lo, hi = sps.beta.ppf([0.025, 0.975], a, b)
    return {"mean": a / (a + b), "low": float(lo), "high": float(hi)}


def arm_shares(
    history: Mapping[tuple[int, str], tuple[float, float]],
    arms: list[str],
    first_day: int,
    last_day: int,
) -> list[dict[str, Any]]:
    """Per day: each arm's pulls, rewards and share of that day's pulls (None on a quiet day)."""
    out = []
    for d in range(first_day, last_day + 1):
        total = sum(history.get((d, a), (0.0, 0.0))[0] for a in arms)
        for a in arms:
            pulls, rewards = history.get((d, a), (0.0, 0.0))
            out.append(
                {
                    "day": iso_day(d),
                    "arm": a,
                    "pulls": pulls,
                    "rewards": rewards,
                    "share": pulls / total if total else None,
                }
            )
    return out


def bandit_arms(stats: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Each arm's totals, observed rate and posterior (what the policy believes now)."""
    rows: list[dict[str, Any]] = []
    total = sum(s.get(PULLS, 0.0) for s in stats.values())
    for arm in sorted(stats):
        n, r = stats[arm].get(PULLS, 0.0), stats[arm].get(REWARDS, 0.0)
        rows.append(
            {
                "arm": arm,
                "pulls": n,
                "rewards": r,
                "rate": r / n if n else 0.0,
                "share": n / total if total else 0.0,
                "posterior": beta_posterior(n, r),
            }
        )
    return rows


__all__ = [
    "DAILY_METRICS",
    "MAX_DAYS",
    "arm_shares",
    "bandit_arms",
    "beta_posterior",
    "day_index",
    "experiment_timeline",
    "iso_day",
]
