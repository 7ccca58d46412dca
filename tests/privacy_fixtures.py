"""A fitted film workspace for the privacy tests (engine, API, erasure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline_fixtures import FILMS, film_events
from tastemaker.encoders import Encoder
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

FILMS_SPEC = {
    "key": "films",
    "name": "Film night",
    "prompt": {
        "kind": "text",
        "question": "What do you feel like watching?",
        "privacy_notice": "We keep what you tell us only if you let us remember it.",
    },
    "output": {"kind": "list", "size": 3},
    "default_items": ["f13"],
}
# A second experience: what was remembered in one must shape the other.
PICKS_SPEC = {
    "key": "picks",
    "name": "Tonight's picks",
    "prompt": {"kind": "text", "question": "Anything in mind?"},
    "output": {"kind": "list", "size": 3},
}


def film_engine(
    store: Store, ws: WorkspaceRecord, data_dir: Path, encoder: Encoder, **settings: Any
) -> Engine:
    engine = Engine(
        store,
        Settings(data_dir=data_dir, database_url=store.url, **settings),
        encoder=encoder,
    )
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
    store.upsert_items(ws.id, items)
    store.insert_events(
        ws.id,
        [
            EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
            for e in film_events()
        ],
    )
    engine.save_experience(ws.slug, FILMS_SPEC)
    engine.save_experience(ws.slug, PICKS_SPEC)
    engine.fit(ws.slug)
    return engine
