"""The pipeline end to end on a small catalog: constraints honoured, reasons, fallbacks."""

from __future__ import annotations

import logging

import pytest

from pipeline_fixtures import FILMS, film_catalog, film_events, film_spec, new_answer
from tastemaker.encoders import get_encoder
from tastemaker.errors import InvalidInput
from tastemaker.pipeline import capture, runner
from tastemaker.pipeline.constraints import hard_mask
from tastemaker.pipeline.runner import STAGES
from tastemaker.types import Answer, Intent


def answer(text: str | None = None, user: str | None = None, **spec_over: object):  # type: ignore[no-untyped-def]
    spec = film_spec(**spec_over)
    events = [e for e in film_events() if e.user_id == user] if user else []
    a = new_answer(text=text, user_id=user)
    runner.run(a, spec, film_catalog(), get_encoder("static"), events)
    return a


def genres(item_id: str) -> list[str]:
    cat = film_catalog()
    return cat.attributes_of(cat.id_to_row[item_id])["genres"]  # type: ignore[no-any-return]


def refused_in_every_item(text: str, refused: str, size: int) -> tuple[Answer, Intent]:
    """The answer to ``text``, checked to refuse ``refused`` alone and to return none of it."""
    a = answer(text, output={"size": size})
    assert a.intent is not None
    assert a.intent.excluded == {"genres": [refused]}
    assert all(refused not in genres(it.id) for it in a.items)
    return a, a.intent


def year(item_id: str) -> int:
    cat = film_catalog()
    return int(cat.attributes_of(cat.id_to_row[item_id])["year"])


def test_negated_genre_is_never_returned() -> None:
    a = answer("something funny, no animation", output={"size": 5})
    assert not a.fallback
    assert a.items
    for it in a.items:
        assert "Animation" not in genres(it.id)
    assert any("not genres Animation" in n for n in a.intent.notes)  # type: ignore[union-attr]


def test_negation_by_a_word_that_is_not_the_value_name() -> None:
    a = answer("an action movie, nothing animated", output={"size": 4})
    assert a.items
    for it in a.items:
        assert "Animation" not in genres(it.id)
        assert "Action" in genres(it.id)


def test_a_negation_covers_the_list_that_follows_it() -> None:
    # "no westerns and musicals" once made Musical *required*: the opposite of the request.
    for text in ("a comedy, no westerns and musicals", "a comedy, no western or musical"):
        a = answer(text, output={"size": 3})
        intent = a.intent
        assert intent is not None
        assert set(intent.excluded["genres"]) == {"Western", "Musical"}
        assert intent.required == {"genres": ["Comedy"]}
        for it in a.items:
            assert not {"Western", "Musical"} & set(genres(it.id))
    # after "and", a new request starts: "a comedy" is asked for, not excluded
    asked = answer("no horror and a comedy", output={"size": 3}).intent
    assert asked is not None
    assert asked.excluded == {"genres": ["Horror"]} and asked.required == {"genres": ["Comedy"]}


@pytest.mark.parametrize(
    "text",
    [
        "a comedy, but keep westerns out of it",
        "a comedy; go easy on the westerns",
        "I'm not after westerns, just a comedy",
        "a comedy, keep it free of westerns",
        "a comedy, steer clear of westerns",
        "a comedy and spare me the westerns",
        "a comedy, I can't stand westerns",
        "a comedy for someone who is tired of westerns",
        "a comedy that isn't a western",
        "a comedy, other than westerns",
        "a comedy, and don't show me westerns",
        "a comedy; westerns are off the table",
        "a comedy, westerns not welcome",
        "a non-western comedy",
    ],
)
def test_negations_in_other_constructions(text: str) -> None:
    # How people say "no" varies more than the word "no": each of these refuses westerns.
    a = answer(text, output={"size": 3})
    intent = a.intent
    assert intent is not None
    assert intent.excluded == {"genres": ["Western"]}
    assert intent.required == {"genres": ["Comedy"]}
    assert "western" not in intent.text.lower()
    for it in a.items:
        assert "Western" not in genres(it.id)


