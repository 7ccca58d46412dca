"""Where bandit statistics live so that they survive restarts and every worker shares them.

Both backends only ever *add* (SQL ``value = value + excluded.value`` in an upsert, Redis
``HINCRBYFLOAT`` in a MULTI/EXEC transaction), so concurrent rewards from many workers all count
and nobody overwrites anybody. Redis is used when ``TASTEMAKER_REDIS_URL`` is set (lower latency,
no write on the database per reward); otherwise the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tastemaker.measure.bandits import BanditState
from tastemaker.settings import Settings
from tastemaker.store.experiments import ExperimentStore


class SqlBanditState:
    """Bandit statistics in the ``bandit_stats`` table of one workspace."""

    def __init__(self, db: ExperimentStore, ws_id: int) -> None:
        self.db = db
        self.ws_id = ws_id

    def add(self, bandit: str, arm: str, deltas: Mapping[str, float]) -> None:
        self.db.bandit_add(self.ws_id, bandit, arm, deltas)

    def load(self, bandit: str) -> dict[str, dict[str, float]]:
        return self.db.bandit_load(self.ws_id, bandit)


class RedisBanditState:
    """Bandit statistics in Redis: one hash per arm, and a set naming the bandit's arms."""

    def __init__(self, client: Any, ws_id: int, prefix: str = "tastemaker") -> None:
        self.client = client
        self.ws_id = ws_id
        self.prefix = prefix

    def _key(self, bandit: str, arm: str | None = None) -> str:
        base = f"{self.prefix}:bandit:{self.ws_id}:{bandit}"
        return f"{base}:arms" if arm is None else f"{base}:arm:{arm}"

    def add(self, bandit: str, arm: str, deltas: Mapping[str, float]) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(self._key(bandit), arm)
        for stat, value in deltas.items():
            pipe.hincrbyfloat(self._key(bandit, arm), stat, value)
        pipe.execute()

    def load(self, bandit: str) -> dict[str, dict[str, float]]:
        arms = sorted(_text(a) for a in self.client.smembers(self._key(bandit)))
        pipe = self.client.pipeline(transaction=False)
        for arm in arms:
            pipe.hgetall(self._key(bandit, arm))
        return {
            arm: {_text(k): float(v) for k, v in stats.items()}
            for arm, stats in zip(arms, pipe.execute(), strict=True)
        }


def _text(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


def bandit_state(db: ExperimentStore, ws_id: int, settings: Settings) -> BanditState:
    """Redis when configured (the ``redis`` extra), else the database."""
    if settings.redis_url:
        import redis

        return RedisBanditState(redis.Redis.from_url(settings.redis_url), ws_id)
    return SqlBanditState(db, ws_id)
