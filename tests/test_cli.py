"""The command line, through typer's CliRunner (in-process), on the conftest ``store``'s database.

The CLI reads its database from the environment like the server does, so each test points
``TASTEMAKER_DATABASE_URL`` at the fixture's store; ``serve`` and ``demo`` are checked up to the
point where they would hand over to uvicorn.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.store import Store

ITEMS = [
    {
        "id": f"i{n:02d}",
        "title": f"{g.title()} record {n}",
        "text": f"a {'calm quiet' if g in ('ambient', 'jazz') else 'loud'} {g} record",
        "attributes": {"genre": g},
        "price": 4.5 + n,
    }
    for n, g in enumerate(["ambient", "jazz", "rock", "techno"] * 6)
]
EVENTS = [
    {"user_id": f"u{u}", "item_id": f"i{(u + 4 * k) % 24:02d}", "type": "view", "ts": 1e9 + k}
    for u in range(4)
    for k in range(6)
]
SPEC = """\
key: mood
name: Mood picks
prompt:
  kind: choice
  question: How do you feel?
  choices:
    - id: calm
      label: Calm
      intent: {text: calm quiet music, attributes: {genre: [ambient, jazz]}}
    - id: loud
      label: Loud
      intent: {text: loud music}
output: {size: 4}
"""


@pytest.fixture
def cli(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TASTEMAKER_DATABASE_URL", store.url)
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TASTEMAKER_WORKSPACE", raising=False)
    return CliRunner()


@pytest.fixture
def slug() -> str:
    """A workspace nobody else uses: on PostgreSQL the test database is shared."""
    return f"cli-{uuid.uuid4().hex[:10]}"


def run(cli: CliRunner, *args: str, code: int = 0) -> Any:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return path


def keys_of(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def test_init_prints_keys(cli: CliRunner, store: Store, slug: str) -> None:
    out = keys_of(run(cli, "init", "--workspace", slug).stdout)
    assert out["workspace"] == slug
    assert out["public key"].startswith("tm_pk_") and out["admin key"].startswith("tm_sk_")
    public = store.authenticate(out["public key"])
    admin = store.authenticate(out["admin key"])
    assert public is not None and public.scope == "public" and public.workspace_slug == slug
    assert admin is not None and admin.scope == "admin"
    # Again: the workspace stays, a fresh pair of keys is minted.
    again = keys_of(run(cli, "init", "--workspace", slug).stdout)
    assert again["public key"] != out["public key"]
    assert [w.slug for w in store.list_workspaces()].count(slug) == 1


def test_ingest_bad_line_names_file_line_and_field(
    cli: CliRunner, store: Store, tmp_path: Path, slug: str
) -> None:
    run(cli, "init", "--workspace", slug)
    rows: list[Any] = [dict(e) for e in EVENTS[:4]]
    rows[2]["ts"] = "not a time"
    path = write_jsonl(tmp_path / "events.jsonl", rows)
    result = run(cli, "ingest", "events", str(path), "--workspace", slug, code=2)
    assert "events.jsonl:3" in result.stderr and "ts" in result.stderr
    ws = store.get_workspace(slug)
    assert ws is not None and store.count_events(ws.id) == 0  # all or nothing

    result = run(cli, "ingest", "events", str(path), "-w", slug, "--skip-invalid")
    assert "3 stored" in result.stdout and "1 skipped" in result.stdout
    assert "events.jsonl:3" in result.stderr


def test_unknown_workspace_exits_3(cli: CliRunner, slug: str, tmp_path: Path) -> None:
    run(cli, "init", "--workspace", slug)
    path = write_jsonl(tmp_path / "items.jsonl", ITEMS[:2])
    result = run(cli, "ingest", "items", str(path), "--workspace", "nope", code=3)
    assert "nope" in result.stderr


def test_invalid_experience_file_names_the_field(cli: CliRunner, slug: str, tmp_path: Path) -> None:
    run(cli, "init", "--workspace", slug)
    path = tmp_path / "bad.yaml"
    path.write_text(SPEC.replace("kind: choice", "kind: poll"))
    result = run(cli, "experiences", "create", str(path), "-w", slug, code=2)
    assert "bad.yaml" in result.stderr and "prompt.kind" in result.stderr


def test_end_to_end_answer_prints_json(cli: CliRunner, slug: str, tmp_path: Path) -> None:
    run(cli, "init", "--workspace", slug)
    items = write_jsonl(tmp_path / "items.jsonl", ITEMS)
    events = write_jsonl(tmp_path / "events.jsonl", EVENTS)
    assert "24 stored" in run(cli, "ingest", "items", str(items), "-w", slug).stdout
    assert "24 stored" in run(cli, "ingest", "events", str(events), "-w", slug).stdout
    spec = tmp_path / "mood.yaml"
    spec.write_text(SPEC)
    assert run(cli, "experiences", "create", str(spec), "-w", slug).stdout.strip() == (
        "mood: version 1"
    )
    assert run(cli, "experiences", "list", "-w", slug).stdout.split("\t")[0] == "mood"
    report = json.loads(run(cli, "fit", "-w", slug).stdout)
    assert report["items"] == 24

    out = run(cli, "answer", "mood", "-w", slug, "--user", "u0", "--choice", "calm").stdout
    answer = json.loads(out)
    assert answer["experience"] == "mood" and not answer["fallback"]
    assert 1 <= len(answer["items"]) <= 4
    assert {"id", "title", "score", "reasons"} <= set(answer["items"][0])

    result = run(cli, "answer", "mood", "-w", slug, "--choice", "zzz", code=2)
    assert "choice" in result.stderr and "zzz" in result.stderr
    result = run(cli, "answer", "nope", "-w", slug, code=3)
    assert "nope" in result.stderr


def test_serve_hands_host_port_and_workers_to_the_server(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tastemaker.serving

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(tastemaker.serving, "serve", lambda *a, **kw: calls.append((a, kw)))
    run(cli, "serve", "--port", "8123", "--workers", "2")
    assert calls == [(("127.0.0.1", 8123, 2), {"access_log": False})]


def test_demo_loads_fits_prints_and_serves(
    cli: CliRunner, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slug: str
) -> None:
    import uvicorn

    import tastemaker.demo
    from tastemaker.demo import DemoInfo
    from tastemaker.ingest import validate_items

    def small_demo(st: Store) -> DemoInfo:
        """The real demo catalog takes seconds to fit; the command's wiring is what is tested."""
        ws = st.get_workspace(slug) or st.create_workspace(slug, "Demo")
        st.upsert_items(ws.id, validate_items(ITEMS))
        return DemoInfo(
            workspace=slug,
            public_key=st.create_api_key(slug, "public"),
            admin_key=st.create_api_key(slug, "admin"),
            users=[{"id": "u0", "label": "Calm"}],
        )

    monkeypatch.setattr(tastemaker.demo, "load_demo", small_demo)
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: served.append(kw))
    for name in (
        "TASTEMAKER_DEMO_WORKSPACE",
        "TASTEMAKER_DEMO_PUBLIC_KEY",
        "TASTEMAKER_DEMO_USERS",
    ):
        monkeypatch.setenv(name, "")  # so monkeypatch restores what the command sets

    lines = run(cli, "demo", "--port", "8765").stdout.splitlines()
    assert lines[0] == "tastemaker demo: http://127.0.0.1:8765"
    assert lines[1].startswith("public key: tm_pk_") and lines[2].startswith("admin key: tm_sk_")
    assert served and served[0]["factory"] is True and served[0]["workers"] == 1
    assert os.environ["TASTEMAKER_DEMO_PUBLIC_KEY"] == lines[1].removeprefix("public key: ")
    assert (tmp_path / "data" / "models" / slug).is_dir()  # fitted before serving


def test_no_arguments_shows_help(cli: CliRunner) -> None:
    result = cli.invoke(app, [])
    assert "init" in result.output and "answer" in result.output


def test_import_movielens(cli: CliRunner, store: Store, tmp_path: Path, slug: str) -> None:
    run(cli, "init", "--workspace", slug)
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n1,Toy Story (1995),Animation|Children\n2,Heat (1995),Action\n"
    )
    (folder / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964982704\n"
    )
    result = run(cli, "import-movielens", str(folder), "-w", slug)
    assert "2 items, 2 ratings" in result.stdout
    ws = store.get_workspace(slug)
    assert ws is not None and store.count_items(ws.id) == 2
