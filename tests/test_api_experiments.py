"""The experiment, holdout and bandit routes, in-process over the real engine and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

SPEC = {
    "key": "mood",
    "name": "Mood",
    "prompt": {"kind": "text", "question": "How do you feel?"},
    "default_items": [],
}
EXPERIMENT = {
    "key": "voice",
    "experience": "mood",
    "target": "copywriter",
    "variants": [
        {"name": "warm"},
        {"name": "playful", "overrides": {"brand": {"voice": "playful"}}},
    ],
    "metric": {"event": "purchase"},
    "planned_units": 1_000,
}


class Env:
    def __init__(self, client: TestClient, public: str, admin: str) -> None:
        self.client = client
        self.pub = {"Authorization": f"Bearer {public}"}
        self.adm = {"Authorization": f"Bearer {admin}"}


@pytest.fixture()
def env(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Env]:
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    engine.save_experience(workspace.slug, SPEC)
    public = store.create_api_key(workspace.slug, "public")
    admin = store.create_api_key(workspace.slug, "admin")
    with TestClient(create_app(engine)) as client:
        yield Env(client, public, admin)
    engine.close()


def test_experiment_routes(env: Env, store: Store, workspace: WorkspaceRecord) -> None:
    c = env.client
    assert c.post("/v1/experiments", json=EXPERIMENT, headers=env.pub).status_code == 403
    r = c.post("/v1/experiments", json=EXPERIMENT, headers=env.adm)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running" and "salt" not in r.json()
    assert [e["key"] for e in c.get("/v1/experiments", headers=env.adm).json()["experiments"]] == [
        "voice"
    ]
    assert c.get("/v1/experiments/voice", headers=env.adm).json()["experience"] == "mood"
    bad = c.post("/v1/experiments", json={**EXPERIMENT, "variants": []}, headers=env.adm)
    assert bad.status_code == 422 and bad.json()["error"]["field"].startswith("variants")
    missing = c.get("/v1/experiments/nope/analysis", headers=env.adm)
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"

    # People answering are assigned and exposed; the analysis reads them back.
    for i in range(30):
        a = c.post("/v1/experiences/mood/answer", json={"user_id": f"p{i}", "text": "calm"},
                   headers=env.pub)  # fmt: skip
        assert a.status_code == 200
    store.insert_events(
        workspace.id, [EventIn(user_id=f"p{i}", type="purchase", ts=4e9) for i in range(10)]
    )
    out = c.get("/v1/experiments/voice/analysis", headers=env.adm).json()
    assert sum(v["units"] for v in out["variants"]) == 30
    assert out["decisions"][0]["decision"] in ("ship", "keep running", "stop: harm")
    assert out["results"][0]["metric"] == "purchase"
    r = c.post("/v1/experiments/voice/status", json={"status": "stopped"}, headers=env.adm)
    assert r.json()["status"] == "stopped"
    bad_status = c.post("/v1/experiments/voice/status", json={"status": "x"}, headers=env.adm)
    assert bad_status.status_code == 422


def test_holdout_routes(env: Env) -> None:
    c = env.client
    assert c.get("/v1/holdout/analysis", headers=env.adm).status_code == 404
    assert c.put("/v1/holdout", json={"share": 0.7}, headers=env.adm).status_code == 422
    assert c.put("/v1/holdout", json={"share": 0.2}, headers=env.adm).json() == {"share": 0.2}
    for i in range(20):
        c.post("/v1/experiences/mood/answer", json={"user_id": f"h{i}"}, headers=env.pub)
    out = c.get("/v1/holdout/analysis?event=purchase", headers=env.adm).json()
    assert out["control"] == "holdout"
    assert sum(v["units"] for v in out["variants"]) == 20


def test_bandit_routes(env: Env) -> None:
    c = env.client
    body = {"arms": ["short", "long"]}
    r = c.post("/v1/bandits/titles/choose", json=body, headers=env.pub)
    assert r.status_code == 200 and r.json()["arm"] in ("short", "long")
    for arm, reward in (("short", 1), ("short", 0), ("long", 0)):
        rr = c.post("/v1/bandits/titles/reward", json={"arm": arm, "reward": reward},
                    headers=env.pub)  # fmt: skip
        assert rr.status_code == 200
    summary = c.get("/v1/bandits/titles", headers=env.adm).json()["arms"]
    assert {s["arm"]: s["pulls"] for s in summary} == {"long": 1.0, "short": 2.0}
    ctx = {"arms": ["mood", "occasion"], "contextual": True, "context": {"hour": 21,
           "device": "mobile"}}  # fmt: skip
    assert c.post("/v1/bandits/prompt/choose", json=ctx, headers=env.pub).status_code == 200
    reward = {"arm": "mood", "reward": 1, "contextual": True, "context": {"device": "mobile"}}
    assert c.post("/v1/bandits/prompt/reward", json=reward, headers=env.pub).status_code == 200
    one = c.post("/v1/bandits/t/choose", json={"arms": ["a", "a"]}, headers=env.pub)
    assert one.status_code == 422 and one.json()["error"]["field"] == "arms"
    assert c.get("/v1/bandits/none", headers=env.adm).status_code == 404
    assert c.get("/v1/bandits/titles", headers=env.pub).status_code == 403
    listed = c.get("/v1/bandits", headers=env.adm).json()["bandits"]
    assert [b["bandit"] for b in listed] == ["prompt", "titles"]
    assert c.get("/v1/bandits", headers=env.pub).status_code == 403
    history = c.get("/v1/bandits/titles/history?days=7", headers=env.adm).json()
    today = history["days"][-1]
    shares = {r["arm"]: r["share"] for r in history["shares"] if r["day"] == today}
    assert shares == {"long": 1 / 3, "short": 2 / 3}
    assert {a["arm"]: a["posterior"]["mean"] for a in history["arms"]} == {
        "long": 1 / 3,  # Beta(1 + 0, 1 + 1)
        "short": 1 / 2,  # Beta(1 + 1, 1 + 1)
    }
    bad = c.get("/v1/bandits/titles/history?days=0", headers=env.adm)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "days"


def test_experiment_timeline_route(env: Env, store: Store, workspace: WorkspaceRecord) -> None:
    c = env.client
    assert c.post("/v1/experiments", json=EXPERIMENT, headers=env.adm).status_code == 200
    for i in range(20):
        c.post("/v1/experiences/mood/answer", json={"user_id": f"t{i}", "text": "calm"},
               headers=env.pub)  # fmt: skip
    out = c.get("/v1/experiments/voice/timeline?days=7", headers=env.adm)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["control"] == "warm" and list(body["lift"]) == ["playful"]
    assert len(body["lift"]["playful"]) == len(body["days"]) >= 1
    assert sum(d["results"] for v in body["daily"].values() for d in v) == 20
    assert c.get("/v1/experiments/voice/timeline", headers=env.pub).status_code == 403
    assert c.get("/v1/experiments/nope/timeline", headers=env.adm).status_code == 404
    assert c.get("/v1/experiments/voice/timeline?days=91", headers=env.adm).status_code == 422
