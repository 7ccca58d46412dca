"""The store going away and coming back: events kept and written once, answers keep coming.

No database is stopped here (other runs share it): the engine is pointed at a store whose URL
names a closed port, which fails exactly as a stopped server does (connection refused), then
back at the real one. The fault drill (``scripts/fault_drill.py``) does it to a real server.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from tastemaker import event_buffer
from tastemaker.api import create_app
from tastemaker.api.auth import KeyCache
from tastemaker.encoders import get_encoder
from tastemaker.engine import Engine
from tastemaker.event_buffer import EventBuffer, StoreUnavailable, is_store_down
from tastemaker.ingest import EventIn, validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import ApiKeyRecord, Store, WorkspaceRecord
from tastemaker.store.models import events as events_table

ITEMS: list[dict[str, Any]] = [
    {"id": f"i{n}", "title": f"Record {n}", "text": f"a {'calm' if n % 2 else 'loud'} record"}
    for n in range(12)
]
SPEC: dict[str, Any] = {
    "key": "mood",
    "name": "Mood",
    "prompt": {"kind": "text", "question": "What are you after?"},
    "output": {"size": 3},
    "default_items": ["i0", "i1", "i2"],
}


def dead_store() -> Store:
    """A store on a port nobody listens on: every call fails as against a stopped server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return Store(f"postgresql+psycopg://postgres@127.0.0.1:{port}/gone?connect_timeout=2")


def batch(start: int, n: int) -> list[EventIn]:
    return validate_events(
        [
            {"user_id": f"u{k % 5}", "item_id": f"i{k % 12}", "type": "view", "ts": 1e9 + k}
            for k in range(start, start + n)
        ]
    )


def stored_events(store: Store, ws: WorkspaceRecord) -> int:
    with store.engine.connect() as conn:
        q = select(func.count()).where(events_table.c.workspace_id == ws.id)
        return int(conn.execute(q).scalar_one())


