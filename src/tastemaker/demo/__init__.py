"""The demo: a generated catalog, three experiences and a page, loaded into one workspace.

``load_demo`` is what ``tastemaker demo`` (and the API's demo mode) calls at start-up. It is
idempotent: items are upserted (unchanged items are not rewritten), events carry stable ids (so a
second load stores nothing new), and experiences keep their version when their YAML did not
change. Only the API keys are new on every call: the store keeps their hashes, never the raw
keys, so the only way to hand the page a working key is to mint one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tastemaker.demo.generate import DEMO_USERS, SEED, generate, write
from tastemaker.errors import InvalidInput
from tastemaker.experiences import ExperienceSpec, load_spec
from tastemaker.ingest import validate_events, validate_items

if TYPE_CHECKING:
    from tastemaker.store import Store

__all__ = [
    "DEMO_USERS",
    "EXPERIENCES_DIR",
    "STATIC_DIR",
    "DemoInfo",
    "demo_experiences",
    "generate",
    "load_demo",
    "write",
]

_HERE = Path(str(resources.files(__name__)))
EXPERIENCES_DIR = _HERE / "experiences"
STATIC_DIR = _HERE / "static"  # index.html: the demo page, served by the API under /demo/


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """What the server needs after loading the demo: the workspace, fresh keys, the personas."""

    workspace: str
    public_key: str
    admin_key: str
    users: list[dict[str, str]]  # [{"id": "u_focus", "label": "Deep-work listener"}, ...]
    items_changed: int = 0
    events_added: int = 0
    experiences: dict[str, int] = field(default_factory=dict)  # key -> saved version

    def config(self) -> dict[str, Any]:
        """The body of ``GET /demo/config.json``: never the admin key, which is for the CLI."""
        return {"workspace": self.workspace, "public_key": self.public_key, "users": self.users}


def demo_experiences() -> list[ExperienceSpec]:
    """The demo's experiences, validated, in file-name order."""
    return [load_spec(p) for p in sorted(EXPERIENCES_DIR.glob("*.yaml"))]


def load_demo(
    store: Store, ws_slug: str = "demo", *, seed: int = SEED, now: float | None = None
) -> DemoInfo:
    """Create (or refresh) the demo workspace in ``store`` and mint a public and an admin key.

    ``now`` anchors the generated history (default: the current time, so recency weighting sees
    recent activity). The catalog snapshot is not fitted here: that is ``Engine.fit``'s job.
    """
    ws = store.get_workspace(ws_slug)
    if ws is None:
        try:
            ws = store.create_workspace(ws_slug, "Tastemaker demo")
        except InvalidInput:  # another worker created it between our read and our write
            ws = store.get_workspace(ws_slug)
            if ws is None:
                raise
    items, events = generate(seed, time.time() if now is None else now)
    items_changed = store.upsert_items(ws.id, validate_items(items))
    events_added = store.insert_events(ws.id, validate_events(events))
    versions = {
        spec.key: store.save_experience(ws.id, spec.model_dump(mode="json"))
        for spec in demo_experiences()
    }
    return DemoInfo(
        workspace=ws.slug,
        public_key=store.create_api_key(ws.slug, "public"),
        admin_key=store.create_api_key(ws.slug, "admin"),
        users=[{"id": p.id, "label": p.label} for p in DEMO_USERS],
        items_changed=items_changed,
        events_added=events_added,
        experiences=versions,
    )
