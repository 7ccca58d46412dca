"""Each workspace's catalog snapshot as this process serves it: loaded, reloaded, rebuilt.

Why: the answer path needs the snapshot hot (items, embeddings, vector index, CF factors), and
several processes share one store. So a process loads the snapshot saved on disk, asks the store
every ``reload_check_seconds`` whether the catalog changed, and reloads when a newer snapshot is
saved; a store that is restarting keeps the loaded one serving. ``fit`` builds a snapshot from all
of a workspace's items and events; ``refresh`` rebuilds it from the items alone, keeping what was
learned from events, so new items can be answered at once.

The store is handed in on every call (the engine's store may be swapped); nothing here decides
who may fit or writes the audit log: that is the engine's.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tastemaker.catalog import Catalog
from tastemaker.encoders import Encoder
from tastemaker.event_buffer import is_store_down
from tastemaker.fit import EventData, ItemData, build_catalog
from tastemaker.index import VectorIndex
from tastemaker.learn import train_ranker
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Loaded:
    """A snapshot in memory, and when the store was last asked whether it is still current."""

    catalog: Catalog
    checked_at: float


class Snapshots:
    """One per engine; thread-safe."""

    def __init__(self, settings: Settings, encoder: Callable[[], Encoder]) -> None:
        self.settings = settings
        self._encoder = encoder  # a getter: the engine loads its encoder on first use
        self.loaded: dict[str, Loaded] = {}
        self._broken: dict[str, int] = {}  # workspace -> mtime of a snapshot that failed to load
        self._missing: dict[str, float] = {}  # workspace -> when no snapshot was found
        self._lock = threading.RLock()

    def model_dir(self, slug: str) -> Path:
        return self.settings.data_dir / "models" / slug

    def get(
        self, slug: str, store: Store, workspace: Callable[[str], WorkspaceRecord]
    ) -> Catalog | None:
        """The workspace's snapshot, reloaded when the store says the catalog changed."""
        now = time.monotonic()
        loaded = self.loaded.get(slug)
        if loaded is not None and now - loaded.checked_at < self.settings.reload_check_seconds:
            return loaded.catalog
        if (
            loaded is None
            and now - self._missing.get(slug, -1e9) < self.settings.reload_check_seconds
        ):
            return None  # looked a moment ago and found no snapshot: do not ask on every request
        with self._lock:
            loaded = self.loaded.get(slug)
            if loaded is not None and now - loaded.checked_at < self.settings.reload_check_seconds:
                return loaded.catalog
            try:
                version = store.catalog_version(workspace(slug).id)
            except Exception as exc:
                if loaded is None or not is_store_down(exc):
                    raise
                log.warning("store unavailable; keeping catalog %s as loaded", slug)
                loaded.checked_at = now
                return loaded.catalog
            if loaded is not None and loaded.catalog.version >= version:
                loaded.checked_at = now
                return loaded.catalog
            catalog = self._load_from_disk(slug)
            if catalog is not None and (loaded is None or catalog.version > loaded.catalog.version):
                self.loaded[slug] = Loaded(catalog, now)
                _settle()
                return catalog
            if loaded is not None:
                # Disk is behind the store: another process changed items and has not saved yet.
                loaded.checked_at = now
                return loaded.catalog
            self._missing[slug] = now
            return None

    def _load_from_disk(self, slug: str) -> Catalog | None:
        """The saved snapshot, or None; a broken one is reported once, not on every request."""
        folder = self.model_dir(slug)
        meta = folder / "catalog.json"
        if not meta.exists():
            return None
        stamp = meta.stat().st_mtime_ns
        if self._broken.get(slug) == stamp:
            return None  # already failed on this very snapshot: wait for a new one
        try:
            return Catalog.load(folder)
        except Exception:
            log.exception("could not load catalog snapshot %s; run `tastemaker fit`", folder)
            self._broken[slug] = stamp
            return None

    def _previous(self, slug: str) -> Catalog | None:
        loaded = self.loaded.get(slug)
        return loaded.catalog if loaded else self._load_from_disk(slug)

    def fit(
        self,
        store: Store,
        ws_id: int,
        slug: str,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Build the workspace's snapshot from all its items and events, persist and serve it."""
        version = store.catalog_version(ws_id)
        items = [_item_data(r) for r in store.iter_items(ws_id)]
        events = [
            EventData(e.user_id, e.item_id, e.type, e.value, e.ts) for e in store.iter_events(ws_id)
        ]
        previous = self._previous(slug)
        encoder = self._encoder()
        threads = self.settings.fit_threads
        catalog = build_catalog(
            slug,
            version,
            items,
            events,
            encoder,
            previous=previous,
            progress=progress,
            threads=threads,
        )
        if self.settings.learn_ranker:
            catalog.trained["ranker"] = train_ranker(
                catalog, events, encoder, progress=progress, threads=threads
            )
        catalog.save(self.model_dir(slug))
        with self._lock:
            self.loaded[slug] = Loaded(catalog, time.monotonic())
        _settle()
        return {
            "workspace": slug,
            "items": catalog.size,
            "catalog_version": version,
            "cf": catalog.cf is not None,
            "encoder": catalog.encoder_name,
            "seconds": round(float(catalog.trained.get("seconds", 0.0)), 3),
            "ranker": catalog.trained.get("ranker"),
            "cf_fit": catalog.trained.get("cf"),
        }

    def refresh(self, store: Store, ws_id: int, slug: str) -> None:
        """Rebuild the snapshot from the store's items, keeping what was learned from events."""
        previous = self._previous(slug)
        if previous is None:
            self.fit(store, ws_id, slug)
            return
        version = store.catalog_version(ws_id)
        items = [_item_data(r) for r in store.iter_items(ws_id)]
        index = None
        if (self.model_dir(slug) / "index").exists():
            # A private copy: the snapshot being served keeps its own index untouched.
            try:
                index = VectorIndex.load(self.model_dir(slug) / "index")
            except Exception:  # missing or corrupt files: rebuilt below from the embeddings
                log.exception("vector index of %s unreadable; rebuilding it", slug)
        catalog = build_catalog(
            slug,
            version,
            items,
            None,
            self._encoder(),
            previous=previous,
            previous_index=index,
            threads=self.settings.fit_threads,
        )
        # What was learned from events carries over: the ranker's weights are per signal, not
        # per item, and the CF factors (with the ridge chosen for them) are kept by item id.
        for key in ("ranker", "cf"):
            if key in previous.trained:
                catalog.trained[key] = previous.trained[key]
        catalog.save(self.model_dir(slug))
        with self._lock:
            self.loaded[slug] = Loaded(catalog, time.monotonic())


def _settle() -> None:
    """Move what is loaded so far out of the garbage collector's sight.

    A snapshot is hundreds of thousands of long-lived objects; without this every full
    collection walks them all, and the pause lands in some unlucky request's p99.
    """
    gc.collect()
    gc.freeze()


def _item_data(r: Any) -> ItemData:
    return ItemData(
        id=r.id,
        title=r.title,
        text=r.text,
        attributes=r.attributes,
        price=r.price,
        available=r.available,
        url=r.url,
    )
