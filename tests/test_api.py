"""The HTTP API, in-process: a Starlette TestClient over the ASGI app, the real Engine, a small
catalog built here, and the ``store``/``workspace`` fixtures from conftest (so the same tests run
on SQLite and PostgreSQL).

What is pinned here is the contract a client relies on: who may call what (401/403), the one
error shape with the offending field named, the limits (413), that a refused batch stores
nothing, and the answer's JSON shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.api.auth import KeyCache
from tastemaker.api.models import AnswerOut, ExperienceOut, ExperiencesOut
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

MAX_BATCH = 20
MAX_BODY = 30_000

GENRES = ("ambient", "jazz", "folk", "rock", "techno", "pop")
CALM = ("ambient", "jazz", "folk")
ITEMS: list[dict[str, Any]] = [
    {
        "id": f"i{n:02d}",
        "title": f"{GENRES[n % 6].title()} record {n}",
        "text": f"a {'calm quiet' if GENRES[n % 6] in CALM else 'loud energetic'} "
        f"{GENRES[n % 6]} record",
        "attributes": {
            "genre": GENRES[n % 6],
            "mood": "calm" if GENRES[n % 6] in CALM else "loud",
            "artist": f"artist{n % 9}",
        },
        "price": 5.0 + n,
        "url": f"https://shop.example/items/i{n:02d}",
    }
    for n in range(36)
]
# Six users, each with a taste (calm or loud) and 8 events: history for the profile, but under
# fit's threshold for collaborative filtering, whose training would dominate every test's setup.
EVENTS: list[dict[str, Any]] = [
    {
        "user_id": f"u{u}",
        "item_id": f"i{(u % 2 * 3 + (k % 3) + 6 * (k // 3)) % 36:02d}",
        "type": "like" if k % 4 == 0 else "view",
        "ts": 1_700_000_000 + 3600 * (8 * u + k),
    }
    for u in range(6)
    for k in range(8)
]
MOOD: dict[str, Any] = {
    "key": "mood",
    "name": "Mood picks",
    "prompt": {
        "kind": "choice",
        "question": "How do you feel?",
        "choices": [
            {
                "id": "calm",
                "label": "Calm",
                "intent": {"text": "calm quiet music", "attributes": {"genre": list(CALM)}},
            },
            {"id": "loud", "label": "Loud", "intent": {"text": "loud energetic music"}},
        ],
    },
    "output": {"kind": "list", "size": 5},
    "default_items": ["i00", "i01", "i02"],
}
ASK: dict[str, Any] = {
    "key": "ask",
    "name": "Ask anything",
    "prompt": {"kind": "text", "question": "What are you after?", "max_length": 40},
    "output": {"size": 4},
}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    """Loaded once: the encoder is read-only, and loading it is most of a fit's cost."""
    return get_encoder("static")


@dataclass
class Env:
    client: TestClient
    engine: Engine
    store: Store
    ws: WorkspaceRecord
    public: str
    admin: str

    def headers(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    @property
    def pub(self) -> dict[str, str]:
        return self.headers(self.public)

    @property
    def adm(self) -> dict[str, str]:
        return self.headers(self.admin)


@pytest.fixture
def env(store: Store, workspace: WorkspaceRecord, tmp_path: Any, encoder: Encoder) -> Iterator[Env]:
    settings = Settings(
        data_dir=tmp_path, database_url=store.url, max_batch=MAX_BATCH, max_body_bytes=MAX_BODY
    )
    engine = Engine(store, settings, encoder=encoder)
    store.upsert_items(workspace.id, validate_items(ITEMS))
    store.insert_events(workspace.id, validate_events(EVENTS))
    engine.save_experience(workspace.slug, MOOD)
    engine.save_experience(workspace.slug, ASK)
    engine.fit(workspace.slug)
    public = store.create_api_key(workspace.slug, "public")
    admin = store.create_api_key(workspace.slug, "admin")
    with TestClient(create_app(engine)) as client:
        yield Env(client, engine, store, workspace, public, admin)
    engine.close()


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "message", "field"}
    return dict(body["error"])


