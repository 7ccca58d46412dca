"""Refining a served result: "less upbeat", "no more of this artist", removing one item.

A refinement is turned into rules on top of the experience, and the original answer is run
again under them (a derived spec, the same pipeline):

- removed items are blocked, and recorded as ``dislike`` events on the result's request id, so
  the person's profile never offers them again and ``fit`` drops the person's positives for
  them (:data:`tastemaker.fit.NEGATIVE_EVENTS`);
- "no more of this <attribute>" (or "no more <attribute> like this") excludes the values that
  the referenced item (``item_id``, else the first removed item) has for the attribute the
  word names ("artist" finds ``artist`` or ``artists``);
- "less <value>" / "more <value>" lower or raise, softly, items with an attribute value of that
  name ("less upbeat" finds ``mood: upbeat`` in whichever attribute holds it), and "less" also
  withdraws the value from the first answer's soft preferences;
- any other words join the original answer and go through the understand stage as usual
  ("no jazz", "under $20").

What still fits stays: the served items that are neither removed, nor excluded, nor hit by a
"less" are kept in the result (pinned, so a narrower retrieval cannot drop them), and the whole
result is then re-ordered by the new scores.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.experiences import Boost, ExperienceSpec
from tastemaker.ingest import EventIn
from tastemaker.measure.events import DISLIKE
from tastemaker.pipeline import render
from tastemaker.pipeline.capture import clean
from tastemaker.progressive import replay
from tastemaker.store import measure as measure_store

if TYPE_CHECKING:
    from tastemaker.catalog import Catalog
    from tastemaker.engine import Engine
    from tastemaker.types import Answer

REFINE_WEIGHT = 1.0  # a "less"/"more" nudge, as large as one full ranking signal
MAX_REFINE_TEXT = 200
_NO_MORE_THIS = re.compile(
    r"\b(?:no more|not|none|fewer|nothing more|stop)\s+(?:of\s+)?(?:this|that|these|those)\s+"
    r"(?P<attr>[a-z][a-z_-]*)|\bno more\s+(?P<attr2>[a-z][a-z_-]*)\s+like\s+(?:this|that)",
    re.IGNORECASE,
)
_LESS_MORE = re.compile(r"\b(?P<dir>less|fewer|more)\s+(?P<value>[a-z0-9][a-z0-9 &'-]*)", re.I)


@dataclass
class Refinement:
    """What a refinement asks, in the catalog's terms."""

    excluded: dict[str, list[str]] = field(default_factory=dict)
    boosts: list[Boost] = field(default_factory=list)
    rest: str = ""
    notes: list[str] = field(default_factory=list)


def _attribute_named(catalog: Catalog, word: str) -> str | None:
    word = word.lower().strip("-_")
    for name in catalog.categorical:
        n = name.lower()
        if word in (n, n.rstrip("s"), n + "s") or word.rstrip("s") == n.rstrip("s"):
            return name
    return None


def _values_of(catalog: Catalog, attribute: str, item_id: str) -> list[str]:
    attr = catalog.categorical[attribute]
    row = catalog.id_to_row.get(item_id)
    if row is None:
        return []
    return [attr.values[j] for j in attr.matrix[row].indices]


def _value_named(catalog: Catalog, phrase: str) -> tuple[str, str] | None:
    """(attribute, value) whose value is ``phrase`` or its first words (longest first)."""
    words = phrase.lower().split()
    for n in range(min(3, len(words)), 0, -1):
        candidate = " ".join(words[:n])
        for name, attr in catalog.categorical.items():
            j = attr.index.get(candidate)
            if j is not None:
                return name, attr.values[j]
    return None


def parse(text: str, catalog: Catalog, reference: str | None) -> Refinement:
    """Read a refinement's words against the catalog; ``reference`` is the item meant by "this"."""
    out = Refinement()
    rest = text
    for m in list(_NO_MORE_THIS.finditer(text)):
        word = m.group("attr") or m.group("attr2")
        name = _attribute_named(catalog, word)
        if name is None:
            continue
        if reference is None:
            raise InvalidInput(
                f"say which item {word!r} refers to: send its id as item_id", field="item_id"
            )
        values = _values_of(catalog, name, reference)
        if values:
            out.excluded.setdefault(name, []).extend(values)
            out.notes.append(f"no more {name} {', '.join(values)}")
        rest = rest.replace(m.group(0), " ")
    for m in list(_LESS_MORE.finditer(rest)):
        found = _value_named(catalog, m.group("value"))
        if found is None:
            continue
        name, value = found
        sign = 1.0 if m.group("dir").lower() == "more" else -1.0
        out.boosts.append(Boost(attribute=name, value=value, weight=sign * REFINE_WEIGHT))
        out.notes.append(f"{m.group('dir').lower()} {value}")
        rest = rest.replace(m.group(0), " ")
    out.rest = " ".join(rest.split())
    return out


