"""The console's series over time: an experiment's cumulative lift per day, a bandit's arm shares.

Real store (SQLite, or PostgreSQL with TASTEMAKER_TEST_DATABASE_URL); exposures and conversions
are written with chosen timestamps so each day's reading is known by hand.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from tastemaker.errors import InvalidInput
from tastemaker.ingest import EventIn
from tastemaker.measure.bandits import ThompsonSampling
from tastemaker.measure.design import ExperimentSpec
from tastemaker.measure.metrics import DAY
from tastemaker.measure.service import ExperimentService
from tastemaker.measure.timeline import arm_shares, beta_posterior, experiment_timeline
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.experiments import ExperimentStore, Exposure

DAY0 = 20_400 * DAY  # 2025-11-08, a UTC midnight


def _expose(db: ExperimentStore, ws: int, variant: str, ids: range, day: int) -> None:
    db.log_exposures(
        [Exposure(ws, "exp", f"{variant}-{i}", variant, DAY0 + day * DAY + 60) for i in ids]
    )


def _convert(store: Store, ws: int, variant: str, ids: range, day: int) -> None:
    store.insert_events(
        ws,
        [
            EventIn(user_id=f"{variant}-{i}", type="purchase", ts=DAY0 + day * DAY + 3600)
            for i in ids
        ],
    )


def test_lift_per_day_is_the_analysis_on_the_data_up_to_that_day(
    store: Store, workspace: WorkspaceRecord
) -> None:
    db = ExperimentStore(store)
    ws = workspace.id
    spec = ExperimentSpec.model_validate(
        {
            "key": "exp",
            "experience": "mood",
            "variants": [{"name": "a"}, {"name": "b"}],
            "metric": {"event": "purchase"},
        }
    )
    # Day 0: a 10/50, b 20/50. Day 1: 50 more each; a 10 more, b 25 more.
    _expose(db, ws, "a", range(50), 0)
    _expose(db, ws, "b", range(50), 0)
    _convert(store, ws, "a", range(10), 0)
    _convert(store, ws, "b", range(20), 0)
    _expose(db, ws, "a", range(50, 100), 1)
    _expose(db, ws, "b", range(50, 100), 1)
    _convert(store, ws, "a", range(50, 60), 1)
    _convert(store, ws, "b", range(50, 75), 1)

    out = experiment_timeline(
        store, db, ws, "exp", spec, DAY0, None, days=30, now=DAY0 + 2 * DAY - 1
    )
    assert out["days"] == ["2025-11-08", "2025-11-09"]
    day0, day1 = out["lift"]["b"]
    assert (day0["control_units"], day0["units"]) == (50, 50)
    assert (day1["control_units"], day1["units"]) == (100, 100)
    assert day0["lift"] == pytest.approx(0.4 / 0.2 - 1)
    assert day1["lift"] == pytest.approx(0.45 / 0.2 - 1)
    # The delta-method interval of stats._lift, by hand for day 1.
    pc, pt, n = 0.2, 0.45, 100
    var = pt * (1 - pt) / n / pc**2 + pt**2 * pc * (1 - pc) / n / pc**4
    half = 1.959963984540054 * math.sqrt(var)
    assert day1["lift_ci"] == pytest.approx([1.25 - half, 1.25 + half])
    assert day1["significant"] and day1["p_value"] < 0.05
    # Without the experience (deleted), there are no daily rates, but the lift is there.
    assert out["daily"] == {"a": [], "b": []} and out["daily_metric_source"] is None


def test_the_last_point_is_what_the_analysis_says_now(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    from tastemaker.engine import Engine

    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    try:
        engine.save_experience(
            workspace.slug,
            {"key": "mood", "name": "Mood", "prompt": {"kind": "text", "question": "Mood?"}},
        )
        decl = ExperimentSpec.model_validate(
            {
                "key": "voice",
                "experience": "mood",
                "variants": [{"name": "warm"}, {"name": "plain"}],
                "metric": {"event": "purchase"},
            }
        )
        engine.save_experiment(workspace.slug, decl)
        for i in range(40):
            engine.answer(workspace.slug, "mood", text="calm", user_id=f"u{i}")
        engine.flush()
        store.insert_events(
            workspace.id,
            [EventIn(user_id=f"u{i}", type="purchase", ts=time.time()) for i in range(0, 40, 3)],
        )
        spec = engine.get_experience(workspace.slug, "mood")
        out = engine.experiments.timeline(store, workspace.id, "voice", spec, days=7)
        now = engine.experiments.analyse(workspace.id, "voice")
        last = out["lift"]["plain"][-1]
        primary = next(r for r in now["results"] if r["variant"] == "plain")
        assert last["lift"] == primary["lift"] and last["lift_ci"] == primary["lift_ci"]
        assert sum(r["results"] or 0 for v in out["daily"].values() for r in v) >= 40
        assert out["daily_metric_source"] == "conversion_rate"
    finally:
        engine.close()


def test_bandit_history_counts_each_day_and_the_totals(
    store: Store, workspace: WorkspaceRecord
) -> None:
    service = ExperimentService(store, Settings(database_url=store.url))
    for arm, reward, day in [("a", 1, 0), ("a", 0, 0), ("b", 0, 0), ("b", 1, 1), ("b", 1, 1)]:
        service.bandit_reward(workspace.id, "titles", arm, reward, None, now=DAY0 + day * DAY)
    out = service.bandit_history(workspace.id, "titles", days=5, now=DAY0 + 2 * DAY)
    assert out["days"] == ["2025-11-08", "2025-11-09", "2025-11-10"]
    shares = {(r["day"], r["arm"]): r["share"] for r in out["shares"]}
    assert shares[("2025-11-08", "a")] == pytest.approx(2 / 3)
    assert shares[("2025-11-09", "b")] == 1.0 and shares[("2025-11-10", "a")] is None
    arms = {a["arm"]: a for a in out["arms"]}
    assert (arms["a"]["pulls"], arms["b"]["pulls"], arms["b"]["rewards"]) == (2, 3, 2)
    assert arms["b"]["posterior"]["mean"] == pytest.approx(3 / 5)  # Beta(1 + 2, 1 + 1)
    assert service.bandit_names(workspace.id) == ["titles"]
    # The history sums to the totals the policy reads.
    assert sum(r["pulls"] for r in out["shares"]) == sum(a["pulls"] for a in out["arms"])
    # A window with no pulls in it is the window, each day quiet; out of range is a 4xx error.
    quiet = service.bandit_history(workspace.id, "titles", days=1, now=DAY0 + 2 * DAY)
    assert quiet["days"] == ["2025-11-10"] and {r["share"] for r in quiet["shares"]} == {None}
    with pytest.raises(InvalidInput):
        service.bandit_history(workspace.id, "titles", days=0)


def test_beta_posterior_and_quiet_days() -> None:
    post = beta_posterior(0, 0)
    assert post["mean"] == 0.5 and post["low"] == pytest.approx(0.025)
    rows = arm_shares({}, ["a", "b"], 3, 3)
    assert [r["share"] for r in rows] == [None, None]
    assert ThompsonSampling.deltas(1.0) == {"n": 1.0, "r": 1.0}