@pytest.fixture(autouse=True)
def _retry_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pause between write attempts: the tests bring the store back instantly."""
    monkeypatch.setattr(event_buffer, "RETRY_SECONDS", 0.0)


@pytest.fixture
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    yield eng
    eng.store = store
    eng.close()


def test_dead_store_errors_count_as_down() -> None:
    dead = dead_store()
    try:
        with pytest.raises(OperationalError) as caught:
            dead.catalog_version(1)
        assert is_store_down(caught.value)
    finally:
        dead.close()
    assert not is_store_down(ValueError("a bug"))


def test_events_are_kept_while_down_and_written_once(
    engine: Engine, store: Store, workspace: WorkspaceRecord
) -> None:
    first = engine.submit_events(workspace.slug, batch(0, 10))
    assert (first.stored, first.buffered) == (10, 0)
    dead = dead_store()
    engine.store = dead
    try:
        down = [engine.submit_events(workspace.slug, batch(10 + 7 * k, 7)) for k in range(3)]
        assert [(d.stored, d.buffered) for d in down] == [(0, 7)] * 3
        assert engine.event_buffer.pending == 21
        assert not engine.event_buffer.drain()  # still down: nothing written, nothing dropped
        assert engine.event_buffer.pending == 21
    finally:
        engine.store = store
        dead.close()
    assert stored_events(store, workspace) == 10
    # Back up: the next batch first writes what waits, then itself.
    after = engine.submit_events(workspace.slug, batch(31, 4))
    assert (after.stored, after.buffered) == (4, 0)
    assert engine.event_buffer.pending == 0
    assert engine.event_buffer.written_later == 21
    # A client that re-sends what was buffered (it got a 202 and retried anyway) doubles nothing.
    again = engine.submit_events(workspace.slug, batch(10, 21))
    assert again.stored == 0
    assert stored_events(store, workspace) == 35


def test_the_flusher_writes_buffered_events_without_new_traffic(
    engine: Engine, store: Store, workspace: WorkspaceRecord
) -> None:
    engine.workspace(workspace.slug)  # a serving process knows its workspaces before an outage
    dead = dead_store()
    engine.store = dead
    try:
        assert engine.submit_events(workspace.slug, batch(0, 5)).buffered == 5
    finally:
        engine.store = store
        dead.close()
    deadline = time.monotonic() + 5
    while engine.event_buffer.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.event_buffer.pending == 0
    assert stored_events(store, workspace) == 5


def test_other_errors_reach_the_caller_and_the_buffer_is_bounded() -> None:
    def broken(slug: str, events: Any) -> int:
        raise ValueError("not a connection problem")

    with pytest.raises(ValueError):
        EventBuffer(broken).submit("w", batch(0, 1))

    def down(slug: str, events: Any) -> int:
        raise OperationalError("INSERT", {}, ConnectionRefusedError())

    buf = EventBuffer(down, max_events=10)
    assert buf.submit("w", batch(0, 6)).buffered == 6
    with pytest.raises(StoreUnavailable):
        buf.submit("w", batch(6, 6))
    assert buf.pending == 6  # the refused batch is the client's to re-send; the kept one stays


def test_requests_during_an_outage_do_not_each_try_the_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_buffer, "RETRY_SECONDS", 60.0)
    attempts: list[int] = []

    def down(slug: str, events: Any) -> int:
        attempts.append(len(events))
        raise OperationalError("INSERT", {}, ConnectionRefusedError())

    buf = EventBuffer(down)
    for k in range(5):
        assert buf.submit("w", batch(k, 1)).buffered == 1
    assert attempts == [1]  # the first batch's own write failed: the others wait a pause


def test_api_answers_and_buffers_while_the_store_is_down(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=store.url, reload_check_seconds=0.0)
    engine = Engine(store, settings, encoder=get_encoder("static"))
    store.upsert_items(workspace.id, validate_items(ITEMS))
    engine.save_experience(workspace.slug, SPEC)
    engine.fit(workspace.slug)
    key = store.create_api_key(workspace.slug, "public")
    auth = {"Authorization": f"Bearer {key}"}
    event = {"user_id": "u1", "item_id": "i1", "type": "view", "ts": 1e9}
    with TestClient(create_app(engine)) as client:
        ask = {"text": "something calm"}
        assert client.post("/v1/experiences/mood/answer", json=ask, headers=auth).status_code == 200
        dead = dead_store()
        engine.store = dead
        engine._specs = {k: (0.0, *v[1:]) for k, v in engine._specs.items()}  # all expired
        try:
            r = client.post("/v1/experiences/mood/answer", json=ask, headers=auth)
            assert r.status_code == 200, r.text
            assert r.json()["items"]  # the loaded snapshot and last-seen spec still answer
            r = client.post("/v1/events", json={"events": [event]}, headers=auth)
            assert r.status_code == 202, r.text
            assert r.json() == {"stored": 0, "received": 1, "buffered": 1}
        finally:
            engine.store = store
            dead.close()
        r = client.post("/v1/events", json={"events": [{**event, "ts": 1e9 + 1}]}, headers=auth)
        assert r.json() == {"stored": 1, "received": 1, "buffered": 0}
    engine.close()
    assert stored_events(store, workspace) == 2


def test_key_cache_serves_a_known_key_while_the_store_is_down() -> None:
    state = {"down": False}
    now = [0.0]

    def authenticate(raw: str) -> ApiKeyRecord | None:
        if state["down"]:
            raise OperationalError("SELECT", {}, ConnectionRefusedError())
        return ApiKeyRecord(workspace_id=1, workspace_slug="w", scope="public")

    cache = KeyCache(authenticate, ttl=1.0, clock=lambda: now[0])
    assert asyncio.run(cache.lookup("k")) is not None
    state["down"], now[0] = True, 5.0  # the entry expired, and the store is gone
    caller = asyncio.run(cache.lookup("k"))
    assert caller is not None and caller.workspace == "w"
    with pytest.raises(OperationalError):
        asyncio.run(cache.lookup("never-seen"))  # an unknown key is not let in on an outage


def test_a_corrupt_vector_index_costs_no_answer_and_mends_on_the_next_change(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=store.url)
    encoder = get_encoder("static")
    engine = Engine(store, settings, encoder=encoder)
    store.upsert_items(workspace.id, validate_items(ITEMS))
    engine.save_experience(workspace.slug, SPEC)
    engine.fit(workspace.slug)
    vectors = engine.model_dir(workspace.slug) / "index" / "vectors.npy"
    vectors.write_bytes(b"not an array")
    # A process starting now cannot load the snapshot: the curated items answer, flagged.
    fresh = Engine(store, settings, encoder=encoder)
    answer = fresh.answer(workspace.slug, "mood", text="calm", record=False)
    assert answer.fallback
    assert [i.id for i in answer.items] == ["i0", "i1", "i2"]
    # The next catalog change rebuilds the index instead of failing on it.
    assert engine.upsert_items(workspace.slug, validate_items([{"id": "x", "title": "X"}])) == 1
    fresh = Engine(store, settings, encoder=encoder)
    answer = fresh.answer(workspace.slug, "mood", text="calm", record=False)
    assert not answer.fallback and answer.items
    for e in (engine, fresh):
        e.close()
