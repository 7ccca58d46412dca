"""Request ids, JSON log lines, and secrets kept out of every log record."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from llm_server import llm_server
from tastemaker.api import create_app
from tastemaker.api.logs import REQUEST_ID, JsonFormatter, redact
from tastemaker.encoders import get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from test_api import EVENTS, ITEMS

LLM_KEY = "sk-llm-very-secret-0123456789"
CHAT: dict[str, Any] = {
    "key": "chatty",
    "name": "Chatty",
    "prompt": {"kind": "text", "question": "What are you after?"},
    "output": {"size": 3},
    "copywriter": {"kind": "chat", "budget_ms": 2000},
}


@pytest.fixture
def app_and_keys(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> Iterator[tuple[TestClient, str, str]]:
    # "error": the model server answers 500, so the copywriter logs its failure path too
    with llm_server(api_key=LLM_KEY) as server:
        settings = Settings(
            data_dir=tmp_path,
            database_url=store.url,
            llm_base_url=server.base_url,
            llm_model="error",
            llm_api_key=LLM_KEY,
        )
        engine = Engine(store, settings, encoder=get_encoder("static"))
        store.upsert_items(workspace.id, validate_items(ITEMS))
        store.insert_events(workspace.id, validate_events(EVENTS))
        engine.save_experience(workspace.slug, CHAT)
        engine.fit(workspace.slug)
        public = store.create_api_key(workspace.slug, "public")
        admin = store.create_api_key(workspace.slug, "admin")
        with TestClient(create_app(engine)) as client:
            yield client, public, admin
        engine.close()


def test_request_id_is_echoed_or_made(app_and_keys: tuple[TestClient, str, str]) -> None:
    client, _, _ = app_and_keys
    given = client.get("/healthz", headers={"X-Request-ID": "lb-123.abc"})
    assert given.headers["x-request-id"] == "lb-123.abc"
    made = client.get("/healthz", headers={"X-Request-ID": "not valid;" * 10})
    assert len(made.headers["x-request-id"]) == 32  # a fresh uuid, not the junk
    assert made.headers["x-request-id"] != client.get("/healthz").headers["x-request-id"]


def test_json_lines_carry_the_request_id() -> None:
    record = logging.LogRecord(
        "tastemaker.x", logging.WARNING, __file__, 1, "hi %s", ("you",), None
    )
    token = REQUEST_ID.set("rid-1")
    try:
        line = orjson.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "hi you" and line["request_id"] == "rid-1"
    assert line["level"] == "warning" and line["logger"] == "tastemaker.x"


def test_redact_masks_credentials() -> None:
    text = redact("headers: Authorization: Bearer abc.def api_key=xyz secret='s3' whsec_QUJD")
    for secret in ("abc.def", "xyz", "s3", "QUJD"):
        assert secret not in text


def test_secrets_never_reach_the_logs(
    app_and_keys: tuple[TestClient, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, public, admin = app_and_keys
    caplog.set_level(logging.DEBUG)
    pub = {"Authorization": f"Bearer {public}"}
    adm = {"Authorization": f"Bearer {admin}"}
    r = client.post("/v1/experiences/chatty/answer", json={"text": "calm jazz"}, headers=pub)
    assert r.status_code == 200
    hook = client.post(
        "/v1/webhooks", json={"name": "cms", "url": "https://cms.example.com/hook"}, headers=adm
    )
    secrets = [public, admin, LLM_KEY]
    if hook.status_code == 201:
        secrets.append(hook.json()["secret"])
        rotated = client.post("/v1/webhooks/cms/rotate", headers=adm)
        if rotated.status_code == 200:
            secrets.append(rotated.json()["secret"])
    client.get("/v1/experiences", headers={"Authorization": "Bearer wrong-key-000"})
    client.get("/metrics")
    formatter = JsonFormatter()
    logged = "\n".join(
        [r.getMessage() for r in caplog.records] + [formatter.format(r) for r in caplog.records]
    )
    assert caplog.records  # something was logged (the copywriter's failed call at least)
    for secret in secrets:
        assert secret not in logged
        # the JSON formatter's own output, the form that reaches the log store
        assert secret not in "\n".join(formatter.format(r) for r in caplog.records)
