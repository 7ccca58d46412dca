"""Bandit simulation on Bernoulli arms: cumulative regret after a fixed number of rounds.

Five arms converting at 4.0, 4.5, 5.0, 5.5 and 6.0% (issue 5), 10,000 rounds, 30 seeds. For each
seed the 0/1 outcome of every arm in every round is drawn once (common random numbers), and
every policy sees those same outcomes:

- tastemaker's Thompson sampling (:func:`tastemaker.measure.bandits.thompson_choice`) with its
  defaults: burn-in of 20 pulls per arm and a 1% minimum share per arm;
- the same without burn-in and floor (to show what they cost);
- uniform allocation (round-robin);
- MABWiser's ``LearningPolicy.ThompsonSampling`` (``pip install mabwiser``; the ``bench``
  extra), seeded with the same seed.

Regret is the expected (pseudo-)regret, ``sum over rounds of best rate - chosen arm's rate``,
averaged over seeds. MABWiser costs about a millisecond per round, so ``--workers`` spreads the
seeds over processes.

    PYTHONPATH=src .venv/bin/python benchmarks/bandit_simulation.py [--seeds 30] [--rounds 10000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from tastemaker.measure.bandits import ThompsonSampling, thompson_choice

RATES = np.array([0.040, 0.045, 0.050, 0.055, 0.060])
DEFAULTS = ThompsonSampling(arms=tuple(f"arm{i}" for i in range(RATES.size)))

Chooser = Callable[[np.ndarray, np.ndarray, int], int]


def _run(choose: Chooser, outcomes: np.ndarray) -> float:
    k = RATES.size
    pulls, rewards = np.zeros(k), np.zeros(k)
    regret = 0.0
    best = RATES.max()
    for t in range(outcomes.shape[0]):
        arm = choose(pulls, rewards, t)
        pulls[arm] += 1
        rewards[arm] += outcomes[t, arm]
        regret += best - RATES[arm]
    return regret


def one_seed(seed: int, rounds: int, mabwiser: bool) -> dict[str, float]:
    outcomes = (np.random.default_rng(seed).random((rounds, RATES.size)) < RATES).astype(float)
    out: dict[str, float] = {}
    rng = np.random.default_rng(10_000 + seed)
    out["tastemaker TS (burn-in 20, floor 1%)"] = _run(
        lambda n, r, _t: thompson_choice(
            n, r, rng, min_share=DEFAULTS.min_share, burn_in=DEFAULTS.burn_in
        ),
        outcomes,
    )
    rng2 = np.random.default_rng(20_000 + seed)
    out["tastemaker TS (no burn-in, no floor)"] = _run(
        lambda n, r, _t: thompson_choice(n, r, rng2), outcomes
    )
    out["uniform allocation"] = _run(lambda _n, _r, t: t % RATES.size, outcomes)
    if mabwiser:
        from mabwiser.mab import MAB, LearningPolicy

        mab = MAB(list(range(RATES.size)), LearningPolicy.ThompsonSampling(), seed=seed)
        mab.fit([], [])
        # MABWiser keeps its own counts: feed it each outcome as it happens.
        regret, best = 0.0, RATES.max()
        for t in range(rounds):
            arm = int(mab.predict())
            mab.partial_fit([arm], [outcomes[t, arm]])
            regret += best - RATES[arm]
        out["MABWiser Thompson sampling"] = regret
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-mabwiser", action="store_true", help="skip the (slow) reference")
    args = ap.parse_args()
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        runs = list(
            pool.map(
                one_seed,
                range(args.seeds),
                [args.rounds] * args.seeds,
                [not args.no_mabwiser] * args.seeds,
            )
        )
    print(
        f"{RATES.size} Bernoulli arms at {', '.join(f'{r:.1%}' for r in RATES)}; "
        f"{args.rounds} rounds; mean cumulative regret over {args.seeds} seeds (± std. error)"
    )
    means: dict[str, float] = {}
    for name in runs[0]:
        vals = np.array([r[name] for r in runs])
        means[name] = float(vals.mean())
        se = vals.std(ddof=1) / np.sqrt(vals.size) if vals.size > 1 else 0.0
        print(f"  {name:40s} {vals.mean():7.1f} ± {se:4.1f}")
    ref = means.get("MABWiser Thompson sampling")
    if ref:
        ours = means["tastemaker TS (burn-in 20, floor 1%)"]
        print(f"  ratio tastemaker / MABWiser: {ours / ref:.3f}")
    print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
