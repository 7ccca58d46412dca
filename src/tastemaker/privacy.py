"""Privacy and memory, at the library level: consent, what we remember, export, erasure, retention.

The store holds the rows (:mod:`tastemaker.store.privacy`); this module adds what lives outside
the database and ties it together for a workspace slug:

- **Person-state handlers.** Besides the registered tables (:mod:`tastemaker.store.person`), a
  person can sit in process memory (the engine's write-behind buffers), in Redis, or in model
  state. Each such place is a :class:`PersonStateHandler`; :meth:`Privacy.erase` calls every
  one, and an area that keeps people somewhere new adds a handler with
  :meth:`Privacy.add_handler`.
- **Erasure receipts** say what was removed where, and whether the model snapshot was refitted
  without the person.
- **Retention** (:meth:`Privacy.maintain`) takes its clock as an argument, so tests move time.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.store.privacy import (
    PURPOSES,
    ConsentState,
    Policy,
    Preference,
    Purpose,
    subject_hash,
)

if TYPE_CHECKING:
    from tastemaker.engine import Engine

log = logging.getLogger(__name__)

SOURCE_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
REDIS_PERSON_SEGMENT = ":u:"  # a Redis key holding a person contains ":u:<user id>"


class PersonStateHandler(Protocol):
    """A place outside the registered tables where a person's data can live."""

    name: str

    def erase(self, workspace: str, user_id: str) -> int:
        """Remove the person; returns how many entries went."""
        ...


class EngineBuffers:
    """The engine's write-behind buffers (served results, memories not yet flushed)."""

    name = "engine_buffers"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def erase(self, workspace: str, user_id: str) -> int:
        return self.engine.forget_buffered(workspace, user_id)


class TextCaches:
    """The process's caches keyed by answer words (encoder vectors, retrieval hits, copy
    phrases, word stems).

    They are not keyed by person, so erasure clears them whole: a moment of colder caches
    against a person's words outliving them. Other processes clear theirs when they see a new
    erasure receipt (:meth:`tastemaker.engine.Engine.check_erasures`).
    """

    name = "text_caches"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def erase(self, workspace: str, user_id: str) -> int:
        return clear_text_caches(self.engine)


def clear_text_caches(engine: Engine) -> int:
    """Empty every in-process cache that may hold answer text; returns entries dropped."""
    from tastemaker.encoders import CachedEncoder
    from tastemaker.pipeline import copywriting, retrieve, understand, vocabulary

    n = 0
    encoder = engine._encoder
    if isinstance(encoder, CachedEncoder):
        n += len(encoder._cache)
        encoder.cache_clear()
    n += retrieve.TEXT_HITS.clear()
    n += retrieve.INTENT_WEIGHTS.clear()
    n += understand.READINGS.clear()
    for cached in (copywriting.shorten, vocabulary.stem):
        n += cached.cache_info().currsize
        cached.cache_clear()
    return n


class RedisKeys:
    """Keys under ``prefix`` that name the person (``...:u:<user id>...``), deleted.

    Any cache an area keeps in Redis for a person must put ``:u:<user id>`` in the key, so
    this one handler finds it; ``tests/test_privacy_erasure.py`` checks the whole keyspace.
    """

    name = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def erase(self, workspace: str, user_id: str) -> int:
        pattern = f"{_glob_escape(self.prefix)}*{REDIS_PERSON_SEGMENT}{_glob_escape(user_id)}*"
        keys = list(self.client.scan_iter(match=pattern, count=1000))
        return int(self.client.delete(*keys)) if keys else 0