def test_a_word_that_clearly_implies_a_value_requires_it() -> None:
    # "scary" and "romantic" each point at one genre and at no rival: they count as naming it.
    a = answer("something scary and romantic, no comedy", output={"size": 3})
    intent = a.intent
    assert intent is not None
    assert set(intent.required.get("genres", [])) == {"Horror", "Romance"}
    assert "Comedy" not in intent.required.get("genres", [])  # negated: excluded, not asked
    for it in a.items:
        assert {"Horror", "Romance"} & set(genres(it.id))
        assert "Comedy" not in genres(it.id)
    dramatic = answer("something dramatic", output={"size": 2})
    assert dramatic.intent is not None and dramatic.intent.required == {"genres": ["Drama"]}
    assert all("Drama" in genres(it.id) for it in dramatic.items)


def test_non_refuses_only_a_value_named_outright() -> None:
    # "non-fiction" asks for something; it must not refuse whatever "fiction" is close to.
    intent = answer("a non-fiction comedy", output={"size": 3}).intent
    assert intent is not None and intent.excluded == {}


def test_what_stands_between_a_negation_and_its_object_is_skipped() -> None:
    # "children" here is refused, not asked for: it once became a requirement.
    for text in ("a comedy, not something made for children", "a comedy, nothing aimed at kids"):
        intent = answer(text, output={"size": 3}).intent
        assert intent is not None
        assert intent.excluded == {"genres": ["Children"]}
        assert intent.required == {"genres": ["Comedy"]}


@pytest.mark.parametrize(
    "text",
    [
        "a comedy, nothing with a ton of horror",
        "a comedy, nothing that's trying to be a horror film",
        "a comedy but nothing involving lots of horror",
        "a comedy, not one about horror",
        # refusals in other constructions
        "a comedy, horror? no thanks",
        "a comedy - horror - no thanks",
        "a comedy, I'm done with horror",
        "I'll pass on horror, a comedy",
        "a comedy; horror is not for me",
        "a comedy, I can't do horror",
        "a comedy, but I cannot handle horror",
        # what the refusal is about stands after a clause of its own, or last in its phrase
        "a comedy, nothing that'll give me a horror",
        "a comedy, nothing that will be horror",
        "a comedy, keep the nasty horror bits out",
        "a comedy, no movies with horror in them",
        "I don't really like horror, a comedy",
        "a comedy; I'm not big on horror",
        "not another horror film, a comedy",
        "a comedy, I'm so done with horror",
        "a comedy, horror films: hard no",
        "a comedy, it can't be a horror movie",
        "it shouldn't be horror, just a comedy",
        "please don't pick a horror film, a comedy",
        "a comedy, horror films are not my thing",
        "a comedy - horror really isn't my cup of tea",
        "a comedy; horror? nope",
        "a comedy, nix the horror",
        "a comedy, I've had enough of horror",
        "a comedy, exclude horror",
        "a comedy, filter out horror films",
        # "but not" once took "into" for what was refused
        "a comedy but not into anything horror",
        "nope to horror, a comedy",
        "a comedy - nope to horror",
        "a comedy, I'm allergic to horror",
        "a comedy, I'm so over horror",
        "a comedy (i'm over horror movies)",
        # the dropped g of casual writing
        "a comedy, nothin' horror",
        "a comedy sans horror",
        "a comedy w/o horror",
        "a comedy, horror excluded",
        "a comedy, horror ruled out",
        "a comedy, keep horror away",
        # "leave out" refuses what follows it, not the comedy before it
        "a comedy, leave out the horror",
        "a comedy, but let's not do horror",
        "a comedy, but I veto horror",
        # a verdict with no object of its own refuses what stands before it
        "a comedy; horror gives me the ick",
        "a comedy - horror, not tonight",
        "a comedy, horror stuff strictly off limits",
        "horror can wait, a comedy",
        "a comedy. horror is out",
        "a comedy, horror = no",
        "a comedy; horror won't fly with my wife",
        "a comedy; horror is where I draw the line",
        "a comedy, horror need not apply",
        "a comedy, horror not so much",
        "a comedy, horror, I'll pass",
        "a comedy, if it's horror, skip it",
        "a comedy, horror definitely off the list",
        "a comedy, horror films please leave out",
        # what is refused put first
        "horror movies I can't deal with, a comedy",
        "a comedy. horror films I really don't want",
        "a comedy; horror I've seen enough of",
        "nothing even close to a horror movie, a comedy",
        "a comedy, he hates horror",
    ],
)
def test_a_refusal_reaches_its_object_whatever_the_construction(text: str) -> None:
    # The refused word once sat past the few words the negation reached, so it was read as
    # asked for: "nothing that's trying to be funny" required comedies.
    intent = answer(text, output={"size": 3}).intent
    assert intent is not None
    assert intent.excluded == {"genres": ["Horror"]}
    assert intent.required == {"genres": ["Comedy"]}


