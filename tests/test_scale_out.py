"""Two API workers on one store: a change made through one reaches the other within 5 seconds.

Each worker is what a server process holds: its own :class:`Engine` (its own caches, loaded
snapshot and connection pool) and its own app, sharing only the database and the data directory
(as the processes of ``tastemaker serve --workers N`` on one host do). Nothing is pushed between
them: the second one notices the change by itself, through the store's catalog version and the
experience cache's expiry, with the default settings a deployment runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

PROPAGATION_SECONDS = 5.0

ITEMS: list[dict[str, Any]] = [
    {"id": f"i{n}", "title": f"Record {n}", "text": f"a {('calm', 'loud', 'sad')[n % 3]} record"}
    for n in range(15)
]
SPEC: dict[str, Any] = {
    "key": "mood",
    "name": "Mood",
    "prompt": {"kind": "text", "question": "What are you after?"},
    "output": {"size": 3},
    "default_items": ["i0", "i1", "i2"],
}


def within(seconds: float, check: Callable[[], bool]) -> float:
    """Poll ``check`` until it holds; the seconds it took (fails the test past ``seconds``)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not seen within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - start


@pytest.fixture
def workers(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> Iterator[tuple[TestClient, TestClient, dict[str, str]]]:
    encoder: Encoder = get_encoder("static")
    store.upsert_items(workspace.id, validate_items(ITEMS))
    engines = [
        Engine(
            Store(store.url), Settings(data_dir=tmp_path, database_url=store.url), encoder=encoder
        )
        for _ in range(2)
    ]
    engines[0].save_experience(workspace.slug, SPEC)
    engines[0].fit(workspace.slug)
    admin = store.create_api_key(workspace.slug, "admin")
    with (
        TestClient(create_app(engines[0])) as one,
        TestClient(create_app(engines[1])) as two,
    ):
        yield one, two, {"Authorization": f"Bearer {admin}"}
    for e in engines:
        e.close()
        e.store.close()


def test_experience_change_reaches_the_other_worker(
    workers: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    one, two, auth = workers
    assert two.get("/v1/experiences/mood", headers=auth).json()["prompt"]["question"] == (
        "What are you after?"
    )  # the second worker has now cached the old version
    new = {**SPEC, "prompt": {**SPEC["prompt"], "question": "What's the mood tonight?"}}
    assert one.post("/v1/experiences", json=new, headers=auth).status_code == 200

    def seen() -> bool:
        r = two.get("/v1/experiences/mood", headers=auth)
        return bool(r.json()["prompt"]["question"] == "What's the mood tonight?")

    within(PROPAGATION_SECONDS, seen)


def test_catalog_change_reaches_the_other_worker(
    workers: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    one, two, auth = workers
    ask = {"text": "theremin"}
    first = two.post("/v1/experiences/mood/answer", json=ask, headers=auth).json()
    assert "new" not in {i["id"] for i in first["items"]}
    item = {"id": "new", "title": "Theremin nights", "text": "a theremin theremin record"}
    assert one.post("/v1/items", json={"items": [item]}, headers=auth).status_code == 200

    def seen() -> bool:
        r = two.post("/v1/experiences/mood/answer", json=ask, headers=auth)
        return "new" in {i["id"] for i in r.json()["items"]}

    within(PROPAGATION_SECONDS, seen)
