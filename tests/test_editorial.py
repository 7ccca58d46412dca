"""Editorial control end to end: brand kits, the review queue, rollback, the audit log, and
experiences that use a model copywriter, through the API (in-process) and the CLI, on the
conftest store (SQLite, or PostgreSQL with TASTEMAKER_TEST_DATABASE_URL)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from llm_server import LLMServer, llm_server
from tastemaker.api import create_app
from tastemaker.cli import app as cli_app
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store import editorial as db
from test_api import EVENTS, ITEMS, MOOD

# Copy that fits the web but not an ad headline of 12 characters: served, then queued.
REVIEWED = copy.deepcopy(MOOD)
REVIEWED["key"] = "reviewed"
REVIEWED["brand"] = {"channel_limits": {"ad": {"title": 12, "description": 90, "cta": 20}}}
CHAT = copy.deepcopy(MOOD)
CHAT["key"] = "chat"
CHAT["copywriter"] = {"kind": "chat", "model": "good", "budget_ms": 3000}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


@pytest.fixture(scope="module")
def llm() -> Iterator[LLMServer]:
    with llm_server() as s:
        yield s


@dataclass
class Env:
    client: TestClient
    engine: Engine
    store: Store
    ws: WorkspaceRecord
    adm: dict[str, str]
    pub: dict[str, str]

    def answer(self, key: str, **body: Any) -> dict[str, Any]:
        r = self.client.post(f"/v1/experiences/{key}/answer", json=body, headers=self.pub)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def env(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path, encoder: Encoder, llm: LLMServer
) -> Iterator[Env]:
    settings = Settings(data_dir=tmp_path, database_url=store.url, llm_base_url=llm.base_url)
    engine = Engine(store, settings, encoder=encoder)
    store.upsert_items(workspace.id, validate_items(ITEMS))
    store.insert_events(workspace.id, validate_events(EVENTS))
    for spec in (MOOD, REVIEWED, CHAT):
        engine.save_experience(workspace.slug, spec)
    engine.fit(workspace.slug)
    admin = store.create_api_key(workspace.slug, "admin")
    public = store.create_api_key(workspace.slug, "public")
    with TestClient(create_app(engine)) as client:
        yield Env(
            client,
            engine,
            store,
            workspace,
            {"Authorization": f"Bearer {admin}"},
            {"Authorization": f"Bearer {public}"},
        )
    engine.close()


def test_admin_routes_need_an_admin_key(env: Env) -> None:
    for method, path, body in [
        ("GET", "/v1/review", None),
        ("POST", "/v1/review/1/approve", None),
        ("PUT", "/v1/brand-kit", {}),
        ("POST", "/v1/rollback", {"kind": "experience", "key": "mood", "to": 1}),
        ("GET", "/v1/audit", None),
        ("GET", "/v1/versions/experience/mood", None),
    ]:
        assert env.client.request(method, path, json=body).status_code == 401
        assert env.client.request(method, path, json=body, headers=env.pub).status_code == 403


def test_soft_failure_is_served_queued_once_and_approved_copy_is_reused(env: Env) -> None:
    first = env.answer("reviewed", choice="calm")
    assert first["copy"]["source"] == "template"
    env.answer("reviewed", choice="calm")  # the same answer again: not queued twice
    queue = env.client.get("/v1/review", headers=env.adm).json()["items"]
    assert len(queue) == 1
    item = queue[0]
    assert item["answer"] == "choice:calm" and item["status"] == "pending"
    assert item["proposed"]["title"] == first["copy"]["title"]
    assert any(r.startswith("channel_too_long:ad") for r in item["reasons"])

    r = env.client.post(
        f"/v1/review/{item['id']}/edit",
        json={"title": "Calm", "description": "Quiet records for you.", "cta": "Listen"},
        headers=env.adm,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    again = env.answer("reviewed", choice="calm")
    assert again["copy"]["title"] == "Calm"
    assert again["copy"]["source"] == "approved"
    other = env.answer("reviewed", choice="loud")  # another answer writes its own copy
    assert other["copy"]["source"] == "template"
    assert env.client.get("/v1/review", headers=env.adm).json()["items"][0]["answer"] == (
        "choice:loud"
    )


def test_rejected_copy_is_not_reused(env: Env) -> None:
    env.answer("reviewed", choice="calm")
    item = env.client.get("/v1/review", headers=env.adm).json()["items"][0]
    r = env.client.post(f"/v1/review/{item['id']}/reject", headers=env.adm)
    assert r.json()["status"] == "rejected" and r.json()["final"] is None
    assert env.answer("reviewed", choice="calm")["copy"]["source"] == "template"
    r = env.client.get("/v1/review?status=rejected", headers=env.adm)
    assert [i["id"] for i in r.json()["items"]] == [item["id"]]


def test_unknown_review_item_is_404(env: Env) -> None:
    r = env.client.post("/v1/review/999999/approve", headers=env.adm)
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"


def test_brand_kit_applies_to_every_experience_and_rolls_back(env: Env) -> None:
    kit = {"legal_lines": ["Prices include VAT."], "competitors": ["Spotiflix"]}
    r = env.client.put("/v1/brand-kit", json=kit, headers=env.adm)
    assert r.json() == {"version": 1}
    assert env.client.put("/v1/brand-kit", json=kit, headers=env.adm).json() == {"version": 1}
    env.engine._specs.clear()  # another process would see it within SPEC_TTL_SECONDS
    shown = env.answer("mood", choice="calm")
    assert shown["copy"]["legal"] == ["Prices include VAT."]
    assert "Prices include VAT." in shown["html"]  # every channel shows the required lines
    r = env.client.put("/v1/brand-kit", json={"legal_lines": ["T&Cs apply."]}, headers=env.adm)
    assert r.json() == {"version": 2}
    env.engine._specs.clear()
    assert env.answer("mood", choice="calm")["copy"]["legal"] == ["T&Cs apply."]
    r = env.client.post(
        "/v1/rollback", json={"kind": "brand_kit", "key": "default", "to": 1}, headers=env.adm
    )
    assert r.json()["version"] == 3
    assert env.answer("mood", choice="calm")["copy"]["legal"] == ["Prices include VAT."]
    got = env.client.get("/v1/brand-kit", headers=env.adm).json()
    assert got == {"version": 3, "brand_kit": kit}
    r = env.client.put("/v1/brand-kit", json={"voice": "shouty"}, headers=env.adm)
    assert r.status_code == 422 and r.json()["error"]["field"]


def test_experience_rollback_and_versions(env: Env) -> None:
    renamed = {**MOOD, "name": "Renamed"}
    r = env.client.post("/v1/experiences", json=renamed, headers=env.adm)
    assert r.json()["version"] == 2
    r = env.client.post(
        "/v1/rollback", json={"kind": "experience", "key": "mood", "to": 1}, headers=env.adm
    )
    assert r.json() == {"kind": "experience", "key": "mood", "version": 3}
    assert env.engine.get_experience(env.ws.slug, "mood").name == "Mood picks"
    versions = env.client.get("/v1/versions/experience/mood", headers=env.adm).json()["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["body"] == versions[2]["body"]
    r = env.client.post(
        "/v1/rollback", json={"kind": "experience", "key": "mood", "to": 9}, headers=env.adm
    )
    assert r.status_code == 404


def test_every_change_is_audited_with_who(env: Env) -> None:
    env.client.post("/v1/experiences", json={**MOOD, "name": "Changed"}, headers=env.adm)
    env.client.put("/v1/brand-kit", json={"tone": "Friendly."}, headers=env.adm)
    env.client.post(
        "/v1/rollback", json={"kind": "experience", "key": "mood", "to": 1}, headers=env.adm
    )
    env.client.post("/v1/fit", headers=env.adm)
    entries = env.client.get("/v1/audit", headers=env.adm).json()["entries"]
    actions = [(e["action"], e["target"]) for e in entries]
    assert actions[:4] == [
        ("fit", env.ws.slug),
        ("rollback experience", "mood"),
        ("save brand_kit", "default"),
        ("save experience", "mood"),
    ]
    actors = {e["actor"] for e in entries[:4]}
    assert len(actors) == 1 and next(iter(actors)).startswith("key:")
    assert entries[1]["detail"] == {"to": 1, "version": 3}
    only = env.client.get("/v1/audit?action=fit", headers=env.adm).json()["entries"]
    assert [e["action"] for e in only] == ["fit"]


def test_chat_copywriter_experience_answers_through_the_api(env: Env, llm: LLMServer) -> None:
    body = env.answer("chat", choice="calm")
    assert body["copy"]["source"] == "chat:good"
    assert body["items"][0]["title"] in body["copy"]["description"]
    sent = str(llm.requests[-1]["body"]["messages"])
    shown = {i["title"] for i in body["items"]}
    assert all(t in sent for t in shown)
    assert not any(i["title"] in sent for i in ITEMS if i["title"] not in shown)


def test_sensitive_answer_by_meaning_is_not_echoed(env: Env) -> None:
    ask = {"key": "ask", "name": "Ask", "prompt": {"kind": "text", "question": "What?"}}
    env.engine.save_experience(env.ws.slug, ask)
    plain = env.answer("ask", text="our first calm evening")
    assert "first" in plain["copy"]["title"].lower()
    body = env.answer("ask", text="we're expecting our first baby")
    words = (body["copy"]["title"] + body["copy"]["description"]).lower()
    assert "expecting" not in words and "first" not in words
    allowed = {**ask, "guardrails": {"allowed_topics": ["pregnancy"]}}
    env.engine.save_experience(env.ws.slug, allowed)
    env.engine._specs.clear()
    copy = env.answer("ask", text="we're expecting our first baby")["copy"]
    assert "expecting" in copy["title"].lower()


def test_model_failure_falls_back_to_template_copy(env: Env) -> None:
    broken = {**CHAT, "key": "broken", "copywriter": {"kind": "chat", "model": "error"}}
    env.engine.save_experience(env.ws.slug, broken)
    body = env.answer("broken", choice="calm")
    assert body["copy"]["source"] == "template" and not body["fallback"]


# -- CLI -----------------------------------------------------------------------------------------


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(cli_app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_cli_review_rollback_brand_kit_and_audit(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", env.store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TASTEMAKER_ACTOR", "cli:editor")
    cli = CliRunner()
    w = ("--workspace", env.ws.slug)
    env.answer("reviewed", choice="calm")
    env.answer("reviewed", choice="loud")
    listed = run(cli, "review", "list", *w).strip().splitlines()
    assert len(listed) == 2
    first, second = (int(line.split("\t")[0]) for line in listed)
    run(cli, "review", "edit", str(first), *w, "--title", "Quiet ones")
    run(cli, "review", "reject", str(second), *w)
    assert run(cli, "review", "list", *w).strip() == ""
    assert "Quiet ones" in run(cli, "review", "list", *w, "--status", "approved")
    run(cli, "review", "approve", "424242", *w, code=3)  # NotFound

    kit = tmp_path / "kit.yaml"
    kit.write_text("legal_lines: [Offer ends Sunday.]\n")
    assert run(cli, "brand-kit", "set", str(kit), *w).strip() == "brand kit: version 1"
    kit.write_text("legal_lines: [Offer ends Monday.]\n")
    run(cli, "brand-kit", "set", str(kit), *w)
    out = run(cli, "rollback", "brand-kit", "--to", "1", *w)
    assert "version 3" in out
    assert "Offer ends Sunday." in run(cli, "brand-kit", "show", *w)
    kit.write_text("voice: shouty\n")
    run(cli, "brand-kit", "set", str(kit), *w, code=2)

    env.engine.save_experience(env.ws.slug, {**MOOD, "name": "Two"})
    out = run(cli, "rollback", "experience", "mood", "--to", "1", *w)
    assert out.strip() == "experience mood: version 1 is current again as version 3"
    assert run(cli, "versions", "experience", "mood", *w).splitlines()[0].startswith("3\t")

    audit = run(cli, "audit", *w).splitlines()
    assert [line.split("\t")[1:3] for line in audit[:3]] == [
        ["cli:editor", "rollback experience"],
        ["library", "save experience"],
        ["cli:editor", "rollback brand_kit"],
    ]
    assert any("review edit" in line for line in audit)


def test_store_versions_are_deduplicated(store: Store, workspace: WorkspaceRecord) -> None:
    v1 = db.save_version(store, workspace.id, "template", "card", {"html": "a"}, actor="t")
    same = db.save_version(store, workspace.id, "template", "card", {"html": "a"}, actor="t")
    v2 = db.save_version(store, workspace.id, "template", "card", {"html": "b"}, actor="t")
    assert (v1, same, v2) == (1, 1, 2)
    assert db.get_version(store, workspace.id, "template", "card") is not None
    assert [r.version for r in db.list_versions(store, workspace.id, "template", "card")] == [2, 1]
    assert len(db.list_audit(store, workspace.id, action="save template")) == 2


def test_an_edit_with_a_banned_claim_is_refused_with_its_field(env: Env) -> None:
    env.answer("reviewed", choice="calm")
    item = env.client.get("/v1/review", headers=env.adm).json()["items"][0]
    kit = {"banned_claims": ["life-changing"], "competitors": ["Spotify"]}
    assert env.client.put("/v1/brand-kit", json=kit, headers=env.adm).status_code == 200
    bad = {"title": "Calm", "description": "Life-changing quiet records.", "cta": "Listen"}
    r = env.client.post(f"/v1/review/{item['id']}/edit", json=bad, headers=env.adm)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "description"
    assert "banned claim" in r.json()["error"]["message"]
    # the default claims of every brand apply too ("best"), and the item is still pending
    best = {**bad, "description": "Quiet records.", "title": "Best calm"}
    r = env.client.post(f"/v1/review/{item['id']}/edit", json=best, headers=env.adm)
    assert r.status_code == 422 and r.json()["error"]["field"] == "title"
    pending = env.client.get("/v1/review", headers=env.adm).json()["items"]
    assert [i["id"] for i in pending] == [item["id"]]
    ok = {**bad, "description": "Quiet records for you."}
    assert (
        env.client.post(f"/v1/review/{item['id']}/edit", json=ok, headers=env.adm).status_code
        == 200
    )
    missing = env.client.post("/v1/review/999999/edit", json=ok, headers=env.adm)
    assert missing.status_code == 404


def test_guardrails_overview_names_topics_and_each_experiences_checks(env: Env) -> None:
    r = env.client.get("/v1/guardrails", headers=env.adm)
    assert r.status_code == 200
    body = r.json()
    assert "health" in body["sensitive_topics"] and "pii" in body["checks"]
    mood = next(e for e in body["experiences"] if e["key"] == "mood")
    assert mood["allowed_topics"] == [] and mood["review"] is True
    assert env.client.get("/v1/guardrails", headers=env.pub).status_code == 403


def test_a_saved_kit_reaches_the_next_answer_and_experiment_variants(env: Env) -> None:
    decl = {
        "key": "kit-voice",
        "experience": "mood",
        "variants": [
            {"name": "warm"},
            {"name": "plain", "overrides": {"brand": {"voice": "plain"}}},
        ],
        "metric": {"event": "purchase"},
    }
    assert env.client.post("/v1/experiments", json=decl, headers=env.adm).status_code == 200
    people = [f"kit{i}" for i in range(8)]
    before = {p: env.answer("mood", choice="calm", user_id=p) for p in people}
    assert {a["copy"]["legal"] == [] for a in before.values()} == {True}
    kit = {"legal_lines": ["Prices include VAT."]}
    assert env.client.put("/v1/brand-kit", json=kit, headers=env.adm).status_code == 200
    # No cache clearing here: saving the kit is enough, in both variants' cached specs.
    after = {p: env.answer("mood", choice="calm", user_id=p) for p in people}
    assert {a["variant"] for a in after.values()} == {"warm", "plain"}
    assert all(a["copy"]["legal"] == ["Prices include VAT."] for a in after.values())
