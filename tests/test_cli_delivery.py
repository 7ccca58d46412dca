"""``tastemaker render | webhooks | deliveries | subscribe | refresh`` through CliRunner."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.syndication.service import Syndication
from tastemaker.syndication.worker import RetryPolicy
from test_cli import EVENTS, ITEMS, SPEC, write_jsonl
from webhook_receiver import Receiver, receiver

T0 = 1_770_000_000


@pytest.fixture
def cli(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TASTEMAKER_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.delenv("TASTEMAKER_WORKSPACE", raising=False)
    return CliRunner()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def run(cli: CliRunner, *args: str, code: int = 0) -> Any:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


@pytest.fixture
def slug(cli: CliRunner, tmp_path: Path) -> str:
    """A fitted workspace with the `mood` experience."""
    slug = f"cli-{uuid.uuid4().hex[:10]}"
    run(cli, "init", "-w", slug)
    run(cli, "ingest", "items", str(write_jsonl(tmp_path / "items.jsonl", ITEMS)), "-w", slug)
    run(cli, "ingest", "events", str(write_jsonl(tmp_path / "events.jsonl", EVENTS)), "-w", slug)
    (tmp_path / "mood.yaml").write_text(SPEC)
    run(cli, "experiences", "create", str(tmp_path / "mood.yaml"), "-w", slug)
    run(cli, "fit", "-w", slug)
    return slug


def test_render_prints_the_requested_channels(cli: CliRunner, slug: str) -> None:
    out = json.loads(
        run(
            cli, "render", "mood", "--choice", "calm", "-c", "ads", "-c", "message", "-w", slug
        ).stdout
    )
    assert set(out) == {"ads", "message"}
    assert all(len(v["headline"]) <= 30 for v in out["ads"]["variants"])
    assert run(cli, "render", "mood", "-c", "fax", "-w", slug, code=2)


def test_webhook_subscribe_and_scheduled_refresh(
    cli: CliRunner, slug: str, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = json.loads(
        run(cli, "webhooks", "add", "cms", hook.url, "-c", "json", "-w", slug).stdout
    )
    assert added["secret"].startswith("whsec_")
    assert [h["name"] for h in json.loads(run(cli, "webhooks", "list", "-w", slug).stdout)] == [
        "cms"
    ]
    saved = run(
        cli,
        "subscribe",
        "mood",
        "--user",
        "u1",
        "--choice",
        "calm",
        "--cadence",
        "daily",
        "--now",
        str(T0),
        "-w",
        slug,
    )
    assert json.loads(saved.stdout)["next_run_at"] == T0 + 86_400
    first = json.loads(run(cli, "refresh", "--now", str(T0 + 3600), "-w", slug).stdout)
    assert first["refreshed"] == [] and first["deliveries"]["delivered"] == 0
    later = json.loads(run(cli, "refresh", "--now", "2026-02-03T03:00:00Z", "-w", slug).stdout)
    [done] = later["refreshed"]
    assert done["user_id"] == "u1" and done["items"] and done["error"] is None
    assert later["deliveries"]["delivered"] == 1
    assert json.loads(hook.requests[0].body)["data"]["request_id"] == done["request_id"]
    assert run(cli, "refresh", "--now", "yesterday", code=2)

    monkeypatch.setenv("TASTEMAKER_WEBHOOK_ALLOW_PRIVATE", "0")
    result = run(cli, "webhooks", "add", "other", hook.url, "-w", slug, code=2)
    assert "private" in result.stderr


def test_dead_letters_listed_and_replayed(
    cli: CliRunner, slug: str, hook: Receiver, store: Store, tmp_path: Path
) -> None:
    run(cli, "webhooks", "add", "cms", hook.url, "-w", slug)
    engine = Engine(
        store,
        Settings(data_dir=tmp_path / "data", database_url=store.url, webhook_allow_private=True),
    )
    syn = Syndication(engine)
    [msg_id] = syn.publish(slug, engine.answer(slug, "mood", choice="calm"))
    hook.script = [(500, {})]
    worker = syn.deliverer(slug, policy=RetryPolicy(max_attempts=1))
    assert worker.run_once().dead == 1
    worker.close()
    engine.close()
    dead = json.loads(run(cli, "deliveries", "list", "--status", "dead", "-w", slug).stdout)
    assert [d["msg_id"] for d in dead] == [msg_id]
    assert run(cli, "deliveries", "replay", "-w", slug, code=2)  # neither ids nor --all
    assert "replayed: 1" in run(cli, "deliveries", "replay", "--all", "-w", slug).stdout
    hook.script = [(200, {})]
    assert json.loads(run(cli, "deliveries", "run", "-w", slug).stdout)["delivered"] == 1
    shown = json.loads(run(cli, "deliveries", "show", msg_id, "-w", slug).stdout)
    assert shown["status"] == "delivered"
    assert [r["status_code"] for r in shown["receipts"]] == [500, 200]
    rotated = json.loads(run(cli, "webhooks", "rotate", "cms", "-w", slug).stdout)
    assert rotated["signing_keys"] == 2
    assert json.loads(run(cli, "webhooks", "retire", "cms", "-w", slug).stdout)["signing_keys"] == 1
