"""Fixed-horizon statistics for experiments, computed from sufficient statistics.

Totals (``n``, ``sum``, ``sum_squares``) come from SQL, per variant and day, add together, and only
then get analysed; nothing here needs the raw rows. The tests match ``statsmodels`` and ``scipy``
on the same data (to 1e-6):

- proportions: the pooled two-sample z-test of ``statsmodels.stats.proportion.proportions_ztest``
  for the p-value, and the unpooled Wald interval of ``confint_proportions_2indep`` for the
  difference (pooling is right under the null, the interval is about the alternative);
- means: Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``).

Bad data (no units, zero variance, a zero control mean) comes back as a :class:`TestResult` with a
``message`` and no p-value, never as an exception: a dashboard of twenty metrics should not fail
because one of them has no conversions yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Sufficient statistics of one metric in one group: count, sum, sum of squares.

    For a 0/1 conversion ``sum_squares == sum``; build those with :meth:`proportion`.
    """

    n: int = 0
    sum: float = 0.0
    sum_squares: float = 0.0

    @classmethod
    def proportion(cls, conversions: int, n: int) -> SampleStats:
        return cls(n=n, sum=float(conversions), sum_squares=float(conversions))

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> SampleStats:
        a = np.asarray(values, dtype=np.float64)
        return cls(n=int(a.size), sum=float(a.sum()), sum_squares=float((a * a).sum()))

    def __add__(self, other: SampleStats) -> SampleStats:
        return SampleStats(
            self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1), as scipy's t-test uses; never negative from rounding."""
        if self.n < 2:
            return math.nan
        return max(0.0, (self.sum_squares - self.sum * self.sum / self.n) / (self.n - 1))


@dataclass(frozen=True, slots=True)
class PairedStats:
    """Sufficient statistics of a metric ``y`` and its pre-exposure covariate ``x`` (for CUPED)."""

    n: int = 0
    sum_x: float = 0.0
    sum_y: float = 0.0
    sum_xx: float = 0.0
    sum_yy: float = 0.0
    sum_xy: float = 0.0

    @classmethod
    def of(cls, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> PairedStats:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        if xa.shape != ya.shape:
            raise ValueError("x and y must have the same length")
        return cls(
            int(xa.size),
            float(xa.sum()),
            float(ya.sum()),
            float((xa * xa).sum()),
            float((ya * ya).sum()),
            float((xa * ya).sum()),
        )

    def __add__(self, other: PairedStats) -> PairedStats:
        return PairedStats(
            self.n + other.n,
            self.sum_x + other.sum_x,
            self.sum_y + other.sum_y,
            self.sum_xx + other.sum_xx,
            self.sum_yy + other.sum_yy,
            self.sum_xy + other.sum_xy,
        )

    @property
    def y(self) -> SampleStats:
        return SampleStats(self.n, self.sum_y, self.sum_yy)

    @property
    def x(self) -> SampleStats:
        return SampleStats(self.n, self.sum_x, self.sum_xx)

    @property
    def covariance(self) -> float:
        if self.n < 2:
            return math.nan
        return (self.sum_xy - self.sum_x * self.sum_y / self.n) / (self.n - 1)


@dataclass(frozen=True, slots=True)
class TestResult:
    """The comparison of a treatment with its control on one metric.

    ``diff`` is treatment minus control; ``lift`` is ``diff / control_mean`` with a delta-method
    interval. ``p_value`` is None, and ``message`` says why, when the data cannot be tested.
    """

    __test__ = False  # not a pytest test class, despite the name

    metric: str
    test: str
    control: SampleStats
    treatment: SampleStats
    control_mean: float
    treatment_mean: float
    diff: float
    ci: tuple[float, float]
    lift: float
    lift_ci: tuple[float, float]
    statistic: float
    p_value: float | None
    alpha: float
    message: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < self.alpha

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "test": self.test,
            "control": {"n": self.control.n, "mean": _finite(self.control_mean)},
            "treatment": {"n": self.treatment.n, "mean": _finite(self.treatment_mean)},
            "diff": _finite(self.diff),
            "ci": [_finite(v) for v in self.ci],
            "lift": _finite(self.lift),
            "lift_ci": [_finite(v) for v in self.lift_ci],
            "p_value": self.p_value,
            "significant": self.significant,
            "alpha": self.alpha,
            "message": self.message,
            **{k: _finite(v) for k, v in self.extra.items()},
        }


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


_NAN2 = (math.nan, math.nan)


def _untestable(
    metric: str, test: str, control: SampleStats, treatment: SampleStats, alpha: float, msg: str
) -> TestResult:
    return TestResult(
        metric=metric,
        test=test,
        control=control,
        treatment=treatment,
        control_mean=control.mean,
        treatment_mean=treatment.mean,
        diff=treatment.mean - control.mean if control.n and treatment.n else math.nan,
        ci=_NAN2,
        lift=math.nan,
        lift_ci=_NAN2,
        statistic=math.nan,
        p_value=None,
        alpha=alpha,
        message=msg,
    )


def _lift(
    mean_c: float, var_mean_c: float, mean_t: float, var_mean_t: float, z: float
) -> tuple[float, tuple[float, float]]:
    """Relative lift ``mean_t / mean_c - 1`` and its delta-method interval.

    ``var_mean_*`` are the variances of the two means (variance / n). The delta method is what
    GrowthBook and most engines use; it is accurate once each arm has a few hundred units.
    """
    if mean_c == 0 or not math.isfinite(mean_c):
        return math.nan, _NAN2
    lift = mean_t / mean_c - 1.0
    var = var_mean_t / mean_c**2 + mean_t**2 * var_mean_c / mean_c**4
    half = z * math.sqrt(var)
    return lift, (lift - half, lift + half)