# -- auth ---------------------------------------------------------------------------------------

TS = 1_700_100_000
EVENT: dict[str, Any] = {"user_id": "u9", "item_id": "i01", "type": "view", "ts": TS}
ROUTES: list[tuple[str, str, Any, bool]] = [  # method, path, json body, admin only
    ("GET", "/v1/experiences", None, False),
    ("GET", "/v1/experiences/mood", None, False),
    ("POST", "/v1/experiences/mood/answer", {"choice": "calm"}, False),
    ("POST", "/v1/events", {"events": [EVENT]}, False),
    ("POST", "/v1/items", {"items": [ITEMS[0]]}, True),
    ("POST", "/v1/experiences", MOOD, True),
    ("POST", "/v1/fit", None, True),
]


@pytest.mark.parametrize(("method", "path", "body", "admin_only"), ROUTES)
def test_auth_rules(env: Env, method: str, path: str, body: Any, admin_only: bool) -> None:
    for headers in ({}, env.headers("tm_pk_nope"), {"Authorization": f"Basic {env.admin}"}):
        r = env.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert error_of(r)["type"] == "unauthorized"
    r = env.client.request(method, path, json=body, headers=env.pub)
    if admin_only:
        assert r.status_code == 403, r.text
        assert error_of(r)["type"] == "forbidden"
    else:
        assert r.status_code == 200, r.text
    r = env.client.request(method, path, json=body, headers=env.adm)
    assert r.status_code == 200, r.text


def test_error_shape_is_pinned(env: Env) -> None:
    r = env.client.get("/v1/experiences")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "error": {
            "type": "unauthorized",
            "message": "missing API key: send 'Authorization: Bearer <key>'",
            "field": None,
        }
    }


def test_key_scopes_the_workspace(env: Env) -> None:
    other = env.store.create_workspace(f"other-{env.ws.slug}", "Other")
    key = env.store.create_api_key(other.slug, "admin")
    r = env.client.get("/v1/experiences", headers=env.headers(key))
    assert r.status_code == 200
    assert r.json() == {"experiences": []}
    r = env.client.get("/v1/experiences/mood", headers=env.headers(key))
    assert r.status_code == 404


