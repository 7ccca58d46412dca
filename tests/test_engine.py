"""The engine over a real store: fit, answer, catalog changes, served results, fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_fixtures import FILMS, film_events
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.store.store import WorkspaceRecord

SPEC = {
    "key": "films",
    "name": "Film night",
    "prompt": {"kind": "text", "question": "What do you feel like watching?"},
    "output": {"kind": "list", "size": 4},
    "default_items": ["f13"],
}


@pytest.fixture()
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Engine:
    eng = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    items = [
        ItemIn(
            id=i,
            title=f"{t} ({y})",
            text=f"{t}. Genres: {', '.join(g)}",
            attributes={"year": y, "genres": g},
            price=p,
        )
        for i, t, y, g, p in FILMS
    ]
    store.upsert_items(workspace.id, items)
    store.insert_events(
        workspace.id,
        [
            EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
            for e in film_events()
        ],
    )
    eng.save_experience(workspace.slug, SPEC)
    eng.fit(workspace.slug)
    yield eng
    eng.close()


def test_answer_records_the_served_result(engine: Engine, workspace: WorkspaceRecord) -> None:
    a = engine.answer(workspace.slug, "films", user_id="a1", text="a 90s action movie")
    assert not a.fallback and len(a.items) == 4
    engine.flush()
    served = engine.store.get_served(workspace.id, a.request_id)
    assert served is not None
    assert list(served.item_ids) == [i.id for i in a.items]
    assert served.experience_version == a.experience_version == 1


def test_new_items_are_served_without_a_refit(engine: Engine, workspace: WorkspaceRecord) -> None:
    engine.upsert_items(
        workspace.slug,
        [
            ItemIn(
                id="f99",
                title="Penguin Detectives (1996)",
                text="Penguin detectives solve a crime in Antarctica",
                attributes={"year": 1996, "genres": ["Crime", "Mystery"]},
            )
        ],
    )
    a = engine.answer(workspace.slug, "films", text="penguin detectives")
    assert a.items[0].id == "f99"
    # The catalog snapshot on disk is the refreshed one: a new process sees it too.
    other = Engine(engine.store, engine.settings)
    b = other.answer(workspace.slug, "films", text="penguin detectives", record=False)
    assert b.items[0].id == "f99"


def test_unknown_experience_and_bad_user_id(engine: Engine, workspace: WorkspaceRecord) -> None:
    with pytest.raises(NotFound):
        engine.answer(workspace.slug, "nope", text="x")
    with pytest.raises(InvalidInput) as e:
        engine.answer(workspace.slug, "films", user_id="", text="x")
    assert e.value.field == "user_id"


def test_no_snapshot_falls_back_to_curated_items(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    eng = Engine(store, Settings(data_dir=tmp_path / "empty", database_url=store.url))
    store.upsert_items(workspace.id, [ItemIn(id="f13", title="Quiet Sorrow (1993)")])
    eng.save_experience(workspace.slug, SPEC)
    a = eng.answer(workspace.slug, "films", text="anything")
    assert a.fallback
    assert [i.id for i in a.items] == ["f13"]
    eng.close()


def test_a_corrupt_snapshot_gives_fallbacks_and_is_not_reread(
    engine: Engine, workspace: WorkspaceRecord, caplog: pytest.LogCaptureFixture
) -> None:
    folder = engine.model_dir(workspace.slug)
    (folder / "arrays.npz").write_bytes(b"not an npz file")
    fresh = Engine(engine.store, engine.settings)
    first = fresh.answer(workspace.slug, "films", text="comedy", record=False)
    assert first.fallback and [i.id for i in first.items] == ["f13"]
    caplog.clear()
    fresh._catalogs.clear()
    again = fresh.answer(workspace.slug, "films", text="comedy", record=False)
    assert again.fallback
    assert not [r for r in caplog.records if "could not load catalog" in r.getMessage()]
    fresh.fit(workspace.slug)
    assert not fresh.answer(workspace.slug, "films", text="comedy", record=False).fallback
    fresh.close()