@pytest.mark.parametrize(
    ("text", "wanted", "refused"),
    [
        ("something suspenseful from the 90s", "Thriller", None),
        ("something jokey from the 90s", "Comedy", None),
        ("a comedy, nothing suspenseful", "Comedy", "Thriller"),
        # derived from a value's name, where the encoder agrees but by too small a margin
        ("something thrilling from the 90s", "Thriller", None),
        ("a comedy, nothing thrilling", "Comedy", "Thriller"),
    ],
)
def test_a_word_the_encoder_does_not_know_reads_as_the_word_it_is_built_on(
    text: str, wanted: str, refused: str | None
) -> None:
    # "suspenseful" is cut into "suspense" + "ful" and their mean placed nowhere in particular
    intent = answer(text, output={"size": 3}).intent
    assert intent is not None
    assert intent.required == {"genres": [wanted]}
    assert intent.excluded == ({"genres": [refused]} if refused else {})


def test_a_word_that_only_shares_a_start_with_a_name_is_not_that_value() -> None:
    # "fantastic" begins like Fantasy but is praise: the encoder places it elsewhere
    intent = answer("something fantastic from the 90s", output={"size": 3}).intent
    assert intent is not None and intent.required == {} and intent.preferred == {}


def test_who_a_refusal_is_for_is_not_refused() -> None:
    intent = answer("a comedy, nothing scary for the kids", output={"size": 3}).intent
    assert intent is not None
    assert intent.excluded == {"genres": ["Horror"]}
    assert "Children" in intent.required.get("genres", [])


@pytest.mark.parametrize(
    "text", ["a comedy to chill out", "a comedy that just came out", "a comedy, I can't wait"]
)
def test_a_verdict_needs_something_it_refuses(text: str) -> None:
    # "out", "pass", "can wait" refuse what stands before them only as a verdict on it.
    intent = answer(text, output={"size": 3}).intent
    assert intent is not None
    assert intent.excluded == {} and intent.required == {"genres": ["Comedy"]}


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        # the word for an item, then who it is aimed at: once read as asking for children's films
        ("a comedy, no movies aimed at children please", ["Children"]),
        # a list before a refusal that follows it: once the first value was asked for
        ("a comedy, westerns and horror films: hard no", ["Western", "Horror"]),
    ],
)
def test_every_value_a_refusal_names_is_refused_and_none_asked(
    text: str, refused: list[str]
) -> None:
    intent = answer(text, output={"size": 3}).intent
    assert intent is not None
    assert sorted(intent.excluded.get("genres", [])) == sorted(refused)
    assert intent.required == {"genres": ["Comedy"]}


@pytest.mark.parametrize(
    ("text", "wanted", "refused", "left"),
    [
        # what carries the refusal comes past the negation's first words, or late in them
        ("a drama, but no films that try to make you laugh", "Drama", "Comedy", "laugh"),
        ("a comedy, minus the stories about people falling in love", "Comedy", "Romance", "love"),
        # what it is for is part of it ("for the kids" is who it is for: see below)
        ("a drama, I can't stand anything played for laughs", "Drama", "Comedy", "laughs"),
        # a verdict after a description refuses all of it; without a break when unmistakable
        ("a comedy; stories about people falling in love, hard no", "Comedy", "Romance", "love"),
        ("a comedy, anything to do with love nope", "Comedy", "Romance", "love"),
        ("a drama; people trying to make me laugh: skip", "Drama", "Comedy", "laugh"),
        # chat spelling is glue: "im" is not IMAX
        ("a comedy, sci-fi stuff, not tonite. im in the mood", "Comedy", "Sci-Fi", "im"),
    ],
)
def test_a_refusal_that_describes_what_it_refuses_covers_its_clause(
    text: str, wanted: str, refused: str, left: str
) -> None:
    # The words past the negation's phrase were once read as asked for: "no films that try
    # to make you laugh" required comedies.
    intent = refused_in_every_item(text, refused, size=3)[1]
    assert f"genres {wanted}" in intent.notes  # asked for (relaxed when too few items have it)
    assert left not in intent.terms


