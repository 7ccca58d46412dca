"""Offline evaluation: metrics checked by hand, case files, and whole runs on a tiny catalog.

The tiny dataset is written by the tests themselves: films with genres and a year (one with an
unknown year, written as null as real exports do), a few users with ratings, and cases with and
without the scoring fields.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from tastemaker.baselines import top_rows
from tastemaker.cli import app
from tastemaker.errors import InvalidInput
from tastemaker.evaluate import format_table, run_eval
from tastemaker.scoring import (
    Case,
    Query,
    SystemRun,
    constraint_precision,
    ranking_metrics,
    read_cases,
    score_system,
)

GENRES = ["Comedy", "Drama", "Horror", "Romance", "Action", "Animation"]
ITEMS: list[dict[str, Any]] = [
    {
        "id": str(n),
        "title": f"{GENRES[n % 6]} film {n} ({1980 + n})",
        "text": f"A {GENRES[n % 6].lower()} film. Genres: {GENRES[n % 6]}",
        "attributes": {"year": None if n == 5 else 1980 + n, "genres": [GENRES[n % 6]]},
    }
    for n in range(36)
]
# Users u0..u5 each rated three films of one genre; u0 loves comedies (0, 6, 12).
EVENTS: list[dict[str, Any]] = [
    {"user_id": f"u{u}", "item_id": str(u + 6 * j), "type": "rating", "value": 5.0, "ts": 1e9 + j}
    for u in range(6)
    for j in range(3)
] + [
    {
        "user_id": f"u{u}",
        "item_id": str((u + 1) % 6 + 6 * j),
        "type": "rating",
        "value": 4.0,
        "ts": 1e9 + 10 + j,
    }
    for u in range(6)
    for j in range(2)
]
CASES: list[dict[str, Any]] = [
    {
        "case_id": "c0",
        "user_id": "u0",
        "prompt": "a funny comedy",
        "prompt_kind": "genre",
        "relevant": ["18"],
    },
    {
        "case_id": "c1",
        "user_id": "u2",
        "prompt": "something scary",
        "prompt_kind": "genre",
        "relevant": ["20"],
        "constraints": {
            "genres_any": ["Horror"],
            "genres_none": [],
            "year_min": 1990,
            "year_max": None,
        },
    },
    {
        "case_id": "c2",
        "user_id": "u3",
        "prompt": "a love story",
        "prompt_kind": "tag",
        "relevant": ["21"],
        "context": {"hour": 21, "device": "mobile"},
    },
    {"case_id": "c3", "user_id": "nobody", "prompt": "an action movie"},  # no scoring fields
]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def read_cases_from(folder: Path, rows: list[dict[str, Any]]) -> list[Case]:
    return read_cases(_write_jsonl(folder / "cases.jsonl", rows))


@pytest.fixture
def dataset(tmp_path: Path) -> dict[str, Path]:
    return {
        "items": _write_jsonl(tmp_path / "items.jsonl", ITEMS),
        "events": _write_jsonl(tmp_path / "events.jsonl", EVENTS),
        "cases": _write_jsonl(tmp_path / "cases.jsonl", CASES),
    }


# -- metrics, by hand -------------------------------------------------------------------------


def test_hit_at_rank_three() -> None:
    m = ranking_metrics(["a", "b", "t", "c"], frozenset({"t"}))
    assert m["HR@10"] == 1.0
    assert m["NDCG@10"] == pytest.approx(1 / math.log2(4))  # 0.5
    assert m["MRR@10"] == pytest.approx(1 / 3)
    assert m["Recall@50"] == 1.0


def test_miss_and_duplicates_and_two_relevant() -> None:
    assert ranking_metrics([str(i) for i in range(10)] + ["t"], frozenset({"t"})) == {
        "HR@10": 0.0,
        "NDCG@10": 0.0,
        "MRR@10": 0.0,
        "Recall@50": 1.0,  # rank 11 is inside the top 50
    }
    # The duplicate "a" is dropped, so "t" is at rank 2, as the shared scorer counts it.
    assert ranking_metrics(["a", "a", "t"], frozenset({"t"}))["MRR@10"] == 0.5
    # Two relevant items at ranks 1 and 3: DCG 1 + 1/2, ideal DCG 1 + 1/log2(3).
    m = ranking_metrics(["x", "q", "y"], frozenset({"x", "y"}))
    assert m["NDCG@10"] == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert m["Recall@50"] == 1.0
    assert ranking_metrics([], frozenset({"t"}))["NDCG@10"] == 0.0


def test_constraint_precision_follows_the_scorer(tmp_path: Path) -> None:
    cases = read_cases_from(
        tmp_path,
        [
            {
                "case_id": "k",
                "prompt": "p",
                "constraints": {
                    "genres_any": ["Comedy"],
                    "genres_none": ["Horror"],
                    "year_min": 1990,
                    "year_max": None,
                },
            }
        ],
    )
    cons = cases[0].constraints
    assert cons is not None and len(cons) == 3  # year_max null = open, not a constraint
    attrs: dict[str, dict[str, Any]] = {
        "ok": {"genres": ["Comedy"], "year": 1995},
        "horror": {"genres": ["Comedy", "Horror"], "year": 1995},
        "old": {"genres": ["Comedy"], "year": 1980},
        "noyear": {"genres": ["Comedy"]},
    }
    # 1 of 10 slots passes: "horror" fails genres_none, "old" the year, "noyear" has an
    # unknown year, "ghost" is not in the catalog, the duplicate "ok" and 5 empty slots fail.
    ranked = ["ok", "horror", "ok", "old", "noyear", "ghost"]
    assert constraint_precision(ranked, cons, attrs) == pytest.approx(0.1)
    assert constraint_precision(["ok"] * 3, cons, attrs) == pytest.approx(0.1)


def test_score_system_groups_and_latency(tmp_path: Path) -> None:
    cases = read_cases_from(tmp_path, CASES)
    run = SystemRun(
        "fake",
        rankings={"c0": ["1", "2", "18"], "c1": ["20"], "c2": [], "c3": ["0"]},
        latencies_ms=[1.0, 2.0, 3.0, 4.0],
    )
    attrs = {it["id"]: it["attributes"] for it in ITEMS}
    s = score_system(run, cases, attrs, {"u0": {"1"}})
    assert s["groups"]["overall"]["n"] == 3  # c3 has no `relevant`
    assert s["groups"]["genre"]["NDCG@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert s["groups"]["tag"]["HR@10"] == 0.0
    assert s["constraints"] == {
        "n": 1,
        "constraint_precision@10": pytest.approx(0.1),
        "all_satisfied_rate": 0.0,
    }
    assert s["latency_ms"]["p50"] == pytest.approx(2.5)
    assert s["seen_in_top10"] == 1


# -- case files -------------------------------------------------------------------------------


def test_cases_without_scoring_fields(tmp_path: Path) -> None:
    cases = read_cases(_write_jsonl(tmp_path / "c.jsonl", [{"case_id": 7, "prompt": "hi"}]))
    assert cases == [Case(query=Query("7", None, "hi"))]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"case_id": "a", "prompt": "p", "constraints": {"genres_some": ["x"]}}, "constraints"),
        ({"case_id": "a", "prompt": "p", "context": {"hour": 30}}, "context.hour"),
        ({"prompt": "p"}, "case_id"),
    ],
)
def test_bad_cases_name_line_and_field(tmp_path: Path, row: dict[str, Any], field: str) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"case_id": "ok", "prompt": "p"}, row])
    with pytest.raises(InvalidInput) as err:
        read_cases(path)
    assert (err.value.location, err.value.field) == ("c.jsonl:2", field)


def test_duplicate_case_ids_are_refused(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"case_id": "a"}, {"case_id": "a"}])
    with pytest.raises(InvalidInput, match="duplicate"):
        read_cases(path)


def test_top_rows_excludes_and_keeps_ties_in_order() -> None:
    scores = np.array([0.0, 3.0, 1.0, 3.0, 0.0], dtype=np.float32)
    assert top_rows(scores, np.array([1], dtype=np.int32), 3).tolist() == [3, 2, 0]
    assert top_rows(scores, np.array([0, 1, 2, 3, 4], dtype=np.int32), 3).tolist() == []


# -- whole runs -------------------------------------------------------------------------------


def test_run_eval_answers_every_case_through_the_engine(
    dataset: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out" / "rankings.jsonl"
    report = run_eval(dataset["items"], dataset["events"], dataset["cases"], out, k=5)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["case_id"] for r in lines] == ["c0", "c1", "c2", "c3"]
    assert all(0 < len(r["items"]) <= 5 for r in lines)
    rated_by_u0 = {e["item_id"] for e in EVENTS if e["user_id"] == "u0"}
    assert not rated_by_u0 & set(lines[0]["items"])  # exclude_consumed
    tm = report.systems["tastemaker"]
    assert tm["fallbacks"] == 0 and tm["errors"] == 0 and tm["seen_in_top10"] == 0
    assert tm["groups"]["overall"]["n"] == 3 and set(tm["groups"]) == {"overall", "genre", "tag"}
    assert report.data["items"] == len(ITEMS)  # the null year was taken as unknown, not refused
    assert list(report.systems) == ["tastemaker"]
    assert "NDCG@10" in format_table(report)


def test_cli_eval_with_baselines_writes_rankings_and_report(
    dataset: dict[str, Path], tmp_path: Path
) -> None:
    rankings, report = tmp_path / "r.jsonl", tmp_path / "report.json"
    args = ["eval", "--rankings", str(rankings), "--report", str(report), "--k", "10"]
    for name in ("items", "events", "cases"):
        args += [f"--{name}", str(dataset[name])]
    result = CliRunner().invoke(app, [*args, "--baselines"])
    assert result.exit_code == 0, result.output
    assert len(rankings.read_text().splitlines()) == len(CASES)
    data = json.loads(report.read_text())
    assert list(data["systems"]) == [
        "tastemaker",
        "popularity",
        "ALS (history)",
        "semantic (prompt)",
        "BM25 (prompt)",
        "RRF (ALS+semantic)",
        "hybrid (semantic>ALS)",
    ]
    for name, system in data["systems"].items():
        assert system["seen_in_top10"] == 0, name  # every peer excludes what the user has
        assert system["constraints"]["n"] == 1
    table = result.output
    assert "system" in table and "hybrid (semantic>ALS)" in table and "CP@10" in table


def test_cli_eval_reports_bad_input_as_an_error(dataset: dict[str, Path], tmp_path: Path) -> None:
    bad = _write_jsonl(tmp_path / "bad.jsonl", [{"case_id": "a", "context": {"mood": "x"}}])
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--items",
            str(dataset["items"]),
            "--events",
            str(dataset["events"]),
            "--cases",
            str(bad),
            "--rankings",
            str(tmp_path / "r.jsonl"),
        ],
    )
    assert result.exit_code != 0
    assert "bad.jsonl:1" in result.output
