"""The channel, webhook, delivery and subscription routes, in-process, with a real receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from pipeline_fixtures import FILMS, film_events
from tastemaker.api import create_app
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.syndication.worker import RetryPolicy
from webhook_receiver import Receiver, receiver

SPEC = {
    "key": "films",
    "name": "Film night",
    "prompt": {"kind": "text", "question": "What do you feel like watching?"},
    "output": {"kind": "list", "size": 3},
    "link_base": "https://films.example/f/",
}


def make_engine(store: Store, ws: WorkspaceRecord, tmp_path: Path, **settings: Any) -> Engine:
    eng = Engine(store, Settings(data_dir=tmp_path, database_url=store.url, **settings))
    store.upsert_items(
        ws.id,
        [ItemIn(id=i, title=t, attributes={"genres": g}, price=p) for i, t, _y, g, p in FILMS],
    )
    store.insert_events(
        ws.id,
        [
            EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
            for e in film_events()
        ],
    )
    eng.save_experience(ws.slug, SPEC)
    eng.fit(ws.slug)
    return eng


@pytest.fixture()
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture()
def api(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[dict[str, Any]]:
    engine = make_engine(
        store, workspace, tmp_path, webhook_allow_private=True, delivery_poll_seconds=0.05
    )
    pub = {"Authorization": f"Bearer {store.create_api_key(workspace.slug, 'public')}"}
    adm = {"Authorization": f"Bearer {store.create_api_key(workspace.slug, 'admin')}"}
    with TestClient(create_app(engine, deliver=True)) as client:
        yield {"client": client, "pub": pub, "adm": adm, "engine": engine}
    engine.close()


def wait_for(predicate: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_render_gives_every_channel_from_one_answer(api: dict[str, Any]) -> None:
    c = api["client"]
    r = c.post("/v1/experiences/films/render", json={"text": "comedy"}, headers=api["pub"])
    assert r.status_code == 200
    body = r.json()
    assert set(body["channels"]) == {"web", "landing", "email", "ads", "message", "json"}
    assert f"tm_rid={body['request_id']}" in body["channels"]["message"]["text"]
    r = c.post(
        "/v1/experiences/films/render",
        json={"text": "comedy", "channels": ["fax"]},
        headers=api["pub"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"].startswith("channels")


def test_webhooks_need_admin_and_a_safe_url(
    api: dict[str, Any], store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    c = api["client"]
    new = {"name": "cms", "url": "https://cms.example/h"}
    assert c.post("/v1/webhooks", json=new, headers=api["pub"]).status_code == 403
    strict = make_engine(store, workspace, tmp_path / "strict")
    with TestClient(create_app(strict)) as sc:
        r = sc.post(
            "/v1/webhooks", json={"name": "x", "url": "http://127.0.0.1:1/h"}, headers=api["adm"]
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "url"
        r = sc.post(
            "/v1/webhooks",
            json={"name": "x", "url": "http://169.254.169.254/latest"},
            headers=api["adm"],
        )
        assert r.status_code == 422 and "private" in r.json()["error"]["message"]
    strict.close()


def test_publish_is_delivered_by_the_server_background_worker(
    api: dict[str, Any], hook: Receiver
) -> None:
    c = api["client"]
    r = c.post(
        "/v1/webhooks",
        json={"name": "cms", "url": hook.url, "channels": ["landing", "json"]},
        headers=api["adm"],
    )
    assert r.status_code == 201
    secret = r.json()["secret"]
    listed = c.get("/v1/webhooks", headers=api["adm"]).json()["webhooks"]
    assert listed == [
        {"name": "cms", "url": hook.url, "channels": ["landing", "json"], "active": True}
        | {"signing_keys": 1}
    ]
    r = c.post("/v1/experiences/films/publish", json={"text": "action"}, headers=api["adm"])
    assert r.status_code == 202
    [msg_id] = r.json()["msg_ids"]
    wait_for(lambda: len(hook.requests) == 1)
    req = hook.requests[0]
    assert (
        Webhook(secret).verify(req.body, req.headers)["data"]["request_id"]
        == r.json()["request_id"]
    )
    wait_for(
        lambda: (
            c.get(f"/v1/deliveries/{msg_id}", headers=api["adm"]).json()["status"] == "delivered"
        )
    )
    receipts = c.get(f"/v1/deliveries/{msg_id}", headers=api["adm"]).json()["receipts"]
    assert [x["status_code"] for x in receipts] == [200]


def test_dead_letters_are_listed_and_replayed_over_the_api(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path, hook: Receiver
) -> None:
    engine = make_engine(store, workspace, tmp_path, webhook_allow_private=True)
    adm = {"Authorization": f"Bearer {store.create_api_key(workspace.slug, 'admin')}"}
    with TestClient(create_app(engine, deliver=False)) as c:
        c.post("/v1/webhooks", json={"name": "cms", "url": hook.url}, headers=adm)
        [msg_id] = c.post("/v1/experiences/films/publish", json={"text": "x"}, headers=adm).json()[
            "msg_ids"
        ]
        syn = c.app.state.syndication  # type: ignore[attr-defined]
        worker = syn.deliverer(workspace.slug, policy=RetryPolicy(max_attempts=1))
        hook.script = [(500, {})]
        assert worker.run_once().dead == 1
        dead = c.get("/v1/deliveries", params={"status": "dead"}, headers=adm).json()
        assert [d["msg_id"] for d in dead["deliveries"]] == [msg_id]
        assert dead["deliveries"][0]["last_status"] == 500
        assert c.get("/v1/deliveries", params={"status": "lost"}, headers=adm).status_code == 422
        r = c.post("/v1/deliveries/replay", json={"msg_ids": [msg_id]}, headers=adm)
        assert r.json() == {"replayed": 1}
        hook.script = [(200, {})]
        assert worker.run_once().delivered == 1
        got = c.get(f"/v1/deliveries/{msg_id}", headers=adm).json()
        assert got["status"] == "delivered"
        assert [x["status_code"] for x in got["receipts"]] == [500, 200]
        assert c.get("/v1/deliveries/msg_nope", headers=adm).status_code == 404
        worker.close()
    engine.close()


def test_rotation_and_pause_over_the_api(api: dict[str, Any], hook: Receiver) -> None:
    c = api["client"]
    first = c.post("/v1/webhooks", json={"name": "cms", "url": hook.url}, headers=api["adm"])
    rotated = c.post("/v1/webhooks/cms/rotate", headers=api["adm"]).json()
    assert rotated["signing_keys"] == 2 and rotated["secret"] != first.json()["secret"]
    retired = c.post("/v1/webhooks/cms/retire-old-secrets", headers=api["adm"]).json()
    assert retired["signing_keys"] == 1
    paused = c.patch("/v1/webhooks/cms", json={"active": False}, headers=api["adm"]).json()
    assert paused["active"] is False
    r = c.post("/v1/experiences/films/publish", json={"text": "x"}, headers=api["adm"])
    assert r.json()["msg_ids"] == []
    assert (
        c.patch("/v1/webhooks/nope", json={"active": False}, headers=api["adm"]).status_code == 404
    )


def test_subscriptions_over_the_api(api: dict[str, Any]) -> None:
    c = api["client"]
    url = "/v1/experiences/films/subscriptions"
    r = c.post(
        url, json={"user_id": "c1", "text": "comedy", "cadence": "daily"}, headers=api["pub"]
    )
    assert r.status_code == 201 and r.json()["cadence"] == "daily"
    r = c.post(url, json={"user_id": "c1", "cadence": "hourly"}, headers=api["pub"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "cadence"
    assert c.delete(f"{url}/c1", headers=api["pub"]).json() == {"removed": True}
    assert c.delete(f"{url}/c1", headers=api["pub"]).json() == {"removed": False}
