"""Bandits: Thompson sampling over creative variants, linear Thompson sampling over prompts.

Both policies are pure functions of *additive* statistics (counts and sums), which is what lets
every worker share one state with atomic increments (SQL ``SET value = value + :d`` or Redis
``HINCRBYFLOAT``) instead of read-modify-write: two workers rewarding the same arm at the same
instant both count. :mod:`tastemaker.measure.bandit_state` holds the backends.

- :class:`ThompsonSampling`: Beta-Bernoulli Thompson sampling (Beta(1, 1) priors) over titles,
  templates or prompts. ``burn_in`` pulls each arm that many times first (round-robin on the
  least-pulled arm), so a brand sees every creative run before the policy starts to prefer one;
  ``min_share`` then keeps each arm at or above that share of traffic (an arm below it gets the
  next pull), so the estimate of every arm keeps improving and an arm that is losing by bad luck
  can recover. Both are "top-ups" rather than a uniform mix: they cost traffic only when
  sampling alone would starve an arm.
- :class:`LinearThompson`: one Bayesian linear model of the reward per arm (disjoint linear
  Thompson sampling, Agrawal & Goyal 2013) on context features (time of day, device, new vs
  returning): the adaptive prompt. ``noise`` is the reward's standard deviation; 0.5 is the
  largest a 0/1 reward can have, so the posterior is never overconfident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Stats = Mapping[str, Mapping[str, float]]  # arm -> statistic name -> value
FloatArray = npt.NDArray[np.float64]

PULLS = "n"
REWARDS = "r"


class BanditState(Protocol):
    """Where a bandit's additive statistics live (memory, SQL, Redis)."""

    def add(self, bandit: str, arm: str, deltas: Mapping[str, float]) -> None:
        """Atomically add each delta to the arm's statistic (missing statistics start at 0)."""

    def load(self, bandit: str) -> dict[str, dict[str, float]]:
        """Every arm's statistics."""


class MemoryState:
    """In-process state: for simulations, tests and single-process embedders."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, dict[str, float]]] = {}

    def add(self, bandit: str, arm: str, deltas: Mapping[str, float]) -> None:
        stats = self._data.setdefault(bandit, {}).setdefault(arm, {})
        for k, v in deltas.items():
            stats[k] = stats.get(k, 0.0) + v

    def load(self, bandit: str) -> dict[str, dict[str, float]]:
        return {a: dict(s) for a, s in self._data.get(bandit, {}).items()}


def thompson_choice(
    pulls: FloatArray,
    rewards: FloatArray,
    rng: np.random.Generator,
    *,
    min_share: float = 0.0,
    burn_in: int = 0,
) -> int:
    """The arm to pull next, from per-arm pull and reward totals (0/1 rewards)."""
    k = pulls.size
    least = int(np.argmin(pulls))
    if pulls[least] < burn_in:
        return least
    total = pulls.sum()
    if min_share > 0 and total > 0:
        shortfall = min_share * (total + 1) - pulls
        worst = int(np.argmax(shortfall))
        if shortfall[worst] > 1.0:
            return worst
    successes = np.clip(rewards, 0.0, pulls)
    draws = rng.beta(1.0 + successes, 1.0 + pulls - successes, size=k)
    return int(np.argmax(draws))


@dataclass(frozen=True, slots=True)
class ThompsonSampling:
    """Thompson sampling over named arms, with burn-in and a per-arm floor."""

    arms: tuple[str, ...]
    min_share: float = 0.01
    burn_in: int = 20

    def __post_init__(self) -> None:
        if len(self.arms) < 2 or len(set(self.arms)) != len(self.arms):
            raise ValueError("a bandit needs at least two distinct arms")
        if not 0 <= self.min_share * len(self.arms) < 1:
            raise ValueError("min_share times the number of arms must be below 1")

    def choose(self, stats: Stats, rng: np.random.Generator) -> str:
        pulls = np.array([stats.get(a, {}).get(PULLS, 0.0) for a in self.arms])
        rewards = np.array([stats.get(a, {}).get(REWARDS, 0.0) for a in self.arms])
        i = thompson_choice(pulls, rewards, rng, min_share=self.min_share, burn_in=self.burn_in)
        return self.arms[i]

    @staticmethod
    def deltas(reward: float) -> dict[str, float]:
        """What one observed reward adds to its arm's statistics."""
        return {PULLS: 1.0, REWARDS: float(reward)}


# -- contextual ------------------------------------------------------------------------------

TIMES_OF_DAY = ("night", "morning", "afternoon", "evening")
DEVICES = ("mobile", "desktop")