def test_no_thanks_to_a_value_is_not_a_refusal_of_what_comes_before() -> None:
    intent = answer("a comedy no thanks to horror", output={"size": 3}).intent
    assert intent is not None
    assert intent.required == {"genres": ["Comedy"]}
    assert "Comedy" not in intent.excluded.get("genres", [])


@pytest.mark.parametrize(
    "text", ["I'm over the moon about westerns", "i'm over 30 and love westerns"]
)
def test_being_over_a_number_or_the_moon_refuses_nothing(text: str) -> None:
    intent = answer(text, output={"size": 2}).intent
    assert intent is not None
    assert intent.asked == {"genres": ["Western"]} and intent.excluded == {}


def test_a_close_word_is_required_when_the_answer_sets_limits() -> None:
    # "cartoon" is close to Animation and to Comedy: alone it only leans; with a year the
    # person describes what must fit, as with a word that stands out.
    alone = answer("a cartoon", output={"size": 2}).intent
    assert alone is not None
    assert alone.required == {} and alone.preferred == {"genres": ["Animation"]}
    limited = answer("a cartoon from the 90s", output={"size": 2})
    assert limited.intent is not None
    assert limited.intent.required == {"genres": ["Animation"]}
    assert all("Animation" in genres(it.id) for it in limited.items)


@pytest.mark.parametrize(
    ("text", "wanted", "refused", "note"),
    [
        # Typos are outside the encoder's vocabulary: cut into pieces, "thriler" landed near IMAX.
        ("a thriler from the 90s, no horor", "Thriller", "Horror", "read 'thriler' as Thriller"),
        # a name cut short, and the initials of a name of several words
        ("some SF from the 90s, no anim", "Sci-Fi", "Animation", "read 'SF' as Sci-Fi"),
    ],
)
def test_a_misspelt_or_shortened_value_name_reads_as_the_name(
    text: str, wanted: str, refused: str, note: str
) -> None:
    a, intent = refused_in_every_item(text, refused, size=2)
    assert intent.required == {"genres": [wanted]}
    assert note in intent.notes
    assert all(wanted in genres(it.id) for it in a.items)


def test_a_negation_reaches_the_head_of_its_phrase() -> None:
    # "jump" reads as nothing; the phrase's last word, its head, is what is refused.
    intent = answer("a comedy, no jump scares", output={"size": 3}).intent
    assert intent is not None
    assert intent.excluded == {"genres": ["Horror"]}
    assert intent.required == {"genres": ["Comedy"]}
    # a word for an item is never what is refused, whatever value its name is near
    for text in ("a comedy, no movies", "a comedy, no films please"):
        intent = answer(text, output={"size": 3}).intent
        assert intent is not None
        assert intent.excluded == {} and intent.required == {"genres": ["Comedy"]}


