"""Words that imply a value, judged against how close the catalog's own words are to it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tastemaker.catalog import BASELINE_MIN_WORDS, Catalog
from tastemaker.encoders import get_encoder
from tastemaker.encoders.static import StaticEncoder
from tastemaker.fit import ItemData, build_catalog
from tastemaker.pipeline.understand import parse_negations, parse_words
from tastemaker.pipeline.vocabulary import Match, Vocabulary
from tastemaker.types import Intent

GENRES = ["Action", "Comedy", "Drama", "Fantasy", "Horror", "Romance", "Sci-Fi", "Western", "War"]


def _plain_words(n: int) -> list[str]:
    """``n`` whole English words from the encoder's own vocabulary, spread evenly over it: a
    stand-in for a catalog's titles that no test outcome was chosen for."""
    inner = get_encoder("static").inner
    assert isinstance(inner, StaticEncoder)
    vocab = sorted(w for w in inner.model.tokenizer.get_vocab() if re.fullmatch(r"[a-z]{4,}", w))
    step = len(vocab) // n
    return vocab[::step][:n]


def _catalog(words_per_title: int, items: int, extra: list[ItemData] | None = None) -> Catalog:
    words = _plain_words(items * words_per_title)
    rows = [
        ItemData(
            id=str(i),
            title=" ".join(words[i * words_per_title : (i + 1) * words_per_title]).title(),
            text="",
            attributes={"genres": [GENRES[i % len(GENRES)], GENRES[(i * 7 + 3) % len(GENRES)]]},
            price=None,
            available=True,
            url=None,
        )
        for i in range(items)
    ]
    return build_catalog("t", 1, rows + (extra or []), [], get_encoder("static"), threads=1)


@pytest.fixture(scope="module")
def wordy() -> Catalog:
    return _catalog(words_per_title=3, items=400)


def _read(catalog: Catalog, text: str) -> Intent:
    intent = Intent(text="")
    parse_words(text, intent, Vocabulary(catalog), get_encoder("static"))
    return intent


def test_the_catalogs_words_set_the_baseline_of_each_value(wordy: Catalog) -> None:
    genres = wordy.categorical["genres"]
    assert genres.baselines is not None
    assert genres.baselines.shape == (2, len(genres.values))
    assert np.all(genres.baselines[1] > 0)  # a spread, never zero


def test_a_word_far_above_the_catalogs_words_for_one_value_prefers_it(wordy: Catalog) -> None:
    # The encoder puts "spaceships" only 0.28 from Sci-Fi, under the bar for a raw similarity,
    # and "futuristic" 0.31 but too near Fantasy; hardly any word of the catalog is that close
    # to Sci-Fi, so against them they stand out. That ranks Sci-Fi first, but never filters.
    for text in ("a film with spaceships", "something futuristic"):
        intent = _read(wordy, text)
        assert intent.preferred == {"genres": ["Sci-Fi"]} and intent.required == {}
    # "wild" leans to Fantasy, but Western is close behind: no reading.
    assert _read(wordy, "something wild").preferred == {}
    assert _read(wordy, "a night out after work").preferred == {}


def test_a_negated_word_that_stands_out_is_excluded(wordy: Catalog) -> None:
    # A refusal is certain; only which value it refuses is in question.
    intent = Intent(text="")
    rest = parse_negations(
        "a comedy, no spaceships", intent, Vocabulary(wordy), get_encoder("static")
    )
    assert intent.excluded == {"genres": ["Sci-Fi"]}
    assert "spaceships" not in rest


def test_a_phrase_is_read_before_its_words(wordy: Catalog) -> None:
    # "wild west" as a whole is Western, and its words are not read again ("wild" alone leans
    # to Fantasy); a hyphenated compound is one phrase too.
    for text, phrase in (("a wild west story", "wild west"), ("a wild-west story", "wild-west")):
        intent = _read(wordy, text)
        assert intent.required == {"genres": ["Western"]}
        assert intent.notes == [f"genres Western ({phrase})"]


