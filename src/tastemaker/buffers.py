"""The engine's write-behind buffers: served results, answer logs and memories.

Why: answering a prompt must never wait on a database write. Each finished answer leaves up to
three rows (what was served, what it answered for the report, and, under memory consent, what
to remember); they wait here and a background thread writes them every
``SERVED_FLUSH_SECONDS`` (or at once when ``SERVED_FLUSH_ROWS`` served rows pile up). The same
thread writes the events the store could not take (:mod:`tastemaker.event_buffer`) and the
experiment exposures, and notices erasures made by other processes.

Erasure reaches into the buffers too: a person erased here is dropped from them at once
(:meth:`WriteBehind.forget`); one erased by another process is left out when the rows are
written (a row buffered before the erasure goes, one buffered after it is new data and stays).
A store error keeps the rows for the next flush instead of losing them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from tastemaker.catalog import Catalog
from tastemaker.event_buffer import EventBuffer
from tastemaker.experiences import ExperienceSpec
from tastemaker.measure.metrics import answer_log
from tastemaker.measure.service import ExperimentService
from tastemaker.pipeline import memory
from tastemaker.store import ServedRecord, Store
from tastemaker.store import measure as measure_store
from tastemaker.store.privacy import PrivacyStore
from tastemaker.store.privacy_records import DAY, Memory, PersonState
from tastemaker.types import Answer

log = logging.getLogger(__name__)

SERVED_FLUSH_SECONDS = 0.5
SERVED_FLUSH_ROWS = 500
ERASURE_CHECK_SECONDS = 2.0


class WriteBehind:
    """One per engine; thread-safe. The engine's answer path only appends here."""

    def __init__(
        self,
        store: Callable[[], Store],
        privacy_store: PrivacyStore,
        experiments: ExperimentService,
        event_buffer: EventBuffer,
        *,
        on_erasure: Callable[[], object],
        stop: threading.Event,
    ) -> None:
        # A getter, not the store: the engine's store may be swapped (a failover, a fault test)
        # and the buffers must write to whichever one the engine has now.
        self._store = store
        self.privacy_store = privacy_store
        self.experiments = experiments
        self.event_buffer = event_buffer
        self._on_erasure = on_erasure  # clears the text caches after an erasure anywhere
        self._stop = stop
        self._lock = threading.Lock()  # guards the three lists
        self._start_lock = threading.Lock()
        # One flush at a time: a flush that finds the buffers empty because the flusher thread
        # has just taken them must still wait until those rows are written (``flush``).
        self._flush_lock = threading.Lock()
        self._served: list[ServedRecord] = []
        self._memories: list[Memory] = []  # answers kept under memory consent, not yet written
        self._answers: list[measure_store.AnswerLog] = []
        self._erasures_seen: int | None = None  # the newest erasure receipt seen here
        self.flusher: threading.Thread | None = None

    # -- taking rows -----------------------------------------------------------------------

    def record(self, answer: Answer, ws_id: int) -> None:
        """Buffer what was served; a full buffer is written at once, on this thread."""
        row = ServedRecord(
            workspace_id=ws_id,
            request_id=answer.request_id,
            experience_key=answer.experience_key,
            experience_version=answer.experience_version,
            variant=answer.variant,
            user_id=answer.user_id,
            item_ids=tuple(i.id for i in answer.items),
            fallback=answer.fallback,
            latency_ms=answer.timings_ms.get("total"),
        )
        with self._lock:
            self._served.append(row)
            full = len(self._served) >= SERVED_FLUSH_ROWS
        if self.flusher is None:
            self.start()
        if full:
            self.flush()

    def remember(
        self, answer: Answer, spec: ExperienceSpec, ws_id: int, person: PersonState
    ) -> None:
        """Buffer the answer and its facts; without memory consent this is never called."""
        captured = answer.captured
        if answer.user_id is None or captured is None:
            return
        if not captured.text and captured.choice_id is None:
            return
        now = time.time()
        row = Memory(
            workspace_id=ws_id,
            user_id=answer.user_id,
            request_id=answer.request_id,
            experience_key=answer.experience_key,
            choice_id=captured.choice_id,
            text=captured.text,  # redacted by capture
            facts=tuple(memory.extract(answer, spec)),
            created_at=now,
            expires_at=now + person.policy.memory_days * DAY,
        )
        with self._lock:
            self._memories.append(row)
        if self.flusher is None:
            self.start()

    def log_answer(
        self,
        answer: Answer,
        ws_id: int,
        kind: str,
        parent: str | None,
        catalog: Catalog | None,
        logged_choice: str | None,
        remembered: bool = False,
        *,
        keep_text: bool = False,
    ) -> None:
        """Buffer what the result answered (choice, redacted text, confidence) for the report.

        The free text is kept only with the person's consent to memory: without it an answer
        is used for its response and not kept (the report's themes cover those who agreed).
        """
        own = kind == "answer" and not remembered
        row = answer_log(answer, ws_id, kind, parent, catalog, None if own else logged_choice, own)
        if not keep_text and row.text is not None:
            row = dataclasses.replace(row, text=None)
        with self._lock:
            self._answers.append(row)

    # -- the background thread -------------------------------------------------------------

    def start(self) -> None:
        """Start the flusher thread (once; later calls do nothing)."""
        with self._start_lock:
            if self.flusher is not None:
                return
            self.flusher = threading.Thread(
                target=self._flush_loop, name="served-flush", daemon=True
            )
            self.flusher.start()

    def _flush_loop(self) -> None:
        checked = 0.0
        while not self._stop.wait(SERVED_FLUSH_SECONDS):
            self.event_buffer.drain()
            self.flush()
            if time.monotonic() - checked >= ERASURE_CHECK_SECONDS:
                checked = time.monotonic()
                try:
                    self.check_erasures()
                except Exception:
                    log.exception("could not check for new erasures")

    def check_erasures(self) -> bool:
        """Clear the text caches when any process erased someone since the last look.

        The caches (encoder vectors, retrieval hits, copy phrases) are keyed by answer words,
        not by person, so another process's erasure cannot name what to evict here; clearing
        them whole is rare and cheap. Returns whether they were cleared.
        """
        latest = self.privacy_store.latest_erasure()
        if latest == self._erasures_seen:
            return False
        # First look (None): an erasure may have come after this process started caching.
        self._erasures_seen = latest
        self._on_erasure()
        return True

    # -- erasure ---------------------------------------------------------------------------

    def _drop_erased(
        self, memories: list[Memory], rows: list[ServedRecord]
    ) -> tuple[list[Memory], list[ServedRecord]]:
        """Leave out whoever was erased (by any process) after their rows were buffered."""
        people = [(m.workspace_id, m.user_id) for m in memories]
        people += [(r.workspace_id, r.user_id) for r in rows if r.user_id is not None]
        if not people:
            return memories, rows
        erased = self.privacy_store.erased_at(people)
        if not erased:
            return memories, rows
        never = float("-inf")
        memories = [
            m for m in memories if m.created_at > erased.get((m.workspace_id, m.user_id), never)
        ]
        rows = [
            r
            if r.user_id is None or r.created_at > erased.get((r.workspace_id, r.user_id), never)
            else dataclasses.replace(r, user_id=None)
            for r in rows
        ]
        return memories, rows

    def _drop_erased_answers(
        self, answers: list[measure_store.AnswerLog]
    ) -> list[measure_store.AnswerLog]:
        """Leave out answer logs of whoever was erased after they were buffered."""
        people = [(a.workspace_id, a.user_id) for a in answers if a.user_id is not None]
        erased = self.privacy_store.erased_at(people) if people else {}
        if not erased:
            return answers
        never = float("-inf")
        return [
            a
            for a in answers
            if a.user_id is None or a.created_at > erased.get((a.workspace_id, a.user_id), never)
        ]

    def depths(self) -> dict[str, int]:
        """How many records wait in each buffer (for the metrics)."""
        return {
            "served": len(self._served),
            "memories": len(self._memories),
            "answer_logs": len(self._answers),
        }

    def forget(self, ws_id: int, user_id: str, *, served: bool = True) -> int:
        """Drop a person from the buffers (erasure, memory withdrawal).

        Their buffered memories go; buffered served results stay, without the user id, as
        the served table keeps them once erased. Returns how many entries were touched.
        """
        with self._lock:
            kept = [m for m in self._memories if (m.workspace_id, m.user_id) != (ws_id, user_id)]
            n = len(self._memories) - len(kept)
            self._memories = kept
            if served:
                # the report's answer log names the person: it goes, like their answers
                kept_answers = [
                    a for a in self._answers if (a.workspace_id, a.user_id) != (ws_id, user_id)
                ]
                n += len(self._answers) - len(kept_answers)
                self._answers = kept_answers
                for i, r in enumerate(self._served):
                    if r.workspace_id == ws_id and r.user_id == user_id:
                        self._served[i] = dataclasses.replace(r, user_id=None)
                        n += 1
        return n

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> int:
        """Write buffered memories, exposures and served results; on a store error keep them
        for later.

        Returns the number of served results written. Everything buffered before the call is
        written (or kept for a retry) when it returns, even what a flush already under way on
        the flusher thread took: a caller that reads the served rows back after ``flush`` (the
        report, an export, a test) finds them.
        """
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> int:
        self.experiments.flush()
        with self._lock:
            memories, self._memories = self._memories, []
            rows, self._served = self._served, []
            answers, self._answers = self._answers, []
        try:
            memories, rows = self._drop_erased(memories, rows)
            answers = self._drop_erased_answers(answers)
        except Exception:
            log.exception("could not check erasures; keeping the buffers for the next flush")
            self._put_back(memories, rows)
            with self._lock:
                self._answers = answers + self._answers
            return 0
        if memories:
            try:
                self.privacy_store.remember(memories)
            except Exception:
                log.exception("could not keep %d answers; will retry", len(memories))
                self._put_back(memories, [])
        store = self._store()
        if rows or answers:
            try:
                rows, answers = measure_store.stitch(store, rows, answers)
            except Exception:
                log.exception("could not look up identity links; storing results unstitched")
        if answers:
            try:
                measure_store.record_answers(store, answers)
            except Exception:
                log.exception("could not record %d prompt answers; will retry", len(answers))
                with self._lock:
                    self._answers = answers + self._answers
        if not rows:
            return 0
        try:
            store.record_served(rows)
        except Exception:
            log.exception("could not record %d served results; will retry", len(rows))
            self._put_back([], rows)
            return 0
        return len(rows)

    def _put_back(self, memories: list[Memory], rows: list[ServedRecord]) -> None:
        with self._lock:
            self._memories = memories + self._memories
            self._served = rows + self._served
