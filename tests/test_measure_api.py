"""The measure area over HTTP (in-process ASGI client) and the ``tastemaker report`` command."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from measure_fixtures import film_engine
from tastemaker.api import create_app
from tastemaker.api.models import AnswerOut, ExperienceOut
from tastemaker.cli import app
from tastemaker.engine import Engine
from tastemaker.store import Store, WorkspaceRecord


@pytest.fixture
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    eng = film_engine(store, workspace, tmp_path)
    yield eng
    eng.close()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def _auth(store: Store, ws: WorkspaceRecord, scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_api_key(ws.slug, scope)}"}


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    return dict(body["error"])


def test_followup_and_refine_over_http(
    client: TestClient, store: Store, workspace: WorkspaceRecord
) -> None:
    pub = _auth(store, workspace, "public")
    exp = client.get("/v1/experiences/films", headers=pub).json()
    ExperienceOut.model_validate(exp)
    assert exp["followup"]["question"] == "Old or new?"
    first = client.post(
        "/v1/experiences/films/answer", json={"user_id": "h1", "choice": "laugh"}, headers=pub
    ).json()
    r = client.post(
        "/v1/experiences/films/followup",
        json={"request_id": first["request_id"], "choice": "recent", "remember": True},
        headers=pub,
    )
    assert r.status_code == 200, r.text
    second = AnswerOut.model_validate(r.json())
    assert second.request_id != first["request_id"]
    gone = second.items[0].id
    r = client.post(f"/v1/results/{second.request_id}/refine", json={"remove": [gone]}, headers=pub)
    assert r.status_code == 200, r.text
    assert gone not in [i["id"] for i in r.json()["items"]]
    r = client.post(
        f"/v1/results/{second.request_id}/refine", json={"remove": ["f99"]}, headers=pub
    )
    assert r.status_code == 422 and _error(r)["field"] == "remove"
    r = client.post("/v1/results/nope/refine", json={"remove": ["f1"]}, headers=pub)
    assert r.status_code == 404
    r = client.post(
        "/v1/experiences/films/followup", json={"request_id": "nope", "choice": "x"}, headers=pub
    )
    assert r.status_code == 404


def test_identify_over_http(client: TestClient, store: Store, workspace: WorkspaceRecord) -> None:
    pub = _auth(store, workspace, "public")
    event = {"user_id": "anon-1", "item_id": "f1", "type": "click", "ts": time.time()}
    assert client.post("/v1/events", json={"events": [event]}, headers=pub).status_code == 200
    r = client.post("/v1/identify", json={"anonymous_id": "anon-1", "user_id": "kim"}, headers=pub)
    assert r.json() == {"linked": True, "events_moved": 1}
    r = client.post("/v1/identify", json={"anonymous_id": "", "user_id": "kim"}, headers=pub)
    assert r.status_code == 422 and _error(r)["field"] == "anonymous_id"
    bad = {"user_id": "a", "type": "prompt_shown", "ts": time.time()}
    r = client.post("/v1/events", json={"events": [bad]}, headers=pub)
    assert r.status_code == 422 and _error(r)["field"] == "events[0].context.experience"


def test_report_is_for_admins_with_a_chart(
    client: TestClient, store: Store, workspace: WorkspaceRecord
) -> None:
    pub, adm = _auth(store, workspace, "public"), _auth(store, workspace, "admin")
    first = client.post(
        "/v1/experiences/films/answer", json={"user_id": "h2", "choice": "laugh"}, headers=pub
    ).json()
    purchase = {
        "user_id": "h2",
        "type": "purchase",
        "value": 12.0,
        "ts": time.time() + 1,
        "request_id": first["request_id"],
    }
    client.post("/v1/events", json={"events": [purchase]}, headers=pub)
    assert client.get("/v1/report", headers=pub).status_code == 403
    report = client.get("/v1/report?days=7", headers=adm).json()
    (exp,) = report["experiences"]
    assert exp["objective_metric"] == "revenue_per_visitor"
    (variant,) = exp["variants"]
    assert variant["headline"]["revenue_per_visitor"] == 12.0
    assert client.get("/v1/report?days=0", headers=adm).status_code == 422
    assert client.get("/v1/report?experience=nope", headers=adm).status_code == 404
    page = client.get("/v1/report.html", headers=adm)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "revenue_per_visitor per day" in page.text


def test_report_command(
    engine: Engine,
    store: Store,
    workspace: WorkspaceRecord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path))
    engine.answer(workspace.slug, "films", user_id="c1", choice="thrill")
    engine.flush()
    cli = CliRunner()
    out = cli.invoke(app, ["report", "-w", workspace.slug, "--by-day"])
    assert out.exit_code == 0, out.output
    assert "objective revenue -> revenue_per_visitor" in out.output
    assert "Thrill me 100%" in out.output
    page = tmp_path / "report.html"
    out = cli.invoke(app, ["report", "-w", workspace.slug, "--json", "--html", str(page)])
    assert out.exit_code == 0, out.output
    data = orjson.loads(out.output)
    assert data["experiences"][0]["variants"][0]["totals"]["results"] == 1
    assert "<svg" in page.read_text()
    out = cli.invoke(app, ["report", "-w", "no-such-workspace"])
    assert out.exit_code != 0 and "does not exist" in out.output