def _glob_escape(s: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", s)


def check_user_id(user_id: Any) -> str:
    if not isinstance(user_id, str) or not 0 < len(user_id) <= 128:
        raise InvalidInput("must be a string of 1 to 128 characters", field="user_id")
    return user_id


def check_purposes(changes: Mapping[str, Any]) -> dict[Purpose, bool]:
    out: dict[Purpose, bool] = {}
    for purpose, granted in changes.items():
        if purpose not in PURPOSES:
            raise InvalidInput(
                f"unknown purpose {purpose!r}; purposes: {', '.join(PURPOSES)}", field=purpose
            )
        if not isinstance(granted, bool):
            raise InvalidInput("must be true or false", field=purpose)
        out[purpose] = granted
    return out


class Privacy:
    """Consent, memory, export, erasure and retention for the engine's workspaces."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.privacy_store  # shared: one policy cache per engine
        self.handlers: list[PersonStateHandler] = [EngineBuffers(engine), TextCaches(engine)]
        if engine.settings.redis_url:
            self.handlers.append(RedisKeys(engine.settings.redis_url, engine.settings.redis_prefix))

    def add_handler(self, handler: PersonStateHandler) -> None:
        self.handlers.append(handler)

    def _ws(self, slug: str) -> int:
        return self.engine.workspace(slug).id

    # -- policy ------------------------------------------------------------------------------

    def policy(self, slug: str) -> Policy:
        return self.store.policy(self._ws(slug))

    def set_policy(self, slug: str, **changes: Any) -> Policy:
        for key in ("events_days", "answers_days"):
            v = changes.get(key)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise InvalidInput("must be a whole number of days, at least 1", field=key)
        if "memory_days" in changes and (
            not isinstance(changes["memory_days"], int) or changes["memory_days"] < 1
        ):
            raise InvalidInput("must be a whole number of days, at least 1", field="memory_days")
        return self.store.set_policy(self._ws(slug), **changes)

    # -- consent -----------------------------------------------------------------------------

    def consent(self, slug: str, user_id: str) -> dict[str, Any]:
        state = self.store.consent(self._ws(slug), check_user_id(user_id))
        return _consent_json(state)

    def set_consent(
        self, slug: str, user_id: str, changes: Mapping[str, Any], *, source: str
    ) -> dict[str, Any]:
        """Record consent changes; withdrawing memory forgets what was remembered at once."""
        check_user_id(user_id)
        if not isinstance(source, str) or not SOURCE_PATTERN.match(source):
            raise InvalidInput("must be 1-64 letters, digits or _.:-", field="source")
        purposes = check_purposes(changes)
        if not purposes:
            raise InvalidInput("name at least one purpose: " + ", ".join(PURPOSES), field="consent")
        ws_id = self._ws(slug)
        state = self.store.record_consent(ws_id, user_id, purposes, source=source)
        if purposes.get("memory") is False:
            self.engine.forget_buffered(slug, user_id, served=False)
            self.store.forget_memory(ws_id, user_id)
        return _consent_json(state)

    def consent_history(self, slug: str, user_id: str) -> list[dict[str, Any]]:
        return self.store.consent_history(self._ws(slug), check_user_id(user_id))

    # -- memory ------------------------------------------------------------------------------

    def memory(self, slug: str, user_id: str) -> list[Preference]:
        """What we remember about the person (unexpired)."""
        return self.store.preferences(self._ws(slug), check_user_id(user_id))

    def forget(self, slug: str, user_id: str, preference_id: int) -> None:
        if not self.store.forget_preference(self._ws(slug), check_user_id(user_id), preference_id):
            raise NotFound(f"no remembered preference {preference_id} for this person")

    # -- export and erasure --------------------------------------------------------------------

    def export(self, slug: str, user_id: str) -> dict[str, Any]:
        """Everything held about the person in the workspace, as one JSON-ready document."""
        check_user_id(user_id)
        self.engine.flush()  # what is still buffered belongs in the export too
        ws_id = self._ws(slug)
        tables = self.store.export(ws_id, user_id)
        return {
            "workspace": slug,
            "user_id": user_id,
            "exported_at": time.time(),
            "consent": self.consent(slug, user_id),
            "remembered": [p.to_json() for p in self.store.preferences(ws_id, user_id)],
            "tables": tables,
        }

    def erase(self, slug: str, user_id: str, *, refit: bool = True) -> dict[str, Any]:
        """Remove the person from every table, buffer, cache and the model; returns a receipt.

        Buffers go first, so nothing still in memory is written back after the rows are gone.
        The model snapshot keeps no per-person factors (a person's vector is solved per request
        from their events), but its item factors and popularity were learned with their events
        in; with ``refit`` the snapshot is rebuilt without them.
        """
        check_user_id(user_id)
        ws_id = self._ws(slug)
        elsewhere: dict[str, int] = {}
        for handler in self.handlers:
            elsewhere[handler.name] = handler.erase(slug, user_id)
        receipt, counts = self.store.erase(ws_id, user_id)
        model = "unchanged: no events of theirs"
        if counts.get("events"):
            if not (self.engine.model_dir(slug) / "catalog.json").exists():
                model = "no snapshot"
            elif not refit:
                model = "stale: run `tastemaker fit` to learn without them"
            else:
                try:
                    self.engine.fit(slug)
                    model = "refitted without them"
                except Exception as exc:  # the rows are gone; say what is left to do
                    log.exception("refit after erasure failed in workspace %s", slug)
                    model = f"refit failed ({type(exc).__name__}): run `tastemaker fit`"
        return {
            "receipt_id": receipt,
            "workspace": slug,
            "subject_hash": subject_hash(ws_id, user_id),
            "erased_at": time.time(),
            "tables": counts,
            "elsewhere": elsewhere,
            "model": model,
        }

    def receipt(self, slug: str, receipt_id: str) -> dict[str, Any]:
        found = self.store.receipt(self._ws(slug), receipt_id)
        if found is None:
            raise NotFound(f"no erasure receipt {receipt_id!r}")
        return found

    # -- retention -----------------------------------------------------------------------------

    def maintain(
        self, slug: str | None = None, *, clock: Callable[[], float] = time.time
    ) -> dict[str, dict[str, int]]:
        """Apply each workspace's retention periods as of ``clock()``; counts deleted per table.

        Run for every workspace (no ``slug``), it first drops whole months of events that all
        policies have let go (PostgreSQL's monthly partitions: no row-by-row delete), and counts
        those events in each workspace's ``events``.
        """
        now = clock()
        self.engine.flush()
        slugs = [slug] if slug else [w.slug for w in self.engine.store.list_workspaces()]
        dropped = {} if slug else self.store.drop_expired_months(now)
        out = {}
        for s in slugs:
            ws_id = self._ws(s)
            counts = self.store.purge_expired(ws_id, now)
            if ws_id in dropped:
                counts["events"] = counts.get("events", 0) + dropped[ws_id]
            out[s] = counts
        return out


def _consent_json(state: Mapping[Purpose, ConsentState]) -> dict[str, Any]:
    return {p: s.to_json() for p, s in state.items()}