def test_keys_are_cached(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = env.store.authenticate

    def spy(raw: str) -> Any:
        calls.append(raw)
        return real(raw)

    env.client.app.state.keys = KeyCache(spy)  # type: ignore[attr-defined]
    for _ in range(5):
        assert env.client.get("/v1/experiences/mood", headers=env.pub).status_code == 200
    for _ in range(2):
        assert env.client.get("/v1/experiences", headers=env.headers("nope")).status_code == 401
    assert calls == [env.public, "nope", "nope"]  # hits cached, misses never


def test_key_cache_expires() -> None:
    now = [0.0]
    rec = type("Rec", (), {"workspace_slug": "w", "scope": "public"})()
    calls: list[str] = []

    def authenticate(raw: str) -> Any:
        calls.append(raw)
        return rec

    cache = KeyCache(authenticate, ttl=30, clock=lambda: now[0])
    assert asyncio.run(cache.lookup("k")) is not None
    now[0] = 29.0
    asyncio.run(cache.lookup("k"))
    assert calls == ["k"]
    now[0] = 31.0
    caller = asyncio.run(cache.lookup("k"))
    assert calls == ["k", "k"]
    assert caller is not None and caller.workspace == "w" and not caller.is_admin


# -- experiences ----------------------------------------------------------------------------------


def test_list_and_get_experiences(env: Env) -> None:
    r = env.client.get("/v1/experiences", headers=env.pub)
    assert r.status_code == 200
    listed = ExperiencesOut.model_validate(r.json())
    assert sorted(e.key for e in listed.experiences) == ["ask", "mood"]

    r = env.client.get("/v1/experiences/mood", headers=env.pub)
    body = r.json()
    ExperienceOut.model_validate(body)
    assert [c["id"] for c in body["prompt"]["choices"]] == ["calm", "loud"]
    # What the client needs and nothing else: no rules, weights or fallbacks.
    assert "default_items" not in r.text and "intent" not in r.text


def test_unknown_experience_is_404(env: Env) -> None:
    r = env.client.get("/v1/experiences/nope", headers=env.pub)
    assert r.status_code == 404
    assert error_of(r)["type"] == "not_found"
    r = env.client.post("/v1/experiences/nope/answer", json={}, headers=env.pub)
    assert r.status_code == 404


def test_save_experience_versions(env: Env) -> None:
    spec = {**MOOD, "key": "mood2"}
    r = env.client.post("/v1/experiences", json=spec, headers=env.adm)
    assert r.status_code == 200 and r.json() == {"key": "mood2", "version": 1}
    r = env.client.post("/v1/experiences", json=spec, headers=env.adm)
    assert r.json() == {"key": "mood2", "version": 1}  # unchanged spec: same version
    r = env.client.post("/v1/experiences", json={**spec, "name": "Renamed"}, headers=env.adm)
    assert r.json() == {"key": "mood2", "version": 2}
    assert env.client.get("/v1/experiences/mood2", headers=env.pub).json()["name"] == "Renamed"


def test_save_experience_invalid_names_the_field(env: Env) -> None:
    bad = {**MOOD, "prompt": {**MOOD["prompt"], "kind": "poll"}}
    r = env.client.post("/v1/experiences", json=bad, headers=env.adm)
    assert r.status_code == 422
    assert error_of(r)["field"] == "prompt.kind"


# -- answer ---------------------------------------------------------------------------------------


def test_answer_shape(env: Env) -> None:
    body = {"user_id": "u0", "choice": "calm", "context": {"hour": 21, "device": "mobile"}}
    r = env.client.post("/v1/experiences/mood/answer", json=body, headers=env.pub)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    data = r.json()
    AnswerOut.model_validate(data)  # the documented schema matches what is served
    assert len(data["request_id"]) >= 16
    assert data["experience"] == "mood" and data["experience_version"] == 1
    assert data["variant"] == "default"
    assert data["fallback"] is False
    assert 1 <= len(data["items"]) <= 5
    ids = {i["id"] for i in ITEMS}
    for item in data["items"]:
        assert item["id"] in ids
        assert isinstance(item["title"], str) and isinstance(item["score"], float)
        assert isinstance(item["reasons"], list)
    assert set(data["copy"]) == {"title", "description", "cta", "source", "legal"}
    assert data["html"].strip().startswith("<")
    assert data["timings_ms"] and all(v >= 0 for v in data["timings_ms"].values())


def test_answer_free_text_and_anonymous(env: Env) -> None:
    r = env.client.post(
        "/v1/experiences/ask/answer", json={"text": "something calm"}, headers=env.pub
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"]
    r = env.client.post("/v1/experiences/ask/answer", json={}, headers=env.adm)
    assert r.status_code == 200


def test_answer_variant_and_context_extras(env: Env) -> None:
    body = {"choice": "loud", "variant": "b", "context": {"locale": "en-GB", "campaign": "x"}}
    r = env.client.post("/v1/experiences/mood/answer", json=body, headers=env.pub)
    assert r.status_code == 200, r.text
    assert r.json()["variant"] == "b"


def test_unknown_choice_is_422(env: Env) -> None:
    r = env.client.post("/v1/experiences/mood/answer", json={"choice": "zzz"}, headers=env.pub)
    assert r.status_code == 422
    err = error_of(r)
    assert err["type"] == "invalid_input" and err["field"] == "choice"
    assert "zzz" in err["message"]


def test_overlong_text_is_422(env: Env) -> None:
    r = env.client.post("/v1/experiences/ask/answer", json={"text": "x" * 41}, headers=env.pub)
    assert r.status_code == 422
    assert error_of(r)["field"] == "text"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choice": 3}, "choice"),
        ({"text": ["a"]}, "text"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": "u" * 129}, "user_id"),
        ({"context": {"hour": 24}}, "context.hour"),
        ({"context": {"hour": "late"}}, "context.hour"),
        ({"context": {"campaign": 3}}, "context.campaign"),
        ({"context": "evening"}, "context"),
        ({"variant": "a b"}, "variant"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_wrong_types_name_the_field(env: Env, body: dict[str, Any], field: str) -> None:
    r = env.client.post("/v1/experiences/mood/answer", json=body, headers=env.pub)
    assert r.status_code == 422, r.text
    err = error_of(r)
    assert err["field"] == field
    assert err["message"] and not err["message"].startswith(field)  # the field is not repeated


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        (b'{"choice": ', {"content-type": "application/json"}, "malformed JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, "JSON object"),
        (b'{"choice": "calm"}', {}, "Content-Type: application/json"),
        (b"", {"content-type": "application/json"}, "body is required"),
    ],
)
def test_malformed_bodies_are_422(
    env: Env, content: bytes, headers: dict[str, str], message: str
) -> None:
    r = env.client.post(
        "/v1/experiences/mood/answer", content=content, headers={**env.pub, **headers}
    )
    assert r.status_code == 422, r.text
    assert message in error_of(r)["message"]


# -- limits ---------------------------------------------------------------------------------------


def test_oversized_body_is_413(env: Env) -> None:
    body = orjson.dumps({"text": "x" * MAX_BODY})
    r = env.client.post(
        "/v1/experiences/ask/answer",
        content=body,
        headers={**env.pub, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert error_of(r)["type"] == "payload_too_large"


def test_oversized_streamed_body_is_413(env: Env) -> None:
    """No Content-Length (chunked): the bytes are counted as they arrive."""

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(MAX_BODY // 1000 + 1):
            yield b"x" * 1000
        yield b'"}'

    r = env.client.post(
        "/v1/experiences/ask/answer",
        content=chunks(),
        headers={**env.pub, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert error_of(r)["type"] == "payload_too_large"


def test_oversized_batch_is_413_and_stores_nothing(env: Env) -> None:
    before = env.store.count_events(env.ws.id)
    events = [{**EVENT, "ts": TS + i} for i in range(MAX_BATCH + 1)]
    r = env.client.post("/v1/events", json={"events": events}, headers=env.pub)
    assert r.status_code == 413
    assert "events" in error_of(r)["message"]
    r = env.client.post("/v1/items", json={"items": ITEMS[: MAX_BATCH + 1]}, headers=env.adm)
    assert r.status_code == 413
    assert env.store.count_events(env.ws.id) == before


# -- batches --------------------------------------------------------------------------------------


def test_events_batch(env: Env) -> None:
    before = env.store.count_events(env.ws.id)
    events = [
        {**EVENT, "ts": TS + 1},
        {**EVENT, "type": "click", "ts": "2024-05-01T10:00:00Z", "request_id": "r1"},
        {**EVENT, "item_id": None, "type": "search", "context": {"q": "jazz"}},
    ]
    r = env.client.post("/v1/events", json={"events": events}, headers=env.pub)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 3, "received": 3, "buffered": 0}
    # Re-sent (no event ids): derived ids make it idempotent.
    r = env.client.post("/v1/events", json={"events": events}, headers=env.pub)
    assert r.json() == {"stored": 0, "received": 3, "buffered": 0}
    assert env.store.count_events(env.ws.id) == before + 3


def test_events_batch_is_all_or_nothing(env: Env) -> None:
    before = env.store.count_events(env.ws.id)
    events = [
        {**EVENT, "ts": TS + 10},
        {**EVENT, "ts": TS + 11},
        {**EVENT, "ts": "yesterday-ish"},
        {**EVENT, "type": "Bad Type"},
    ]
    r = env.client.post("/v1/events", json={"events": events}, headers=env.pub)
    assert r.status_code == 422
    err = error_of(r)
    assert err["field"] == "events[2].ts"
    assert "1 more error" in err["message"]
    assert env.store.count_events(env.ws.id) == before


def test_items_batch(env: Env) -> None:
    new = {"id": "i99", "title": "Brand new ambient", "attributes": {"genre": "ambient"}}
    r = env.client.post("/v1/items", json={"items": [new]}, headers=env.adm)
    assert r.status_code == 200, r.text
    assert r.json() == {"upserted": 1}
    assert env.store.count_items(env.ws.id) == len(ITEMS) + 1


def test_items_batch_is_all_or_nothing(env: Env) -> None:
    items = [{"id": "n1", "title": "ok"}, {"id": "n2", "title": "bad", "price": -1}]
    r = env.client.post("/v1/items", json={"items": items}, headers=env.adm)
    assert r.status_code == 422
    assert error_of(r)["field"] == "items[1].price"
    assert env.store.count_items(env.ws.id) == len(ITEMS)


def test_fit(env: Env) -> None:
    r = env.client.post("/v1/fit", headers=env.adm)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == len(ITEMS)


# -- ops, docs, demo ------------------------------------------------------------------------------


def test_healthz(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    r = env.client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}

    def down() -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(env.store, "list_workspaces", down)
    r = env.client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "error"


def test_unknown_route_and_method_use_the_error_shape(env: Env) -> None:
    r = env.client.get("/v1/nope")
    assert r.status_code == 404 and error_of(r)["type"] == "not_found"
    r = env.client.delete("/v1/experiences", headers=env.pub)
    assert r.status_code == 405 and error_of(r)["type"] == "method_not_allowed"


def test_openapi_documents_typed_bodies(env: Env) -> None:
    schema = env.client.get("/openapi.json").json()
    answer = schema["paths"]["/v1/experiences/{key}/answer"]["post"]
    ref = answer["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/AnswerIn")
    assert "AnswerOut" in schema["components"]["schemas"]
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    assert "/" not in schema["paths"]  # demo routes stay out of the schema
    assert env.client.get("/docs").status_code == 200


def test_demo_routes_only_with_demo_info(env: Env) -> None:
    from tastemaker.api.demo import demo_env, demo_from_env
    from tastemaker.demo import DemoInfo

    assert env.client.get("/demo/config.json").status_code == 404
    users = [{"id": "u0", "label": "Calm listener"}, {"id": "u1", "label": "Loud listener"}]
    info = DemoInfo(workspace=env.ws.slug, public_key=env.public, admin_key=env.admin, users=users)
    with TestClient(create_app(env.engine, demo=info)) as client:
        r = client.get("/demo/config.json")
        assert r.json() == {"workspace": env.ws.slug, "public_key": env.public, "users": users}
        assert env.admin not in r.text
        page = client.get("/")
        if page.status_code == 200:  # the page ships with the demo package
            assert "text/html" in page.headers["content-type"]
    restored = demo_from_env(demo_env(info))
    assert restored is not None and restored.public_key == env.public
    assert restored.users == users and not restored.admin_key


def test_app_from_env_is_a_working_factory(
    env: Env, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each uvicorn worker runs: settings, store, engine and demo info from the environment."""
    from tastemaker.api import create_app_from_env

    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", env.store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path))  # where env's fit saved the snapshot
    monkeypatch.setenv("TASTEMAKER_DEMO_WORKSPACE", env.ws.slug)
    monkeypatch.setenv("TASTEMAKER_DEMO_PUBLIC_KEY", env.public)
    monkeypatch.setenv("TASTEMAKER_DEMO_USERS", "[]")
    with TestClient(create_app_from_env()) as client:  # runs the warm-up and the shutdown
        assert client.get("/healthz").status_code == 200
        assert client.get("/demo/config.json").json()["public_key"] == env.public
        r = client.post("/v1/experiences/mood/answer", json={"choice": "calm"}, headers=env.pub)
        assert r.status_code == 200 and r.json()["fallback"] is False