def test_only_a_word_of_no_vocabulary_is_respelt() -> None:
    from tastemaker.pipeline.vocabulary import vocabulary_for

    vocab = vocabulary_for(film_catalog())

    def unknown(word: str) -> bool | None:
        return False

    # one edit from one name: read as it
    assert vocab.respell("a musicel", unknown) == ("a musical", [("musicel", "Musical")])
    assert vocab.respell("a sci-fy movie", lambda w: w != "fy") == (
        "a sci-fi movie",
        [("sci-fy", "Sci-Fi")],
    )
    # a hyphenated phrase of known words is no typo, nor a name with its hyphen left out
    assert vocab.respell("wes-tern", lambda w: w in ("wes", "tern")) == ("wes-tern", [])
    assert vocab.respell("wes-tern", unknown) == ("wes-tern", [])  # "western" itself: kept
    assert vocab.respell("wes-tren", unknown) == ("western", [("wes-tren", "Western")])
    assert vocab.respell("scifi", unknown) == ("scifi", [])
    # a word the encoder knows ("mastery" is one edit from "mystery") stays, and so does one
    # when the encoder cannot tell
    assert vocab.respell("a dramas", lambda w: w == "dramas") == ("a dramas", [])
    assert vocab.respell("a thriler", lambda w: None) == ("a thriler", [])
    # another word that differs in its first letter only
    assert vocab.respell("a bomedy", unknown) == ("a bomedy", [])
    # too short a word for one edit to say much
    assert vocab.respell("a wsr", unknown) == ("a wsr", [])
    # the start of one name only, and not a word of its own
    assert vocab.respell("a horr", unknown) == ("a horror", [("horr", "Horror")])
    assert vocab.respell("a horr", lambda w: w == "horr") == ("a horr", [])
    assert vocab.respell("a dram", unknown) == ("a drama", [("dram", "Drama")])
    assert vocab.respell("a hor", unknown) == ("a hor", [])  # three letters say too little
    # a blend of two names' beginnings stands for both; a part that begins no name, or a word
    # the encoder knows, is no blend
    both = [("rom-com", "Romance"), ("rom-com", "Comedy")]
    assert vocab.respell("a rom-com", lambda w: True) == ("a romance comedy", both)
    assert vocab.respell("a romcom", unknown) == (
        "a romance comedy",
        [("romcom", "Romance"), ("romcom", "Comedy")],
    )
    assert vocab.respell("a romcom", lambda w: True) == ("a romcom", [])
    assert vocab.respell("a fan-fic", lambda w: True) == ("a fan-fic", [])
    assert vocab.respell("a rom-rom", lambda w: True) == ("a rom-rom", [])
    # initials stand for a name of several words ("SF") when the encoder places them nearest
    # that name, and only then
    encoder = get_encoder("static")

    def encode(word: str):  # type: ignore[no-untyped-def]
        return encoder.encode([word])[0]

    assert vocab.respell("some sf", lambda w: True, encode) == ("some sci-fi", [("sf", "Sci-Fi")])
    assert vocab.respell("some sf", lambda w: True) == ("some sf", [])  # no encoder: no reading
    from tastemaker.pipeline.vocabulary import Vocabulary

    genres = film_catalog().categorical["genres"]
    comedy = genres.value_vectors[genres.index["comedy"]]
    nearest_comedy = Vocabulary(film_catalog())  # a fresh one: what it decided is remembered
    assert nearest_comedy.respell("some sf", lambda w: True, lambda w: comedy) == ("some sf", [])


def test_a_glue_verb_after_an_article_is_a_noun_that_can_ask() -> None:
    # "love" glues "I'd love a comedy" together and asks for nothing; "a love story" asks.
    story = answer("a love story", output={"size": 3}).intent
    assert story is not None
    # how firmly depends on the catalog's own vectors; read it is, either way
    read = story.required.get("genres", []) + story.preferred.get("genres", [])
    assert read == ["Romance"]
    verb = answer("I'd love a comedy", output={"size": 3}).intent
    assert verb is not None and verb.required == {"genres": ["Comedy"]}


def test_a_negated_word_that_implies_a_value_excludes_it() -> None:
    # "love" is glue elsewhere ("I'd love a comedy") but after a negation it is what is refused.
    a = answer("a comedy, no love stories", output={"size": 4})
    intent = a.intent
    assert intent is not None
    assert intent.excluded == {"genres": ["Romance"]}
    assert intent.required == {"genres": ["Comedy"]}
    for it in a.items:
        assert "Romance" not in genres(it.id)


def test_a_negated_phrase_is_never_a_request() -> None:
    # "gore" matches no genre of the catalog; it is not excluded, but it must not be embedded
    # with the rest of the answer as if the person wanted it either.
    intent = answer("a comedy, no gore", output={"size": 2}).intent
    assert intent is not None
    assert intent.excluded == {} and "gore" not in intent.terms


def test_a_vague_word_stays_a_soft_preference() -> None:
    # "violent" is close to Crime but nearly as close to Drama: a preference, never a filter.
    a = answer("something violent", output={"size": 6})
    intent = a.intent
    assert intent is not None
    assert intent.required == {}
    assert intent.preferred == {"genres": ["Crime"]}
    assert "Crime" in genres(a.items[0].id)
    # words far from every value prefer nothing
    assert answer("tonight after work", output={"size": 3}).intent.preferred == {}  # type: ignore[union-attr]


