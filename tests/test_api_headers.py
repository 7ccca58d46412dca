"""Security headers: nosniff and no-referrer everywhere, a CSP on every HTML page."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.api.headers import DOCS_POLICY, HTML_POLICY
from tastemaker.demo import STATIC_DIR, DemoInfo
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord


def _client(store: Store, ws: WorkspaceRecord, tmp_path: Any) -> tuple[TestClient, str]:
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    public = store.create_api_key(ws.slug, "public")
    admin = store.create_api_key(ws.slug, "admin")
    demo = DemoInfo(workspace=ws.slug, public_key=public, admin_key=admin, users=[])
    return TestClient(create_app(engine, demo=demo)), admin


def test_json_responses_are_not_sniffable(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> None:
    client, admin = _client(store, workspace, tmp_path)
    with client:
        for r in (
            client.get("/v1/experiences", headers={"Authorization": f"Bearer {admin}"}),
            client.get("/v1/experiences"),  # errors too
        ):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert "content-security-policy" not in r.headers  # JSON runs nothing


def test_html_pages_carry_a_policy(store: Store, workspace: WorkspaceRecord, tmp_path: Any) -> None:
    client, admin = _client(store, workspace, tmp_path)
    with client:
        report = client.get("/v1/report.html", headers={"Authorization": f"Bearer {admin}"})
        assert report.status_code == 200
        assert report.headers["content-security-policy"] == HTML_POLICY
        assert "frame-ancestors 'self'" in HTML_POLICY  # only the console may frame it
        assert "script-src" not in HTML_POLICY  # the report runs no script at all
        assert report.headers["x-content-type-options"] == "nosniff"
        docs = client.get("/docs")
        assert docs.headers["content-security-policy"] == DOCS_POLICY


def test_demo_page_pins_its_inline_script_by_hash(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> None:
    client, _ = _client(store, workspace, tmp_path)
    with client:
        page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'self'" in policy
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
