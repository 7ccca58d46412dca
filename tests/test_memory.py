"""Memory as pipeline stages: what an answer leaves to remember, and how recall applies it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tastemaker.catalog import Catalog
from tastemaker.encoders import get_encoder
from tastemaker.experiences import ExperienceSpec
from tastemaker.fit import ItemData, build_catalog
from tastemaker.pipeline import capture, memory, understand
from tastemaker.types import Answer, RequestContext

SIZES = ("small", "medium", "large")
COLOURS = ("red", "blue", "green", "black")


@dataclass(frozen=True)
class Pref:
    kind: str
    name: str
    value: str


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    items = [
        ItemData(
            id=f"s{n}",
            title=f"{COLOURS[n % 4].title()} shirt {n}",
            text=f"a {COLOURS[n % 4]} cotton shirt",
            attributes={"size": [SIZES[n % 3]], "colour": [COLOURS[n % 4]]},
            price=10.0 + n,
            available=True,
            url=None,
        )
        for n in range(24)
    ]
    return build_catalog("shop", 1, items, [], get_encoder("static"))


def spec(kind: str = "list") -> ExperienceSpec:
    return ExperienceSpec.model_validate(
        {
            "key": "shirts",
            "name": "Shirts",
            "prompt": {"kind": "text", "question": "What are you after?"},
            "output": {"kind": kind, "size": 3, **({"budget": 60} if kind == "bundle" else {})},
        }
    )


def understood(text: str, catalog: Catalog, s: ExperienceSpec) -> Answer:
    a = Answer("r", "shop", "shirts", 1, "default", "p1", None, text, RequestContext())
    capture.run(a, s)
    understand.run(a, s, catalog, get_encoder("static"))
    return a


def test_extract_keeps_what_the_person_said(catalog: Catalog) -> None:
    a = understood("a medium red shirt under $20, nothing black", catalog, spec())
    assert set(memory.extract(a, spec())) == {
        ("size", "size", "medium"),
        ("taste", "colour", "red"),
        ("avoid", "colour", "black"),
        ("budget", "price", "20"),
    }


def test_extract_bundle_budget_and_nothing_after_a_fallback(catalog: Catalog) -> None:
    s = spec("bundle")
    a = understood("something for $45", catalog, s)
    assert ("budget", "bundle", "45") in memory.extract(a, s)
    # The spec's own default budget is not something the person said.
    assert not any(f[0] == "budget" for f in memory.extract(understood("shirts", catalog, s), s))
    a.fallback = True
    assert memory.extract(a, s) == []


def test_recall_fills_in_only_what_the_answer_left_out(catalog: Catalog) -> None:
    remembered = [
        Pref("size", "size", "medium"),
        Pref("taste", "colour", "red"),
        Pref("avoid", "colour", "black"),
        Pref("budget", "price", "20"),
        Pref("taste", "colour", "mauve"),  # no longer in the catalog: ignored
    ]
    a = understood("a shirt", catalog, spec())
    memory.run(a, spec(), catalog, remembered)
    assert a.intent is not None
    assert a.intent.required == {"size": ["medium"]}
    assert a.intent.preferred == {"colour": ["red"]}
    assert a.intent.excluded == {"colour": ["black"]}
    assert a.intent.numeric_max == {"price": 20.0}
    assert sum(n.startswith("remembered:") for n in a.intent.notes) == 4
    # Today's words win: a size, a budget and a colour said now override memory.
    b = understood("a large black shirt under $30", catalog, spec())
    memory.run(b, spec(), catalog, remembered)
    assert b.intent is not None
    assert b.intent.required["size"] == ["large"]
    assert b.intent.numeric_max == {"price": 30.0}
    assert "black" not in b.intent.excluded.get("colour", [])
