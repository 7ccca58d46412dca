"""A/A and power simulation for the experiment statistics, analysed every day.

Setup (from issue 5): each experiment has two arms of 1,000 new units per day for 30 days, 5%
base conversion; every day the cumulative data is tested. Printed:

- A/A (no true effect): the share of experiments ever declared significant, with the
  fixed-horizon z-test peeked at daily (the classic mistake), with a textbook confidence sequence
  tuned for 20,000 units, and with tastemaker's hybrid (:mod:`tastemaker.measure.sequential`,
  tuned to the planned 60,000 units);
- power with a true +10% relative lift: the fixed test read once at day 30, the textbook
  sequence and the hybrid under daily looks, and the hybrid's average stopping day (the first
  significant day, or 30).

Everything is vectorised over experiments with numpy; the statistic per day is the same
unpooled z that :func:`tastemaker.measure.stats.proportions_test` feeds the sequential reading.

    PYTHONPATH=src .venv/bin/python benchmarks/ab_simulation.py [--experiments 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats as sps

from tastemaker.measure.sequential import SequentialDesign, boundary

DAYS = 30
PER_DAY = 1_000
BASE = 0.05


def simulate(
    rng: np.random.Generator, experiments: int, lift: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled z, unpooled z and total units per experiment and day (experiments x days)."""
    conv_c = rng.binomial(PER_DAY, BASE, (experiments, DAYS)).cumsum(axis=1)
    conv_t = rng.binomial(PER_DAY, BASE * (1 + lift), (experiments, DAYS)).cumsum(axis=1)
    n = PER_DAY * np.arange(1, DAYS + 1, dtype=np.float64)  # per arm
    pc, pt = conv_c / n, conv_t / n
    pooled = (conv_c + conv_t) / (2 * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_pooled = (pt - pc) / np.sqrt(pooled * (1 - pooled) * 2 / n)
        z_unpooled = (pt - pc) / np.sqrt(pc * (1 - pc) / n + pt * (1 - pt) / n)
    z_pooled = np.nan_to_num(z_pooled)
    z_unpooled = np.nan_to_num(z_unpooled)
    return z_pooled, z_unpooled, np.broadcast_to(2 * n, z_pooled.shape)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--experiments", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    design = SequentialDesign(planned_n=2 * PER_DAY * DAYS, alpha=0.05)
    z95 = float(sps.norm.isf(0.025))
    start = time.perf_counter()
    print(
        f"{args.experiments} experiments x {DAYS} days, {PER_DAY} units/arm/day, base {BASE:.0%};"
        f" hybrid: alpha {design.alpha} ({design.alpha_sequential:.3f} sequential, "
        f"{design.alpha_final:.3f} at day {DAYS}), tuned for {design.planned_n} units"
    )
    for label, lift in (("A/A (no effect)", 0.0), ("+10% relative lift", 0.10)):
        zp, zu, n = simulate(rng, args.experiments, lift)
        peek_fixed = (np.abs(zp) >= z95).any(axis=1)
        once_fixed = np.abs(zp[:, -1]) >= z95
        textbook = (np.abs(zu) >= boundary(n, 0.05, 20_000)).any(axis=1)
        sig = design.significant(zu, n)
        hybrid = sig.any(axis=1)
        stop_day = np.where(hybrid, sig.argmax(axis=1) + 1, DAYS)
        print(f"\n{label}: share declared significant")
        print(f"  fixed-horizon z-test, read once at day {DAYS}: {once_fixed.mean():6.1%}")
        print(f"  fixed-horizon z-test, peeked daily:          {peek_fixed.mean():6.1%}")
        print(f"  textbook CS (tuned 20,000), daily:           {textbook.mean():6.1%}")
        print(f"  tastemaker hybrid CS, daily:                 {hybrid.mean():6.1%}")
        print(f"  hybrid average stopping day:                 {stop_day.mean():6.1f}")
        if lift:
            early = (stop_day < DAYS) & hybrid
            print(f"  hybrid stopped before day {DAYS}:               {early.mean():6.1%}")
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
