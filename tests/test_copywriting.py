"""The template copywriter: deterministic, voiced, grounded in the answer, within limits."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from tastemaker.experiences import Brand, Choice, ExperienceSpec, Output, Prompt
from tastemaker.pipeline import copywriting, guard
from tastemaker.pipeline.copywriting import TemplateCopywriter, common_feature, shorten
from tastemaker.types import Answer, Captured, CopyText, Intent, RequestContext, ResultItem

VOICES = ("warm", "playful", "premium", "plain")
KINDS = ("playlist", "bundle", "list")


def make_spec(voice: str = "warm", kind: str = "playlist", *, text: bool = False) -> ExperienceSpec:
    prompt: dict[str, Any] = (
        {"kind": "text", "question": "What are you in the mood for?"}
        if text
        else {
            "kind": "choice",
            "question": "Pick a vibe",
            "choices": [
                {"id": "focus", "label": "Focus"},
                {"id": "chill", "label": "Chill"},
                {"id": "party", "label": "Party"},
            ],
        }
    )
    return ExperienceSpec(
        key="vibes",
        name="Vibes",
        prompt=Prompt.model_validate(prompt),
        output=Output.model_validate({"kind": kind}),
        brand=Brand.model_validate({"voice": voice}),
    )


def make_items(genres: list[str], price: float | None = None) -> list[ResultItem]:
    return [
        ResultItem(
            id=f"i{n}",
            title=f"Item {n}",
            score=1.0,
            reasons=[],
            price=price,
            attributes={"genre": [g], "year": 1990 + n, "explicit": False},
        )
        for n, g in enumerate(genres)
    ]


def make_answer(
    *,
    choice: str | None = "focus",
    text: str = "",
    raw_text: str | None = None,
    items: list[ResultItem] | None = None,
    moods: list[str] | None = None,
    preferred: dict[str, list[str]] | None = None,
    request_id: str = "req-1",
    total: float | None = None,
) -> Answer:
    return Answer(
        request_id=request_id,
        workspace="demo",
        experience_key="vibes",
        experience_version=1,
        variant="default",
        user_id=None,
        raw_choice=choice,
        raw_text=raw_text if raw_text is not None else text or None,
        context=RequestContext(),
        captured=Captured(choice_id=choice, text=text),
        intent=Intent(text=text, moods=moods or [], preferred=preferred or {}),
        items=items if items is not None else make_items(["jazz", "jazz", "jazz", "rock"]),
        bundle_total=total,
    )


def write(answer: Answer, spec: ExperienceSpec) -> CopyText:
    copywriting.run(answer, spec)
    assert answer.copy is not None
    return answer.copy


def all_text(c: CopyText) -> str:
    return f"{c.title} | {c.description} | {c.cta}"


def test_same_answer_same_copy_across_requests() -> None:
    spec = make_spec()
    first = write(make_answer(request_id="a"), spec)
    second = write(make_answer(request_id="b"), spec)
    assert first == second
    assert first.source == "template"


def test_different_answers_get_some_variety() -> None:
    spec = make_spec(text=True)
    words = ["jazz", "sunny soul", "dub", "folk", "techno", "ambient", "piano", "disco", "blues"]
    titles = {write(make_answer(choice=None, text=w), spec).title.split()[0] for w in words}
    assert len(titles) > 1  # not always the same phrase with a different word in it


def test_voices_sound_different() -> None:
    copies = [write(make_answer(), make_spec(voice)) for voice in VOICES]
    assert len({c.title for c in copies}) == len(VOICES)
    assert len({c.description for c in copies}) == len(VOICES)
    assert len({c.cta for c in copies}) == len(VOICES)
    playful = copies[VOICES.index("playful")]
    assert playful.description.endswith("!")


def test_kinds_get_their_own_calls_to_action() -> None:
    ctas = {kind: write(make_answer(), make_spec("plain", kind)).cta for kind in KINDS}
    assert ctas["playlist"] in {"Listen now", "Play"}
    assert ctas["bundle"] in {"View bundle", "See items"}


def test_choice_label_and_count_are_used() -> None:
    for voice in VOICES:
        c = write(make_answer(), make_spec(voice))
        assert "Focus" in c.title + c.description
        assert "4" in c.description


def test_common_attribute_is_named_only_when_shared() -> None:
    c = write(make_answer(), make_spec("warm"))
    assert "jazz" in c.description
    assert "rock" not in all_text(c)

    mixed = make_answer(items=make_items(["jazz", "rock", "pop", "folk"]))
    c = write(mixed, make_spec("warm"))
    assert not any(g in all_text(c) for g in ("jazz", "rock", "pop", "folk"))


def test_preferred_value_wins_only_when_items_have_it() -> None:
    items = make_items(["jazz"] * 4)
    for it in items:
        it.attributes["genre"] = ["jazz", "rock"]
    assert common_feature(items, {"genre": ["Rock"]}) == "rock"
    assert common_feature(items, {}) == "jazz"  # tie: alphabetical, stable
    assert common_feature(make_items(["jazz", "jazz", "rock", "rock"]), {}) == ""  # no majority
    # Asking for soul does not make the copy claim soul when no chosen item is soul.
    assert common_feature(make_items(["jazz", "rock", "pop"]), {"genre": ["soul"]}) == ""
    assert common_feature(make_items(["jazz"]), {}) == ""  # one item shares nothing


def test_bundle_total_is_in_the_description() -> None:
    items = make_items(["mug", "mug", "tea"], price=12.5)
    for voice in VOICES:
        c = write(make_answer(items=items, total=1237.5), make_spec(voice, "bundle"))
        assert "1,237.50" in c.description
    # A playlist never mentions money, even if a total is set.
    c = write(make_answer(items=items, total=37.5), make_spec("warm", "playlist"))
    assert "37.50" not in all_text(c)


def test_mood_is_a_fact_unless_the_subject_says_it() -> None:
    writer = TemplateCopywriter()
    facts = writer.facts(make_answer(moods=["calm"]), make_spec())
    assert facts["mood"] == "calm"
    facts = writer.facts(make_answer(choice="chill", moods=["chill", "mellow"]), make_spec())
    assert facts["mood"] == "mellow"


def test_free_text_is_shortened_and_quoted() -> None:
    text = "I want something mellow for a rainy sunday afternoon with coffee and friends"
    c = write(make_answer(choice=None, text=text), make_spec(text=True))
    said = "\u201cmellow for a rainy sunday\u201d"
    assert said.lower() in (c.title + c.description).lower()
    assert "I want" not in all_text(c)
    assert "friends" not in all_text(c)


def test_never_echoes_redacted_or_raw_text() -> None:
    answer = make_answer(
        choice=None,
        text="jazz for [email] at [phone]",
        raw_text="jazz for bob@example.com at 555 123 4567 secretword",
    )
    answer.captured = Captured(None, "jazz for [email] at [phone]", ["email", "phone"])
    c = write(answer, make_spec(text=True))
    out = all_text(c).lower()
    for leaked in ("bob", "@", "555", "secretword", "email", "phone", "["):
        assert leaked not in out
    assert "jazz" in out


def test_no_answer_and_no_items_still_reads_well() -> None:
    answer = make_answer(choice=None, text="", items=[])
    answer.captured = Captured(None, "")
    c = write(answer, make_spec(text=True))
    assert c.title and c.description and c.cta
    assert not any(ch.isdigit() for ch in all_text(c))


@pytest.mark.parametrize(("voice", "kind"), list(itertools.product(VOICES, KINDS)))
def test_every_voice_and_kind_stays_within_limits_and_passes_guard(voice: str, kind: str) -> None:
    spec = make_spec(voice, kind, text=True)
    long_label = "x" * 20 + " extraordinarily long answer about nothing in particular at all"
    cases = [
        make_answer(choice=None, text=long_label, total=123456.78, moods=["dreamy"]),
        make_answer(choice=None, text="supercalifragilisticexpialidocious" * 3),
        make_answer(choice=None, text="rainy day jazz", items=make_items(["jazz"])),
        make_answer(choice=None, text="a", items=[]),
    ]
    for answer in cases:
        c = write(answer, spec)
        assert len(c.title) <= guard.MAX_TITLE
        assert len(c.description) <= guard.MAX_DESCRIPTION
        assert len(c.cta) <= guard.MAX_CTA
        # One sentence: ends with its mark, and no mark followed by a space inside it.
        assert c.description[-1] in ".!" and not re.search(r"[.!?]\s", c.description)
        assert guard.check(c, spec) == [], all_text(c)


def test_a_copywriter_can_be_swapped_in() -> None:
    class Fixed:
        def write(self, answer: Answer, spec: ExperienceSpec) -> CopyText:
            return CopyText("Fixed", "Fixed words.", "Go", source="fixed")

    answer = make_answer()
    copywriting.run(answer, make_spec(), copywriter=Fixed())
    assert answer.copy == CopyText("Fixed", "Fixed words.", "Go", source="fixed")


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("I want something chill for studying", "chill for studying"),
        ("give me some  upbeat   songs!!!", "upbeat songs"),
        ("I\u2019d like to hear mellow jazz for the", "mellow jazz"),
        ("email me at bob@example.com about disco", "email me at about disco"),
        ("<script>alert(1)</script> disco", "alert 1 disco"),
        ("one two three four five six seven", "one two three four five"),
        ("please", ""),
        ("a quiet beach week, nothing too pricey", "a quiet beach week"),
        ("jazz but no vocals", "jazz but no vocals"),
    ],
)
def test_shorten(text: str, short: str) -> None:
    assert shorten(text) == short


def test_choice_labels_keep_their_words() -> None:
    spec = make_spec().model_copy(
        update={
            "prompt": Prompt(
                kind="choice",
                question="Pick",
                choices=[Choice(id="new", label="Something new")],
            )
        }
    )
    c = write(make_answer(choice="new"), spec)
    assert "Something new" in c.title + c.description


def test_variant_does_not_change_the_wording() -> None:
    spec = make_spec(text=True)
    a = make_answer(choice=None, text="sunny soul")
    b = make_answer(choice=None, text="sunny soul")
    b.variant = "B"
    assert write(a, spec) == write(b, spec)
