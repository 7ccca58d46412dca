"""The ALS ridge is chosen per workspace from its own later events, and then used."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from tastemaker import als
from tastemaker.fit import EventData, learn_from_events

N_ITEMS = 120


def _events(people: int, per_person: int = 14) -> list[EventData]:
    """Three taste groups, each taking mostly its own third of the items, in time order."""
    rng = np.random.default_rng(3)
    out = []
    for u in range(people):
        group = u % 3
        own = np.arange(group * 40, group * 40 + 40)
        picks = rng.choice(own, size=per_person, replace=False)
        for k, j in enumerate(picks):
            out.append(EventData(f"p{u}", f"i{j}", "rating", 4.0, 1_700_000_000.0 + k * 60))
        # the same item again later: held-out items are distinct items, not events
        out.append(EventData(f"p{u}", f"i{picks[0]}", "view", None, 1_700_000_000.0 + 3600))
    return out


def _rows() -> dict[str, int]:
    return {f"i{j}": j for j in range(N_ITEMS)}


def test_each_persons_latest_items_are_held_out_and_the_best_ridge_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}
    scores = dict(
        zip(als.ALS_REGULARIZATION_GRID, [0.1, 0.2, 0.5, 0.3, 0.2, 0.1, 0.1], strict=True)
    )

    def fake(ui: sparse.csr_matrix, reg: float, people: np.ndarray, targets: list) -> float:
        seen.update(ui=ui, people=people, targets=targets)
        return scores[reg]

    monkeypatch.setattr(als, "_held_out_ndcg", fake)
    events = _events(30)
    learned = learn_from_events(events, _rows(), N_ITEMS)
    assert learned.ridge is not None and learned.cf is not None
    assert learned.ridge.regularization == 2.0 == learned.cf.regularization
    assert learned.ridge.people == 30
    assert learned.ridge.report()["ndcg"]["2.0"] == 0.5

    ui, people, targets = seen["ui"], seen["people"], seen["targets"]
    assert isinstance(ui, sparse.csr_matrix)
    users = {f"p{u}": u for u in range(30)}  # first-seen order, as learn_from_events numbers them
    for p, held in zip(people, targets, strict=True):  # type: ignore[call-overload]
        mine = [e for e in events if users[e.user_id] == p]
        last: dict[int, float] = {}
        for e in mine:
            last[int(e.item_id[1:])] = max(e.ts, last.get(int(e.item_id[1:]), 0.0))
        latest = sorted(last, key=lambda j: -last[j])[: als.VALIDATION_TARGETS]
        assert sorted(held.tolist()) == sorted(latest)
        # held out of training entirely, every event of them
        assert not set(ui.indices[ui.indptr[p] : ui.indptr[p + 1]]) & set(latest)


def test_the_choice_scores_every_candidate_on_real_fits() -> None:
    learned = learn_from_events(_events(30), _rows(), N_ITEMS)
    ridge = learned.ridge
    assert ridge is not None and learned.cf is not None
    assert set(ridge.ndcg) == set(als.ALS_REGULARIZATION_GRID)
    assert all(0.0 < v <= 1.0 for v in ridge.ndcg.values())
    assert ridge.ndcg[ridge.regularization] == max(ridge.ndcg.values())
    assert learned.cf.regularization == ridge.regularization


def test_too_few_people_keep_the_default_ridge() -> None:
    learned = learn_from_events(_events(als.VALIDATION_MIN_PEOPLE - 1), _rows(), N_ITEMS)
    assert learned.ridge is not None and learned.cf is not None
    assert learned.ridge.people == 0 and learned.ridge.ndcg == {}
    assert learned.cf.regularization == als.ALS_REGULARIZATION


def test_a_given_ridge_is_used_without_choosing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> float:
        raise AssertionError("chose again")

    monkeypatch.setattr(als, "_held_out_ndcg", fail)
    learned = learn_from_events(_events(30), _rows(), N_ITEMS, regularization=7.0)
    assert learned.ridge is None
    assert learned.cf is not None and learned.cf.regularization == 7.0
