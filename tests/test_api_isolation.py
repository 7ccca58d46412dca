"""Tenant isolation: a key of workspace A reaches nothing of workspace B, on every route.

The routes are enumerated from the app's OpenAPI document, so a route added later is covered
without touching this file. Each is called with A's admin key (the most powerful key A has),
with B's identifiers in the path (B's experience, person, request id...) and a body aimed at
B. The test then asserts three things: no response carries any of B's marker strings, a path
naming a resource only B has answers 401/403/404 (or 422 for a body A's workspace rejects),
and B's state, read back through B's own key, is unchanged: nothing read, answered, changed
or erased.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from test_api import ASK, EVENTS, ITEMS, MOOD

MARK = "bsecret"  # in every identifier and text of workspace B; must never reach A
B_USER = f"{MARK}-user"
B_ONLY = {**ASK, "key": f"{MARK}-only", "name": f"{MARK} experience"}
B_ITEMS = [
    {**item, "id": f"{MARK}{item['id']}", "title": f"{MARK} {item['title']}", "url": None}
    for item in ITEMS
]
B_EVENTS = [
    {**e, "user_id": f"{MARK}-{e['user_id']}", "item_id": f"{MARK}{e['item_id']}"} for e in EVENTS
] + [{"user_id": B_USER, "item_id": f"{MARK}i00", "type": "like", "ts": 1_700_000_000}]
B_MOOD = {**MOOD, "default_items": [f"{MARK}i00", f"{MARK}i01"]}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


class Tenants:
    def __init__(self, client: TestClient, a_admin: str, b_admin: str, b_request: str) -> None:
        self.client = client
        self.a = {"Authorization": f"Bearer {a_admin}"}
        self.b = {"Authorization": f"Bearer {b_admin}"}
        self.b_request = b_request


@pytest.fixture
def tenants(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any, encoder: Encoder
) -> Iterator[Tenants]:
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url), encoder=encoder)
    a = workspace
    b = store.create_workspace(f"{a.slug}-b", "tenant B")
    store.upsert_items(a.id, validate_items(ITEMS))
    store.insert_events(a.id, validate_events(EVENTS))
    engine.save_experience(a.slug, MOOD)
    store.upsert_items(b.id, validate_items(B_ITEMS))
    store.insert_events(b.id, validate_events(B_EVENTS))
    engine.save_experience(b.slug, B_MOOD)
    engine.save_experience(b.slug, B_ONLY)
    engine.fit(a.slug)
    engine.fit(b.slug)
    b_admin = store.create_api_key(b.slug, "admin")
    a_admin = store.create_api_key(a.slug, "admin")
    with TestClient(create_app(engine)) as client:
        hb = {"Authorization": f"Bearer {b_admin}"}
        consent = client.put(
            f"/v1/people/{B_USER}/consent", json={"consent": {"memory": True}}, headers=hb
        )
        assert consent.status_code == 200, consent.text
        answered = client.post(
            f"/v1/experiences/{B_ONLY['key']}/answer",
            json={"user_id": B_USER, "text": f"{MARK} quiet jazz"},
            headers=hb,
        )
        assert answered.status_code == 200, answered.text
        yield Tenants(client, a_admin, b_admin, answered.json()["request_id"])
    engine.close()


# What to put in each path parameter: B's identifier for it.
def _path_value(name: str, t: Tenants) -> str:
    return {
        "key": str(B_ONLY["key"]),
        "user_id": B_USER,
        "request_id": t.b_request,
        "kind": "experience",
    }.get(name, f"{MARK}-{name}")


def _body(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """A body aimed at B: B's ids wherever a body names a person, an item or an experience.

    Only the fields the route's schema declares are sent, so a strict body model does not
    refuse the attempt before it could reach anything.
    """
    op = spec["paths"][path][method.lower()]
    schema = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    )
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    fields = set(schema.get("properties", {}))
    return {name: value for name, value in _AIMED_AT_B.items() if name in fields}


_AIMED_AT_B: dict[str, Any] = {
    "user_id": B_USER,
    "text": f"{MARK} jazz",
    "choice": "calm",
    "memory": True,
    "events": [{"user_id": B_USER, "item_id": f"{MARK}i00", "type": "view", "ts": 1}],
    "items": [{"id": f"{MARK}i00", "title": "overwritten by A"}],
    "key": str(B_ONLY["key"]),
    "kind": "experience",
    "version": 1,
    "anonymous_id": B_USER,
    "name": f"{MARK}-hook",
    "consent": {"memory": False, "history": False},
    "request_id": "",
}


def _strings(path: str, body: Any) -> list[str]:
    """Every string A sent: path segments and string values anywhere in the body."""
    out = [seg for seg in path.split("/") if seg]
    if isinstance(body, str):
        out.append(body)
    elif isinstance(body, dict):
        for value in body.values():
            out += _strings("", value)
    elif isinstance(body, list):
        for value in body:
            out += _strings("", value)
    return out


def _b_state(t: Tenants) -> list[Any]:
    """What B sees of itself; every call must answer the same before and after A's attempts."""
    paths = [
        "/v1/experiences",
        f"/v1/experiences/{B_ONLY['key']}",
        f"/v1/people/{B_USER}/export",
        f"/v1/people/{B_USER}/consent",
        f"/v1/people/{B_USER}/memory",
        "/v1/privacy/policy",
        "/v1/brand-kit",
        "/v1/webhooks",
        "/v1/experiments",
    ]
    state: list[Any] = []
    for path in paths:
        r = t.client.get(path, headers=t.b)
        data = r.json()
        if isinstance(data, dict):
            data.pop("exported_at", None)  # the export's own clock, not B's data
        state.append((path, r.status_code, data))
    return state


def _routes(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_a_key_reaches_nothing_of_another_workspace(tenants: Tenants) -> None:
    t = tenants
    before = _b_state(t)
    spec = t.client.get("/openapi.json").json()
    routes = _routes(spec)
    assert len(routes) >= 40  # the document really lists the API, not an empty shell
    sent_so_far: set[str] = set()
    for method, template in routes:
        params = re.findall(r"{(\w+)}", template)
        path = template
        for name in params:
            path = path.replace(f"{{{name}}}", _path_value(name, t))
        body = _body(spec, method, template)
        if "request_id" in body:
            body["request_id"] = t.b_request
        r = t.client.request(method, path, headers=t.a, json=body)
        where = f"{method} {template}"
        assert r.status_code < 500, (where, r.status_code, r.text)
        # Echoing what A itself sent, now or earlier into its own workspace (B's id in a "does
        # not exist"), tells A nothing; anything else carrying the marker came from B's data.
        seen = r.text
        sent_so_far.update(_strings(path, body))
        for sent in sorted(sent_so_far, key=len, reverse=True):
            seen = seen.replace(sent, "")
        assert MARK not in seen, (where, r.text)
        # Reading an experience, experiment or bandit only B has: A must be told it does not
        # exist. (Writes under B's ids may succeed, in A's own namespace: the check of B's
        # state below proves they did not touch B.)
        if method == "GET" and "key" in params:
            assert r.status_code in (401, 403, 404, 422), (where, r.status_code, r.text)
    after = _b_state(t)
    assert after == before


def test_b_key_still_works_after_a_tried(tenants: Tenants) -> None:
    """The isolation test above is only meaningful if B's own key reaches B's data."""
    r = tenants.client.get(f"/v1/people/{B_USER}/export", headers=tenants.b)
    assert r.status_code == 200
    assert MARK in r.text
