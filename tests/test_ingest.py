"""Reading, validating and storing items and events from files and JSON batches."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from tastemaker import ingest
from tastemaker.errors import InvalidInput
from tastemaker.ingest import (
    EventIn,
    ItemIn,
    derive_event_id,
    ingest_events_file,
    ingest_items_file,
    validate_events,
    validate_items,
)
from tastemaker.store import Store, WorkspaceRecord


def jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def ev(i: int, **kw: Any) -> dict[str, Any]:
    return {"user_id": f"u{i % 3}", "item_id": f"i{i}", "type": "view", "ts": 1000 + i, **kw}


# -- models ------------------------------------------------------------------------------------


def test_timestamps_epoch_and_iso_8601_agree() -> None:
    epoch = EventIn(user_id="u", type="view", ts=1_700_000_000)
    for ts in ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20+00:00", "2023-11-14 22:13:20"):
        e = EventIn(user_id="u", type="view", ts=ts)
        assert e.ts == 1_700_000_000.0
        assert e.event_id == epoch.event_id
    assert EventIn(user_id="u", type="view", ts="1700000000.5").ts == 1_700_000_000.5


def test_derived_event_id_is_stable() -> None:
    a = EventIn(user_id="u", item_id="i", type="rating", ts=5, value=4)
    b = EventIn(user_id="u", item_id="i", type="rating", ts=5.0, value=4.0)
    assert a.event_id == b.event_id == derive_event_id("u", "i", "rating", 5.0, 4.0)
    assert a.event_id != EventIn(user_id="u", item_id="i", type="rating", ts=5, value=3).event_id
    assert EventIn(user_id="u", type="view", ts=1, event_id="mine").event_id == "mine"


def test_numeric_ids_become_strings() -> None:
    e = validate_events([{"user_id": 7, "item_id": 42, "type": "view", "ts": 1}])[0]
    assert (e.user_id, e.item_id) == ("7", "42")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"type": "view", "ts": 1}, "user_id"),
        ({"user_id": "u", "type": "View!", "ts": 1}, "type"),
        ({"user_id": "u", "type": "view", "ts": "yesterday"}, "ts"),
        ({"user_id": "u", "type": "view", "ts": True}, "ts"),
        ({"user_id": "u", "type": "view", "ts": 1, "value": "high"}, "value"),
        ({"user_id": "u", "type": "view", "ts": 1, "colour": "red"}, "colour"),
        ({"user_id": "", "type": "view", "ts": 1}, "user_id"),
    ],
)
def test_bad_events_name_the_field(row: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_events([ev(0), row])
    assert err.value.field == field
    assert err.value.location == "events[1]"


def test_bad_ts_message_shows_the_value() -> None:
    with pytest.raises(InvalidInput) as err:
        validate_events([{"user_id": "u", "type": "view", "ts": "yesterday"}])
    assert "ISO 8601" in err.value.message and "'yesterday'" in err.value.message


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"title": "t"}, "id"),
        ({"id": "a", "title": "t", "price": -1}, "price"),
        ({"id": "a", "title": "t", "attributes": {"k": {"nested": 1}}}, "attributes.k"),
        ({"id": "a", "title": "t", "attributes": {"k": [1, 2]}}, "attributes.k"),
        ({"id": "x" * 129, "title": "t"}, "id"),
    ],
)
def test_bad_items_name_the_field(row: dict[str, Any], field: str) -> None:
    good = {"id": "ok", "title": "fine"}
    with pytest.raises(InvalidInput) as err:
        validate_items([good, good, good, row])
    assert (err.value.field, err.value.location) == (field, "items[3]")


def test_batch_error_lists_every_bad_row() -> None:
    rows = [{"id": str(i), "title": "t", "price": -1} for i in range(15)]
    with pytest.raises(InvalidInput) as err:
        validate_items(rows)
    assert err.value.location == "items[0]"
    assert "items[1]: price" in err.value.message
    assert "and 5 more invalid rows" in err.value.message


def test_item_attribute_values() -> None:
    it = validate_items(
        [{"id": 1, "title": "t", "attributes": {"g": ["a"], "n": 2, "x": 2.5, "b": True, "s": "v"}}]
    )[0]
    assert it.attributes == {"g": ["a"], "n": 2, "x": 2.5, "b": True, "s": "v"}
    assert isinstance(it.attributes["b"], bool) and isinstance(it.attributes["n"], int)
    assert ItemIn(id="a", title="t").available is True


# -- event files -------------------------------------------------------------------------------


def test_jsonl_events_ingest_is_idempotent(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    path = jsonl(tmp_path / "events.jsonl", [ev(i) for i in range(20)])
    seen: list[int] = []
    report = ingest_events_file(store, workspace.id, path, progress=seen.append)
    assert (report.stored, report.skipped, report.errors, report.rows) == (20, 0, [], 20)
    assert seen[-1] == 20
    again = ingest_events_file(store, workspace.id, path)
    assert (again.stored, again.rows) == (0, 20)
    assert store.count_events(workspace.id) == 20


def test_events_file_is_all_or_nothing(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [orjson.dumps(ev(i)) for i in range(5)]
    lines[2] = orjson.dumps(ev(2, ts="not a time"))
    lines.insert(4, b"")  # blank lines are skipped but still counted
    lines.append(b"{not json")
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InvalidInput) as err:
        ingest_events_file(store, workspace.id, path)
    assert (err.value.location, err.value.field) == ("events.jsonl:3", "ts")
    assert str(err.value).startswith("events.jsonl:3: ts: ")
    assert "events.jsonl:7: invalid JSON" in err.value.message
    assert store.count_events(workspace.id) == 0
    assert store.list_users(workspace.id) == []


def test_skip_invalid_stores_the_good_rows(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    rows: list[Any] = [ev(i) for i in range(6)]
    rows[1] = ev(1, value="x")
    rows[4] = ["not", "an", "object"]
    path = jsonl(tmp_path / "events.jsonl", rows)
    report = ingest_events_file(store, workspace.id, path, skip_invalid=True)
    assert (report.stored, report.skipped, report.rows) == (4, 2, 4)
    assert report.errors[0].startswith("events.jsonl:2: value: ")
    assert report.errors[1] == "events.jsonl:5: expected a JSON object"
    assert store.count_events(workspace.id) == 4


def test_errors_are_located_across_chunks(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 4)
    rows = [ev(i) for i in range(11)]
    rows[5] = ev(5, type="")
    rows[9] = ev(9, user_id=None)
    report = ingest_events_file(
        store, workspace.id, jsonl(tmp_path / "e.jsonl", rows), skip_invalid=True
    )
    assert [e.split(": ")[:2] for e in report.errors] == [
        ["e.jsonl:6", "type"],
        ["e.jsonl:10", "user_id"],
    ]
    assert report.stored == 9


def test_csv_events(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,type,value,ts,context\n"
        'u1,a,rating,4.5,2024-01-01T00:00:00Z,"{""device"": ""mobile""}"\n'
        "u1,b,view,,1704067300,\n"
        "u2,,search,,1704067200,\n",
        encoding="utf-8",
    )
    report = ingest_events_file(store, workspace.id, path)
    assert report.stored == 3
    recent = store.user_events(workspace.id, "u1")
    assert [(e.item_id, e.value, e.ts) for e in recent] == [
        ("b", None, 1704067300.0),
        ("a", 4.5, 1704067200.0),
    ]
    assert recent[1].context == {"device": "mobile"}
    assert store.user_events(workspace.id, "u2")[0].item_id is None


def test_csv_bad_json_cell_and_unknown_column(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,type,ts,context\nu,view,1,{oops\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        ingest_events_file(store, workspace.id, bad)
    assert (err.value.location, err.value.field) == ("bad.csv:2", "context")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("user_id,type,ts,colour\nu,view,1,red\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        ingest_events_file(store, workspace.id, unknown)
    assert (err.value.location, err.value.field) == ("unknown.csv:1", "colour")


def test_format_from_extension_or_explicit(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    txt = jsonl(tmp_path / "events.txt", [ev(1)])
    with pytest.raises(InvalidInput) as err:
        ingest_events_file(store, workspace.id, txt)
    assert err.value.field == "format"
    assert ingest_events_file(store, workspace.id, txt, fmt="jsonl").stored == 1
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(gzip.compress(orjson.dumps(ev(2)) + b"\n"))
    assert ingest_events_file(store, workspace.id, gz).stored == 1
    with pytest.raises(InvalidInput):
        ingest_events_file(store, workspace.id, tmp_path / "missing.jsonl")


# -- item files --------------------------------------------------------------------------------


def test_csv_items_with_attribute_columns(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "id,title,text,price,available,url,attr.genres,attr.year,attr.zip,attributes\n"
        'a,Alpha,"two\nlines",9.99,true,https://e.com/a,rock|pop,1999,02134,'
        '"{""mood"": ""calm""}"\n'
        "b,Beta,,,false,,jazz,2001.5,,\n",
        encoding="utf-8",
    )
    report = ingest_items_file(store, workspace.id, path)
    assert report.stored == 2
    a, b = store.get_items(workspace.id, ["a", "b"])
    assert a.attributes == {"genres": ["rock", "pop"], "year": 1999, "zip": "02134", "mood": "calm"}
    assert (a.text, a.price, a.available, a.url) == ("two\nlines", 9.99, True, "https://e.com/a")
    assert b.attributes == {"genres": "jazz", "year": 2001.5}
    assert (b.text, b.price, b.available, b.url) == ("", None, False, None)


def test_csv_line_numbers_follow_multiline_cells(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    path = tmp_path / "items.csv"
    path.write_text('id,title,text,price\na,A,"one\ntwo\nthree",1\nb,B,,-5\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        ingest_items_file(store, workspace.id, path)
    assert (err.value.location, err.value.field) == ("items.csv:5", "price")
    assert store.count_items(workspace.id) == 0


def test_items_reingest_changes_nothing(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    rows = [{"id": f"i{i}", "title": f"T{i}", "attributes": {"g": ["x"]}} for i in range(5)]
    path = jsonl(tmp_path / "items.jsonl", rows)
    assert ingest_items_file(store, workspace.id, path).stored == 5
    version = store.catalog_version(workspace.id)
    again = ingest_items_file(store, workspace.id, path)
    assert (again.stored, again.rows) == (0, 5)
    assert store.catalog_version(workspace.id) == version
    rows[2]["title"] = "changed"
    assert ingest_items_file(store, workspace.id, jsonl(path, rows)).stored == 1
    assert store.catalog_version(workspace.id) == version + 1
