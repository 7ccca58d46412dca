"""The brand kit under an experience's brand, and the reuse of approved copy."""

from __future__ import annotations

from tastemaker.brandkit import BrandKit
from tastemaker.editorial import ReviewedCopywriter, answer_key
from tastemaker.experiences import Brand, ChannelLimits, ExperienceSpec, Prompt
from tastemaker.pipeline import capture
from tastemaker.pipeline.copywriting import DEFAULT_COPYWRITER
from tastemaker.types import Answer, RequestContext, ResultItem


def test_kit_adds_rules_and_fills_defaults_but_never_overrides() -> None:
    brand = Brand(voice="premium", banned_words=["cheap"], safe_title="Chosen for you")
    kit = BrandKit(
        voice="playful",
        tone="Short and kind.",
        banned_words=["cheap", "knock-off"],
        competitors=["Spotiflix"],
        legal_lines=["Prices include VAT."],
        channel_limits={"ad": ChannelLimits(title=30, description=90, cta=20)},
        safe_title="Picked by us",
    )
    merged = kit.apply(brand)
    assert merged.voice == "premium"  # the experience chose it
    assert merged.safe_title == "Chosen for you"
    assert merged.tone == "Short and kind."  # the experience kept the default
    assert merged.banned_words == ["cheap", "knock-off"]
    assert merged.banned_claims == Brand().banned_claims  # the defaults stay
    assert merged.competitors == ["Spotiflix"]
    assert merged.legal_lines == ["Prices include VAT."]
    assert merged.channel_limits["ad"].title == 30


def test_an_empty_kit_changes_nothing() -> None:
    brand = Brand()
    assert BrandKit().apply(brand) is brand


SPEC = ExperienceSpec(key="e", name="E", prompt=Prompt(kind="text", question="What?"))


def answer(text: str, items: list[ResultItem]) -> Answer:
    a = Answer("r", "ws", "e", 1, "default", None, None, text, RequestContext())
    capture.run(a, SPEC)
    a.items = items
    return a


ITEMS = [ResultItem("a", "Blue Evening", 1.0, []), ResultItem("b", "Quiet Harbour", 1.0, [])]


def test_the_same_answer_has_the_same_key() -> None:
    assert answer_key(answer("Rainy  Jazz", ITEMS)) == answer_key(answer("rainy jazz", ITEMS))
    assert answer_key(answer("rainy jazz", ITEMS))[0] != answer_key(answer("loud rock", ITEMS))[0]
    assert answer_key(answer("rainy jazz", ITEMS))[1] == "text:rainy jazz"


def test_approved_copy_is_reused_only_while_it_fits_the_items() -> None:
    key = answer_key(answer("rainy jazz", ITEMS))[0]
    approved = {
        ("e", key): {
            "title": "Rainy jazz",
            "description": "Starting with Blue Evening.",
            "cta": "Go",
        }
    }
    writer = ReviewedCopywriter(DEFAULT_COPYWRITER, approved)
    assert writer.write(answer("rainy jazz", ITEMS), SPEC).source == "approved"
    other_items = [ResultItem("c", "Night Train", 1.0, []), ResultItem("d", "Low Tide", 1.0, [])]
    assert writer.write(answer("rainy jazz", other_items), SPEC).source == "template"
    assert writer.write(answer("loud rock", ITEMS), SPEC).source == "template"
