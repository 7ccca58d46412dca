"""Request rate per API key: a 429 with ``Retry-After`` once a key passes its limit.

The counting is the ``limits`` library's sliding-window counter (two counters per key, so a
burst at a window boundary cannot double the rate, at a fixed memory cost). Its storage is
Redis when ``TASTEMAKER_REDIS_URL`` is set, so every worker process and host shares one count
per key; otherwise it is in-process, and the limit then holds per worker.

The limit is per *key*, checked after authentication: an unknown key is refused with a 401
before it costs a counter, so guessing keys cannot fill the store with counters. A public key
is shared by every visitor of the page it is embedded in, which is why the default is
generous; it is a brake on one runaway or hostile client, not a quota.

When Redis does not answer, the request is let through and the failure logged: a limiter
that fails closed would turn a Redis outage into a full API outage.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from tastemaker.errors import TooManyRequests

log = logging.getLogger(__name__)


class KeyRateLimiter:
    """Count requests per key id against ``limit`` (``"600/second"``; empty: no limit)."""

    def __init__(self, limit: str, redis_url: str = "", prefix: str = "tastemaker:") -> None:
        self.item: RateLimitItem | None = parse(limit) if limit.strip() else None
        storage: Storage
        if redis_url:
            storage = RedisStorage(redis_url, key_prefix=f"{prefix}ratelimit")
        else:
            storage = MemoryStorage()
        self.storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    def check(self, key_id: str) -> None:
        """Count one request for ``key_id``; raise :class:`TooManyRequests` over the limit."""
        if self.item is None:
            return
        try:
            allowed = self._limiter.hit(self.item, key_id)
            if allowed:
                return
            reset = self._limiter.get_window_stats(self.item, key_id).reset_time
        except Exception:  # the limiter's storage is down: serve rather than refuse
            log.warning("rate limiter storage failed; request let through", exc_info=True)
            return
        retry_after = max(1, math.ceil(reset - time.time()))
        raise TooManyRequests(
            f"rate limit of {self.item} per key exceeded; retry in {retry_after} s",
            retry_after=retry_after,
        )

    def reset(self) -> None:
        """Forget every count (tests; an operator lifting a block)."""
        self.storage.reset()