def time_of_day(hour: int | None) -> str | None:
    if hour is None or not 0 <= hour <= 23:
        return None
    return TIMES_OF_DAY[hour // 6]


def context_features(
    *, time: str | None = None, device: str | None = None, returning: bool = False
) -> FloatArray:
    """One-hot context: bias, time of day (4), device (mobile, desktop; else other), returning.

    Unknown values leave their block at zero, so the bias and the known parts still decide.
    """
    x = np.zeros(1 + len(TIMES_OF_DAY) + len(DEVICES) + 1)
    x[0] = 1.0
    if time in TIMES_OF_DAY:
        x[1 + TIMES_OF_DAY.index(time)] = 1.0
    if device in DEVICES:
        x[1 + len(TIMES_OF_DAY) + DEVICES.index(device)] = 1.0
    x[-1] = 1.0 if returning else 0.0
    return x


N_FEATURES = context_features().size


@dataclass(frozen=True, slots=True)
class LinearThompson:
    """Disjoint linear Thompson sampling: a ridge posterior of the reward per arm.

    Statistics per arm: ``A:i:j`` (i <= j) for ``I * ridge + sum x x^T`` and ``b:i`` for
    ``sum reward * x``; both add, so they persist like any other bandit's.
    """

    arms: tuple[str, ...]
    dim: int = N_FEATURES
    ridge: float = 1.0
    noise: float = 0.5

    def __post_init__(self) -> None:
        if len(self.arms) < 2 or len(set(self.arms)) != len(self.arms):
            raise ValueError("a bandit needs at least two distinct arms")

    def _posterior(self, stats: Mapping[str, float]) -> tuple[FloatArray, FloatArray]:
        a = np.eye(self.dim) * self.ridge
        b = np.zeros(self.dim)
        for key, v in stats.items():
            part = key.split(":")
            if part[0] == "A" and len(part) == 3:
                i, j = int(part[1]), int(part[2])
                a[i, j] += v
                if i != j:
                    a[j, i] += v
            elif part[0] == "b" and len(part) == 2:
                b[int(part[1])] += v
        return a, b

    def choose(self, stats: Stats, x: FloatArray, rng: np.random.Generator) -> str:
        scores = np.empty(len(self.arms))
        for k, arm in enumerate(self.arms):
            a, b = self._posterior(stats.get(arm, {}))
            cov = np.linalg.inv(a)
            mean = cov @ b
            theta = rng.multivariate_normal(mean, self.noise**2 * cov, method="cholesky")
            scores[k] = float(x @ theta)
        return self.arms[int(np.argmax(scores))]

    def deltas(self, x: FloatArray, reward: float) -> dict[str, float]:
        return linear_deltas(x, reward)


def linear_deltas(x: FloatArray, reward: float) -> dict[str, float]:
    """What one observed reward in context ``x`` adds to its arm (only non-zero cells)."""
    out: dict[str, float] = {PULLS: 1.0, REWARDS: float(reward)}
    nz = [int(i) for i in np.flatnonzero(x)]
    for p, i in enumerate(nz):
        for j in nz[p:]:
            out[f"A:{i}:{j}"] = float(x[i] * x[j])
        out[f"b:{i}"] = float(reward * x[i])
    return out


class Bandit:
    """A named bandit bound to its state backend: choose an arm, record its reward."""

    def __init__(
        self,
        name: str,
        policy: ThompsonSampling | LinearThompson,
        state: BanditState,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self.state = state
        self.rng = rng or np.random.default_rng()

    def choose(self, context: FloatArray | None = None) -> str:
        stats = self.state.load(self.name)
        if isinstance(self.policy, LinearThompson):
            x = context if context is not None else context_features()
            return self.policy.choose(stats, x, self.rng)
        return self.policy.choose(stats, self.rng)

    def reward(self, arm: str, reward: float, context: FloatArray | None = None) -> None:
        if arm not in self.policy.arms:
            raise ValueError(f"unknown arm {arm!r}")
        if isinstance(self.policy, LinearThompson):
            x = context if context is not None else context_features()
            self.state.add(self.name, arm, self.policy.deltas(x, reward))
        else:
            self.state.add(self.name, arm, ThompsonSampling.deltas(reward))

    def summary(self) -> list[dict[str, float | str]]:
        stats = self.state.load(self.name)
        rows: list[dict[str, float | str]] = []
        for arm in self.policy.arms:
            s: Mapping[str, float] = stats.get(arm, {})
            n, r = s.get(PULLS, 0.0), s.get(REWARDS, 0.0)
            rows.append({"arm": arm, "pulls": n, "rewards": r, "rate": r / n if n else 0.0})
        return rows
