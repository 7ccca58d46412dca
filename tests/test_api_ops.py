"""/metrics and /readyz: what a scrape shows after answers, and readiness following its parts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from test_api import ASK, EVENTS, ITEMS, MOOD


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


@pytest.fixture
def served(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any, encoder: Encoder
) -> Iterator[tuple[TestClient, Engine, str]]:
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url), encoder=encoder)
    store.upsert_items(workspace.id, validate_items(ITEMS))
    store.insert_events(workspace.id, validate_events(EVENTS))
    engine.save_experience(workspace.slug, MOOD)
    engine.save_experience(workspace.slug, ASK)
    engine.fit(workspace.slug)
    key = store.create_api_key(workspace.slug, "public")
    with TestClient(create_app(engine)) as client:
        yield client, engine, key
    engine.close()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_answers_stages_fallbacks_and_queues(
    served: tuple[TestClient, Engine, str],
) -> None:
    client, _, key = served
    auth = {"Authorization": f"Bearer {key}"}
    before = _samples(client.get("/metrics").text)
    for _ in range(3):
        r = client.post("/v1/experiences/mood/answer", json={"choice": "calm"}, headers=auth)
        assert r.status_code == 200
    page = client.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    after = _samples(page.text)

    def grew(name: str, labels: tuple[tuple[str, str], ...] = ()) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    assert grew("tastemaker_answers_total", (("kind", "answer"),)) == 3
    timed = r.json()["timings_ms"]
    assert timed  # the answer reports its stages; each has its histogram
    for stage in timed:
        assert grew("tastemaker_stage_duration_ms_count", (("stage", stage),)) == 3
    assert ("tastemaker_fallbacks_total", ()) in after
    assert ("tastemaker_guard_rejections_total", ()) in after
    assert after[("tastemaker_buffered_records", (("buffer", "served"),))] >= 0
    assert after[("tastemaker_pending_webhook_deliveries", ())] == 0


def test_readyz_follows_database_and_snapshots(
    served: tuple[TestClient, Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, engine, _ = served
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["snapshots"] >= 1

    def broken(slug: str) -> None:
        raise OSError("snapshot file missing")

    monkeypatch.setattr(engine, "catalog", broken)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["snapshots"] == "OSError"

    def down() -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(engine.store, "list_workspaces", down)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["database"] == "ConnectionError"


SCRIPT = """
import sys
from tastemaker import metrics
metrics.ANSWERS.labels("answer").inc(int(sys.argv[1]))
"""


def test_multiprocess_mode_sums_every_worker(tmp_path: Path) -> None:
    """Two processes count into one directory; one render shows their sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 5):
        subprocess.run([sys.executable, "-c", SCRIPT, str(n)], env=env, check=True)
    render = (
        "from tastemaker import metrics\n"
        "from prometheus_client import CollectorRegistry, generate_latest, multiprocess\n"
        "r = CollectorRegistry()\n"
        "multiprocess.MultiProcessCollector(r)\n"
        "print(generate_latest(r).decode())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", render], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert _samples(out)[("tastemaker_answers_total", (("kind", "answer"),))] == 7
