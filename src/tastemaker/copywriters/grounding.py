"""What a model copywriter may know, how it is asked, and how its answer is held to the facts.

A model sees only :class:`Facts`: the chosen items (title, price, a few attribute values), their
count and total, the person's subject and mood (only when the answer raised no input flag), and
the brand's name, voice and tone. :func:`ungrounded` then rejects copy that goes beyond them:

- a number (a price, a count, a percentage) that is not one of the facts' numbers;
- a name, as a quoted phrase or a run of capitalised words inside a sentence, whose words are
  not among the facts' words ("featuring Thriller" when Thriller was not chosen);
- a commercial claim (free, sale, discount, organic, award-winning, ...) that no fact makes.

The model is asked for JSON; :func:`parse_copy` also accepts ``Title: ...`` lines, which small
local models produce more reliably than JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tastemaker.experiences import ExperienceSpec
from tastemaker.guardrails.topics import TOPICS
from tastemaker.pipeline.copywriting import _mood, _subject, common_feature
from tastemaker.types import Answer, CopyText

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'\-]*")
_QUOTED = re.compile(r"[\"\u201c\u2018]([^\"\u201d\u2019]{2,60})[\"\u201d\u2019]")
# A capitalised word that follows a lower-case or comma-separated word: a name, not a sentence
# start (sentence starts are found by the preceding ".", "!", "?" or the start of the field).
_CAP_RUN = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w'\-]*)(?: (?:of|the|and|&|[A-Z][\w'\-]*))*")
CLAIMS = (
    "free", "sale", "discount", "discounted", "off", "offer", "deal", "organic", "vegan",
    "award", "award-winning", "bestselling", "bestseller", "limited", "exclusive", "new",
    "certified", "clinically", "proven", "eco", "sustainable", "handmade", "shipping",
    "delivery", "refund", "warranty", "cheapest", "lowest", "official", "authentic",
)  # fmt: skip
_STOP_WORDS = (
    "a an the and or of for to in on at with by from your you our we us it its this that "
    "these those is are be all just some here there one more most very so as up out into "
    "i my me"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the copy may say, as the model is shown it."""

    brand: str
    voice: str
    tone: str
    kind: str
    subject: str
    mood: str
    count: int
    items: tuple[dict[str, Any], ...]
    total: float | None
    feature: str
    words: frozenset[str] = field(default=frozenset())
    numbers: frozenset[str] = field(default=frozenset())

    def public(self) -> dict[str, Any]:
        """The facts as the model sees them (JSON-ready)."""
        out: dict[str, Any] = {"kind": self.kind, "count": self.count, "items": list(self.items)}
        for name in ("subject", "mood", "feature"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.total is not None:
            out["total_price"] = round(self.total, 2)
        return out


def _numbers(value: float) -> set[str]:
    whole = int(value)
    forms = {f"{value:.2f}", f"{value:,.2f}", str(value)}
    if value == whole:
        forms |= {str(whole), f"{whole:,}"}
    return forms


def facts_of(answer: Answer, spec: ExperienceSpec) -> Facts:
    """Gather the facts of one answer; nothing else reaches the model."""
    subject = _subject(answer, spec).strip("\u201c\u201d")
    mood = _mood(answer, subject)
    items: list[dict[str, Any]] = []
    for it in answer.items[:10]:
        entry: dict[str, Any] = {"title": it.title}
        if it.price is not None:
            entry["price"] = round(it.price, 2)
        attrs = {
            k: v
            for k, v in it.attributes.items()
            if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        }
        if attrs:
            entry["attributes"] = dict(list(attrs.items())[:3])
        items.append(entry)
    preferred = answer.intent.preferred if answer.intent else {}
    feature = common_feature(answer.items, preferred, spec.rules.required.keys())
    brand = spec.brand
    text = json.dumps(items) + " ".join((subject, mood, feature, brand.name))
    words = {w.lower() for w in _WORD.findall(text)}
    numbers = {str(len(answer.items))}
    for value in [it.price for it in answer.items if it.price is not None] + [answer.bundle_total]:
        if value is not None:
            numbers |= _numbers(value)
    numbers |= set(_NUMBER.findall(text))
    return Facts(
        brand=brand.name,
        voice=brand.voice,
        tone=brand.tone,
        kind=spec.output.kind,
        subject=subject,
        mood=mood,
        count=len(answer.items),
        items=tuple(items),
        total=answer.bundle_total,
        feature=feature,
        words=frozenset(words),
        numbers=frozenset(numbers),
    )


def messages(facts: Facts, spec: ExperienceSpec) -> list[dict[str, str]]:
    """The chat messages for one answer: the brand's rules, then the facts as JSON."""
    brand = spec.brand
    avoid = [*brand.banned_words, *brand.banned_claims, *brand.competitors]
    allowed = set(spec.guardrails.allowed_topics)
    never = [t.replace("_", " ") for t in TOPICS if t not in allowed]
    system = (
        f"You write short copy for {brand.name}, shown above a {facts.kind} of "
        f"recommendations. Voice: {brand.voice}. {brand.tone}\n"
        "Use only the facts you are given. Do not name any product, price, number, discount "
        "or claim that is not in the facts. "
        f"Never mention {', '.join(never)}. "
        + (f"Never use these words: {', '.join(avoid)}. " if avoid else "")
        + "Reply with one JSON object and nothing else: "
        '{"title": "at most 60 characters", "description": "one sentence, at most 160 '
        'characters", "cta": "a call to action, at most 32 characters"}'
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "Facts: " + json.dumps(facts.public(), ensure_ascii=False)},
    ]


