"""Memory: what an answer leaves to remember, and how remembered facts shape a later answer.

Only *high-value* facts are kept, never a guess: values the person named in their own words
(a taste: "jazz"; a size: "size M"), what they ruled out ("no horror") and a budget they stated.
What a choice's declared intent implies is the experience's wording, not the person's, and is
not remembered.

``recall.run`` (this module's ``run``) is the stage after ``understand``: remembered facts fill
in what the current answer did not say, and the current answer always wins. A remembered taste
is soft (it raises scores), a remembered size or budget is a hard constraint, as when stated;
a remembered dislike excludes, unless the person now asks for it. Each use is noted in the
answer's "understood" trace, so the person sees what was remembered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Answer

Fact = tuple[str, str, str]  # (kind, attribute name, value)
BUNDLE_BUDGET = "bundle"  # the name a bundle's total budget is remembered under
MAX_FACTS = 20  # per answer: a long answer must not flood the memory


class PreferenceLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> str: ...


def _is_size(attribute: str) -> bool:
    return "size" in attribute.lower()


def extract(answer: Answer, spec: ExperienceSpec) -> list[Fact]:
    """The facts worth remembering from a finished answer (empty after a fallback)."""
    intent = answer.intent
    if intent is None or answer.fallback:
        return []
    facts: list[Fact] = []
    for attribute, values in intent.asked.items():
        kind = "size" if _is_size(attribute) else "taste"
        facts.extend((kind, attribute, v) for v in values)
    # Exclusions come from the person's words only (choices declare theirs in the spec).
    choice = (
        spec.choice(answer.captured.choice_id)
        if answer.captured and answer.captured.choice_id
        else None
    )
    declared = choice.intent.excluded if choice is not None else {}
    for attribute, values in intent.excluded.items():
        facts.extend(
            ("avoid", attribute, v) for v in values if v not in declared.get(attribute, [])
        )
    for note in intent.notes:
        # understand notes what it parsed from the text: "budget 40" / "price <= 25"
        if note.startswith("budget ") and intent.budget is not None:
            facts.append(("budget", BUNDLE_BUDGET, f"{intent.budget:g}"))
        elif " <= " in note and note.split(" <= ")[0] in intent.numeric_max:
            name = note.split(" <= ")[0]
            if name == "price":
                facts.append(("budget", name, f"{intent.numeric_max[name]:g}"))
    return list(dict.fromkeys(facts))[:MAX_FACTS]


def run(
    answer: Answer, spec: ExperienceSpec, catalog: Catalog, remembered: Sequence[PreferenceLike]
) -> None:
    """Fold remembered facts into ``answer.intent`` where the answer itself said nothing."""
    intent = answer.intent
    if intent is None or not remembered:
        return
    for p in remembered:
        attr = catalog.categorical.get(p.name)
        if p.kind in ("taste", "avoid", "size"):
            if attr is None or p.value not in attr.values:
                continue  # the catalog no longer has it: nothing to apply
            if p.kind == "taste":
                if p.value in intent.excluded.get(p.name, []):
                    continue
                vals = intent.preferred.setdefault(p.name, [])
                if p.value not in vals:
                    vals.append(p.value)
                    intent.notes.append(f"remembered: you like {p.name} {p.value}")
            elif p.kind == "avoid":
                if p.value in intent.required.get(p.name, []) or p.value in intent.preferred.get(
                    p.name, []
                ):
                    continue  # asked for now: today's answer wins
                vals = intent.excluded.setdefault(p.name, [])
                if p.value not in vals:
                    vals.append(p.value)
                    intent.notes.append(f"remembered: not {p.name} {p.value}")
            elif p.name not in intent.required:
                intent.required[p.name] = [p.value]
                intent.notes.append(f"remembered: {p.name} {p.value}")
        elif p.kind == "budget":
            try:
                amount = float(p.value)
            except ValueError:
                continue
            if p.name == BUNDLE_BUDGET:
                if spec.output.kind == "bundle" and not any(
                    n.startswith("budget ") for n in intent.notes
                ):
                    intent.budget = amount
                    intent.notes.append(f"remembered: budget {amount:g}")
            elif p.name in catalog.numeric and p.name not in intent.numeric_max:
                intent.numeric_max[p.name] = amount
                intent.notes.append(f"remembered: {p.name} <= {amount:g}")
