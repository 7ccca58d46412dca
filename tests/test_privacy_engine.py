"""The engine honours consent, remembers what it may, forgets on request, and retains no longer
than the workspace's policy; on a real store (SQLite, or PostgreSQL with the env URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from privacy_fixtures import film_engine
from tastemaker.encoders import Encoder, get_encoder
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.ingest import EventIn
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store.privacy_tables import answers, preferences

DAY = 86400.0


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("static")


@pytest.fixture
def engine(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path, encoder: Encoder
) -> Iterator[Engine]:
    eng = film_engine(store, workspace, tmp_path, encoder)
    yield eng
    eng.close()


def count(store: Store, table: Table, ws: WorkspaceRecord, user_id: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.workspace_id == ws.id, table.c.user_id == user_id)
            ).scalar_one()
        )


def test_defaults_history_on_memory_and_marketing_off(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    state = engine.privacy.consent(workspace.slug, "c1")
    assert {p: s["granted"] for p, s in state.items()} == {
        "history": True,
        "memory": False,
        "marketing": False,
    }
    assert all(s["source"] == "default" and s["recorded_at"] is None for s in state.values())


def test_without_history_consent_the_answer_uses_prompt_and_context_alone(
    engine: Engine, workspace: WorkspaceRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_history = engine.answer(workspace.slug, "films", user_id="c1", text="something")
    assert with_history.profile is not None and not with_history.profile.is_cold
    engine.privacy.set_consent(workspace.slug, "c1", {"history": False}, source="widget")
    read: list[str] = []
    real = engine.store.user_history

    def spy(ws_id: int, user_id: str, limit: int = 200) -> object:
        read.append(user_id)
        return real(ws_id, user_id, limit)

    monkeypatch.setattr(engine.store, "user_history", spy)
    without = engine.answer(workspace.slug, "films", user_id="c1", text="something")
    assert read == []  # the events are not even read
    assert without.profile is not None and without.profile.is_cold
    assert without.profile.consumed == set()
    # ... and the result is what an anonymous person gets for the same words (no CF, no profile)
    anonymous = engine.answer(workspace.slug, "films", text="something")
    assert [i.id for i in without.items] == [i.id for i in anonymous.items]


def test_consent_history_is_kept_with_time_and_source(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    engine.privacy.set_consent(workspace.slug, "p1", {"memory": True}, source="widget")
    state = engine.privacy.set_consent(
        workspace.slug, "p1", {"memory": False, "marketing": True}, source="cli"
    )
    assert state["memory"]["granted"] is False and state["memory"]["source"] == "cli"
    assert state["marketing"]["granted"] is True
    history = engine.privacy.consent_history(workspace.slug, "p1")
    assert [(h["purpose"], h["granted"], h["source"]) for h in history] == [
        ("memory", True, "widget"),
        ("memory", False, "cli"),
        ("marketing", True, "cli"),
    ]
    assert all(isinstance(h["recorded_at"], float) for h in history)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"ads": True}, "ads"), ({"memory": "yes"}, "memory"), ({}, "consent")],
)
def test_bad_consent_is_refused(
    engine: Engine, workspace: WorkspaceRecord, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as e:
        engine.privacy.set_consent(workspace.slug, "p1", changes, source="api")
    assert e.value.field == field


def test_without_memory_consent_nothing_of_the_answer_is_kept(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    a = engine.answer(workspace.slug, "films", user_id="n1", text="a comedy under $10 please")
    engine.flush()
    assert not a.fallback
    assert count(engine.store, answers, workspace, "n1") == 0
    assert count(engine.store, preferences, workspace, "n1") == 0
    served = engine.store.get_served(workspace.id, a.request_id)
    assert served is not None and served.user_id == "n1"  # what was shown, not what was said
    assert "comedy" not in repr(served)


def test_memory_is_kept_redacted_used_later_and_forgotten_one_by_one(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    slug = workspace.slug
    engine.privacy.set_consent(slug, "m1", {"memory": True}, source="widget")
    a = engine.answer(
        slug, "films", user_id="m1", text="a comedy under $10, no horror, mail me at x@y.org"
    )
    assert not a.fallback
    engine.flush()
    export = engine.privacy.export(slug, "m1")
    kept = export["tables"]["answers"]
    assert len(kept) == 1 and "x@y.org" not in kept[0]["text"] and "[email]" in kept[0]["text"]
    facts = {(p.kind, p.name, p.value) for p in engine.privacy.memory(slug, "m1")}
    assert facts == {
        ("taste", "genres", "Comedy"),
        ("avoid", "genres", "Horror"),
        ("budget", "price", "10"),
    }
    # A later, different experience: the remembered facts fill in what the answer left out.
    later = engine.answer(slug, "picks", user_id="m1", text="something for tonight")
    assert later.intent is not None
    assert "remembered: you like genres Comedy" in later.intent.notes
    assert later.intent.numeric_max == {"price": 10.0}
    assert all(i.price is not None and i.price <= 10 for i in later.items)
    assert "Horror" in later.intent.excluded["genres"]
    # Today's words win over memory.
    now = engine.answer(slug, "picks", user_id="m1", text="a horror film under $20")
    assert now.intent is not None and now.intent.numeric_max == {"price": 20.0}
    assert "Horror" not in now.intent.excluded.get("genres", [])
    engine.flush()
    # Forget one fact: it stops shaping answers.
    budget = next(p for p in engine.privacy.memory(slug, "m1") if p.kind == "budget")
    assert budget.value == "20"  # a newly stated budget replaces the old one
    engine.privacy.forget(slug, "m1", budget.id)
    assert all(p.kind != "budget" for p in engine.privacy.memory(slug, "m1"))
    again = engine.answer(slug, "picks", user_id="m1", text="something for tonight")
    assert again.intent is not None and again.intent.numeric_max == {}
    with pytest.raises(NotFound):
        engine.privacy.forget(slug, "m1", budget.id)


def test_withdrawing_memory_forgets_what_was_kept(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    slug = workspace.slug
    engine.privacy.set_consent(slug, "w1", {"memory": True}, source="widget")
    engine.answer(slug, "films", user_id="w1", text="a comedy")
    engine.privacy.set_consent(slug, "w1", {"memory": False}, source="widget")  # before a flush
    engine.flush()
    assert count(engine.store, answers, workspace, "w1") == 0
    assert count(engine.store, preferences, workspace, "w1") == 0
    later = engine.answer(slug, "picks", user_id="w1", text="anything")
    assert later.intent is not None and not any("remembered" in n for n in later.intent.notes)


def test_remembered_facts_expire(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    engine.privacy.set_policy(slug, memory_days=30)
    engine.privacy.set_consent(slug, "e1", {"memory": True}, source="widget")
    engine.answer(slug, "films", user_id="e1", text="a comedy")
    engine.flush()
    (pref,) = engine.privacy.memory(slug, "e1")
    assert pref.expires_at - pref.created_at == pytest.approx(30 * DAY)
    store = engine.privacy.store
    assert store.preferences(workspace.id, "e1", now=pref.created_at + 29 * DAY) == [pref]
    assert store.preferences(workspace.id, "e1", now=pref.created_at + 31 * DAY) == []


def test_retention_with_a_moving_clock(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    t0 = 1_800_000_000.0
    engine.privacy.set_policy(slug, events_days=30, answers_days=10, memory_days=20)
    engine.insert_events(
        slug,
        [
            EventIn(user_id="r1", item_id="f1", type="view", ts=t0 - 40 * DAY),
            EventIn(user_id="r1", item_id="f2", type="view", ts=t0),
        ],
    )
    engine.privacy.set_consent(slug, "r1", {"memory": True}, source="widget")
    engine.answer(slug, "films", user_id="r1", text="a comedy")
    engine.flush()
    # Pin the kept answer and preference to t0 (the engine stamps them with the wall clock).
    with engine.store.engine.begin() as conn:
        conn.execute(answers.update().where(answers.c.user_id == "r1").values(created_at=t0))
        conn.execute(
            preferences.update()
            .where(preferences.c.user_id == "r1")
            .values(created_at=t0, expires_at=t0 + 20 * DAY)
        )
    clock = [t0]

    def maintain() -> dict[str, int]:
        return engine.privacy.maintain(slug, clock=lambda: clock[0])[slug]

    first = maintain()  # the film history (2023) and r1's 40-day-old event are past 30 days
    assert first["events"] >= 1
    assert [e.ts for e in engine.store.user_events(workspace.id, "r1")] == [t0]
    assert count(engine.store, answers, workspace, "r1") == 1
    clock[0] = t0 + 11 * DAY
    assert maintain()["answers"] == 1
    assert count(engine.store, preferences, workspace, "r1") == 1
    clock[0] = t0 + 21 * DAY
    assert maintain()["preferences"] == 1
    assert count(engine.store, preferences, workspace, "r1") == 0
    clock[0] = t0 + 31 * DAY
    assert maintain()["events"] == 1
    assert engine.store.user_events(workspace.id, "r1") == []
    assert maintain() == {"events": 0, "served": 0, "answers": 0, "preferences": 0}


def test_policy_validation(engine: Engine, workspace: WorkspaceRecord) -> None:
    with pytest.raises(InvalidInput) as e:
        engine.privacy.set_policy(workspace.slug, events_days=0)
    assert e.value.field == "events_days"
    p = engine.privacy.set_policy(workspace.slug, events_days=90, default_memory=True)
    assert engine.privacy.policy(workspace.slug) == p
    assert engine.privacy.consent(workspace.slug, "z")["memory"]["granted"] is True


def test_erasure_refits_the_model_without_the_person(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    before = engine.catalog(workspace.slug)
    assert before is not None and before.cf is not None
    receipt = engine.privacy.erase(workspace.slug, "a1")
    assert receipt["model"] == "refitted without them"
    assert receipt["tables"]["events"] > 0 and receipt["tables"]["users"] == 1
    after = engine.catalog(workspace.slug)
    assert after is not None and after is not before
    assert (
        engine.privacy.receipt(workspace.slug, receipt["receipt_id"])["counts"]
        == (receipt["tables"])
    )
    again = engine.privacy.erase(workspace.slug, "a1", refit=True)
    assert again["model"] == "unchanged: no events of theirs"
    assert sum(again["tables"].values()) == 0


def test_an_erasure_by_another_process_is_honoured_by_this_ones_buffers(
    engine: Engine, workspace: WorkspaceRecord, encoder: Encoder
) -> None:
    slug = workspace.slug
    engine.privacy.set_consent(slug, "x1", {"memory": True}, source="widget")
    # Stop the background flusher so the rows surely wait in this engine's buffers.
    engine._stop.set()
    if engine._flusher is not None:
        engine._flusher.join()
    a = engine.answer(slug, "films", user_id="x1", text="a comedy")
    other = Engine(engine.store, engine.settings, encoder=encoder)  # another worker
    try:
        other.privacy.erase(slug, "x1", refit=False)
    finally:
        other.close()
    assert engine.flush() == 1
    served = engine.store.get_served(workspace.id, a.request_id)
    assert served is not None and served.user_id is None
    assert count(engine.store, answers, workspace, "x1") == 0
    assert count(engine.store, preferences, workspace, "x1") == 0
    # Rows buffered after the erasure are new data and are kept.
    b = engine.answer(slug, "films", user_id="x1", text="a comedy")
    engine.flush()
    kept = engine.store.get_served(workspace.id, b.request_id)
    assert kept is not None and kept.user_id == "x1"


def test_text_caches_forget_answer_words_after_an_erasure_anywhere(
    engine: Engine, workspace: WorkspaceRecord, encoder: Encoder
) -> None:
    from tastemaker.encoders import CachedEncoder
    from tastemaker.pipeline import copywriting, retrieve, understand

    slug = workspace.slug
    engine._stop.set()  # no background checks: this test drives them
    if engine._flusher is not None:
        engine._flusher.join()
    engine.check_erasures()
    assert engine.check_erasures() is False  # nothing new

    def words_cached() -> bool:
        enc = engine.encoder
        in_encoder = isinstance(enc, CachedEncoder) and any("zebrafish" in t for t in enc._cache)
        in_hits = any("zebrafish" in str(k) for k in retrieve.TEXT_HITS.remembered())
        in_hits |= bool(retrieve.INTENT_WEIGHTS.remembered())  # keyed by the words' embedding
        in_hits |= any("zebrafish" in str(k) for k in understand.READINGS.remembered())
        return in_encoder or in_hits or copywriting.shorten.cache_info().currsize > 0

    engine.answer(slug, "films", user_id="t1", text="a comedy about zebrafish")
    assert words_cached()
    engine.privacy.erase(slug, "t1", refit=False)  # this process: cleared at once
    assert not words_cached()
    engine.answer(slug, "films", user_id="t2", text="a comedy about zebrafish")
    assert words_cached()
    other = Engine(engine.store, engine.settings, encoder=get_encoder("static"))
    try:
        other.privacy_store.erase(workspace.id, "t2")  # another process's erasure
    finally:
        other.close()
    assert words_cached()  # not seen yet
    assert engine.check_erasures() is True
    assert not words_cached()
