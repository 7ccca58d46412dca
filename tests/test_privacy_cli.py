"""The privacy commands through typer's CliRunner, on the conftest ``store``'s database."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.ingest import validate_events
from tastemaker.store import Store


@pytest.fixture
def cli(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TASTEMAKER_WORKSPACE", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0, stdin: str | None = None) -> Any:
    result = cli.invoke(app, list(args), input=stdin)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


@pytest.fixture
def slug(cli: CliRunner, store: Store) -> str:
    s = f"cli-{uuid.uuid4().hex[:10]}"
    run(cli, "init", "--workspace", s)
    ws = store.get_workspace(s)
    assert ws is not None
    store.insert_events(
        ws.id,
        validate_events(
            [{"user_id": "p1", "item_id": "i1", "type": "view", "ts": 1e9 + k} for k in range(3)]
        ),
    )
    return s


def test_consent_set_and_show(cli: CliRunner, slug: str) -> None:
    out = run(
        cli, "consent", "set", "p1", "--grant", "memory", "--revoke", "marketing", "-w", slug
    ).stdout
    state = json.loads(out)
    assert state["memory"] == {
        "granted": True,
        "source": "cli",
        "recorded_at": state["memory"]["recorded_at"],
    }
    assert state["marketing"]["granted"] is False
    assert json.loads(run(cli, "consent", "show", "p1", "-w", slug).stdout) == state
    history = json.loads(run(cli, "consent", "history", "p1", "-w", slug).stdout)
    assert [(h["purpose"], h["granted"], h["source"]) for h in history] == [
        ("memory", True, "cli"),
        ("marketing", False, "cli"),
    ]
    bad = run(cli, "consent", "set", "p1", "--grant", "ads", "-w", slug, code=2)
    assert "ads" in bad.stderr
    both = run(
        cli, "consent", "set", "p1", "--grant", "memory", "--revoke", "memory", "-w", slug, code=2
    )
    assert "both" in both.stderr


def test_export_erase_and_maintain(cli: CliRunner, slug: str, tmp_path: Path) -> None:
    out = tmp_path / "p1.json"
    run(cli, "export", "p1", "-o", str(out), "-w", slug)
    doc = json.loads(out.read_text())
    assert doc["user_id"] == "p1" and len(doc["tables"]["events"]) == 3
    run(cli, "erase", "p1", "-w", slug, stdin="n\n", code=1)  # declined: nothing happens
    assert len(json.loads(run(cli, "export", "p1", "-w", slug).stdout)["tables"]["events"]) == 3
    receipt = json.loads(run(cli, "erase", "p1", "--yes", "-w", slug).stdout)
    assert receipt["tables"]["events"] == 3 and receipt["model"] == "no snapshot"
    assert json.loads(run(cli, "export", "p1", "-w", slug).stdout)["tables"]["events"] == []
    policy = json.loads(run(cli, "policy", "--events-days", "30", "-w", slug).stdout)
    assert policy["events_days"] == 30
    report = json.loads(run(cli, "maintain", "-w", slug).stdout)
    # Then the report's rollups of the closed days of the longest report (366 days, today open).
    assert report[slug].pop("report_days_built") >= 364
    assert report == {slug: {"events": 0, "served": 0, "answers": 0, "preferences": 0}}
    again = json.loads(run(cli, "maintain", "-w", slug).stdout)
    assert again[slug]["report_days_built"] <= 1  # only a day closed since (at midnight)


def test_memory_commands(cli: CliRunner, slug: str) -> None:
    assert json.loads(run(cli, "memory", "list", "p1", "-w", slug).stdout) == []
    missing = run(cli, "memory", "forget", "p1", "7", "-w", slug, code=3)
    assert "7" in missing.stderr
