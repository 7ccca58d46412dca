"""The person registry and the privacy queries, on a real store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.person import PERSON_TABLES, register_person_table
from tastemaker.store.privacy import PrivacyStore, subject_hash
from tastemaker.store.privacy_records import Memory


@pytest.fixture
def pending(store: Store) -> Iterator[Table]:
    """A table another area might add (say, webhooks' pending payloads), registered in one line."""
    meta = MetaData()
    table = Table(
        f"pending_{uuid.uuid4().hex[:8]}",
        meta,
        Column("id", Integer, primary_key=True),
        Column("workspace_id", Integer, nullable=False),
        Column("recipient", String(128), nullable=False),
        Column("payload", Text, nullable=False),
    )
    meta.create_all(store.engine)
    register_person_table(table, user_column="recipient")
    try:
        yield table
    finally:
        PERSON_TABLES.pop(table.name, None)
        meta.drop_all(store.engine)


def test_a_registered_table_is_exported_and_erased(
    store: Store, workspace: WorkspaceRecord, pending: Table
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            pending.insert(),
            [
                {"id": 1, "workspace_id": workspace.id, "recipient": "p1", "payload": "hello p1"},
                {"id": 2, "workspace_id": workspace.id, "recipient": "p2", "payload": "hello p2"},
                {"id": 3, "workspace_id": workspace.id + 999, "recipient": "p1", "payload": "x"},
            ],
        )
    privacy = PrivacyStore(store)
    assert privacy.export(workspace.id, "p1")[pending.name] == [
        {"id": 1, "recipient": "p1", "payload": "hello p1"}
    ]
    receipt, counts = privacy.erase(workspace.id, "p1")
    assert counts[pending.name] == 1
    assert privacy.export(workspace.id, "p1")[pending.name] == []
    assert len(privacy.export(workspace.id, "p2")[pending.name]) == 1  # others stay
    kept = privacy.receipt(workspace.id, receipt)
    assert kept is not None and kept["counts"] == counts
    assert kept["subject_hash"] == subject_hash(workspace.id, "p1")


def test_registration_is_checked() -> None:
    meta = MetaData()
    t = Table("t", meta, Column("workspace_id", Integer), Column("who", String, nullable=False))
    with pytest.raises(ValueError, match="no column 'user_id'"):
        register_person_table(t)
    with pytest.raises(ValueError, match="nullable"):
        register_person_table(t, user_column="who", on_erase="anonymize")
    assert "t" not in PERSON_TABLES


def test_core_tables_are_registered() -> None:
    assert {"events", "users", "served", "consents", "preferences", "answers"} <= set(PERSON_TABLES)
    assert PERSON_TABLES["served"].on_erase == "anonymize"


def test_remember_refreshes_expiry_and_replaces_budgets(
    store: Store, workspace: WorkspaceRecord
) -> None:
    privacy = PrivacyStore(store)

    def memory(facts: tuple[tuple[str, str, str], ...], at: float) -> Memory:
        return Memory(
            workspace.id, "p1", uuid.uuid4().hex, "films", None, "text", facts, at, at + 100
        )

    privacy.remember([memory((("taste", "genre", "jazz"), ("budget", "price", "20")), 1000.0)])
    privacy.remember([memory((("taste", "genre", "jazz"), ("budget", "price", "30")), 2000.0)])
    prefs = privacy.preferences(workspace.id, "p1", now=2050.0)
    assert sorted((p.kind, p.value, p.expires_at) for p in prefs) == [
        ("budget", "30", 2100.0),
        ("taste", "jazz", 2100.0),
    ]
    assert len(privacy.export(workspace.id, "p1")["answers"]) == 2
    forgotten = privacy.forget_memory(workspace.id, "p1")
    assert forgotten == {
        "preferences": 2,
        "answers": 2,
        "saved_answers": 0,
        "prompt_answers.text": 0,
    }


def test_erasure_takes_the_review_items_their_requests_queued(
    store: Store, workspace: WorkspaceRecord
) -> None:
    from tastemaker.store import ServedRecord
    from tastemaker.store.editorial import enqueue_review, list_reviews

    for user, rid, words in (("p1", "r-p1", "my private words"), ("p2", "r-p2", "other words")):
        store.record_served(
            [ServedRecord(workspace.id, rid, "films", 1, "default", user, ("f1",), False)]
        )
        enqueue_review(
            store,
            workspace.id,
            experience_key="films",
            answer_key=f"k-{user}",
            answer_text=words,
            request_id=rid,
            proposed={"title": "t"},
            reasons=["tone"],
        )
    _, counts = PrivacyStore(store).erase(workspace.id, "p1")
    assert counts["review_queue"] == 1
    left = [r.answer_text for r in list_reviews(store, workspace.id)]
    assert left == ["other words"]