def test_decade_and_genre_are_hard_constraints() -> None:
    a = answer("a comedy from the 90s", output={"size": 3})
    assert len(a.items) == 3
    for it in a.items:
        assert "Comedy" in genres(it.id)
        assert 1990 <= year(it.id) <= 1999


def test_a_span_of_years_is_a_constraint_in_any_common_form() -> None:
    # "1991-1996" has the digits of a phone number: capture must leave it for understand.
    for text in ("a comedy made 1991-1996", "a comedy released 1991 through 1996"):
        a = answer(text, output={"size": 2})
        assert a.captured is not None and a.captured.redactions == []
        intent = a.intent
        assert intent is not None
        assert (intent.numeric_min, intent.numeric_max) == ({"year": 1991}, {"year": 1996})
        for it in a.items:
            assert 1991 <= year(it.id) <= 1996


def test_a_span_written_backwards_is_the_same_span_and_a_contradiction_is_no_span() -> None:
    backwards = answer("a comedy from 1996 to 1991", output={"size": 2}).intent
    assert backwards is not None
    assert (backwards.numeric_min, backwards.numeric_max) == ({"year": 1991}, {"year": 1996})
    # No year is after 2005 and before 1999: neither bound, rather than an empty range.
    neither = answer("a comedy made after 2005 and before 1999", output={"size": 2})
    assert neither.intent is not None
    assert "year" not in neither.intent.numeric_min and "year" not in neither.intent.numeric_max
    assert len(neither.items) == 2 and not neither.fallback


def test_a_negated_bound_written_casually_still_flips() -> None:
    # "nothin newer than 2004" once read as "newer than 2004": the opposite of what was asked.
    for text in ("a comedy, nothin newer than 2004", "a comedy, nothin' newer than 2004"):
        intent = answer(text, output={"size": 2}).intent
        assert intent is not None
        assert intent.numeric_max == {"year": 2004} and "year" not in intent.numeric_min


def test_a_two_digit_decade_is_in_the_century_the_catalog_has_it() -> None:
    # The fixture's films of the "10s" are from the 2010s, its "60s" from the 1960s.
    tens = answer("something from the '10s", output={"size": 2}).intent
    sixties = answer("something from the 60s", output={"size": 2}).intent
    assert tens is not None and sixties is not None
    assert (tens.numeric_min, tens.numeric_max) == ({"year": 2010}, {"year": 2019})
    assert (sixties.numeric_min, sixties.numeric_max) == ({"year": 1960}, {"year": 1969})


def test_the_words_around_constraints_are_not_a_request() -> None:
    # Once "made before 1990" and "no comedies" are cut out, "a movie" asks for nothing: it
    # must not be embedded and steer the ranking towards whatever value it lands near.
    a = answer("a movie made before 1990 (no comedies)", output={"size": 2})
    intent = a.intent
    assert intent is not None
    assert intent.text == "" and intent.vector is None and intent.terms == []
    assert intent.numeric_max == {"year": 1989}
    assert intent.excluded == {"genres": ["Comedy"]}
    # words that do ask for something stay
    kept = answer("a scary movie released before 1990", output={"size": 2}).intent
    assert kept is not None and kept.terms == ["scary"]


def test_year_before_and_price_under() -> None:
    a = answer("something made before 1990 under $9", output={"size": 2})
    for it in a.items:
        assert year(it.id) <= 1989
        assert it.price is not None and it.price <= 9


def test_constraints_relax_required_but_never_exclusions() -> None:
    # Only one western exists: the genre requirement is relaxed, the exclusion is kept.
    a = answer("a western, no horror", output={"size": 4})
    assert len(a.items) == 4
    assert any(n.startswith("relaxed") for n in a.intent.notes)  # type: ignore[union-attr]
    for it in a.items:
        assert "Horror" not in genres(it.id)


def test_history_changes_the_result_and_explains_it() -> None:
    action_fan = answer("something fun", user="a1", output={"size": 5})
    comedy_fan = answer("something fun", user="c1", output={"size": 5})
    assert [i.id for i in action_fan.items] != [i.id for i in comedy_fan.items]
    reasons = [r for it in action_fan.items for r in it.reasons]
    assert any(r.startswith("because you liked") or r.startswith("you often pick") for r in reasons)