def _check(control: SampleStats, treatment: SampleStats, alpha: float) -> str:
    if not 0 < alpha < 1:
        return f"alpha must be between 0 and 1, not {alpha}"
    if control.n < 2 or treatment.n < 2:
        return "not enough units yet (each group needs at least 2)"
    return ""


def proportions_test(
    control: SampleStats, treatment: SampleStats, *, alpha: float = 0.05, metric: str = "conversion"
) -> TestResult:
    """Two-sided two-proportion z-test (pooled, as ``proportions_ztest``) with a Wald interval."""
    name = "two-proportion z-test"
    if msg := _check(control, treatment, alpha):
        return _untestable(metric, name, control, treatment, alpha, msg)
    if not (0 <= control.sum <= control.n and 0 <= treatment.sum <= treatment.n):
        return _untestable(metric, name, control, treatment, alpha, "conversions exceed units")
    pc, pt = control.mean, treatment.mean
    pooled = (control.sum + treatment.sum) / (control.n + treatment.n)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n))
    if se0 == 0:
        return _untestable(
            metric, name, control, treatment, alpha, "no variation: every unit has the same value"
        )
    zstat = (pt - pc) / se0
    p = float(2 * sps.norm.sf(abs(zstat)))
    vc, vt = pc * (1 - pc) / control.n, pt * (1 - pt) / treatment.n
    zq = float(sps.norm.isf(alpha / 2))
    half = zq * math.sqrt(vc + vt)
    lift, lift_ci = _lift(pc, vc, pt, vt, zq)
    return TestResult(
        metric, name, control, treatment, pc, pt, pt - pc, (pt - pc - half, pt - pc + half),
        lift, lift_ci, zstat, p, alpha, extra={"se": math.sqrt(vc + vt)},
    )  # fmt: skip


def means_test(
    control: SampleStats, treatment: SampleStats, *, alpha: float = 0.05, metric: str = "value"
) -> TestResult:
    """Welch's two-sided t-test (unequal variances) and its interval for the difference."""
    name = "Welch t-test"
    if msg := _check(control, treatment, alpha):
        return _untestable(metric, name, control, treatment, alpha, msg)
    vc, vt = control.variance / control.n, treatment.variance / treatment.n
    se = math.sqrt(vc + vt)
    if se == 0:
        return _untestable(
            metric, name, control, treatment, alpha, "no variation: every unit has the same value"
        )
    res = sps.ttest_ind_from_stats(
        treatment.mean,
        math.sqrt(treatment.variance),
        treatment.n,
        control.mean,
        math.sqrt(control.variance),
        control.n,
        equal_var=False,
    )
    dof = (vc + vt) ** 2 / (vc**2 / (control.n - 1) + vt**2 / (treatment.n - 1))
    tq = float(sps.t.isf(alpha / 2, dof))
    diff = treatment.mean - control.mean
    lift, lift_ci = _lift(control.mean, vc, treatment.mean, vt, tq)
    return TestResult(
        metric, name, control, treatment, control.mean, treatment.mean, diff,
        (diff - tq * se, diff + tq * se), lift, lift_ci, float(res.statistic), float(res.pvalue),
        alpha, extra={"dof": dof, "se": se},
    )  # fmt: skip


def cuped_test(
    control: PairedStats, treatment: PairedStats, *, alpha: float = 0.05, metric: str = "value"
) -> TestResult:
    """Welch test on CUPED-adjusted means (Deng et al. 2013).

    ``x`` is the same metric (or any covariate) measured *before* exposure, so the treatment
    cannot have moved it; ``theta = cov(x, y) / var(x)`` from both groups pooled, and each
    group's ``y`` becomes ``y - theta * (x - mean_x_all)``. The means stay unbiased and the
    variance shrinks by the squared correlation: the same precision from fewer units.
    ``extra["variance_reduction"]`` reports that share.
    """
    pooled = control + treatment
    var_x = pooled.x.variance
    if not (math.isfinite(var_x) and var_x > 0):
        res = means_test(control.y, treatment.y, alpha=alpha, metric=metric)
        msg = "no pre-exposure variation: CUPED not applied"
        return _replace_message(res, res.message or msg)
    theta = pooled.covariance / var_x
    mean_x = pooled.x.mean

    def adjusted(g: PairedStats) -> SampleStats:
        # Sum and sum of squares of y - theta * (x - mean_x), from the group's own totals.
        shift = theta * mean_x
        s = g.sum_y - theta * g.sum_x + shift * g.n
        ss = (
            g.sum_yy
            + theta**2 * g.sum_xx
            + shift**2 * g.n
            - 2 * theta * g.sum_xy
            + 2 * shift * g.sum_y
            - 2 * theta * shift * g.sum_x
        )
        return SampleStats(g.n, s, ss)

    res = means_test(adjusted(control), adjusted(treatment), alpha=alpha, metric=metric)
    raw = pooled.y.variance
    adj = (adjusted(control) + adjusted(treatment)).variance
    reduction = 1 - adj / raw if raw > 0 else 0.0
    extra = {**res.extra, "theta": theta, "variance_reduction": reduction}
    return TestResult(
        res.metric, "CUPED " + res.test, res.control, res.treatment, res.control_mean,
        res.treatment_mean, res.diff, res.ci, res.lift, res.lift_ci, res.statistic, res.p_value,
        res.alpha, res.message, extra,
    )  # fmt: skip


def _replace_message(res: TestResult, msg: str) -> TestResult:
    return TestResult(
        res.metric, res.test, res.control, res.treatment, res.control_mean, res.treatment_mean,
        res.diff, res.ci, res.lift, res.lift_ci, res.statistic, res.p_value, res.alpha, msg,
        res.extra,
    )  # fmt: skip
