"""Journey events: idempotent batches, session stitching, UTM parsing, checks (real store)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from measure_fixtures import film_engine
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput
from tastemaker.ingest import EventIn
from tastemaker.measure.events import parse_utm
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store import measure as q
from tastemaker.store import metrics as sql


@pytest.fixture
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    eng = film_engine(store, workspace, tmp_path)
    yield eng
    eng.close()


def _revenue(engine: Engine, ws: WorkspaceRecord) -> float:
    credits = sql.attributions(engine.store, ws.id, ["purchase"], window_s=3600)
    return sum(a.value or 0.0 for a in credits if a.last_touch)


def test_a_retried_batch_never_double_counts(engine: Engine, workspace: WorkspaceRecord) -> None:
    a = engine.answer(workspace.slug, "films", user_id="p1", choice="laugh")
    now = time.time() + 1
    batch = [
        EventIn(user_id="p1", item_id=a.items[0].id, type="click", ts=now, request_id=a.request_id),
        EventIn(user_id="p1", type="purchase", value=20.0, ts=now + 1, event_id="order-1"),
    ]
    before = engine.store.count_events(workspace.id)
    assert engine.insert_events(workspace.slug, batch) == 2
    engine.flush()
    assert _revenue(engine, workspace) == 20.0
    # The same batch again (a client retry after a timeout), re-validated from the wire.
    again = [EventIn.model_validate(e.model_dump()) for e in batch]
    assert engine.insert_events(workspace.slug, again) == 0
    assert engine.store.count_events(workspace.id) == before + 2
    assert _revenue(engine, workspace) == 20.0


def test_identify_stitches_anonymous_history_to_the_person(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    slug, now = workspace.slug, time.time()
    a = engine.answer(slug, "films", user_id="anon-7", choice="laugh")
    engine.insert_events(
        slug,
        [EventIn(user_id="anon-7", item_id="f1", type="click", ts=now, request_id=a.request_id)],
    )
    engine.insert_events(
        slug,
        [EventIn(user_id="anon-7", type="identify", ts=now + 1, context={"user_id": "ann"})],
    )
    # Events sent later under the anonymous id (the page has not reloaded yet) follow the link.
    engine.insert_events(slug, [EventIn(user_id="anon-7", item_id="f7", type="save", ts=now + 2)])
    history = engine.store.user_events(workspace.id, "ann")
    assert {e.type for e in history} == {"click", "identify", "save"}
    assert engine.store.user_events(workspace.id, "anon-7") == []
    users = engine.store.list_users(workspace.id, limit=100)
    assert "ann" in users and "anon-7" not in users
    # The result served to the anonymous id now belongs to the person: one visitor.
    b = engine.answer(slug, "films", user_id="ann", choice="thrill")
    engine.flush()
    served = engine.store.get_served(workspace.id, a.request_id)
    assert served is not None and served.user_id == "ann"
    # A result answered for the anonymous id after the link (the client still sends it) is
    # stored as the person's too.
    c = engine.answer(slug, "films", user_id="anon-7", choice="laugh")
    engine.flush()
    late = engine.store.get_served(workspace.id, c.request_id)
    assert late is not None and late.user_id == "ann"
    rows = sql.served_metrics(engine.store, workspace.id, 0, now + 3600, by_day=False)
    assert rows[("films", "default", -1)]["visitors"] == 1
    assert rows[("films", "default", -1)]["requests"] == 3
    assert b.request_id != a.request_id


def test_identify_by_call_and_links_resolve(engine: Engine, workspace: WorkspaceRecord) -> None:
    now = time.time()
    engine.insert_events(
        workspace.slug, [EventIn(user_id="dev-1", type="view", item_id="f2", ts=now)]
    )
    assert engine.identify(workspace.slug, "dev-1", "bob") == 1
    assert q.resolve_users(engine.store, workspace.id, ["dev-1", "x"]) == {"dev-1": "bob"}
    assert engine.identify(workspace.slug, "dev-1", "bob") == 0  # again: nothing left to move
    with pytest.raises(InvalidInput) as err:
        engine.identify(workspace.slug, "", "bob")
    assert err.value.field == "anonymous_id"


def test_utm_parameters_are_parsed_from_the_landing_url(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    url = "https://shop.example/films?utm_source=newsletter&utm_medium=email&utm_campaign=fall&x=1"
    engine.insert_events(
        workspace.slug,
        [
            EventIn(
                user_id="p2",
                type="prompt_shown",
                ts=time.time(),
                context={"experience": "films", "url": url},
            )
        ],
    )
    (event,) = engine.store.user_events(workspace.id, "p2")
    assert event.context is not None
    assert event.context["utm"] == {"source": "newsletter", "medium": "email", "campaign": "fall"}
    assert parse_utm("not a url") == {} and parse_utm("https://x.example/?utm_term=") == {}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "prompt_shown"}, "events[0].context.experience"),
        (
            {"type": "prompt_abandoned", "context": {"experience": 3}},
            "events[0].context.experience",
        ),
        ({"type": "purchase", "value": -5.0}, "events[0].value"),
        ({"type": "identify", "context": {}}, "events[0].context.user_id"),
    ],
)
def test_journey_events_missing_what_metrics_need_are_refused(
    engine: Engine, workspace: WorkspaceRecord, event: dict[str, object], field: str
) -> None:
    before = engine.store.count_events(workspace.id)
    e = EventIn.model_validate({"user_id": "p3", "ts": time.time(), **event})
    with pytest.raises(InvalidInput) as err:
        engine.insert_events(workspace.slug, [e])
    assert err.value.field == field
    assert engine.store.count_events(workspace.id) == before
