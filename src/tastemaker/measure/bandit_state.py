"""Where bandit statistics live so that they survive restarts and every worker shares them.

Both backends only ever *add* (SQL ``value = value + excluded.value`` in an upsert, Redis
``HINCRBYFLOAT`` in a MULTI/EXEC transaction), so concurrent rewards from many workers all count
and nobody overwrites anybody. Redis is used when ``TASTEMAKER_REDIS_URL`` is set (lower latency,
no write on the database per reward); otherwise the database.

Both also keep each arm's pulls and rewards per UTC day (:meth:`SqlBanditState.record`), in the
same transaction as the totals: the history behind the console's arm-share chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tastemaker.measure.bandits import PULLS, REWARDS
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

    def record(self, bandit: str, arm: str, deltas: Mapping[str, float], day: int | None) -> None:
        """:meth:`add`, and (with a ``day``) count the pull and reward in its history too."""
        counts = None
        if day is not None:
            counts = (day, float(deltas.get(PULLS, 0.0)), float(deltas.get(REWARDS, 0.0)))
        self.db.bandit_add(self.ws_id, bandit, arm, deltas, day=counts)

    def days(self, bandit: str, since_day: int) -> dict[tuple[int, str], tuple[float, float]]:
        """(day, arm) -> (pulls, rewards) from ``since_day`` on."""
        return self.db.bandit_days(self.ws_id, bandit, since_day)

    def names(self) -> list[str]:
        return self.db.bandit_names(self.ws_id)


class RedisBanditState:
    """Bandit statistics in Redis: one hash per arm, and a set naming the bandit's arms."""

    def __init__(self, client: Any, ws_id: int, prefix: str = "tastemaker") -> None:
        self.client = client
        self.ws_id = ws_id
        self.prefix = prefix

    def _key(self, bandit: str, arm: str | None = None) -> str:
        base = f"{self.prefix}:bandit:{self.ws_id}:{bandit}"
        return f"{base}:arms" if arm is None else f"{base}:arm:{arm}"

    def _days_key(self, bandit: str) -> str:
        # One hash per bandit; fields "day:arm:n" and "day:arm:r" (keys have no colons).
        return f"{self.prefix}:bandit:{self.ws_id}:{bandit}:days"

    def add(self, bandit: str, arm: str, deltas: Mapping[str, float]) -> None:
        self.record(bandit, arm, deltas, None)

    def record(self, bandit: str, arm: str, deltas: Mapping[str, float], day: int | None) -> None:
        """:meth:`add`, and (with a ``day``) count the pull and reward in its history too."""
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(self._key(bandit), arm)
        for stat, value in deltas.items():
            pipe.hincrbyfloat(self._key(bandit, arm), stat, value)
        if day is not None:
            for stat in (PULLS, REWARDS):
                pipe.hincrbyfloat(
                    self._days_key(bandit), f"{day}:{arm}:{stat}", deltas.get(stat, 0)
                )
        pipe.execute()

    def days(self, bandit: str, since_day: int) -> dict[tuple[int, str], tuple[float, float]]:
        """(day, arm) -> (pulls, rewards) from ``since_day`` on."""
        out: dict[tuple[int, str], list[float]] = {}
        for field, value in self.client.hgetall(self._days_key(bandit)).items():
            day, arm, stat = _text(field).split(":")
            if int(day) >= since_day:
                cell = out.setdefault((int(day), arm), [0.0, 0.0])
                cell[0 if stat == PULLS else 1] = float(value)
        return {k: (v[0], v[1]) for k, v in out.items()}

    def names(self) -> list[str]:
        head, tail = f"{self.prefix}:bandit:{self.ws_id}:", ":arms"
        found = {_text(k) for k in self.client.scan_iter(match=f"{head}*{tail}", count=500)}
        return sorted(k[len(head) : -len(tail)] for k in found)

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


def bandit_state(
    db: ExperimentStore, ws_id: int, settings: Settings
) -> SqlBanditState | RedisBanditState:
    """Redis when configured (the ``redis`` extra), else the database."""
    if settings.redis_url:
        import redis

        return RedisBanditState(redis.Redis.from_url(settings.redis_url), ws_id)
    return SqlBanditState(db, ws_id)
