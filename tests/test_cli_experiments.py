"""``tastemaker experiments``: create from YAML, list, report (text and JSON), stop, holdout."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.ingest import EventIn
from tastemaker.measure.service import ExperimentService
from tastemaker.store import Store
from tastemaker.store.experiments import Exposure

EXPERIENCE = """
key: mood
name: Mood picks
prompt: {kind: text, question: "How do you feel?"}
"""
EXPERIMENT = """
key: titles
experience: mood
target: template
variants:
  - {name: control}
  - {name: cards, overrides: {brand: {safe_title: Made for you}}}
metric: {event: purchase}
guardrails: [{event: unsubscribe, higher_is_better: false}]
planned_units: 400
"""


@pytest.fixture
def cli(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TASTEMAKER_WORKSPACE", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_experiments_commands(cli: CliRunner, store: Store, tmp_path: Path) -> None:
    slug = f"cli-{uuid.uuid4().hex[:10]}"
    run(cli, "init", "--workspace", slug)
    (tmp_path / "mood.yaml").write_text(EXPERIENCE)
    (tmp_path / "titles.yaml").write_text(EXPERIMENT)
    run(cli, "experiences", "create", str(tmp_path / "mood.yaml"), "-w", slug)
    assert "titles on mood: running" in run(
        cli, "experiments", "create", str(tmp_path / "titles.yaml"), "-w", slug
    )
    assert run(cli, "experiments", "list", "-w", slug).startswith("titles\tmood\trunning")

    ws = store.get_workspace(slug)
    assert ws is not None
    ExperimentService(store).db.log_exposures(
        [Exposure(ws.id, "titles", f"c{i}", "control", 0.0) for i in range(200)]
        + [Exposure(ws.id, "titles", f"t{i}", "cards", 0.0) for i in range(200)]
    )
    store.insert_events(
        ws.id,
        [EventIn(user_id=f"c{i}", type="purchase", ts=10.0) for i in range(10)]
        + [EventIn(user_id=f"t{i}", type="purchase", ts=10.0) for i in range(40)],
    )
    text = run(cli, "experiments", "report", "titles", "-w", slug)
    assert "units: control 200, cards 200" in text
    assert "cards: SHIP" in text
    data = json.loads(run(cli, "experiments", "report", "titles", "-w", slug, "--json"))
    assert data["decisions"][0]["decision"] == "ship"
    assert "stopped" in run(cli, "experiments", "stop", "titles", "-w", slug)
    assert "20.0%" in run(cli, "experiments", "holdout", "0.2", "-w", slug)
    run(cli, "experiments", "holdout", "0.9", "-w", slug, code=2)
    run(cli, "experiments", "report", "nope", "-w", slug, code=3)
    (tmp_path / "bad.yaml").write_text("key: x\nexperience: mood\nvariants: []\n")
    assert "bad.yaml" in run(
        cli, "experiments", "create", str(tmp_path / "bad.yaml"), "-w", slug, code=2
    )
