"""The language's dictionary (``tastemaker.lexicon``, WordNet from Debian's wordnet-base) and how
the understand stage reads a word the encoder does not know through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tastemaker import lexicon
from tastemaker.encoders import get_encoder, knows_word
from tastemaker.fit import ItemData, build_catalog
from tastemaker.pipeline.understand import parse_negations, parse_words
from tastemaker.pipeline.vocabulary import Vocabulary
from tastemaker.types import Intent

GENRES = ["Action", "Comedy", "Drama", "Horror", "Musical", "Mystery", "Romance", "Western"]


@pytest.fixture(scope="module")
def wordnet() -> lexicon.WordNet:
    found = lexicon.wordnet()
    assert found is not None, "WordNet is installed by `make install` (Debian's wordnet-base)"
    return found


def test_a_word_reads_as_its_senses_most_frequent_first(wordnet: lexicon.WordNet) -> None:
    first = wordnet.senses("whodunit")[0]
    assert "mystery" in first.words
    assert "crime" in first.gloss
    assert '"' not in first.gloss  # the definition only, not the examples that follow it
    # Nouns' first senses come before verbs' ("sleuth": a detective, then to spy).
    sleuth = wordnet.senses("sleuth")
    assert "detective" in sleuth[0].gloss
    assert any("snoop" in s.words for s in sleuth[1:])


def test_inflections_and_expressions(wordnet: lexicon.WordNet) -> None:
    assert wordnet.senses("whodunits") == wordnet.senses("whodunit")  # morphy's -s
    assert wordnet.senses("Horse  Opera")[0].words == ("Western", "horse opera")
    assert wordnet.senses("zzzxq") == []
    assert wordnet.senses("") == []


def test_binary_search_finds_every_word_of_the_index(wordnet: lexicon.WordNet) -> None:
    # The lookup bisects the sorted index file; every 500th entry, the first and the last must
    # be found, and a word that sorts between two entries must not.
    lines = [
        line.split(" ", 1)[0]
        for line in (wordnet.root / "index.noun").read_text(encoding="utf-8").splitlines()
        if not line.startswith("  ")
    ]
    for lemma in [lines[0], lines[-1], *lines[::500]]:
        assert wordnet._line(lemma, "noun") is not None, lemma
    assert wordnet._line(lines[1000] + "qq", "noun") is None


def test_no_database_means_no_senses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASTEMAKER_WORDNET", str(tmp_path))
    assert lexicon.wordnet() is None


def _catalog() -> object:
    words = ["Harbor", "Lantern", "Meadow", "Orbit", "Pebble", "Quartz", "Ribbon", "Summit"]
    rows = [
        ItemData(
            id=str(i),
            title=f"{words[i % len(words)]} {words[(i * 3 + 1) % len(words)]} {i}",
            text="",
            attributes={"genres": [GENRES[i % len(GENRES)], GENRES[(i * 5 + 2) % len(GENRES)]]},
            price=None,
            available=True,
            url=None,
        )
        for i in range(120)
    ]
    return build_catalog("t", 1, rows, [], get_encoder("static"), threads=1)


def test_an_unknown_word_reads_as_the_value_its_synonym_names() -> None:
    encoder = get_encoder("static")
    assert knows_word(encoder, "whodunit") is False  # else the encoder's reading would stand
    catalog = _catalog()
    vocab = Vocabulary(catalog)  # type: ignore[arg-type]
    asked = Intent(text="")
    parse_words("a whodunit please", asked, vocab, encoder)
    assert asked.required == {"genres": ["Mystery"]}
    refused = Intent(text="")
    parse_negations("a comedy, but no whodunits", refused, vocab, encoder)
    assert refused.excluded == {"genres": ["Mystery"]}


def test_an_expression_reads_as_a_whole_before_its_words() -> None:
    # "opera" alone leans to Musical; the expression "horse opera" is a Western.
    asked = Intent(text="")
    parse_words("a horse opera", asked, Vocabulary(_catalog()), get_encoder("static"))  # type: ignore[arg-type]
    assert asked.required.get("genres") == ["Western"]
    assert "Musical" not in asked.preferred.get("genres", [])
