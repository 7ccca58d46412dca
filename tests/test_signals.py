"""The ranking signals learned from events: time-aware trend and freshness, co-visitation,
the person's latest picks, related words for training prompts, and empty-answer weights."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from scipy import sparse

from pipeline_fixtures import film_catalog, film_events, film_spec, new_answer
from tastemaker import learn
from tastemaker.activity import BUCKET_SECONDS, Activity, covisitation, sequences
from tastemaker.catalog import Catalog, tokens
from tastemaker.encoders import get_encoder
from tastemaker.fit import EventData, ItemData, build_catalog
from tastemaker.pipeline import enrich, rank, runner
from tastemaker.pipeline.rank import SIGNALS
from tastemaker.pipeline.vocabulary import stem
from tastemaker.types import RequestContext

WEEK = BUCKET_SECONDS
T0 = 1_600_000_000.0


def _activity() -> Activity:
    # item 0: busy early; item 1: busy late; item 2: one event at the very end
    rows = np.array([0, 0, 0, 1, 1, 1, 2])
    ts = np.array([T0, T0 + WEEK, T0 + 2 * WEEK, T0 + 30 * WEEK, T0 + 31 * WEEK, T0 + 31 * WEEK,
                   T0 + 40 * WEEK])  # fmt: skip
    return Activity.from_events(rows, np.ones(len(rows), dtype=np.float32), ts, n_items=4)


def test_trend_counts_only_the_weeks_up_to_now() -> None:
    act = _activity()
    early, order = act.trend(T0 + 3 * WEEK)
    assert early[0] == 1.0 and early[1] == 0.0 and early[2] == 0.0
    assert list(order) == [0]
    late, order = act.trend(T0 + 32 * WEEK)
    assert late[1] == 1.0 and late[0] == 0.0  # item 0's weeks fell out of the window
    assert list(order) == [1]
    # no "now": the quarter up to the latest week on record (item 1: three picks, item 2: one)
    latest = act.trend(None)[0]
    assert latest[1] == 1.0 and 0 < latest[2] < 1 and latest[0] == 0
    # before anything happened, nothing is wanted
    assert not act.trend(T0 - 10 * WEEK)[0].any()


def test_freshness_is_zero_before_an_item_exists_and_halves_with_age() -> None:
    act = _activity()
    rows = np.arange(4, dtype=np.int32)
    at_start = act.freshness(T0 + WEEK / 2, rows)  # weeks are calendar buckets: 0 or 1 old
    assert at_start[0] > 0.98 and at_start[1] == 0.0 and at_start[2] == 0.0 and at_start[3] == 0
    year_later = act.freshness(T0 + 52 * WEEK + WEEK / 2, rows)
    assert 0.49 < year_later[0] <= 0.5
    assert 0.5 < year_later[1] < 1.0 and year_later[2] > year_later[1]


def test_activity_follows_rows_when_the_catalog_is_reordered() -> None:
    act = _activity()
    moved = act.remap(np.array([2, -1, 0, 1]))  # new row 1 is a new item
    assert moved.counts.shape == (4, act.counts.shape[1])
    assert moved.counts[0].sum() == act.counts[2].sum()
    assert moved.counts[1].sum() == 0
    assert moved.counts[2].sum() == act.counts[0].sum()


def test_covisitation_links_items_taken_by_the_same_people() -> None:
    # people 0-2 take items 0 and 1; people 3-4 take items 2 and 3; person 5 takes 1 and 2
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 2), (3, 3), (4, 2), (4, 3),
             (5, 1), (5, 2)]  # fmt: skip
    u, i = zip(*pairs, strict=True)
    ui = sparse.csr_matrix((np.ones(len(pairs)), (u, i)), shape=(6, 5))
    s = covisitation(ui, k=2)
    assert s.shape == (5, 5)
    assert s.diagonal().sum() == 0  # an item is not its own neighbour
    assert int(np.argmax(s[0].toarray())) == 1
    assert int(np.argmax(s[3].toarray())) == 2
    assert s[4].nnz == 0  # nobody took item 4
    assert max(s[r].nnz for r in range(5)) <= 2


def test_sequences_count_what_people_pick_next() -> None:
    # three people pick 0 then 1 then 2; one picks 3 then 0; item 4 comes long after
    users = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    items = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 4])
    stamps = np.array([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 50], dtype=float)
    s = sequences(users, items, stamps, 5, window=1)
    assert s.shape == (5, 5)
    assert s[0, 1] > 0 and s[1, 0] == 0  # after, not before
    assert int(np.argmax(s[0].toarray())) == 1
    assert int(np.argmax(s[1].toarray())) == 2
    assert s[2].nnz == 0  # nobody picked anything after 2 (never paired across people)
    assert s.diagonal().sum() == 0
    # a wider window also pairs a pick with the one after next, at half the weight
    wide = sequences(users, items, stamps, 5, window=2)
    assert wide[0, 2] > 0 and wide[0, 2] < wide[0, 1]


def test_profile_keeps_the_latest_picks_newest_first() -> None:
    catalog = film_catalog()
    ids = catalog.ids
    events = [EventData("p", ids[j], "rating", 4.5, T0 + j * 100) for j in range(6)]
    # rated low: still watched (a pick, the weakest), unlike an explicit dislike
    events.append(EventData("p", ids[6], "rating", 1.0, T0 + 10_000))
    events.append(EventData("p", ids[7], "rating", 5.0, T0 + 20_000))
    events.append(EventData("p", ids[7], "dislike", None, T0 + 30_000))
    profile = enrich.build_profile("p", events, catalog, RequestContext())
    assert [ids[r] for r in profile.recent] == [ids[6]] + [ids[j] for j in reversed(range(6))]
    assert ids[int(profile.history[-1])] == ids[6]  # the weakest pick
    assert ids[7] not in [ids[r] for r in profile.history]
    assert profile.now == T0 + 30_000


def test_related_words_never_name_the_value_itself() -> None:
    catalog = film_catalog()
    related = learn.related_words(catalog, learn.title_words(catalog, get_encoder("static")))
    for (name, value), words in related.items():
        attr = catalog.categorical[name]
        own = {stem(value.lower())}
        assert words and all(stem(w) not in own and value.lower() not in w for w in words)
        # each word is nearer to this value than to any other of the attribute
        enc = get_encoder("static")
        sims = enc.encode(words) @ attr.value_vectors.T
        assert (np.argmax(sims, axis=1) == attr.values.index(value)).all()


def test_an_item_is_described_by_nearby_words_never_its_own() -> None:
    # Titles that share words, as a real catalog's do: the pool is the words in two or more.
    pool = ["harbor", "desert", "midnight", "garden", "thunder", "winter", "castle", "river"]
    items = [
        ItemData(str(i), f"{a.title()} {b.title()}", "", {"genres": [g]}, None, True, None)
        for i, (a, b, g) in enumerate(
            (pool[i % 8], pool[(i * 3 + 1) % 8], ["Drama", "Comedy", "Horror"][i % 3])
            for i in range(24)
        )
    ]
    catalog = build_catalog("t", 1, items, [], get_encoder("static"), threads=1)
    describe = learn.Describer(catalog, learn.title_words(catalog, get_encoder("static")))
    assert set(describe.words) == set(pool)
    rng = np.random.default_rng(0)
    for row in range(catalog.size):
        word = describe(row, rng)
        assert word is not None
        own = {stem(t) for t in tokens(catalog.titles[row])}
        own |= {stem(t) for v in catalog.categorical["genres"].values_of(row) for t in tokens(v)}
        assert stem(word) not in own
        # one of the nearest words the item's own do not include
        sims = describe.vectors @ catalog.embeddings[row]
        others = [j for j in np.argsort(-sims) if stem(describe.words[j]) not in own]
        assert describe.words.index(word) in others[: learn.DESCRIBED_WORDS]


def _with_ranker(catalog: Catalog, ranker: dict[str, object]) -> Catalog:
    return dataclasses.replace(catalog, trained={"ranker": ranker}, _attributes_cache={})


def test_empty_answers_use_their_own_learned_weights() -> None:
    only = {s: 0.0 for s in SIGNALS}
    worded = {**only, "semantic": 1.0}
    alone = {**only, "popularity": 1.0}
    catalog = _with_ranker(
        film_catalog(),
        {"weights": worded, "active": True, "empty": {"weights": alone, "active": True}},
    )
    enc = get_encoder("static")
    spec = film_spec(prompt={"kind": "text", "question": "Anything?", "allow_empty": True})
    empty = runner.run(new_answer("", user_id="a1"), spec, catalog, enc, film_events())
    assert empty.candidates is not None and empty.candidates.score is not None
    assert np.allclose(empty.candidates.score, empty.candidates.features["contrib_popularity"])
    words = runner.run(new_answer("something funny"), spec, catalog, enc, [])
    assert words.candidates is not None and words.candidates.score is not None
    assert np.allclose(words.candidates.score, words.candidates.features["contrib_semantic"])
    # inactive empty-answer weights: the worded ones apply
    inactive = _with_ranker(
        film_catalog(),
        {"weights": worded, "active": True, "empty": {"weights": alone, "active": False}},
    )
    assert rank.signal_weights(spec, inactive, kind="empty") == worded


def test_snapshot_round_trip_keeps_activity_and_covisitation(tmp_path: Path) -> None:
    catalog = film_catalog()
    assert catalog.activity is not None and catalog.cf is not None
    assert catalog.cf.covisit is not None
    catalog.save(tmp_path / "snap")
    loaded = Catalog.load(tmp_path / "snap")
    assert loaded.activity is not None and loaded.cf is not None
    assert loaded.cf.covisit is not None
    assert (loaded.activity.counts != catalog.activity.counts).nnz == 0
    assert loaded.activity.origin == catalog.activity.origin
    assert (loaded.cf.covisit != catalog.cf.covisit).nnz == 0


def test_relaxed_requirements_still_lead_the_result() -> None:
    # two horror films in the catalog, six wanted: horror is relaxed to fill, but both
    # horror films come first whatever the person's history favours
    catalog = film_catalog()
    enc = get_encoder("static")
    spec = film_spec(output={"kind": "list", "size": 6}, ranking={"learned": False})
    history = [EventData("fan", f"f{j}", "rating", 5.0, T0 + j) for j in (2, 6, 12, 14, 15, 19)]
    answer = runner.run(new_answer("a horror film", user_id="fan"), spec, catalog, enc, history)
    assert answer.intent is not None and answer.intent.relaxed == {"genres": ["Horror"]}
    horror = {i for i, it in enumerate(answer.items) if "Horror" in it.attributes.get("genres", [])}
    assert len(horror) >= 2 and horror == set(range(len(horror)))
    assert any(note.startswith("relaxed") for note in answer.intent.notes)


def test_relaxing_fills_what_it_can_even_short_of_the_whole_result() -> None:
    # One horror film of the 1990s that is no comedy, six wanted, five films of the 1990s that
    # are no comedy: the horror film first, then the other four. Not relaxing (the six cannot
    # be filled either way) once left a result of one film.
    catalog = film_catalog()
    spec = film_spec(output={"kind": "list", "size": 6}, ranking={"learned": False})
    text = "a horror film from the 1990s, no comedies"
    answer = runner.run(new_answer(text), spec, catalog, get_encoder("static"), [])
    assert answer.intent is not None and answer.intent.relaxed == {"genres": ["Horror"]}
    assert [it.id for it in answer.items][:1] == ["f8"]
    assert {it.id for it in answer.items} == {"f2", "f6", "f8", "f13", "f19"}
