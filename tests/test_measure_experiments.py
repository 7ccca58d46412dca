"""Experiments end to end: assignment, the holdout, variants changing what is served, analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy import stats as sps

from pipeline_fixtures import FILMS, film_events
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.measure.assign import bucket, choose_variant, in_holdout
from tastemaker.measure.design import ExperimentSpec, MetricSpec
from tastemaker.measure.stats import SampleStats, proportions_test
from tastemaker.measure.verdict import srm_check
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.experiments import ExperimentStore, Exposure

SPEC = {
    "key": "films",
    "name": "Film night",
    "prompt": {"kind": "text", "question": "What do you feel like watching?"},
    "output": {"kind": "list", "size": 4},
    "default_items": ["f13"],
}
EXPERIMENT = {
    "key": "short-list",
    "experience": "films",
    "target": "experience",
    "variants": [{"name": "four"}, {"name": "two", "overrides": {"output": {"size": 2}}}],
    "metric": {"event": "purchase"},
    "guardrails": [{"event": "purchase", "kind": "value"}],
    "planned_units": 2_000,
}


def test_assignment_is_deterministic_and_balanced() -> None:
    units = [f"u{i}" for i in range(20_000)]
    first = [choose_variant("salt", u, ["a", "b"], [1, 1]) for u in units]
    assert first == [choose_variant("salt", u, ["a", "b"], [1, 1]) for u in units]
    counts = Counter(first)
    assert not srm_check([counts["a"], counts["b"]], [1, 1]).alarm
    weighted = Counter(choose_variant("s2", u, ["a", "b"], [3, 1]) for u in units)
    assert weighted["a"] / len(units) == pytest.approx(0.75, abs=0.015)
    # Another salt reshuffles: the two assignments agree about half the time, no more.
    other = [choose_variant("pepper", u, ["a", "b"], [1, 1]) for u in units]
    agree = sum(x == y for x, y in zip(first, other, strict=True)) / len(units)
    assert agree == pytest.approx(0.5, abs=0.02)
    held = sum(in_holdout("h", u, 0.1) for u in units) / len(units)
    assert held == pytest.approx(0.1, abs=0.01)
    assert 0 <= bucket("x", "y") < 1
    with pytest.raises(ValueError):
        choose_variant("s", "u", ["a"], [1, 2])


@pytest.fixture()
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    store.upsert_items(
        workspace.id,
        [
            ItemIn(id=i, title=t, text=f"{t}. Genres: {', '.join(g)}", attributes={"year": y})
            for i, t, y, g, _p in FILMS
        ],
    )
    store.insert_events(
        workspace.id,
        [
            EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
            for e in film_events()
        ],
    )
    eng.save_experience(workspace.slug, SPEC)
    eng.fit(workspace.slug)
    yield eng
    eng.close()


def test_variant_changes_what_is_served(engine: Engine, workspace: WorkspaceRecord) -> None:
    engine.save_experiment(workspace.slug, ExperimentSpec.model_validate(EXPERIMENT))
    seen: dict[str, set[int]] = {"four": set(), "two": set()}
    for i in range(40):
        a = engine.answer(workspace.slug, "films", user_id=f"p{i}", text="an action movie")
        assert not a.fallback
        seen[a.variant].add(len(a.items))
        again = engine.answer(workspace.slug, "films", user_id=f"p{i}", text="a comedy")
        assert again.variant == a.variant  # sticky
    assert seen == {"four": {4}, "two": {2}}
    anonymous = engine.answer(workspace.slug, "films", text="a comedy")
    assert anonymous.variant == "default"
    engine.flush()
    counts = engine.experiments.db.exposure_counts(workspace.id, "short-list")
    assert sum(counts.values()) == 40  # first exposures only
    assert set(counts) == {"four", "two"}
    rows = engine.store.get_served(workspace.id, a.request_id)
    assert rows is not None and rows.variant == a.variant


def test_stopped_experiment_no_longer_applies(engine: Engine, workspace: WorkspaceRecord) -> None:
    engine.save_experiment(workspace.slug, ExperimentSpec.model_validate(EXPERIMENT))
    engine.experiments.set_status(workspace.id, "short-list", "stopped")
    a = engine.answer(workspace.slug, "films", user_id="p1", text="an action movie")
    assert a.variant == "default" and len(a.items) == 4
    with pytest.raises(NotFound):
        engine.experiments.set_status(workspace.id, "nope", "stopped")
    with pytest.raises(InvalidInput):
        engine.experiments.set_status(workspace.id, "short-list", "paused")


def test_invalid_variant_is_refused(engine: Engine, workspace: WorkspaceRecord) -> None:
    bad = {**EXPERIMENT, "variants": [{"name": "a"}, {"name": "b", "overrides": {"output": 5}}]}
    with pytest.raises(InvalidInput) as err:
        engine.save_experiment(workspace.slug, ExperimentSpec.model_validate(bad))
    assert "'b'" in str(err.value)
    with pytest.raises(NotFound):
        engine.save_experiment(
            workspace.slug, ExperimentSpec.model_validate({**EXPERIMENT, "experience": "nope"})
        )
    held = {**EXPERIMENT, "variants": [{"name": "a"}, {"name": "holdout"}]}
    with pytest.raises(InvalidInput):
        engine.save_experiment(workspace.slug, ExperimentSpec.model_validate(held))


def test_holdout_gets_the_curated_default(engine: Engine, workspace: WorkspaceRecord) -> None:
    engine.experiments.set_holdout(workspace.id, 0.5)
    engine.save_experiment(workspace.slug, ExperimentSpec.model_validate(EXPERIMENT))
    variants = Counter()
    for i in range(60):
        a = engine.answer(workspace.slug, "films", user_id=f"h{i}", text="an action movie")
        variants[a.variant] += 1
        if a.variant == "holdout":
            assert [it.id for it in a.items] == ["f13"] and not a.fallback
        else:
            assert a.variant in ("four", "two") and len(a.items) in (2, 4)
    assert variants["holdout"] > 10 and variants["four"] + variants["two"] > 10
    engine.flush()
    counts = engine.experiments.db.exposure_counts(workspace.id, "holdout")
    assert counts["holdout"] == variants["holdout"]
    assert counts["personalized"] == 60 - variants["holdout"]
    with pytest.raises(InvalidInput):
        engine.experiments.set_holdout(workspace.id, 0.9)


def _purchases(store: Store, ws_id: int, units: list[str], ts: float) -> None:
    store.insert_events(
        ws_id, [EventIn(user_id=u, item_id="f1", type="purchase", value=10.0, ts=ts) for u in units]
    )


def test_analysis_from_sql_totals(store: Store, workspace: WorkspaceRecord) -> None:
    db = ExperimentStore(store)
    spec = ExperimentSpec(
        key="exp",
        experience="films",
        variants=[{"name": "a"}, {"name": "b"}],  # type: ignore[list-item]
        metric=MetricSpec(event="purchase"),
        guardrails=[MetricSpec(event="purchase", kind="value")],
        planned_units=400,
    )
    db.save_experiment(workspace.id, "exp", "films", spec.model_dump())
    units_a = [f"a{i}" for i in range(200)]
    units_b = [f"b{i}" for i in range(200)]
    db.log_exposures(
        [Exposure(workspace.id, "exp", u, "a", 1_000.0) for u in units_a]
        + [Exposure(workspace.id, "exp", u, "b", 1_000.0) for u in units_b]
    )
    # 20 of a and 60 of b buy after exposure; 30 of b bought before (no effect on conversion).
    _purchases(store, workspace.id, units_a[:20], 2_000.0)
    _purchases(store, workspace.id, units_b[:60], 2_000.0)
    _purchases(store, workspace.id, units_b[100:130], 500.0)
    totals = db.metric_totals(workspace.id, "exp", "purchase")
    assert totals["a"].n == 200 and totals["a"].sum_y == 20 and totals["b"].sum_y == 60
    assert totals["b"].sum_x == 30 and totals["a"].sum_x == 0
    assert db.metric_totals(workspace.id, "exp", "purchase", until=1_500.0)["b"].sum_y == 0

    engine = Engine(store, Settings(database_url=store.url))
    out = engine.experiments.analyse(workspace.id, "exp")
    primary = next(r for r in out["results"] if r["role"] == "primary")
    # CUPED shifts each mean by theta * (its pre-period mean - the overall one): near 0.3.
    assert primary["treatment"]["mean"] == pytest.approx(0.3, abs=0.03)
    assert primary["test"].startswith("CUPED")  # b has pre-exposure purchases
    guard = next(r for r in out["results"] if r["role"] == "guardrail")
    assert guard["p_holm"] == pytest.approx(guard["p_value"])  # a single guardrail
    (decision,) = out["decisions"]
    assert decision["variant"] == "b" and decision["decision"] == "ship"
    assert not out["srm"]["alarm"] and out["status"] == "running"
    with pytest.raises(NotFound):
        engine.experiments.analyse(workspace.id, "nope")


def test_plain_test_without_pre_data_matches_statsmodels_numbers(
    store: Store, workspace: WorkspaceRecord
) -> None:
    db = ExperimentStore(store)
    spec = ExperimentSpec.model_validate({**EXPERIMENT, "key": "e2", "guardrails": []})
    db.save_experiment(workspace.id, "e2", "films", spec.model_dump())
    db.log_exposures(
        [Exposure(workspace.id, "e2", f"x{i}", "four", 0.0) for i in range(300)]
        + [Exposure(workspace.id, "e2", f"y{i}", "two", 0.0) for i in range(100)]
    )
    _purchases(store, workspace.id, [f"x{i}" for i in range(30)], 5.0)
    _purchases(store, workspace.id, [f"y{i}" for i in range(12)], 5.0)
    engine = Engine(store, Settings(database_url=store.url))
    out = engine.experiments.analyse(workspace.id, "e2")
    ref = proportions_test(SampleStats.proportion(30, 300), SampleStats.proportion(12, 100))
    (row,) = out["results"]
    assert row["p_value"] == pytest.approx(ref.p_value, abs=1e-9)
    assert out["srm"]["alarm"]  # 300 against 100 on a 1:1 split
    assert out["srm"]["p_value"] == pytest.approx(sps.chisquare([300, 100]).pvalue)
    assert out["decisions"][0]["decision"] == "keep running"


def test_exposures_keep_the_first_and_take_big_batches(
    store: Store, workspace: WorkspaceRecord
) -> None:
    db = ExperimentStore(store)
    rows = [Exposure(workspace.id, "big", f"u{i}", "a", 1.0) for i in range(12_000)]
    db.log_exposures(rows)
    db.log_exposures([Exposure(workspace.id, "big", "u1", "b", 2.0)])  # a later exposure
    assert db.exposure_counts(workspace.id, "big") == {"a": 12_000}
