"""Follow-up questions and refinements over the real engine and store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from measure_fixtures import FILM_NIGHT, film_engine
from pipeline_fixtures import FILMS
from tastemaker import progressive, refine
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.fit import EventData, learn_from_events
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.store import measure as q

YEAR = {i: y for i, _, y, _, _ in FILMS}
GENRES = {i: set(g) for i, _, _, g, _ in FILMS}


@pytest.fixture
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    eng = film_engine(store, workspace, tmp_path)
    yield eng
    eng.close()


def test_followup_answers_both_questions(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p1", choice="laugh")
    assert any(YEAR[i.id] < 1995 for i in first.items)  # the first answer alone allows any year
    second = progressive.followup(engine, slug, "films", first.request_id, choice="recent")
    assert not second.fallback and second.items
    # The follow-up's hard filter holds for every item; the first answer still leads.
    assert all(YEAR[i.id] >= 1995 for i in second.items)
    assert "Comedy" in GENRES[second.items[0].id]
    assert second.intent is not None and second.intent.notes[0] == "chose Make me laugh + Recent"
    engine.flush()
    log = q.get_answer(engine.store, workspace.id, second.request_id)
    assert log is not None
    assert (log.kind, log.parent_request_id, log.choice_id) == (
        "followup",
        first.request_id,
        "recent",
    )


def test_followup_remembers_only_with_consent(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p2", choice="thrill")
    progressive.followup(engine, slug, "films", first.request_id, choice="classic")
    assert progressive.remembered(engine, slug, "films", "p2") == {}
    # asking to remember is not enough: the person's consent to memory decides
    progressive.followup(engine, slug, "films", first.request_id, choice="classic", remember=True)
    assert progressive.remembered(engine, slug, "films", "p2") == {}
    engine.privacy.set_consent(slug, "p2", {"memory": True}, source="api")
    progressive.followup(engine, slug, "films", first.request_id, choice="classic", remember=True)
    assert progressive.remembered(engine, slug, "films", "p2") == {
        "prompt": {"choice": "thrill", "text": None},
        "followup": {"choice": "classic", "text": None},
    }


def test_followup_refuses_what_it_cannot_answer(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p3", choice="laugh")
    with pytest.raises(NotFound):
        progressive.followup(engine, slug, "films", "no-such-request", choice="recent")
    with pytest.raises(InvalidInput) as err:
        progressive.followup(engine, slug, "films", first.request_id, choice="laugh")
    assert err.value.field == "choice"
    engine.save_experience(slug, {**FILM_NIGHT, "key": "plain", "followup": None})
    plain = engine.answer(slug, "plain", choice="laugh")
    with pytest.raises(InvalidInput):
        progressive.followup(engine, slug, "plain", plain.request_id, choice="recent")


def test_followup_choice_ids_must_differ_from_the_prompts() -> None:
    from tastemaker.experiences import ExperienceSpec

    clash = {
        **FILM_NIGHT,
        "followup": {"kind": "choice", "question": "?", "choices": [{"id": "laugh", "label": "x"}]},
    }
    with pytest.raises(ValueError, match="repeat"):
        ExperienceSpec.model_validate(clash)


def test_removing_an_item_keeps_what_still_fits_and_learns(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p4", choice="laugh")
    shown = [i.id for i in first.items]
    gone = shown[0]
    refined = refine.refine(engine, slug, first.request_id, remove=[gone])
    ids = [i.id for i in refined.items]
    assert gone not in ids
    assert set(shown[1:]) <= set(ids)  # the rest still fits: kept
    scores = [i.score for i in refined.items]
    assert scores == sorted(scores, reverse=True)  # re-ranked
    dislikes = [e for e in engine.store.user_events(workspace.id, "p4") if e.type == "dislike"]
    assert [(e.item_id, e.request_id) for e in dislikes] == [(gone, first.request_id)]
    # A retried refinement records the removal once.
    refine.refine(engine, slug, first.request_id, remove=[gone])
    again = [e for e in engine.store.user_events(workspace.id, "p4") if e.type == "dislike"]
    assert len(again) == 1
    # The person's next answer never offers the removed item.
    later = engine.answer(slug, "films", user_id="p4", choice="laugh")
    assert gone not in [i.id for i in later.items]


def test_no_more_of_this_attribute(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p5", choice="thrill")
    ref = first.items[0].id
    refined = refine.refine(
        engine, slug, first.request_id, text="no more of this genre", item_id=ref
    )
    assert refined.items and not refined.fallback
    assert all(not (GENRES[i.id] & GENRES[ref]) for i in refined.items)
    assert refined.intent is not None
    assert any(n.startswith("no more genres") for n in refined.intent.notes)


def test_less_of_a_value_lowers_it(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p6", choice="thrill")
    action = sum("Action" in GENRES[i.id] for i in first.items)
    assert "Action" in GENRES[first.items[0].id]
    refined = refine.refine(engine, slug, first.request_id, text="less action")
    assert sum("Action" in GENRES[i.id] for i in refined.items) < action
    assert "Action" not in GENRES[refined.items[0].id]
    assert refined.intent is not None and "less Action" in refined.intent.notes


def test_refining_a_followup_keeps_both_answers(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p7", choice="laugh")
    second = progressive.followup(engine, slug, "films", first.request_id, choice="recent")
    third = refine.refine(engine, slug, second.request_id, remove=[second.items[0].id])
    assert third.items and all(YEAR[i.id] >= 1995 for i in third.items)


def test_refine_refuses_bad_input(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    first = engine.answer(slug, "films", user_id="p8", choice="laugh")
    with pytest.raises(NotFound):
        refine.refine(engine, slug, "nope", remove=["f1"])
    cases = [
        ({"remove": ["not-shown"]}, "remove"),
        ({}, "text"),
        ({"text": "no more of this genre"}, "item_id"),
        ({"text": "x", "item_id": "not-shown"}, "item_id"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InvalidInput) as err:
            refine.refine(engine, slug, first.request_id, **kwargs)  # type: ignore[arg-type]
        assert err.value.field == field


def test_fit_drops_positives_the_person_removed() -> None:
    events = [
        EventData("u", "a", "click", None, 1.0),
        EventData("u", "a", "dislike", None, 2.0),
        EventData("v", "b", "click", None, 1.0),
    ]
    popularity = learn_from_events(events, {"a": 0, "b": 1}, 2)[0]
    assert popularity[0] == 0.0 and popularity[1] > 0


def test_saved_answers_answer_an_empty_prompt(engine: Engine, workspace: WorkspaceRecord) -> None:
    slug = workspace.slug
    engine.privacy.set_consent(slug, "p9", {"memory": True}, source="widget")
    first = engine.answer(slug, "films", user_id="p9", choice="laugh")
    progressive.followup(engine, slug, "films", first.request_id, choice="recent", remember=True)
    later = engine.answer(slug, "films", user_id="p9")
    assert later.intent is not None and "used your saved answers" in later.intent.notes
    assert later.items and all(YEAR[i.id] >= 1995 for i in later.items)
    engine.flush()
    log = q.get_answer(engine.store, workspace.id, later.request_id)
    assert log is not None and (log.kind, log.choice_id) == ("answer", "laugh")
    # Someone without saved answers gets the usual empty-answer result.
    other = engine.answer(slug, "films", user_id="p10")
    assert other.intent is not None and "used your saved answers" not in other.intent.notes
