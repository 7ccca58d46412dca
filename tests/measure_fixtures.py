"""An engine over the conftest store with the film catalog and an experience with a follow-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline_fixtures import FILMS, film_events
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

FILM_NIGHT: dict[str, Any] = {
    "key": "films",
    "name": "Film night",
    "prompt": {
        "kind": "choice",
        "question": "What mood are you in?",
        "choices": [
            {
                "id": "laugh",
                "label": "Make me laugh",
                "intent": {"text": "funny comedy", "attributes": {"genres": ["Comedy"]}},
            },
            {"id": "thrill", "label": "Thrill me", "intent": {"text": "action thriller"}},
        ],
    },
    "followup": {
        "kind": "choice",
        "question": "Old or new?",
        "choices": [
            {"id": "classic", "label": "A classic", "intent": {"numeric_max": {"year": 1994}}},
            {"id": "recent", "label": "Recent", "intent": {"numeric_min": {"year": 1995}}},
        ],
    },
    "output": {"kind": "list", "size": 4},
    "default_items": ["f13"],
    "measure": {"objective": "revenue", "guardrails": ["fallback_rate", "abandonment_rate"]},
}

_ENCODER: Encoder | None = None


def encoder() -> Encoder:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = get_encoder("static")
    return _ENCODER


def film_engine(store: Store, workspace: WorkspaceRecord, data_dir: Path) -> Engine:
    engine = Engine(store, Settings(data_dir=data_dir, database_url=store.url), encoder=encoder())
    store.upsert_items(
        workspace.id,
        [
            ItemIn(
                id=i,
                title=t,
                text=f"{t}. Genres: {', '.join(g)}",
                attributes={"year": y, "genres": g},
                price=p,
            )
            for i, t, y, g, p in FILMS
        ],
    )
    store.insert_events(
        workspace.id,
        [
            EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
            for e in film_events()
        ],
    )
    engine.save_experience(workspace.slug, FILM_NIGHT)
    engine.fit(workspace.slug)
    return engine
