"""The privacy routes in-process: who may call what, the shapes, the one error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from privacy_fixtures import film_engine
from tastemaker.api import create_app
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.store import Store, WorkspaceRecord


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


class Env:
    def __init__(self, client: TestClient, engine: Engine, public: str, admin: str) -> None:
        self.client = client
        self.engine = engine
        self.pub = {"Authorization": f"Bearer {public}"}
        self.adm = {"Authorization": f"Bearer {admin}"}


@pytest.fixture
def env(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path, encoder: Encoder
) -> Iterator[Env]:
    engine = film_engine(store, workspace, tmp_path, encoder)
    public = store.create_api_key(workspace.slug, "public")
    admin = store.create_api_key(workspace.slug, "admin")
    with TestClient(create_app(engine)) as client:
        yield Env(client, engine, public, admin)
    engine.close()


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "field"}
    return dict(body["error"])


def test_the_privacy_notice_is_shown_with_the_prompt(env: Env) -> None:
    r = env.client.get("/v1/experiences/films", headers=env.pub)
    assert r.status_code == 200
    assert r.json()["prompt"]["privacy_notice"] == (
        "We keep what you tell us only if you let us remember it."
    )
    listed = env.client.get("/v1/experiences", headers=env.pub).json()["experiences"]
    assert all(e["prompt"]["privacy_notice"] for e in listed)


def test_widget_consent_round_trip(env: Env) -> None:
    r = env.client.get("/v1/people/p1/consent", headers=env.pub)
    assert r.status_code == 200 and r.json()["consent"]["memory"]["granted"] is False
    r = env.client.put("/v1/people/p1/consent", headers=env.pub, json={"consent": {"memory": True}})
    assert r.status_code == 200
    memory = r.json()["consent"]["memory"]
    assert memory["granted"] is True and memory["source"] == "widget"
    r = env.client.put(
        "/v1/people/p1/consent",
        headers=env.adm,
        json={"consent": {"marketing": True}, "source": "crm-import"},
    )
    assert r.json()["consent"]["marketing"]["source"] == "crm-import"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"consent": {"ads": True}}, "ads"),
        ({"consent": {"memory": "maybe"}}, "consent.memory"),
        ({"consent": {}}, "consent"),
        ({"consent": {"memory": True}, "source": "bad source!"}, "source"),
        ({"consent": {"memory": True}, "extra": 1}, "extra"),
    ],
)
def test_bad_consent_is_a_422_naming_the_field(env: Env, body: dict[str, Any], field: str) -> None:
    r = env.client.put("/v1/people/p1/consent", headers=env.pub, json=body)
    assert r.status_code == 422
    assert error_of(r)["field"] == field


def test_memory_is_visible_and_deletable_one_by_one(env: Env) -> None:
    env.client.put("/v1/people/m1/consent", headers=env.pub, json={"consent": {"memory": True}})
    r = env.client.post(
        "/v1/experiences/films/answer",
        headers=env.pub,
        json={"user_id": "m1", "text": "a comedy under $12"},
    )
    assert r.status_code == 200
    env.engine.flush()
    remembered = env.client.get("/v1/people/m1/memory", headers=env.pub).json()["remembered"]
    assert {(p["kind"], p["value"]) for p in remembered} == {("taste", "Comedy"), ("budget", "12")}
    first = remembered[0]
    assert set(first) == {"id", "kind", "name", "value", "source", "created_at", "expires_at"}
    r = env.client.delete(f"/v1/people/m1/memory/{first['id']}", headers=env.pub)
    assert r.status_code == 200 and r.json() == {"forgotten": first["id"]}
    left = env.client.get("/v1/people/m1/memory", headers=env.pub).json()["remembered"]
    assert [p["id"] for p in left] == [remembered[1]["id"]]
    r = env.client.delete(f"/v1/people/m1/memory/{first['id']}", headers=env.pub)
    assert r.status_code == 404 and error_of(r)["type"] == "not_found"
    # Someone else's fact cannot be deleted through another user id.
    r = env.client.delete(f"/v1/people/other/memory/{remembered[1]['id']}", headers=env.pub)
    assert r.status_code == 404


def test_export_and_erase_need_an_admin_key(env: Env) -> None:
    for method, url in [
        ("GET", "/v1/people/c1/export"),
        ("DELETE", "/v1/people/c1"),
        ("GET", "/v1/privacy/policy"),
        ("PUT", "/v1/privacy/policy"),
        ("GET", "/v1/privacy/erasures/abc"),
    ]:
        r = env.client.request(method, url, headers=env.pub, json={})
        assert r.status_code == 403, url
        assert error_of(r)["type"] == "forbidden"
        assert env.client.request(method, url, json={}).status_code == 401


def test_export_then_erase_with_receipt(env: Env) -> None:
    env.client.put("/v1/people/c1/consent", headers=env.pub, json={"consent": {"memory": True}})
    env.client.post(
        "/v1/experiences/films/answer", headers=env.pub, json={"user_id": "c1", "text": "a comedy"}
    )
    doc = env.client.get("/v1/people/c1/export", headers=env.adm).json()
    assert doc["user_id"] == "c1" and doc["consent"]["memory"]["granted"] is True
    assert {"events", "users", "served", "consents", "preferences", "answers"} <= set(doc["tables"])
    assert len(doc["tables"]["events"]) > 0 and len(doc["tables"]["served"]) == 1
    assert doc["tables"]["answers"][0]["text"] == "a comedy"
    assert doc["remembered"][0]["value"] == "Comedy"
    r = env.client.delete("/v1/people/c1?refit=false", headers=env.adm)
    assert r.status_code == 200
    receipt = r.json()
    assert receipt["model"].startswith("stale")
    assert receipt["tables"]["events"] == len(doc["tables"]["events"])
    kept = env.client.get(f"/v1/privacy/erasures/{receipt['receipt_id']}", headers=env.adm)
    assert kept.status_code == 200 and kept.json()["counts"] == receipt["tables"]
    after = env.client.get("/v1/people/c1/export", headers=env.adm).json()
    assert all(rows == [] for rows in after["tables"].values())
    assert env.client.get("/v1/privacy/erasures/nope", headers=env.adm).status_code == 404
    # Both reads and the erasure are in the audit log, the person named only by a hash.
    log = env.client.get("/v1/audit?limit=10", headers=env.adm).json()["entries"]
    actions = [e["action"] for e in log]
    assert actions[:3] == ["export person", "erase person", "export person"]
    erased = log[1]
    assert erased["detail"]["receipt_id"] == receipt["receipt_id"]
    assert erased["target"] == "subject:" + receipt["subject_hash"][:16]
    assert '"c1"' not in json.dumps(log)  # the id itself, not hex that contains it


def test_policy_round_trip(env: Env) -> None:
    r = env.client.put(
        "/v1/privacy/policy", headers=env.adm, json={"events_days": 400, "default_memory": True}
    )
    assert r.status_code == 200
    assert r.json() == {
        "events_days": 400,
        "answers_days": 365,
        "memory_days": 180,
        "defaults": {"history": True, "memory": True, "marketing": False},
    }
    assert env.client.get("/v1/privacy/policy", headers=env.adm).json() == r.json()
    r = env.client.put("/v1/privacy/policy", headers=env.adm, json={"answers_days": 0})
    assert r.status_code == 422 and error_of(r)["field"] == "answers_days"


def test_the_demo_widget_offers_the_person_their_controls() -> None:
    from tastemaker.demo import STATIC_DIR

    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for part in ("/v1/people/", "/consent", "/memory", "What we remember about you", "Forget"):
        assert part in html