def _fits(catalog: Catalog, item_id: str, refinement: Refinement) -> bool:
    for name, values in refinement.excluded.items():
        if set(_values_of(catalog, name, item_id)) & set(values):
            return False
    for boost in refinement.boosts:
        if boost.weight < 0 and boost.value in _values_of(catalog, boost.attribute, item_id):
            return False
    return True


def refine(
    engine: Engine,
    slug: str,
    request_id: str,
    *,
    text: str | None = None,
    remove: list[str] | None = None,
    item_id: str | None = None,
    user_id: str | None = None,
) -> Answer:
    """A new result refining the served result ``request_id`` (see the module docstring)."""
    remove = list(dict.fromkeys(remove or []))
    if text is not None and not isinstance(text, str):
        raise InvalidInput("must be a string", field="text")
    text = clean(text or "")
    if len(text) > MAX_REFINE_TEXT:
        raise InvalidInput(f"at most {MAX_REFINE_TEXT} characters", field="text")
    if not text and not remove:
        raise InvalidInput("say what to change: some text or items to remove", field="text")
    ws = engine.workspace(slug)
    engine.flush()
    served = engine.store.get_served(ws.id, request_id)
    if served is None:
        raise NotFound(f"no result {request_id!r} to refine")
    unknown = [i for i in remove if i not in served.item_ids]
    if unknown:
        raise InvalidInput(f"not in that result: {', '.join(unknown)}", field="remove")
    if item_id is not None and item_id not in served.item_ids:
        raise InvalidInput(f"{item_id!r} is not in that result", field="item_id")
    spec = engine.get_experience(slug, served.experience_key)
    first = measure_store.get_answer(engine.store, ws.id, request_id)
    catalog = engine.catalog(slug)
    reference = item_id or (remove[0] if remove else None)
    refinement = Refinement(rest=text) if catalog is None else parse(text, catalog, reference)
    kept = [
        i
        for i in served.item_ids
        if i not in remove and (catalog is None or _fits(catalog, i, refinement))
    ]
    base, choice, original = (spec, None, None) if first is None else replay(engine, spec, first)
    derived = _derived_spec(base, refinement, remove, kept)
    person = user_id or served.user_id
    if remove and person:
        now = time.time()
        engine.insert_events(
            slug,
            [
                EventIn(
                    user_id=person,
                    item_id=i,
                    type=DISLIKE,
                    ts=now,
                    request_id=request_id,
                    event_id=f"refine:{request_id}:{i}",  # a retried refine counts once
                    context={"experience": served.experience_key, "variant": served.variant},
                )
                for i in remove
            ],
        )
    words = ". ".join(t for t in (original or "", refinement.rest) if t)
    answer = engine.answer(
        slug,
        served.experience_key,
        user_id=person,
        choice=choice,
        text=words or None,
        variant=served.variant,
        spec_override=derived,
        kind="refine",
        parent_request_id=request_id,
        logged_choice=None if first is None else first.choice_id,
    )
    if not answer.fallback:
        answer.items.sort(key=lambda it: -it.score)
        render.run(answer, derived)
    if answer.intent is not None:
        answer.intent.notes.extend(refinement.notes)
    return answer


def _derived_spec(
    spec: ExperienceSpec, refinement: Refinement, remove: list[str], kept: list[str]
) -> ExperienceSpec:
    rules = spec.rules
    excluded = {k: list(v) for k, v in rules.excluded.items()}
    for k, v in refinement.excluded.items():
        excluded[k] = list(dict.fromkeys([*excluded.get(k, []), *v]))
    new_rules = rules.model_copy(
        update={
            "blocked": list(dict.fromkeys([*rules.blocked, *remove])),
            "excluded": excluded,
            "boosts": [*rules.boosts, *refinement.boosts],
            "pins": list(dict.fromkeys([*rules.pins, *kept])),
        }
    )
    # "less comedy" overrides the first answer's "make me laugh": a value the person now wants
    # less of stops being one of the choice's soft preferences.
    less = {(b.attribute, b.value.lower()) for b in refinement.boosts if b.weight < 0}
    choices = [
        c.model_copy(
            update={
                "intent": c.intent.model_copy(
                    update={
                        "attributes": {
                            k: [v for v in vs if (k, v.lower()) not in less]
                            for k, vs in c.intent.attributes.items()
                        }
                    }
                )
            }
        )
        for c in spec.prompt.choices
    ]
    prompt = spec.prompt.model_copy(
        update={"max_length": 2000, "allow_empty": True, "choices": choices}
    )
    return spec.model_copy(update={"rules": new_rules, "prompt": prompt})
