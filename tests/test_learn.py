"""The ranker learner: leak-free cases, weights learned, persisted and used by rank."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from pipeline_fixtures import film_catalog, film_events, film_spec, new_answer
from tastemaker import learn
from tastemaker.catalog import Catalog
from tastemaker.encoders import get_encoder
from tastemaker.fit import EventData, learn_from_events
from tastemaker.pipeline import rank, runner
from tastemaker.pipeline.rank import SIGNALS


def _events() -> list[EventData]:
    """Forty people, each with eight to fourteen ratings over the film catalog."""
    rng = np.random.default_rng(1)
    ids = film_catalog().ids
    out = list(film_events())
    for u in range(40):
        picks = rng.choice(len(ids), size=int(rng.integers(8, 15)), replace=False)
        for k, j in enumerate(picks):
            out.append(EventData(f"p{u}", ids[j], "rating", 4.5, 1_700_001_000.0 + u * 1000 + k))
    return out


def test_cases_hold_out_the_latest_positives_without_leaking_them() -> None:
    catalog = film_catalog()
    events = _events()
    cases = learn.make_cases(catalog, events, max_cases=100)
    assert cases
    by_person: dict[str, list[learn.TrainingCase]] = {}
    for case in cases:
        by_person.setdefault(case.user_id, []).append(case)
        mine = sorted(e.ts for e in events if e.user_id == case.user_id)
        # one of the person's latest positives (all events here are positives)
        assert case.ts in mine[-learn.TARGETS_PER_PERSON :]
        target = next(e.item_id for e in events if e.user_id == case.user_id and e.ts == case.ts)
        assert catalog.ids[case.target] == target
        assert all(e.ts < case.ts for e in case.history)
        assert catalog.ids[case.target] not in {e.item_id for e in case.history}
    assert max(len(v) for v in by_person.values()) <= learn.TARGETS_PER_PERSON
    assert any(
        max(c.ts for c in v) == max(e.ts for e in events if e.user_id == u)
        for u, v in by_person.items()
    )


def test_training_snapshot_forgets_the_held_out_futures() -> None:
    catalog = film_catalog()
    events = _events()
    cases = learn.make_cases(catalog, events, max_cases=100)
    snap = learn.training_snapshot(catalog, events, cases)
    assert snap.ids == catalog.ids and snap.trained == {}
    everything = learn_from_events(events, catalog.id_to_row, catalog.size)[0]
    assert not np.allclose(snap.popularity, everything)
    # each person's events before their earliest held-out positive
    kept = [e for e in events if all(e.user_id != c.user_id or e.ts < c.ts for c in cases)]
    assert np.allclose(snap.popularity, learn_from_events(kept, catalog.id_to_row, catalog.size)[0])


def _synthetic_case(rng: np.random.Generator, n: int = 40) -> learn.CaseFeatures:
    x = rng.random((n, len(SIGNALS)))
    label = int(rng.integers(n))
    x[label, SIGNALS.index("cf")] = 1.0  # cf points at the answer; lexical is noise
    x[:, SIGNALS.index("cf")] += rng.normal(0, 0.3, n)
    return learn.CaseFeatures(x=x, label=label)


def test_a_predictive_signal_outweighs_an_uninformative_one() -> None:
    rng = np.random.default_rng(0)
    cases = [_synthetic_case(rng) for _ in range(200)]
    w = learn.fit_weights(cases)
    assert (w >= 0).all()
    assert w[SIGNALS.index("cf")] > 3 * w[SIGNALS.index("lexical")]
    assert learn.ndcg_at_10(cases, w) > learn.ndcg_at_10(cases, np.ones(len(SIGNALS)))
    # with the defaults as prior the uninformative signal stays near its prior
    prior = learn.default_weights()
    w = learn.fit_weights(cases, prior=prior)
    assert w[SIGNALS.index("cf")] > prior[SIGNALS.index("cf")]


def _with_ranker(catalog: Catalog, weights: dict[str, float]) -> Catalog:
    trained = {"ranker": {"weights": weights, "active": True}}
    return dataclasses.replace(catalog, trained=trained, _attributes_cache={})


def test_rank_uses_learned_weights_unless_the_experience_opts_out() -> None:
    only_pop = {s: (1.0 if s == "popularity" else 0.0) for s in SIGNALS}
    catalog = _with_ranker(film_catalog(), only_pop)
    enc = get_encoder("static")
    answer = runner.run(new_answer("something funny", user_id="a1"), film_spec(), catalog, enc, [])
    cand = answer.candidates
    assert cand is not None and cand.score is not None
    assert rank.signal_weights(film_spec(), catalog) == only_pop
    assert np.allclose(cand.score, cand.features["contrib_popularity"])
    off = film_spec(ranking={"learned": False})
    assert rank.signal_weights(off, catalog)["semantic"] == 1.0
    assert rank.signal_weights(film_spec(), film_catalog())["semantic"] == 1.0


def test_weights_are_learned_and_survive_save_and_load(tmp_path: Path) -> None:
    catalog = film_catalog()
    report = learn.train_ranker(catalog, _events(), get_encoder("static"))
    assert report["cases"] >= learn.MIN_CASES and report["train_cases"] > 0
    assert set(report["weights"]) == set(SIGNALS)
    assert all(w >= 0 for w in report["weights"].values())
    assert {"holdout_ndcg", "default_ndcg", "candidate_recall"} <= set(report)
    report["active"] = True
    saved = _with_ranker(catalog, report["weights"])
    saved.save(tmp_path / "snap")
    loaded = Catalog.load(tmp_path / "snap")
    assert loaded.trained["ranker"]["weights"] == report["weights"]
    assert rank.signal_weights(film_spec(), loaded) == report["weights"]
