"""Erasure leaves nothing: a person is loaded into every store, erased, and then every table of
the database (found by inspection, so tables added later are scanned too), the Redis keyspace
and the data directory are searched for their id and their words.

Runs on SQLite and, with ``TASTEMAKER_TEST_DATABASE_URL``, on PostgreSQL. Redis is used when it
answers at ``TASTEMAKER_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/6``), else skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import MetaData, inspect, select

from privacy_fixtures import film_engine
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn
from tastemaker.store import Store, WorkspaceRecord

REDIS_URL = os.environ.get("TASTEMAKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


@pytest.fixture
def redis_client() -> Iterator[Any]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    client.close()


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def scan_database(store: Store, needles: list[str]) -> list[str]:
    """Every (table, column) of every table in the database where a needle appears."""
    found: list[str] = []
    meta = MetaData()
    meta.reflect(store.engine)
    assert set(meta.tables) == set(inspect(store.engine).get_table_names())
    with store.engine.connect() as conn:
        for name, table in meta.tables.items():
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _text(value)
                    found += [f"{name}.{column}: {n}" for n in needles if n in text]
    return found


def scan_redis(client: Any, needles: list[str]) -> list[str]:
    found: list[str] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            content = client.get(key) or b""
        elif kind == b"hash":
            content = b" ".join(k + b"=" + v for k, v in client.hgetall(key).items())
        else:
            content = b""
        found += [f"redis {key!r}" for n in needles if n.encode() in key or n.encode() in content]
    return found


def scan_files(root: Path, needles: list[str]) -> list[str]:
    found: list[str] = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"file {path}" for n in needles if n.encode() in data]
    return found


def test_a_person_loaded_everywhere_and_erased_leaves_nothing(
    store: Store,
    workspace: WorkspaceRecord,
    tmp_path: Path,
    encoder: Encoder,
    redis_client: Any,
) -> None:
    prefix = f"tm-test-{uuid.uuid4().hex[:8]}:"
    data_dir = tmp_path / "data"
    engine = film_engine(
        store, workspace, data_dir, encoder, redis_url=REDIS_URL, redis_prefix=prefix
    )
    try:
        _load_erase_scan(engine, workspace, data_dir, redis_client, prefix)
    finally:
        engine.close()
        for key in redis_client.scan_iter(match=f"{prefix}*"):
            redis_client.delete(key)


def _load_erase_scan(
    engine: Engine, ws: WorkspaceRecord, data_dir: Path, redis_client: Any, prefix: str
) -> None:
    slug = ws.slug
    person = f"person-{uuid.uuid4().hex}"
    word = f"zq{uuid.uuid4().hex[:10]}"  # a word only this person ever said
    other = "c2"  # someone else, who must stay
    # Events, including one whose context carries the person's words; users row via ingest.
    engine.insert_events(
        slug,
        [
            EventIn(
                user_id=person,
                item_id=item,
                type="rating",
                value=5.0,
                ts=1_700_000_500.0 + k,
                context={"said": word},
            )
            for k, item in enumerate(["f1", "f7", "f11", "f17", "f4"])
        ],
    )
    # Consent history, then a remembered answer (answers + preferences) and served results.
    engine.privacy.set_consent(slug, person, {"memory": True, "marketing": True}, source="widget")
    engine.answer(slug, "films", user_id=person, text=f"a comedy about {word} under $12")
    engine.flush()
    # The model snapshot is refitted with their events in.
    engine.fit(slug)
    # Stop the background flusher so that the next answer surely waits in the buffers.
    engine._stop.set()
    if engine._flusher is not None:
        engine._flusher.join()
    engine.answer(slug, "picks", user_id=person, text=f"more {word}")
    # A cache another area keeps in Redis, following the ":u:<user id>" key convention.
    redis_client.set(f"{prefix}{slug}:u:{person}:profile", f"likes {word}")
    redis_client.hset(f"{prefix}{slug}:u:{person}:state", mapping={"last": word})
    redis_client.set(f"{prefix}{slug}:u:{other}:profile", "likes action")

    needles = [person, word]
    before = scan_database(engine.store, needles)
    tables_before = {f.split(".")[0] for f in before}
    assert {"events", "users", "consents", "answers", "served"} <= tables_before, before
    assert scan_redis(redis_client, needles)

    receipt = engine.privacy.erase(slug, person)

    assert scan_database(engine.store, needles) == []
    engine.flush()  # the buffered served result is written now: it must not name them either
    assert scan_database(engine.store, needles) == []
    assert scan_redis(redis_client, needles) == []
    assert scan_files(data_dir, needles) == []
    # Everyone else is untouched; aggregates keep counting the served results.
    assert engine.store.user_events(ws.id, other)
    assert redis_client.get(f"{prefix}{slug}:u:{other}:profile") == b"likes action"
    assert receipt["tables"]["events"] == 5
    assert receipt["tables"]["served"] == 1  # the flushed one, anonymized
    # one served result, one memory, one answer log for the report
    assert receipt["elsewhere"]["engine_buffers"] == 3
    assert receipt["elsewhere"]["redis"] == 2
    assert receipt["elsewhere"]["text_caches"] > 0  # their words were cached, and are not now
    assert receipt["model"] == "refitted without them"
    assert person not in orjson.dumps(receipt).decode()
    assert engine.privacy.export(slug, person)["tables"] == {
        t: [] for t in engine.privacy.export(slug, person)["tables"]
    }
