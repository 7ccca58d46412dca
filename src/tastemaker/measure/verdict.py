"""What to conclude: the sample-ratio check, multiple-testing corrections, and the decision.

Separate from :mod:`tastemaker.measure.stats` (which compares two groups on one metric): these
look across variants and metrics and turn the comparisons into a call a person can act on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from tastemaker.measure.stats import TestResult

SRM_ALPHA = 0.001  # the usual SRM alarm level: real mismatches give p far below it


# -- sample ratio mismatch -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Chi-square goodness of fit of the units per variant against the planned weights.

    A mismatch means assignment or logging is broken (a redirect that drops one arm, a bot
    filter that hits one variant): the effect estimates cannot be trusted, whatever they say.
    """

    counts: tuple[int, ...]
    expected: tuple[float, ...]
    statistic: float
    p_value: float | None
    alarm: bool
    message: str = ""


def srm_check(
    counts: Sequence[int], weights: Sequence[float], *, alpha: float = SRM_ALPHA
) -> SrmResult:
    """Alarm when ``p < alpha`` (0.001 by default, as most engines use)."""
    c = tuple(int(v) for v in counts)
    if len(c) != len(weights) or len(c) < 2:
        return SrmResult(c, (), math.nan, None, False, "need one weight per variant, at least 2")
    w = np.asarray(weights, dtype=np.float64)
    if (w <= 0).any():
        return SrmResult(c, (), math.nan, None, False, "weights must be positive")
    total = sum(c)
    expected = tuple(float(v) for v in w / w.sum() * total)
    if total == 0:
        return SrmResult(c, expected, math.nan, None, False, "no units yet")
    stat, p = sps.chisquare(c, expected)
    alarm = bool(p < alpha)
    msg = "sample ratio mismatch: check assignment and exposure logging" if alarm else ""
    return SrmResult(c, expected, float(stat), float(p), alarm, msg)


# -- multiple testing ------------------------------------------------------------------------


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error), as statsmodels' ``holm``."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return [float(v) for v in out]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), as ``fdr_bh``."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")[::-1]  # largest first
    ranks = np.arange(m, 0, -1)
    adj = np.minimum.accumulate(p[order] * m / ranks)
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return [float(v) for v in out]


# -- decision --------------------------------------------------------------------------------

SHIP = "ship"
KEEP_RUNNING = "keep running"
STOP_HARM = "stop: harm"


@dataclass(frozen=True, slots=True)
class Decision:
    """The plain-words call and the one sentence that explains it."""

    decision: str
    reason: str


def decide(
    primary: TestResult,
    guardrails: Sequence[TestResult] = (),
    *,
    srm: SrmResult | None = None,
    higher_is_better: bool = True,
    guardrails_higher_is_better: Sequence[bool] = (),
    significant: bool | None = None,
) -> Decision:
    """``ship`` / ``keep running`` / ``stop: harm`` for one treatment against control.

    Harm is checked first and on every guardrail: a significant loss on anything the brand
    declared it cares about stops the test even while the primary metric looks good. A sample
    ratio mismatch blocks shipping (the numbers are not trustworthy) but is not harm.
    ``significant`` overrides the primary's own verdict (the sequential test passes its own).
    ``guardrails_higher_is_better`` gives each guardrail's direction (default: higher is better).
    """
    sign = 1.0 if higher_is_better else -1.0
    sig = primary.significant if significant is None else significant
    if sig and sign * primary.diff < 0:
        return Decision(STOP_HARM, f"{primary.metric} is significantly worse")
    directions = list(guardrails_higher_is_better) + [True] * len(guardrails)
    for g, up in zip(guardrails, directions, strict=False):
        if g.significant and (g.diff < 0 if up else g.diff > 0):
            return Decision(STOP_HARM, f"guardrail {g.metric} is significantly worse")
    if srm is not None and srm.alarm:
        return Decision(KEEP_RUNNING, "sample ratio mismatch: fix assignment before deciding")
    if primary.p_value is None and significant is None:
        return Decision(KEEP_RUNNING, primary.message or "not enough data")
    if sig and sign * primary.diff > 0:
        return Decision(SHIP, f"{primary.metric} is significantly better, no guardrail harmed")
    return Decision(KEEP_RUNNING, f"no significant difference on {primary.metric} yet")
