"""The write-behind buffers on their own: rows outlive a store outage, erasure reaches them.

The engine's tests cover the buffers through ``Engine.answer``; these drive
:class:`tastemaker.buffers.WriteBehind` directly against a real store, and against a store on a
closed port for the outage (as ``test_faults`` does).
"""

from __future__ import annotations

import threading
import uuid

from tastemaker.buffers import WriteBehind
from tastemaker.event_buffer import EventBuffer
from tastemaker.measure.service import ExperimentService
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.privacy import PrivacyStore
from tastemaker.types import Answer, RequestContext, ResultItem
from test_faults import dead_store


def buffers(store: Store, current: list[Store]) -> WriteBehind:
    """Buffers writing to ``current[0]``, with the flusher thread kept stopped (tests flush)."""
    stop = threading.Event()
    stop.set()
    return WriteBehind(
        lambda: current[0],
        PrivacyStore(store),
        ExperimentService(store),
        EventBuffer(lambda slug, events: 0),
        on_erasure=lambda: None,
        stop=stop,
    )


def served(workspace: WorkspaceRecord, user_id: str | None) -> Answer:
    ctx = RequestContext()
    answer = Answer(uuid.uuid4().hex, workspace.slug, "films", 1, "default", user_id, None, "", ctx)
    answer.items = [ResultItem(id="f1", title="A film", score=1.0, reasons=[])]
    return answer


def test_served_rows_wait_through_an_outage_and_are_written_once_it_is_back(
    store: Store, workspace: WorkspaceRecord
) -> None:
    dead = dead_store()
    current = [dead]
    wb = buffers(store, current)
    try:
        answer = served(workspace, None)
        wb.record(answer, workspace.id)
        assert wb.flush() == 0  # the store is down: nothing written, nothing lost
        assert wb.depths()["served"] == 1
    finally:
        current[0] = store
        dead.close()
    assert wb.flush() == 1
    assert wb.depths() == {"served": 0, "memories": 0, "answer_logs": 0}
    row = store.get_served(workspace.id, answer.request_id)
    assert row is not None and row.item_ids == ("f1",)


def test_forgetting_a_person_unnames_their_buffered_results(
    store: Store, workspace: WorkspaceRecord
) -> None:
    wb = buffers(store, [store])
    theirs, others = served(workspace, "p1"), served(workspace, "p2")
    wb.record(theirs, workspace.id)
    wb.record(others, workspace.id)
    assert wb.forget(workspace.id, "p1") == 1
    assert wb.flush() == 2
    mine = store.get_served(workspace.id, theirs.request_id)
    kept = store.get_served(workspace.id, others.request_id)
    assert mine is not None and mine.user_id is None
    assert kept is not None and kept.user_id == "p2"


class _SlowStore:
    """A store whose write of served rows waits for a signal: a flush caught mid-write."""

    def __init__(self, store: Store, entered: threading.Event, release: threading.Event) -> None:
        self.store, self.entered, self.release = store, entered, release

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def record_served(self, rows: object) -> None:
        self.entered.set()
        self.release.wait(10)
        self.store.record_served(rows)  # type: ignore[arg-type]


def test_a_flush_returns_only_once_the_flush_under_way_has_written(
    store: Store, workspace: WorkspaceRecord
) -> None:
    # The flusher thread took the rows and is writing them; a flush called meanwhile (the
    # engine's, before reading the rows back) once found the buffers empty and returned at
    # once, before the rows were in the store.
    entered, release = threading.Event(), threading.Event()
    wb = buffers(store, [_SlowStore(store, entered, release)])  # type: ignore[list-item]
    answer = served(workspace, None)
    wb.record(answer, workspace.id)
    under_way = threading.Thread(target=wb.flush)
    under_way.start()
    assert entered.wait(10)
    done = threading.Event()
    second = threading.Thread(target=lambda: (wb.flush(), done.set()))
    second.start()
    assert not done.wait(0.5)  # waits for the write under way
    release.set()
    second.join(10)
    under_way.join(10)
    assert done.is_set()
    assert store.get_served(workspace.id, answer.request_id) is not None
