"""Bandits: burn-in, floor, contextual learning, and state shared across stores and Redis."""

from __future__ import annotations

import os
import threading
import uuid

import numpy as np
import pytest

from tastemaker.measure.bandit_state import RedisBanditState, SqlBanditState, bandit_state
from tastemaker.measure.bandits import (
    Bandit,
    LinearThompson,
    MemoryState,
    ThompsonSampling,
    context_features,
    thompson_choice,
    time_of_day,
)
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.experiments import ExperimentStore

REDIS_URL = os.environ.get("TASTEMAKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def test_burn_in_pulls_every_arm_first() -> None:
    rng = np.random.default_rng(0)
    pulls, rewards = np.zeros(3), np.zeros(3)
    for _ in range(30):
        arm = thompson_choice(pulls, rewards, rng, burn_in=10)
        pulls[arm] += 1
        rewards[arm] += 1.0 if arm == 0 else 0.0
    assert pulls.tolist() == [10, 10, 10]


def test_floor_tops_up_a_starved_arm() -> None:
    rng = np.random.default_rng(0)
    pulls = np.array([1_000.0, 1_000.0, 5.0])
    rewards = np.array([500.0, 10.0, 0.0])  # arm 2 looks hopeless and would never be drawn
    assert thompson_choice(pulls, rewards, rng, min_share=0.05) == 2
    assert thompson_choice(pulls, rewards, rng, min_share=0.0) == 0


def test_thompson_finds_the_best_arm() -> None:
    rng = np.random.default_rng(3)
    rates = np.array([0.02, 0.05, 0.15])
    bandit = Bandit("titles", ThompsonSampling(("a", "b", "c")), MemoryState(), rng)
    for _ in range(3_000):
        arm = bandit.choose()
        bandit.reward(arm, float(rng.random() < rates["abc".index(arm)]))
    summary = {row["arm"]: row["pulls"] for row in bandit.summary()}
    assert summary["c"] > 0.6 * 3_000
    assert min(summary.values()) >= 0.01 * 3_000 - 1  # the floor holds
    with pytest.raises(ValueError):
        bandit.reward("zzz", 1.0)
    with pytest.raises(ValueError):
        ThompsonSampling(("a",))


def test_contextual_policy_learns_a_context_dependent_best_arm() -> None:
    rng = np.random.default_rng(5)
    prompts = ("mood", "occasion")
    bandit = Bandit("prompt", LinearThompson(prompts), MemoryState(), rng)

    def rate(prompt: str, device: str) -> float:  # mood wins on mobile, occasion on desktop
        return 0.30 if (prompt == "mood") == (device == "mobile") else 0.10

    for _ in range(2_000):
        device = "mobile" if rng.random() < 0.5 else "desktop"
        x = context_features(time=time_of_day(int(rng.integers(24))), device=device)
        p = bandit.choose(x)
        bandit.reward(p, float(rng.random() < rate(p, device)), x)
    picks = {
        d: [bandit.choose(context_features(time="evening", device=d)) for _ in range(200)]
        for d in ("mobile", "desktop")
    }
    assert picks["mobile"].count("mood") > 170
    assert picks["desktop"].count("occasion") > 170


def test_context_features() -> None:
    x = context_features(time="morning", device="tablet", returning=True)
    assert x.tolist() == [1, 0, 1, 0, 0, 0, 0, 1]
    assert time_of_day(23) == "evening" and time_of_day(None) is None and time_of_day(30) is None


def test_sql_state_survives_a_new_store_and_counts_every_concurrent_update(
    store: Store, workspace: WorkspaceRecord
) -> None:
    state = SqlBanditState(ExperimentStore(store), workspace.id)
    policy = ThompsonSampling(("a", "b"))

    def work() -> None:
        for _ in range(25):
            state.add("titles", "a", policy.deltas(1.0))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lin = LinearThompson(("x", "y"))
    state.add("prompt", "x", lin.deltas(context_features(device="mobile"), 1.0))
    other = Store(store.url)  # another process's view: a new engine and connection pool
    try:
        again = SqlBanditState(ExperimentStore(other), workspace.id)
        assert again.load("titles") == {"a": {"n": 100.0, "r": 100.0}}
        assert again.load("prompt")["x"]["A:0:0"] == 1.0
        assert bandit_state(ExperimentStore(other), workspace.id, Settings()).load("titles")
    finally:
        other.close()


@pytest.fixture()
def redis_client():  # type: ignore[no-untyped-def]
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at " + REDIS_URL)
    prefix = f"tmtest-{uuid.uuid4().hex[:8]}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_state_is_shared_between_clients(redis_client) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis_client
    import redis

    a = RedisBanditState(client, 7, prefix)
    other = redis.Redis.from_url(REDIS_URL)
    try:
        b = RedisBanditState(other, 7, prefix)
        threads = [
            threading.Thread(
                target=lambda: [a.add("titles", "a", {"n": 1.0, "r": 0.5}) for _ in range(50)]
            )
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        b.add("titles", "b", {"n": 2.0})
        assert b.load("titles") == {"a": {"n": 150.0, "r": 75.0}, "b": {"n": 2.0}}
        settings = Settings(redis_url=REDIS_URL)
        assert isinstance(bandit_state(None, 7, settings), RedisBanditState)  # type: ignore[arg-type]
    finally:
        other.close()


def test_redis_state_keeps_the_daily_history_and_lists_bandits(redis_client) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis_client
    state = RedisBanditState(client, 7, prefix)
    state.record("titles", "a", {"n": 1.0, "r": 1.0}, 100)
    state.record("titles", "a", {"n": 1.0, "r": 0.0}, 101)
    state.record("titles", "b", {"n": 1.0, "r": 0.0}, 101)
    state.add("prompt", "x", {"n": 1.0})  # no day: totals only
    assert state.load("titles") == {"a": {"n": 2.0, "r": 1.0}, "b": {"n": 1.0, "r": 0.0}}
    assert state.days("titles", 101) == {(101, "a"): (1.0, 0.0), (101, "b"): (1.0, 0.0)}
    assert state.days("titles", 0)[(100, "a")] == (1.0, 1.0)
    assert state.names() == ["prompt", "titles"]
