"""The confidence sequence's boundary, its tuning, and the hybrid's verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tastemaker.measure.sequential import (
    SequentialDesign,
    boundary,
    rho_squared,
    sequential_reading,
)
from tastemaker.measure.stats import SampleStats, proportions_test


def test_boundary_is_tightest_at_the_tuning_n() -> None:
    ns = np.array([1_000, 10_000, 20_000, 40_000, 200_000], dtype=float)
    b = boundary(ns, 0.05, 20_000)
    assert isinstance(b, np.ndarray)
    assert int(np.argmin(b)) == 2
    # Known value of the normal-mixture boundary at its optimum for alpha = 0.05.
    assert b[2] == pytest.approx(3.035, abs=1e-3)
    assert boundary(0.0, 0.05, 20_000) == math.inf
    x = 20_000 * rho_squared(0.05, 20_000)
    assert x == pytest.approx(-2 * math.log(0.05) + math.log(1 - 2 * math.log(0.05)))


def test_hybrid_spends_the_rest_of_alpha_at_the_planned_end() -> None:
    d = SequentialDesign(planned_n=60_000, alpha=0.05, sequential_share=0.2)
    assert d.alpha_sequential == pytest.approx(0.01)
    assert d.z_final == pytest.approx(2.0537, abs=1e-4)
    z = np.array([2.5, 2.5, 4.5])
    n = np.array([30_000.0, 60_000.0, 6_000.0])
    assert d.significant(z, n).tolist() == [False, True, True]
    with pytest.raises(ValueError):
        SequentialDesign(planned_n=0)


def test_aa_false_alarms_stay_below_alpha_under_daily_looks() -> None:
    rng = np.random.default_rng(2024)
    d = SequentialDesign(planned_n=60)
    steps = rng.standard_normal((4_000, 30)).cumsum(axis=1)
    t = np.arange(1, 31, dtype=float)
    z = steps / np.sqrt(t)
    assert d.significant(z, 2 * t).any(axis=1).mean() <= 0.05


def test_sequential_reading_of_a_result() -> None:
    d = SequentialDesign(planned_n=40_000)
    c, t = SampleStats.proportion(500, 10_000), SampleStats.proportion(560, 10_000)
    res = proportions_test(c, t)
    early = sequential_reading(res, d)
    assert early.stage == "sequential" and not early.significant
    assert early.ci[0] < res.ci[0] and early.ci[1] > res.ci[1]  # wider than the fixed interval
    big = proportions_test(SampleStats.proportion(500, 10_000), SampleStats.proportion(800, 10_000))
    assert sequential_reading(big, d).significant
    end = sequential_reading(
        proportions_test(
            SampleStats.proportion(1_000, 20_000), SampleStats.proportion(1_120, 20_000)
        ),
        d,
    )
    assert end.stage == "final" and end.significant
    empty = sequential_reading(proportions_test(SampleStats(), SampleStats()), d)
    assert not empty.significant and empty.message