def test_consumed_items_are_excluded() -> None:
    a = answer("action", user="a1", output={"size": 5})
    seen = {e.item_id for e in film_events() if e.user_id == "a1"}
    assert not seen & {i.id for i in a.items}


def test_every_item_has_reasons_and_the_copy_is_set() -> None:
    a = answer("a scary night in")
    assert a.copy is not None and a.copy.title
    assert a.html
    assert all(it.reasons for it in a.items)


def test_capture_rejects_unknown_choice_and_long_text() -> None:
    spec = film_spec()
    with pytest.raises(InvalidInput) as e:
        capture.run(new_answer(choice="nope"), spec)
    assert e.value.field == "choice"
    with pytest.raises(InvalidInput) as e:
        capture.run(new_answer(text="x" * 500), spec)
    assert e.value.field == "text"


def test_capture_redacts_identifiers() -> None:
    a = new_answer(text="mail me at jo@example.com or +44 20 7946 0958, card 4111 1111 1111 1111")
    capture.run(a, film_spec(prompt={"kind": "text", "question": "?", "max_length": 200}))
    assert a.captured is not None
    assert "jo@example.com" not in a.captured.text
    assert "4111" not in a.captured.text
    assert "7946" not in a.captured.text
    assert a.captured.redactions == ["card", "email", "phone"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_failing_stage_gives_the_curated_fallback(
    stage: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise ValueError(f"injected failure in {stage}")

    monkeypatch.setitem(runner._MODULES, stage, type("M", (), {"run": staticmethod(boom)}))
    before = runner.FALLBACKS[stage]
    with caplog.at_level(logging.ERROR, logger="tastemaker.pipeline"):
        a = answer("something funny")
    assert a.fallback
    assert [i.id for i in a.items] == ["f13", "f5"]
    assert a.copy is not None and a.copy.source == "safe"
    assert runner.FALLBACKS[stage] == before + 1
    assert any("request_id=r1" in r.getMessage() for r in caplog.records)


def test_no_catalog_gives_a_fallback_not_an_error() -> None:
    a = new_answer(text="anything")
    runner.run(a, film_spec(), None, get_encoder("static"), [])
    assert a.fallback


def test_a_bundle_budget_in_words_caps_the_total() -> None:
    a = answer("something for a film night under $20", output={"kind": "bundle", "size": 4})
    assert a.bundle_total is not None and 0 < a.bundle_total <= 20
    assert a.intent is not None and a.intent.budget == 20
    per_item = answer("films under $9 each", output={"kind": "bundle", "size": 3, "budget": 100})
    assert per_item.intent is not None and per_item.intent.numeric_max == {"price": 9}
    assert all(i.price is not None and i.price <= 9 for i in per_item.items)


def test_a_remembered_constraint_mask_is_shared_and_never_changed_by_a_request() -> None:
    """Masks are remembered per snapshot: a second answer with the same constraint reuses the
    same read-only array, and one person's exclusions (what they already have) never leak
    into it, so the next person still gets those items."""
    catalog = film_catalog()
    first = answer("an action movie", user="a1", output={"size": 5})
    shared = hard_mask(catalog, {"genres": ["Action"]}, {}, {}, {})
    assert shared is not None and not shared.flags.writeable
    assert shared is hard_mask(catalog, {"genres": ["Action"]}, {}, {}, {})
    seen_by_a1 = {e.item_id for e in film_events() if e.user_id == "a1"}
    assert not seen_by_a1 & {i.id for i in first.items}
    newcomer = answer("an action movie", output={"size": 5})
    action = {i for i, _t, _y, g, _p in FILMS if "Action" in g}
    assert {i.id for i in newcomer.items} <= action
    assert seen_by_a1 & action & {i.id for i in newcomer.items}


def test_a_word_whose_name_match_is_a_tie_is_settled_by_the_catalog() -> None:
    # "cartoon" is as close to the name Comedy as to Animation; the catalog's Animation items
    # are closer to it, so that is the preference.
    intent = answer("a cartoon", output={"size": 3}).intent
    assert intent is not None
    assert intent.preferred == {"genres": ["Animation"]}
