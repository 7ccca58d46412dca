"""The statistics agree with statsmodels and scipy on fixed data, and bad data never raises."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tastemaker.measure.stats import (
    PairedStats,
    SampleStats,
    cuped_test,
    means_test,
    proportions_test,
)
from tastemaker.measure.verdict import (
    KEEP_RUNNING,
    SHIP,
    STOP_HARM,
    benjamini_hochberg,
    decide,
    holm,
    srm_check,
)

TOL = 1e-6


@pytest.mark.parametrize(("cc", "nc", "ct", "nt"), [(500, 10_000, 560, 10_000), (37, 812, 29, 790)])
def test_proportions_match_statsmodels(cc: int, nc: int, ct: int, nt: int) -> None:
    res = proportions_test(SampleStats.proportion(cc, nc), SampleStats.proportion(ct, nt))
    z, p = proportions_ztest([ct, cc], [nt, nc])
    lo, hi = confint_proportions_2indep(ct, nt, cc, nc, method="wald", compare="diff")
    assert res.statistic == pytest.approx(z, abs=TOL)
    assert res.p_value == pytest.approx(p, abs=TOL)
    assert res.ci == pytest.approx((lo, hi), abs=TOL)
    assert res.diff == pytest.approx(ct / nt - cc / nc, abs=1e-12)


def test_means_match_scipy_welch() -> None:
    rng = np.random.default_rng(7)
    c = rng.gamma(2.0, 10.0, 900)
    t = rng.gamma(2.0, 10.8, 1100)
    res = means_test(SampleStats.of(c), SampleStats.of(t))
    ref = sps.ttest_ind(t, c, equal_var=False)
    assert res.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert res.p_value == pytest.approx(ref.pvalue, abs=TOL)
    ci = ref.confidence_interval(0.95)
    assert res.ci == pytest.approx((ci.low, ci.high), abs=TOL)


def test_sufficient_statistics_add() -> None:
    a, b = [1.0, 2.0, 3.5], [4.0, 0.5]
    assert SampleStats.of(a) + SampleStats.of(b) == SampleStats.of(a + b)
    total = SampleStats.of(a + b)
    assert total.variance == pytest.approx(np.var(a + b, ddof=1))


def test_bad_data_is_a_message_not_an_exception() -> None:
    empty = proportions_test(SampleStats(), SampleStats.proportion(3, 10))
    assert empty.p_value is None and "not enough" in empty.message
    flat = means_test(SampleStats.of([2.0] * 5), SampleStats.of([2.0] * 7))
    assert flat.p_value is None and "no variation" in flat.message
    none = proportions_test(SampleStats.proportion(0, 100), SampleStats.proportion(0, 100))
    assert none.p_value is None
    zero_control = proportions_test(SampleStats.proportion(0, 500), SampleStats.proportion(9, 500))
    assert zero_control.p_value is not None and math.isnan(zero_control.lift)
    assert zero_control.as_dict()["lift"] is None
    assert decide(empty).decision == KEEP_RUNNING


def test_lift_interval_brackets_the_lift() -> None:
    res = proportions_test(SampleStats.proportion(500, 10_000), SampleStats.proportion(600, 10_000))
    assert res.lift == pytest.approx(0.2)
    assert res.lift_ci[0] < 0.2 < res.lift_ci[1]
    assert res.lift_ci[0] > 0  # significant diff, interval excludes no-lift


def test_srm_alarm() -> None:
    ok = srm_check([5_030, 4_970], [1, 1])
    assert not ok.alarm and ok.p_value is not None and ok.p_value > 0.5
    bad = srm_check([5_300, 4_700], [1, 1])
    assert bad.alarm and "mismatch" in bad.message
    ref = sps.chisquare([5_300, 4_700], [5_000, 5_000])
    assert bad.p_value == pytest.approx(ref.pvalue, abs=TOL)
    weighted = srm_check([9_000, 1_000], [0.9, 0.1])
    assert not weighted.alarm
    assert srm_check([10], [1]).message


def test_cuped_reduces_variance_and_keeps_the_effect() -> None:
    rng = np.random.default_rng(11)
    n = 4_000
    xc, xt = rng.normal(10, 3, n), rng.normal(10, 3, n)
    yc = 0.8 * xc + rng.normal(0, 1.5, n)
    yt = 0.8 * xt + rng.normal(0.1, 1.5, n)
    plain = means_test(SampleStats.of(yc), SampleStats.of(yt))
    cuped = cuped_test(PairedStats.of(xc, yc), PairedStats.of(xt, yt))
    assert cuped.extra["variance_reduction"] > 0.6
    width = cuped.ci[1] - cuped.ci[0]
    assert width < 0.65 * (plain.ci[1] - plain.ci[0])
    # Same estimate as the regression-adjusted difference computed by hand.
    theta = np.cov(np.r_[xc, xt], np.r_[yc, yt])[0, 1] / np.var(np.r_[xc, xt], ddof=1)
    mx = np.r_[xc, xt].mean()
    adj_c, adj_t = yc - theta * (xc - mx), yt - theta * (xt - mx)
    ref = sps.ttest_ind(adj_t, adj_c, equal_var=False)
    assert cuped.p_value == pytest.approx(ref.pvalue, abs=TOL)
    assert cuped.diff == pytest.approx(adj_t.mean() - adj_c.mean(), abs=1e-9)


def test_cuped_without_pre_data_falls_back() -> None:
    res = cuped_test(PairedStats.of([0.0] * 10, range(10)), PairedStats.of([0.0] * 10, range(10)))
    assert "CUPED not applied" in res.message


@pytest.mark.parametrize(
    "p", [[0.01, 0.04, 0.03, 0.2], [0.001, 0.5, 0.049, 0.049, 0.8, 0.0001], [0.3]]
)
def test_corrections_match_statsmodels(p: list[float]) -> None:
    assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]), abs=TOL)
    assert benjamini_hochberg(p) == pytest.approx(
        list(multipletests(p, method="fdr_bh")[1]), abs=TOL
    )
    assert holm([]) == [] and benjamini_hochberg([]) == []


def test_decision_words() -> None:
    win = proportions_test(SampleStats.proportion(500, 10_000), SampleStats.proportion(600, 10_000))
    loss = proportions_test(
        SampleStats.proportion(600, 10_000), SampleStats.proportion(500, 10_000), metric="revenue"
    )
    c, t = SampleStats.proportion(500, 10_000), SampleStats.proportion(505, 10_000)
    flat = proportions_test(c, t)
    assert decide(win).decision == SHIP
    assert decide(loss).decision == STOP_HARM
    assert decide(flat).decision == KEEP_RUNNING
    harmed = decide(win, [loss])
    assert harmed.decision == STOP_HARM and "revenue" in harmed.reason
    assert decide(win, srm=srm_check([5_300, 4_700], [1, 1])).decision == KEEP_RUNNING
    # A guardrail where a rise is harm (unsubscribes): more of it stops the test.
    more_unsubscribes = proportions_test(
        SampleStats.proportion(100, 10_000), SampleStats.proportion(180, 10_000), metric="unsub"
    )
    assert decide(win, [more_unsubscribes]).decision == SHIP
    stopped = decide(win, [more_unsubscribes], guardrails_higher_is_better=[False])
    assert stopped.decision == STOP_HARM and "unsub" in stopped.reason