def test_too_few_words_leave_only_the_raw_similarity() -> None:
    small = _catalog(words_per_title=1, items=BASELINE_MIN_WORDS // 2)
    assert small.categorical["genres"].baselines is None
    assert _read(small, "a film with spaceships").preferred == {}


def test_the_baseline_survives_a_save_and_load(wordy: Catalog, tmp_path: Path) -> None:
    wordy.save(tmp_path / "snap")
    loaded = Catalog.load(tmp_path / "snap")
    before, after = wordy.categorical["genres"].baselines, loaded.categorical["genres"].baselines
    assert before is not None and after is not None
    np.testing.assert_array_equal(before, after)


def test_a_word_that_says_more_than_its_phrase_is_read_alone(wordy: Catalog) -> None:
    # "laugh" alone implies Comedy (a requirement); the compound as a whole would only lean to
    # it, and must not weaken what its own word says.
    intent = _read(wordy, "a laugh-out-loud movie")
    assert intent.required == {"genres": ["Comedy"]} and intent.preferred == {}
    assert intent.notes == ["genres Comedy (laugh)"]


def test_a_standout_word_is_required_when_the_answer_sets_limits(wordy: Catalog) -> None:
    # On its own "spaceships" only leans to Sci-Fi; next to a refusal the answer describes what
    # must fit, so what its words stand out for is required as well.
    vocab, encoder = Vocabulary(wordy), get_encoder("static")
    intent = Intent(text="")
    rest = parse_negations("a film with spaceships, no horror", intent, vocab, encoder)
    parse_words(rest, intent, vocab, encoder)
    assert intent.excluded == {"genres": ["Horror"]}
    assert intent.required == {"genres": ["Sci-Fi"]} and intent.preferred == {}
    assert _read(wordy, "a film with spaceships").required == {}


def test_a_glue_verb_after_a_preposition_carries_the_request(wordy: Catalog) -> None:
    # "love" glues "I'd love a laugh" together, but "falling in love" is about it.
    assert _read(wordy, "falling in love").preferred == {"genres": ["Romance"]}
    glued = _read(wordy, "I'd love a laugh")
    assert glued.required == {"genres": ["Comedy"]} and glued.preferred == {}


def _titled(word: str, genres: list[str], n: int) -> list[ItemData]:
    """``n`` items whose titles use ``word``, all with ``genres``."""
    return [
        ItemData(
            id=f"{word}-{i}",
            title=f"The {word.title()} {i}",
            text="",
            attributes={"genres": genres},
            price=None,
            available=True,
            url=None,
        )
        for i in range(n)
    ]


def test_a_word_the_catalog_uses_for_other_values_is_not_read_as_one() -> None:
    # The encoder puts "spaceships" near Sci-Fi. A catalog that names 25 romantic comedies
    # after it uses the word otherwise, and that settles it; in one whose 25 such titles are
    # science fiction, the word implies it.
    against = _catalog(3, 400, _titled("spaceships", ["Comedy", "Romance"], 25))
    assert "Sci-Fi" not in _read(against, "a film with spaceships").preferred.get("genres", [])
    along = _catalog(3, 400, _titled("spaceships", ["Sci-Fi"], 25))
    assert _read(along, "a film with spaceships").required == {"genres": ["Sci-Fi"]}
    sci_fi = Match("genres", "Sci-Fi", "standout", 4.0)
    assert Vocabulary(against).used_against("spaceships", sci_fi)
    # Too few uses say nothing either way.
    rare = _catalog(3, 400, _titled("spaceships", ["Comedy", "Romance"], 5))
    assert not Vocabulary(rare).used_against("spaceships", sci_fi)


def test_pronouns_and_auxiliaries_carry_no_request() -> None:
    # "I am your father" (a real tag) once read "am your" as a pair, placed by the encoder next
    # to IMAX, and required it.
    from tastemaker.catalog import tokens
    from tastemaker.pipeline.understand import _content

    words = tokens("I am your father, what if they do")
    assert [w for w, keep in zip(words, _content(words), strict=True) if keep] == ["father"]


def test_a_new_snapshot_never_takes_a_freed_ones_readings() -> None:
    # Readings were remembered under id(catalog), which Python gives again to a new object once
    # the old one is freed: a snapshot built there with the same version number was served the
    # freed one's readings ("spaceships" read as nothing in a catalog of science fiction).
    import gc

    from tastemaker.pipeline import understand

    first = _catalog(3, 60)
    _read(first, "a film with spaceships")
    uid = first.uid
    del first
    gc.collect()
    second = _catalog(3, 60)
    assert second.uid != uid
    _read(second, "a film with spaceships")
    keys = [k for k in understand.READINGS.remembered() if isinstance(k, tuple)]
    assert any(k[0] == second.uid for k in keys)


def test_a_value_named_without_letters_is_never_a_words_reading() -> None:
    # A demo venue's opening hour "19:00" was once what "nothing too pricey" refused: the
    # encoder puts "price" 0.46 from "19:00". Such values can only be named outright.
    hours = ["08:00", "13:00", "19:00"]
    rows = [
        ItemData(
            id=str(i),
            title=f"Venue {i}",
            text="",
            attributes={"genres": [GENRES[i % len(GENRES)]], "opens": [hours[i % len(hours)]]},
            price=None,
            available=True,
            url=None,
        )
        for i in range(60)
    ]
    catalog = build_catalog("t", 1, rows, [], get_encoder("static"), threads=1)
    assert catalog.categorical["opens"].is_facet
    intent = Intent(text="")
    parse_negations(
        "a comedy, nothing too pricey", intent, Vocabulary(catalog), get_encoder("static")
    )
    assert "opens" not in intent.excluded
    # Nor a soft preference: the answer's embedding leans to no opening hour either.
    from tastemaker.pipeline.retrieve import intent_weights

    asked = Intent(text="something pricey", vector=get_encoder("static").encode(["price"])[0])
    assert "opens" not in intent_weights(catalog, asked)


def test_not_tonight_is_a_verdict_not_a_refusal_of_tonight() -> None:
    from tastemaker.pipeline import refusals

    found = refusals.find("smth chill pls, hip-hop stuff not tonight", Vocabulary(_catalog(3, 60)))
    assert [r.phrase for r in found] == ["hip-hop stuff"]
