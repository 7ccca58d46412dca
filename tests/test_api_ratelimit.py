"""Request rate per key: 429 with Retry-After, per key, shared through Redis when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.api.ratelimit import KeyRateLimiter
from tastemaker.engine import Engine
from tastemaker.errors import TooManyRequests
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

REDIS_URL = os.environ.get("TASTEMAKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def _app(store: Store, tmp_path: Any, **settings: Any) -> TestClient:
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url, **settings))
    return TestClient(create_app(engine))


def test_over_the_rate_is_429_with_retry_after(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> None:
    key = store.create_api_key(workspace.slug, "public")
    other = store.create_api_key(workspace.slug, "public")
    with _app(store, tmp_path, rate_limit="3/minute") as client:
        auth = {"Authorization": f"Bearer {key}"}
        codes = [client.get("/v1/experiences", headers=auth).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/v1/experiences", headers=auth)
        assert refused.json()["error"]["type"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # per key: another key of the same workspace has its own budget
        assert client.get(
            "/v1/experiences", headers={"Authorization": f"Bearer {other}"}
        ).is_success


def test_unknown_keys_are_401_and_cost_no_counter(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> None:
    with _app(store, tmp_path, rate_limit="1/minute") as client:
        for _ in range(3):
            r = client.get("/v1/experiences", headers={"Authorization": "Bearer nope"})
            assert r.status_code == 401


def test_empty_limit_means_unlimited() -> None:
    limiter = KeyRateLimiter("")
    for _ in range(1000):
        limiter.check("k")


@pytest.fixture
def redis_url() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield REDIS_URL


def test_redis_counts_are_shared_between_workers(redis_url: str) -> None:
    """Two limiters on one Redis stand for two worker processes: they share one budget."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one = KeyRateLimiter("4/minute", redis_url, prefix)
    two = KeyRateLimiter("4/minute", redis_url, prefix)
    try:
        one.check("k")
        two.check("k")
        one.check("k")
        two.check("k")
        with pytest.raises(TooManyRequests) as refused:
            one.check("k")
        assert refused.value.retry_after >= 1
    finally:
        one.reset()


def test_redis_down_lets_requests_through() -> None:
    """A limiter that failed closed would turn a Redis outage into an API outage."""
    limiter = KeyRateLimiter("1/minute", "redis://127.0.0.1:1/0")
    for _ in range(3):
        limiter.check("k")
