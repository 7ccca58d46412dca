"""Events the store could not take right now, kept in this process and written once it is back.

Why: a database restart must not cost a single event. Clients send a batch once and rarely retry
well; so when the store is unreachable the API process keeps the batch in memory, answers
``202`` with ``buffered``, and a background thread writes it as soon as a write succeeds again.

Retrying is safe because every event carries a fixed ``event_id`` (sent, or derived from its
content when it was validated) and the store skips ids it already has: a batch that reached the
database just before the connection dropped is not counted twice.

The buffer is bounded; past ``max_events`` a batch is refused with ``503`` (the client keeps it
and retries), never silently dropped. Only errors that mean "the store is not there" are
buffered; any other error (a bug, a constraint) still reaches the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from tastemaker.errors import TastemakerError
from tastemaker.ingest import EventIn

log = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 1_000_000
RETRY_SECONDS = 0.5  # after a failed write, requests keep buffering this long without trying


class StoreUnavailable(TastemakerError):
    """The store is down and this process cannot hold more events; send them again later."""

    status = 503
    exit_code = 5


def is_store_down(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (as opposed to a bad statement).

    Connection refused, a server shutting down and a dropped connection all arrive as
    SQLAlchemy's OperationalError / InterfaceError or with ``connection_invalidated``; a pool
    that cannot hand out a connection in time raises its own TimeoutError.
    """
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


@dataclass(frozen=True, slots=True)
class Submitted:
    """What became of one batch: written now, or kept here to be written later."""

    stored: int
    buffered: int


class EventBuffer:
    """Write batches through ``write(slug, events)``; keep them when the store is down."""

    def __init__(
        self,
        write: Callable[[str, Sequence[EventIn]], int],
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        self._write = write
        self._max_events = max_events
        self._pending: deque[tuple[str, Sequence[EventIn]]] = deque()
        self._count = 0
        self._lock = threading.Lock()
        # One writer at a time drains, so batches are written in the order they came.
        self._drain_lock = threading.Lock()
        self.written_later = 0  # events written by a drain, for the fault drill and metrics
        self._retry_at = 0.0

    @property
    def pending(self) -> int:
        """Events waiting for the store."""
        return self._count

    def submit(self, slug: str, events: Sequence[EventIn]) -> Submitted:
        """Write ``events`` now, or keep them when the store is down (or others still wait)."""
        if self._count and not self.drain():
            return self._keep(slug, events)
        try:
            return Submitted(stored=self._write(slug, events), buffered=0)
        except Exception as exc:
            if not is_store_down(exc):
                raise
            self._retry_at = time.monotonic() + RETRY_SECONDS
            log.warning("store unavailable; buffering %d events: %s", len(events), exc)
            return self._keep(slug, events)

    def drain(self) -> bool:
        """Write what waits, oldest first; True when nothing is left. Never raises.

        Within ``RETRY_SECONDS`` of a failed write it does not try (a request arriving during
        an outage should not pay for a connection attempt each time).
        """
        if not self._count:
            return True
        if time.monotonic() < self._retry_at:
            return False
        with self._drain_lock:
            while True:
                with self._lock:
                    if not self._pending:
                        return True
                    slug, events = self._pending[0]
                written = False
                try:
                    self._write(slug, events)
                    written = True
                except Exception as exc:
                    if is_store_down(exc):
                        self._retry_at = time.monotonic() + RETRY_SECONDS
                        return False
                    # Not a connection problem: this batch can never be written; keeping it
                    # would block every batch behind it forever. Logged loudly with its size.
                    log.exception("dropping %d buffered events that cannot be stored", len(events))
                with self._lock:
                    self._pending.popleft()
                    self._count -= len(events)
                if written:
                    self.written_later += len(events)
                    log.info("wrote %d buffered events; %d still waiting", len(events), self._count)

    def _keep(self, slug: str, events: Sequence[EventIn]) -> Submitted:
        with self._lock:
            if self._count + len(events) > self._max_events:
                raise StoreUnavailable(
                    f"the store is unavailable and {self._count} events already wait; "
                    "send this batch again later"
                )
            self._pending.append((slug, list(events)))
            self._count += len(events)
        return Submitted(stored=0, buffered=len(events))
