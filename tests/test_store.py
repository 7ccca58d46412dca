"""The Store contract, on SQLite and (with TASTEMAKER_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.store import ServedRecord, Store, WorkspaceRecord
from tastemaker.store.models import api_keys, metadata, users
from tastemaker.store.partitions import include_in_comparison


def item(id: str, **kw: Any) -> ItemIn:
    return ItemIn(id=id, title=kw.pop("title", f"Item {id}"), **kw)


def event(user: str, item_id: str | None, ts: float, **kw: Any) -> EventIn:
    return EventIn(user_id=user, item_id=item_id, type=kw.pop("type", "view"), ts=ts, **kw)


# -- schema ------------------------------------------------------------------------------------


def test_migration_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        # Partitions of events (PostgreSQL) are not models; some constraints are per dialect.
        opts = {"include_object": include_in_comparison(store.dialect)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    assert diff == []


def test_migrate_twice_is_a_no_op(store: Store) -> None:
    store.migrate()
    store.migrate()


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        Store("mysql://localhost/x")
    assert err.value.field == "database_url"


def test_sqlite_parent_directory_is_created(tmp_path: Any) -> None:
    with Store(f"sqlite:///{tmp_path}/a/b/t.db") as s:
        s.migrate()
        assert s.list_workspaces() == []


# -- workspaces and keys -----------------------------------------------------------------------


def test_workspaces(store: Store, workspace: WorkspaceRecord) -> None:
    assert store.get_workspace(workspace.slug) == workspace
    assert workspace in store.list_workspaces()
    assert store.get_workspace("no-such-workspace") is None
    with pytest.raises(InvalidInput) as err:
        store.create_workspace(workspace.slug, "again")
    assert err.value.field == "slug"


@pytest.mark.parametrize("slug", ["", "Upper", "-dash", "with space", "x" * 65])
def test_bad_slugs_are_refused(store: Store, slug: str) -> None:
    with pytest.raises(InvalidInput):
        store.create_workspace(slug, "x")


def test_api_keys_are_stored_hashed_with_their_scope(
    store: Store, workspace: WorkspaceRecord
) -> None:
    public = store.create_api_key(workspace.slug, "public")
    admin = store.create_api_key(workspace.slug, "admin")
    assert public.startswith("tm_pk_") and admin.startswith("tm_sk_")
    with store.engine.connect() as conn:
        hashes = set(
            conn.execute(
                select(api_keys.c.key_hash).where(api_keys.c.workspace_id == workspace.id)
            ).scalars()
        )
    assert hashes == {hashlib.sha256(k.encode()).hexdigest() for k in (public, admin)}
    pub, adm = store.authenticate(public), store.authenticate(admin)
    assert pub is not None and adm is not None
    assert (pub.workspace_id, pub.workspace_slug, pub.scope) == (
        workspace.id,
        workspace.slug,
        "public",
    )
    assert adm.scope == "admin"
    assert store.authenticate(public + "x") is None
    assert store.authenticate("") is None


def test_api_key_errors(store: Store, workspace: WorkspaceRecord) -> None:
    with pytest.raises(InvalidInput):
        store.create_api_key(workspace.slug, "root")
    with pytest.raises(NotFound):
        store.create_api_key("no-such-workspace", "public")


# -- items -------------------------------------------------------------------------------------


def test_items_upsert_and_read(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    items = [
        item("b", attributes={"genres": ["x", "y"], "year": 1999, "new": True}, price=9.5),
        item("a", text="words", url="https://e.com/a", available=False),
    ]
    assert store.upsert_items(ws, items) == 2
    assert store.count_items(ws) == 2
    listed = list(store.iter_items(ws))
    assert [i.id for i in listed] == ["a", "b"]
    b = listed[1]
    assert b.attributes == {"genres": ["x", "y"], "year": 1999, "new": True}
    assert (b.price, b.available, b.url, b.text) == (9.5, True, None, "")
    assert listed[0].available is False and listed[0].url == "https://e.com/a"
    assert [i.id for i in store.get_items(ws, ["b", "zz", "a"])] == ["b", "a"]
    assert store.get_items(ws, []) == []


def test_catalog_version_bumps_only_on_change(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    assert store.catalog_version(ws) == 0
    assert store.upsert_items(ws, [item("a"), item("b")]) == 2
    assert store.catalog_version(ws) == 1
    # the same items again: nothing changes, nothing is rewritten
    assert store.upsert_items(ws, [item("a"), item("b")]) == 0
    assert store.catalog_version(ws) == 1
    assert store.upsert_items(ws, [item("a", price=3.0), item("b")]) == 1
    assert store.catalog_version(ws) == 2
    assert store.get_items(ws, ["a"])[0].price == 3.0
    assert store.upsert_items(ws, [item("a", price=3.0, attributes={"k": "v"})]) == 1
    assert store.catalog_version(ws) == 3
    assert store.upsert_items(ws, []) == 0
    assert store.catalog_version(ws) == 3


def test_duplicate_ids_in_one_batch_last_wins(store: Store, workspace: WorkspaceRecord) -> None:
    assert store.upsert_items(workspace.id, [item("a", title="one"), item("a", title="two")]) == 1
    assert store.get_items(workspace.id, ["a"])[0].title == "two"


def test_catalog_version_of_unknown_workspace(store: Store) -> None:
    with pytest.raises(NotFound):
        store.catalog_version(987654)


def test_workspaces_do_not_share_items(store: Store, workspace: WorkspaceRecord) -> None:
    other = store.create_workspace(workspace.slug + "-2", "other")
    store.upsert_items(workspace.id, [item("a")])
    assert store.count_items(other.id) == 0
    assert store.upsert_items(other.id, [item("a")]) == 1


# -- events and users --------------------------------------------------------------------------


def test_events_are_idempotent_and_update_users(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    events = [
        event("u1", "a", 100.0),
        event("u1", "b", 300.0, type="rating", value=4.5),
        event("u1", "c", 200.0, context={"device": "mobile"}),
        event("u2", "a", 50.0),
    ]
    assert store.insert_events(ws, events) == 4
    assert store.insert_events(ws, events) == 0
    assert store.insert_events(ws, [*events, event("u2", "b", 400.0)]) == 1
    assert store.count_events(ws) == 5
    assert store.list_users(ws) == ["u1", "u2"]
    assert store.list_users(ws, limit=1) == ["u1"]
    with store.engine.connect() as conn:
        rows = {
            r.user_id: (r.first_seen, r.last_seen, r.event_count)
            for r in conn.execute(select(users).where(users.c.workspace_id == ws))
        }
    assert rows == {"u1": (100.0, 300.0, 3), "u2": (50.0, 400.0, 2)}


def test_event_reads(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    store.insert_events(
        ws,
        [
            event("u1", "a", 100.0),
            event("u1", "b", 300.0, type="rating", value=4.5, request_id="r1"),
            event("u1", "c", 200.0, context={"device": "mobile"}),
            event("u2", None, 50.0, type="search"),
        ],
    )
    recent = store.user_events(ws, "u1")
    assert [e.item_id for e in recent] == ["b", "c", "a"]
    assert recent[0].value == 4.5 and recent[0].request_id == "r1" and recent[0].type == "rating"
    assert recent[1].context == {"device": "mobile"}
    assert recent[2].context is None and recent[2].value is None
    assert [e.item_id for e in store.user_events(ws, "u1", limit=2)] == ["b", "c"]
    assert store.user_events(ws, "nobody") == []
    assert [e.ts for e in store.iter_events(ws)] == [50.0, 100.0, 200.0, 300.0]


def test_same_event_id_in_two_workspaces(store: Store, workspace: WorkspaceRecord) -> None:
    other = store.create_workspace(workspace.slug + "-2", "other")
    e = [event("u", "a", 1.0, event_id="e1")]
    assert store.insert_events(workspace.id, e) == 1
    assert store.insert_events(other.id, e) == 1


def test_insert_events_is_one_transaction(store: Store, workspace: WorkspaceRecord) -> None:
    def failing() -> Iterator[EventIn]:
        yield from (event("u", str(i), float(i)) for i in range(10))
        raise RuntimeError("bad row")

    with pytest.raises(RuntimeError):
        store.insert_events(workspace.id, failing())
    assert store.count_events(workspace.id) == 0
    assert store.list_users(workspace.id) == []


def test_many_events_span_chunks(store: Store, workspace: WorkspaceRecord) -> None:
    events = [event(f"u{i % 7}", f"i{i % 50}", float(i)) for i in range(12_000)]
    assert store.insert_events(workspace.id, events) == 12_000
    assert store.insert_events(workspace.id, events[5_000:]) == 0
    assert store.count_events(workspace.id) == 12_000
    assert store.list_users(workspace.id, limit=3) == ["u0", "u1", "u2"]


# -- experiences -------------------------------------------------------------------------------


def test_experience_versions(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    spec = {"key": "mood", "name": "Mood", "output": {"size": 5}}
    assert store.save_experience(ws, spec) == 1
    assert store.save_experience(ws, dict(reversed(list(spec.items())))) == 1  # same spec
    changed = {**spec, "output": {"size": 6}}
    assert store.save_experience(ws, changed) == 2
    assert store.save_experience(ws, changed) == 2
    assert store.save_experience(ws, spec) == 3  # going back is a change too
    assert store.save_experience(ws, {"key": "other", "name": "Other"}) == 1

    latest = store.get_experience(ws, "mood")
    assert latest is not None and (latest.version, latest.spec) == (3, spec)
    v2 = store.get_experience(ws, "mood", 2)
    assert v2 is not None and v2.spec == changed
    assert store.get_experience(ws, "mood", 9) is None
    assert store.get_experience(ws, "nope") is None
    assert [(e.key, e.version) for e in store.list_experiences(ws)] == [
        ("mood", 3),
        ("other", 1),
    ]


def test_experience_needs_a_key(store: Store, workspace: WorkspaceRecord) -> None:
    with pytest.raises(InvalidInput) as err:
        store.save_experience(workspace.id, {"name": "x"})
    assert err.value.field == "key"


# -- served ------------------------------------------------------------------------------------


def test_served_round_trip(store: Store, workspace: WorkspaceRecord) -> None:
    rows = [
        ServedRecord(
            workspace_id=workspace.id,
            request_id="r1",
            experience_key="mood",
            experience_version=2,
            variant="b",
            user_id="u1",
            item_ids=("x", "y"),
            fallback=False,
            created_at=1000.5,
            latency_ms=12.5,
        ),
        ServedRecord(workspace.id, "r2", "mood", 2, "default", None, (), fallback=True),
    ]
    store.record_served(rows)
    store.record_served(rows[:1])  # a retried flush is ignored
    store.record_served([])
    assert store.get_served(workspace.id, "r1") == rows[0]
    assert store.get_served(workspace.id, "r2") == rows[1]
    assert store.get_served(workspace.id, "r3") is None


def test_user_history_reads_through_the_lean_reader_newest_first(
    store: Store, workspace: WorkspaceRecord
) -> None:
    store.insert_events(
        workspace.id,
        [
            event("u1", "a", 1.0),
            event("u1", "b", 3.0),
            event("u1", "c", 2.0),
            event("u2", "d", 4.0),
        ],
    )
    rows = store.user_history(workspace.id, "u1", limit=2)
    assert [(r.item_id, r.ts) for r in rows] == [("b", 3.0), ("c", 2.0)]
    with store.reader() as cur:  # the raw cursor takes the driver's own placeholders
        p = store.param
        cur.execute(f"SELECT count(*) FROM events WHERE workspace_id = {p}", (workspace.id,))
        assert cur.fetchall() == [(4,)]


def test_the_lean_reader_survives_a_connection_the_server_dropped(
    store: Store, workspace: WorkspaceRecord
) -> None:
    """A pooled connection killed under the reader must not be handed out again broken."""
    if store.dialect != "postgresql":
        pytest.skip("only a server can drop a connection")
    store.insert_events(workspace.id, [event("u1", "a", 1.0)])
    with store.reader() as cur:
        cur.execute("SELECT pg_backend_pid()")
        ((pid,),) = cur.fetchall()
    killer = create_engine(store.engine.url, poolclass=NullPool)  # not one from the pool
    with killer.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    killer.dispose()
    for _ in range(3):
        assert [r.item_id for r in store.user_history(workspace.id, "u1")] == ["a"]
