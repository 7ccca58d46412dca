"""The library's entry point: answer prompts, fit catalogs, take in items and events.

The engine is the facade that wires the stages together: it resolves workspaces, keeps the
experience specs hot (re-read every few seconds so edits show up without a restart) and runs an
answer through the pipeline. The per-process state behind it lives with its own idea:

- :mod:`tastemaker.snapshots`: each workspace's catalog snapshot, loaded from disk, reloaded when
  another process changes the catalog, rebuilt by ``fit`` and ``refresh``;
- :mod:`tastemaker.buffers`: the write-behind buffers (served results, answer logs, memories),
  so answering a prompt never waits on a database write;
- :mod:`tastemaker.measure.serving`: a person's experiment arm and the spec it runs;
- :mod:`tastemaker.progressive`: the saved answers an empty prompt is answered with.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from tastemaker import metrics, progressive
from tastemaker.buffers import WriteBehind
from tastemaker.catalog import Catalog
from tastemaker.editorial import Editorial
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.event_buffer import EventBuffer, Submitted, is_store_down
from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.measure import events as journey
from tastemaker.measure.design import ExperimentSpec as ExperimentDecl
from tastemaker.measure.service import ExperimentService
from tastemaker.measure.serving import Variants, serve_holdout
from tastemaker.pipeline import runner
from tastemaker.privacy import Privacy, clear_text_caches
from tastemaker.settings import Settings
from tastemaker.snapshots import Loaded, Snapshots
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store import editorial as editorial_db
from tastemaker.store import measure as measure_store
from tastemaker.store.experiments import ExperimentRecord
from tastemaker.store.privacy import PrivacyStore
from tastemaker.store.privacy_records import PersonState
from tastemaker.types import Answer, RequestContext, ResultItem

log = logging.getLogger(__name__)

SPEC_TTL_SECONDS = 2.0
HISTORY_EVENTS = 5000  # a person's latest events: the profile weighs them, rules exclude them


class Engine:
    """One per process; thread-safe for answering."""

    def __init__(
        self, store: Store, settings: Settings | None = None, *, encoder: Encoder | None = None
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        self._encoder = encoder
        self._workspaces: dict[str, WorkspaceRecord] = {}
        self._specs: dict[tuple[str, str], tuple[float, ExperienceSpec, int]] = {}
        self._snapshots = Snapshots(self.settings, lambda: self.encoder)
        self.privacy_store = PrivacyStore(store)
        self._privacy_api: Privacy | None = None
        self._stop = threading.Event()  # set by close(): ends the write-behind thread
        self.experiments = ExperimentService(store, self.settings)
        self._variants = Variants(self.experiments)
        self.editorial = Editorial(store, self.settings)
        # Events the store could not take (it is restarting): written by the flusher later.
        self.event_buffer = EventBuffer(self.insert_events)
        self._buffers = WriteBehind(
            lambda: self.store,
            self.privacy_store,
            self.experiments,
            self.event_buffer,
            on_erasure=lambda: clear_text_caches(self),
            stop=self._stop,
        )
        # One BLAS thread: a request's mat-vecs are far too small to gain from a second thread,
        # and with several workers per core the threads only wait on each other.
        threadpool_limits(limits=1, user_api="blas")

    # -- plumbing ------------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(self.settings.encoder)
        return self._encoder

    @property
    def privacy(self) -> Privacy:
        """Consent, memory, export, erasure and retention (:mod:`tastemaker.privacy`)."""
        if self._privacy_api is None:
            self._privacy_api = Privacy(self)
        return self._privacy_api

    def workspace(self, slug: str) -> WorkspaceRecord:
        ws = self._workspaces.get(slug)
        if ws is None:
            ws = self.store.get_workspace(slug)
            if ws is None:
                raise NotFound(f"workspace {slug!r} does not exist")
            self._workspaces[slug] = ws
        return ws

    def model_dir(self, slug: str) -> Path:
        return self._snapshots.model_dir(slug)

    def close(self) -> None:
        self._stop.set()
        self.flush()
        if not self.event_buffer.drain():
            log.error("closing with %d events the store never took", self.event_buffer.pending)
        if self._flusher is not None:
            self._flusher.join(timeout=2)

    # -- experiences -----------------------------------------------------------------------

    def save_experience(
        self, slug: str, spec: ExperienceSpec | dict[str, Any], *, actor: str = "library"
    ) -> int:
        if isinstance(spec, dict):
            spec = ExperienceSpec.model_validate(spec)
        ws = self.workspace(slug)
        before = self.store.get_experience(ws.id, spec.key)
        version = self.store.save_experience(ws.id, spec.model_dump(mode="json"))
        if before is None or before.version != version:
            editorial_db.record_audit(
                self.store, ws.id, actor, "save experience", spec.key, {"version": version}
            )
        self._specs.pop((slug, spec.key), None)
        return version

    def rollback(self, slug: str, kind: str, key: str, to: int, *, actor: str = "library") -> int:
        """Make version ``to`` of an experience, brand kit or template current again.

        The old version is saved as a new one (history only grows, so a rollback can itself be
        rolled back); returns the version now current.
        """
        ws = self.workspace(slug)
        if kind == "experience":
            old = self.store.get_experience(ws.id, key, to)
            if old is None:
                raise NotFound(f"experience {key!r} has no version {to}")
            ExperienceSpec.model_validate(old.spec)  # still valid under today's rules
            version = self.store.save_experience(ws.id, old.spec)
            editorial_db.record_audit(
                self.store, ws.id, actor, "rollback experience", key, {"to": to, "version": version}
            )
            self._specs.pop((slug, key), None)
            return version
        asset = next((k for k in editorial_db.ASSET_KINDS if k == kind), None)
        if asset is None:
            raise InvalidInput(
                f"unknown kind {kind!r}; one of experience, brand_kit, template", field="kind"
            )
        rec = editorial_db.get_version(self.store, ws.id, asset, key, to)
        if rec is None:
            raise NotFound(f"{kind} {key!r} has no version {to}")
        version = editorial_db.save_version(
            self.store,
            ws.id,
            asset,
            key,
            rec.body,
            actor=actor,
            action="rollback",
        )
        self.invalidate_specs(slug)
        return version

    def invalidate_specs(self, slug: str) -> None:
        """Forget this process's cached specs of a workspace (its brand kit changed).

        The kit sits under every experience and every experiment variant of the workspace, so
        all of them are rebuilt on the next answer; other processes catch up within
        ``SPEC_TTL_SECONDS`` (a cached variant is rebuilt when its base's brand has changed).
        """
        self.editorial.invalidate(self.workspace(slug).id)
        self._specs = {k: v for k, v in self._specs.items() if k[0] != slug}
        self._variants.invalidate(slug)

    def get_experience(self, slug: str, key: str) -> ExperienceSpec:
        return self._experience(slug, key)[0]

    def _experience(self, slug: str, key: str) -> tuple[ExperienceSpec, int]:
        now = time.monotonic()
        hit = self._specs.get((slug, key))
        if hit is not None and now - hit[0] < SPEC_TTL_SECONDS:
            return hit[1], hit[2]
        try:
            rec = self.store.get_experience(self.workspace(slug).id, key)
        except Exception as exc:
            if hit is None or not is_store_down(exc):
                raise
            # The store is restarting: the last version seen still answers the person, and
            # the store is asked again after another TTL, not on every request.
            log.warning("store unavailable; serving experience %r as last seen", key)
            self._specs[(slug, key)] = (now, hit[1], hit[2])
            return hit[1], hit[2]
        if rec is None:
            raise NotFound(f"experience {key!r} does not exist")
        spec = ExperienceSpec.model_validate(rec.spec)
        spec = self.editorial.effective_spec(self.workspace(slug).id, spec)
        self._specs[(slug, key)] = (now, spec, rec.version)
        return spec, rec.version

    def list_experiences(self, slug: str) -> list[ExperienceSpec]:
        return [
            ExperienceSpec.model_validate(r.spec)
            for r in self.store.list_experiences(self.workspace(slug).id)
        ]

    # -- catalog -------------------------------------------------------------------------

    def catalog(self, slug: str) -> Catalog | None:
        """The workspace's snapshot, reloaded when the store says the catalog changed."""
        return self._snapshots.get(slug, self.store, self.workspace)

    def fit(
        self,
        slug: str,
        progress: Callable[[str], None] | None = None,
        *,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Build the workspace's snapshot from all its items and events, persist and serve it.

        With ``actor`` (an API key, a CLI user) the fit is written to the audit log.
        """
        ws = self.workspace(slug)
        if actor is not None:
            editorial_db.record_audit(self.store, ws.id, actor, "fit", slug)
        return self._snapshots.fit(self.store, ws.id, slug, progress)

    @property
    def _catalogs(self) -> dict[str, Loaded]:
        """The snapshots loaded in this process (a test empties it to force a reload)."""
        return self._snapshots.loaded

    # -- ingest ----------------------------------------------------------------------------

    def upsert_items(self, slug: str, items: Sequence[ItemIn], *, actor: str | None = None) -> int:
        """Store items and refresh the served snapshot so they can be answered at once.

        The refresh reuses everything it can (embeddings of unchanged texts, the vector index,
        CF factors and popularity by item id), so it costs the encoder only for what changed;
        ``fit`` relearns from events.
        """
        n = self.store.upsert_items(self.workspace(slug).id, items)
        if n and actor is not None:
            editorial_db.record_audit(
                self.store, self.workspace(slug).id, actor, "upsert items", slug, {"count": n}
            )
        if n:
            self.refresh(slug)
        return n

    def refresh(self, slug: str) -> None:
        """Rebuild the snapshot from the store's items, keeping what was learned from events."""
        self._snapshots.refresh(self.store, self.workspace(slug).id, slug)

    def insert_events(self, slug: str, events: Sequence[EventIn]) -> int:
        """Store a batch (see :mod:`tastemaker.measure.events`: stitching, UTM, checks)."""
        ws_id = self.workspace(slug).id
        if any(e.type == journey.IDENTIFY for e in events):
            self.flush()  # buffered results of the anonymous id must move with the rest
        return self.store.insert_events(ws_id, journey.prepare(self.store, ws_id, events))

    def submit_events(self, slug: str, events: Sequence[EventIn]) -> Submitted:
        """Store a batch, or keep it in this process while the store is down (the API's way)."""
        self.workspace(slug)  # an unknown workspace is the caller's error, not the store's
        done = self.event_buffer.submit(slug, events)
        if done.buffered and self._flusher is None:
            self._buffers.start()
        return done

    def identify(self, slug: str, anonymous_id: str, user_id: str) -> int:
        """Link an anonymous id to the person's user id after login; returns events moved.

        Buffered served results are written first so that they move with the rest.
        """
        for name, value in (("anonymous_id", anonymous_id), ("user_id", user_id)):
            if not isinstance(value, str) or not 0 < len(value) <= 128:
                raise InvalidInput("must be a string of 1 to 128 characters", field=name)
        self.flush()
        return measure_store.link_identity(
            self.store, self.workspace(slug).id, anonymous_id, user_id
        )

    # -- answering -------------------------------------------------------------------------

    def answer(
        self,
        slug: str,
        key: str,
        *,
        user_id: str | None = None,
        choice: str | None = None,
        text: str | None = None,
        context: RequestContext | None = None,
        variant: str = "default",
        use_history: bool = True,
        record: bool = True,
        exclude: Sequence[str] = (),
        spec_override: ExperienceSpec | None = None,
        kind: str = "answer",
        parent_request_id: str | None = None,
        logged_choice: str | None = None,
    ) -> Answer:
        """Answer one prompt. Raises only for the person's own input errors (and unknown keys).

        ``exclude`` are item ids never to show this time (a scheduled refresh passes what the
        person already got); they join the experience's blocked items for this request only.

        ``spec_override`` runs the pipeline with a derived spec (a follow-up's combined
        question, a refinement's extra rules: :mod:`tastemaker.progressive`,
        :mod:`tastemaker.refine`); ``kind``, ``parent_request_id`` and, for those, the
        person's own ``logged_choice`` (not the derived one) are recorded for the report.
        """
        if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= 128):
            raise InvalidInput("must be a string of 1 to 128 characters", field="user_id")
        ws = self.workspace(slug)
        spec, version = self._experience(slug, key)
        assignment = None
        if variant == "default" and user_id and record:  # evaluation runs enroll nobody
            assignment = self._variants.assign(ws.id, slug, key, user_id)
            if assignment is not None:
                variant = assignment.variant
                spec = self._variants.spec(slug, version, spec, assignment)
        if exclude:  # after the variant: its cached spec must not carry one request's exclusions
            rules = spec.rules.model_copy(update={"blocked": [*spec.rules.blocked, *exclude]})
            spec = spec.model_copy(update={"rules": rules})
        remembered = False
        if spec_override is not None:
            spec = spec_override
        elif user_id and choice is None and not text and use_history:
            # An empty answer from someone who asked us to remember theirs: use those.
            stored = progressive.saved_answers(self.store, ws.id, spec, key, user_id)
            if stored is not None:
                spec, choice, text, logged_choice = stored
                remembered = True
        answer = Answer(
            request_id=uuid.uuid4().hex,
            workspace=slug,
            experience_key=key,
            experience_version=version,
            variant=variant,
            user_id=user_id,
            raw_choice=choice,
            raw_text=text,
            context=context or RequestContext(),
        )
        catalog: Catalog | None = None
        events: Sequence[Any] = ()
        person: PersonState | None = None
        try:
            catalog = self.catalog(slug)
            if user_id:
                # Consent first: without it for history, the person's events are not even read.
                person = self.privacy_store.person_state(ws.id, user_id, time.time())
                use_history = use_history and person.consent["history"]
            if user_id and use_history:
                events = self.store.user_history(ws.id, user_id, limit=HISTORY_EVENTS)
        except Exception:
            log.exception("could not load state for request_id=%s", answer.request_id)
            use_history = use_history and person is not None  # unknown consent: assume none
        if assignment is not None and assignment.holdout:
            serve_holdout(answer, spec, catalog, lambda a, s: self._store_fallback(a, s, ws))
        else:
            copywriter = None
            try:
                copywriter = self.editorial.copywriter(ws.id, spec)
            except Exception:
                log.exception("no copywriter for request_id=%s; template copy", answer.request_id)
            runner.run(
                answer,
                spec,
                catalog,
                self.encoder,
                events,
                use_history=use_history,
                remembered=person.preferences if person is not None else (),
                copywriter=copywriter,
            )
        if remembered and answer.intent is not None:
            answer.intent.notes.append("used your saved answers")
        if answer.fallback and not answer.items:
            self._store_fallback(answer, spec, ws)
        self.editorial.after_answer(ws.id, answer, spec)
        if record:
            self._buffers.record(answer, ws.id)
            if person is not None and person.consent["memory"]:
                self._buffers.remember(answer, spec, ws.id, person)
            self._buffers.log_answer(
                answer,
                ws.id,
                kind,
                parent_request_id,
                catalog,
                logged_choice,
                remembered,
                keep_text=person is not None and bool(person.consent["memory"]),
            )
        metrics.observe_answer(answer, self, kind)
        return answer

    # -- experiments -----------------------------------------------------------------------------

    def save_experiment(self, slug: str, decl: ExperimentDecl) -> ExperimentRecord:
        """Declare (or redeclare) an experiment; every variant must make a valid experience."""
        base = self.get_experience(slug, decl.experience)
        return self.experiments.save(self.workspace(slug).id, decl, base)

    def _store_fallback(self, answer: Answer, spec: ExperienceSpec, ws: WorkspaceRecord) -> None:
        """No snapshot at all: take the curated items straight from the store."""
        try:
            recs = self.store.get_items(ws.id, spec.default_items)
            items = [
                ResultItem(
                    id=r.id,
                    title=r.title,
                    score=0.0,
                    reasons=["a curated pick"],
                    url=r.url,
                    price=r.price,
                )
                for r in recs
            ]
            if items:
                runner.fallback(
                    answer,
                    spec,
                    None,
                    reason=answer.fallback_reason or "no catalog",
                    default_items=items,
                )
        except Exception:
            log.exception("store fallback failed request_id=%s", answer.request_id)

    # -- write-behind (:mod:`tastemaker.buffers`) --------------------------------------------

    def flush(self) -> int:
        """Write buffered memories, exposures and served results; on a store error keep them
        for later.

        Returns the number of served results written.
        """
        return self._buffers.flush()

    def buffer_depths(self) -> dict[str, int]:
        """How many records wait in each write-behind buffer (for the metrics)."""
        return self._buffers.depths()

    def forget_buffered(self, slug: str, user_id: str, *, served: bool = True) -> int:
        """Drop a person from the write-behind buffers (erasure, memory withdrawal).

        Their buffered memories go; buffered served results stay, without the user id, as
        the served table keeps them once erased. Returns how many entries were touched.
        """
        return self._buffers.forget(self.workspace(slug).id, user_id, served=served)

    def check_erasures(self) -> bool:
        """Clear the text caches when any process erased someone since the last look.

        The flusher thread calls this every few seconds; returns whether they were cleared.
        """
        return self._buffers.check_erasures()

    @property
    def _flusher(self) -> threading.Thread | None:
        """The write-behind thread once started (a test stops it with ``_stop`` and joins it)."""
        return self._buffers.flusher
