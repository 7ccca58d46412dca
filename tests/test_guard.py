"""The guard: banned words and claims (with variants), limits, placeholders, safe replacement."""

from __future__ import annotations

import pytest

from tastemaker.experiences import Brand, ExperienceSpec, Prompt
from tastemaker.pipeline import copywriting, guard
from tastemaker.pipeline.guard import GuardResult, Violation, check
from tastemaker.types import Answer, Captured, CopyText, Intent, RequestContext, ResultItem

BRAND = Brand(
    name="Acme",
    voice="warm",
    banned_words=["cheap", "knock-off"],
    banned_claims=["best", "guarantee", "cure", "#1", "number one"],
    safe_title="Picked for you",
    safe_description="A selection we think you will enjoy.",
    cta="Take a look",
)


def make_spec(brand: Brand = BRAND) -> ExperienceSpec:
    return ExperienceSpec(
        key="vibes",
        name="Vibes",
        prompt=Prompt(kind="text", question="What are you in the mood for?"),
        brand=brand,
    )


SPEC = make_spec()


def copy(
    title: str = "Your jazz mix", description: str = "Four tracks.", cta: str = "Play"
) -> CopyText:
    return CopyText(title, description, cta)


def kinds(violations: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.kind, v.term, v.field) for v in violations}


def test_clean_copy_passes() -> None:
    assert check(copy(), SPEC) == []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("The best jazz", "best"),
        ("Best!", "best"),
        ("Our best-ever mix", "best"),
        ("BEST_OF the week", "best"),
        ("\uff42\uff45\uff53\uff54 picks", "best"),  # full-width letters
        ("Fun guaranteed", "guarantee"),
        ("We guarantee it", "guarantee"),
        ("It guarantees fun", "guarantee"),
        ("Cures boredom", "cure"),
        ("Curing the blues", "cure"),
        ("The #1 mix", "#1"),
        ("Number-one hits", "number one"),
        ("number   one", "number one"),
    ],
)
def test_banned_claims_and_their_variants_are_caught(text: str, term: str) -> None:
    assert ("banned_claim", term, "title") in kinds(check(copy(title=text), SPEC))


@pytest.mark.parametrize(
    "text",
    ["Bestow a gift", "Secure checkout", "Curious sounds", "The #10 slot", "Someone new"],
)
def test_whole_words_only(text: str) -> None:
    assert check(copy(title=text), SPEC) == []


def test_banned_words_are_reported_with_their_field() -> None:
    found = check(copy(description="Cheap thrills and a Knock-Off or two.", cta="CHEAP!"), SPEC)
    assert kinds(found) == {
        ("banned_word", "cheap", "description"),
        ("banned_word", "knock-off", "description"),
        ("banned_word", "cheap", "cta"),
    }


def test_lengths_and_empty_fields() -> None:
    found = check(copy(title="x" * 61, description="y" * 161, cta=" "), SPEC)
    assert kinds(found) == {
        ("too_long", "61", "title"),
        ("too_long", "161", "description"),
        ("empty", "", "cta"),
    }
    assert check(copy(title="x" * 60, description="y" * 160), SPEC) == []


@pytest.mark.parametrize(
    "text",
    ["Hi {title}", "Hi {{ name }}", "{% if x %}", "Hi ${name}", "Hi %(name)s", "{ subject }"],
)
def test_unrendered_placeholders_are_caught(text: str) -> None:
    assert any(v.kind == "placeholder" for v in check(copy(description=text), SPEC))


def test_braces_in_plain_words_are_not_placeholders() -> None:
    assert check(copy(description="Smiles :-} all round."), SPEC) == []


def make_answer(text: str, copy_text: CopyText | None = None) -> Answer:
    return Answer(
        request_id="req-1",
        workspace="demo",
        experience_key="vibes",
        experience_version=1,
        variant="default",
        user_id=None,
        raw_choice=None,
        raw_text=text,
        context=RequestContext(),
        captured=Captured(None, text),
        intent=Intent(text=text),
        items=[ResultItem(id=f"i{n}", title=f"Item {n}", score=1.0, reasons=[]) for n in range(3)],
        copy=copy_text,
    )


def test_run_keeps_passing_copy() -> None:
    answer = make_answer("jazz", copy())
    result = guard.run(answer, SPEC)
    assert result == GuardResult((), replaced=False)
    assert result.passed
    assert answer.copy == copy()


def test_run_replaces_failing_copy_with_safe_copy_and_reports_why() -> None:
    answer = make_answer("jazz", copy(title="The best {title}"))
    result = guard.run(answer, SPEC)
    assert answer.copy == CopyText(
        "Picked for you", "A selection we think you will enjoy.", "Take a look", source="safe"
    )
    assert result.replaced and not result.passed
    assert {v.kind for v in result.violations} == {"banned_claim", "placeholder"}


def test_missing_copy_gets_safe_copy() -> None:
    answer = make_answer("jazz", None)
    result = guard.run(answer, SPEC)
    assert answer.copy is not None and answer.copy.source == "safe"
    assert result.violations == (Violation("missing", "", "copy"),)


@pytest.mark.parametrize(
    ("text", "kind", "term"),
    [
        ("the best jazz ever", "banned_claim", "best"),
        ("cheap party tunes", "banned_word", "cheap"),
        ("guaranteed bangers", "banned_claim", "guarantee"),
    ],
)
def test_person_text_echoed_by_the_copywriter_is_caught(text: str, kind: str, term: str) -> None:
    """The copywriter echoes the person's words; the guard is the gate that stops them."""
    for voice in ("warm", "playful", "premium", "plain"):
        spec = make_spec(BRAND.model_copy(update={"voice": voice}))
        answer = make_answer(text)
        copywriting.run(answer, spec)
        assert answer.copy is not None and answer.copy.source == "template"
        result = guard.run(answer, spec)
        assert (kind, term) in {(v.kind, v.term) for v in result.violations}
        assert answer.copy.source == "safe"
        assert term not in answer.copy.title.lower()


def test_empty_term_lists_are_fine() -> None:
    spec = make_spec(Brand(banned_words=[], banned_claims=["", "  "]))
    assert check(copy(title="The best"), spec) == []