_LINE = re.compile(r"^\s*\**\s*(title|description|cta|call to action)\s*\**\s*[:\-]\s*(.+)$", re.I)


def parse_copy(text: str) -> tuple[str, str, str] | None:
    """(title, description, cta) from a model's reply, or None when it gave no usable copy."""
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            data = None
        if isinstance(data, dict):
            got = [data.get(k) for k in ("title", "description", "cta")]
            if all(isinstance(v, str) and v.strip() for v in got):
                return tuple(" ".join(str(v).split()) for v in got)  # type: ignore[return-value]
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            key = "cta" if m.group(1).lower().startswith(("cta", "call")) else m.group(1).lower()
            fields.setdefault(key, " ".join(m.group(2).strip().strip('"').split()))
    if all(fields.get(k) for k in ("title", "description", "cta")):
        return fields["title"], fields["description"], fields["cta"]
    return None


def ungrounded(copy: CopyText, facts: Facts) -> list[str]:
    """What the copy says that the facts do not: numbers, names, claims (empty when grounded)."""
    problems: list[str] = []
    for name in ("title", "description", "cta"):
        text: str = getattr(copy, name)
        for number in _NUMBER.findall(text):
            if number not in facts.numbers:
                problems.append(f"number:{number}")
        names = _QUOTED.findall(text) + _CAP_RUN.findall(text)
        for phrase in names:
            words = [w.lower() for w in _WORD.findall(phrase) if w.lower() not in _STOP]
            if words and not all(w in facts.words for w in words):
                problems.append(f"name:{phrase}")
        for word in _WORD.findall(text.lower()):
            if word in CLAIMS and word not in facts.words:
                problems.append(f"claim:{word}")
    return problems


def confidence(copy: CopyText, facts: Facts) -> float:
    """How much the copy is about this answer: words it shares with the facts.

    Copy that shares no word with the facts (no subject, no item, no feature) is generic at
    best and off-topic at worst, so it lands under the default review threshold (0.5).
    """
    text = " ".join((copy.title, copy.description)).lower()
    shared = {w for w in _WORD.findall(text) if w in facts.words and w not in _STOP}
    return min(1.0, 0.4 + 0.2 * len(shared))
