"""Copywriting stage: the title, one-line description and call to action around a result.

Copywriters sit behind the one-method :class:`Copywriter` Protocol so another one (an LLM, a
human-curated table) can slot in; :class:`TemplateCopywriter` is the real default. It fills phrase
banks, one per brand voice (warm, playful, premium, plain), with facts taken only from the request
itself, so the copy is grounded by construction:

- the subject: the label of the choice the person picked, or their free text after capture's
  redaction (``answer.captured.text``, never ``raw_text``), shortened to a few words;
- the mood the understand stage read from the answer;
- the chosen items: their count, an attribute value most of them share (say a genre), and for a
  bundle its total price.

Choices between phrasings are seeded by the answer (choice id or text), not the request id, so the
same answer reads the same on every reload while different answers get some variety. Policy (banned
words and claims, echoed text) is the guard's job; this stage only keeps within the length limits.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.guard import MAX_CTA, MAX_DESCRIPTION, MAX_TITLE
from tastemaker.types import Answer, CopyText, ResultItem

Voice = Literal["warm", "playful", "premium", "plain"]
Kind = Literal["playlist", "bundle", "list"]

MAX_SUBJECT = 28  # leaves room for the phrase around it inside a 60-character title
MAX_SUBJECT_WORDS = 5
MAX_FEATURE = 24


class Copywriter(Protocol):
    """Writes the words around a result. Must not mutate ``answer``; the guard checks the output."""

    def write(self, answer: Answer, spec: ExperienceSpec) -> CopyText: ...


# --- phrase banks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase with ``{slot}`` fields; ``slots`` is parsed once so choosing one is cheap."""

    text: str
    slots: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Phrase:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        return cls(text, frozenset(names))

    def fill(self, facts: Mapping[str, str]) -> str:
        return self.text.format_map(facts)


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase.of(t) for t in texts)


@dataclass(frozen=True, slots=True)
class VoiceBank:
    """Everything one brand voice can say.

    Descriptions are built as ``main + feature clause + total clause + end``, so a fact that is
    missing simply drops its clause instead of needing its own sentence.
    """

    titles: tuple[Phrase, ...]
    mains: tuple[Phrase, ...]
    feature_clauses: tuple[Phrase, ...]
    total_clauses: tuple[Phrase, ...]
    ctas: Mapping[Kind, tuple[str, ...]]
    things: Mapping[Kind, str]  # what the result is called: "mix", "collection", ...
    nouns: Mapping[Kind, tuple[str, str]]  # one item, several items
    end: str


# Slots: subject, mood, thing, count, noun, feature, total. A phrase is only used when every slot it
# names is known, so a phrase never has to hedge about a fact it does not have.
BANKS: Mapping[Voice, VoiceBank] = {
    "warm": VoiceBank(
        titles=_phrases(
            "Your {subject} {thing}",
            "{subject}, picked for you",
            "A little {subject}, just for you",
            "Your {mood} {subject} {thing}",
            "Picked with you in mind",
            "Your {mood} {thing}",
            "Something for you",
        ),
        mains=_phrases(
            "We gathered {count} {noun} for {subject}",
            "Here are {count} {noun} we think suit {subject}",
            "{count} {mood} {noun} for {subject}, chosen with you in mind",
            "We gathered {count} {noun} with you in mind",
            "{count} {noun} chosen just for you",
        ),
        feature_clauses=_phrases(", with plenty of {feature}", ", with {feature} at its heart"),
        total_clauses=_phrases(", {total} all together", ", {total} for the lot"),
        ctas={
            "playlist": ("Start listening", "Press play"),
            "bundle": ("See the bundle", "Take a look"),
            "list": ("Take a look", "See your picks"),
        },
        things={"playlist": "mix", "bundle": "bundle", "list": "list"},
        nouns={
            "playlist": ("track", "tracks"),
            "bundle": ("item", "items"),
            "list": ("pick", "picks"),
        },
        end=".",
    ),
    "playful": VoiceBank(
        titles=_phrases(
            "{subject} mode: on",
            "Hello, {subject}!",
            "All aboard the {subject} {thing}",
            "Cue the {mood} {subject} vibes",
            "Ta-da! Your {thing} is here",
            "Fresh picks, just for you",
            "Your {mood} {thing} is here",
        ),
        mains=_phrases(
            "Buckle up: {count} {noun} for {subject}",
            "{count} {noun} of pure {subject} energy",
            "{count} {mood} {noun} for all things {subject}",
            "Here come {count} {noun} picked just for you",
            "{count} {noun}, hand-picked and ready to go",
        ),
        feature_clauses=_phrases(", with a big helping of {feature}", ", sprinkled with {feature}"),
        total_clauses=_phrases(", all for {total}", ", {total} all in"),
        ctas={
            "playlist": ("Hit play", "Crank it up"),
            "bundle": ("Grab the lot", "Let's shop"),
            "list": ("Dig in", "Let's go"),
        },
        things={"playlist": "mix", "bundle": "haul", "list": "lineup"},
        nouns={
            "playlist": ("track", "tracks"),
            "bundle": ("goodie", "goodies"),
            "list": ("pick", "picks"),
        },
        end="!",
    ),
    "premium": VoiceBank(
        titles=_phrases(
            "The {subject} {thing}",
            "{subject}, curated",
            "{subject}: a considered {thing}",
            "A {mood} {subject} {thing}",
            "A considered {thing}",
            "Curated for you",
            "The {mood} {thing}",
        ),
        mains=_phrases(
            "A curated {thing} of {count} {noun} for {subject}",
            "{count} {noun}, selected with care for {subject}",
            "{count} {mood} {noun}, chosen for {subject}",
            "A curated {thing} of {count} {noun}, selected with care",
            "{count} {noun}, chosen with a discerning eye",
        ),
        feature_clauses=_phrases(", led by {feature}", ", with an emphasis on {feature}"),
        total_clauses=_phrases(", together {total}", ", at {total} in total"),
        ctas={
            "playlist": ("Listen to the selection", "Begin listening"),
            "bundle": ("Explore the collection", "View the collection"),
            "list": ("Explore the edit", "Discover the edit"),
        },
        things={"playlist": "selection", "bundle": "collection", "list": "edit"},
        nouns={
            "playlist": ("piece", "pieces"),
            "bundle": ("piece", "pieces"),
            "list": ("piece", "pieces"),
        },
        end=".",
    ),
    "plain": VoiceBank(
        titles=_phrases(
            "{subject} {thing}",
            "{subject}: {count} {noun}",
            "{thing} for {subject}",
            "Your {thing}",
            "{count} {noun} for you",
            "Recommended {noun}",
        ),
        mains=_phrases(
            "{count} {noun} matching {subject}",
            "{count} {noun} selected for {subject}",
            "{count} {noun} selected for you",
        ),
        feature_clauses=_phrases(", mostly {feature}", ", including {feature}"),
        total_clauses=_phrases(", total {total}", ", {total} in total"),
        ctas={
            "playlist": ("Listen now", "Play"),
            "bundle": ("View bundle", "See items"),
            "list": ("View list", "See items"),
        },
        things={"playlist": "playlist", "bundle": "bundle", "list": "list"},
        nouns={
            "playlist": ("track", "tracks"),
            "bundle": ("item", "items"),
            "list": ("item", "items"),
        },
        end=".",
    ),
}


# --- facts from the answer ------------------------------------------------------------------------

# Redaction markers as capture may leave them ("[email]", "<phone>", "{card}"): never echoed.
_MARKER = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}")
# Belt and braces behind capture: anything still shaped like an address or a number run.
_PII_TOKEN = re.compile(r"\S*@\S*|\S*\d[\d\s().+-]{5,}\d\S*|https?://\S+|www\.\S+")
# Characters that end a sentence or would read as template syntax are dropped from echoed text.
_UNSAFE = re.compile(r"[^\w\s'&-]+")
_LEADING_FILLER = re.compile(
    r"^(?:"
    r"(?:i|we)\s*(?:'d|would|wanna|want|need)(?:\s+(?:like|love))?(?:\s+to)?"
    r"(?:\s+(?:hear|listen\s+to|get|buy|see|find|have|watch|read|try))?"
    r"|(?:i'?m|we're|i\s+am|we\s+are)\s+(?:looking|searching)\s+for|looking\s+for"
    r"|(?:give|show|find|get|play)\s+(?:me|us)|play|can\s+(?:i|we|you)\s+(?:get|have|find)"
    r"|please|some|something|anything|stuff"
    r")\b\s*",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset({"for", "with", "to", "of", "in", "on", "at", "by", "from"})
_JOINERS = _PREPOSITIONS | {"a", "an", "the", "and", "or", "but", "so", "while", "when"}
# A negation left last was cut from what it negated ("a quiet beach week, nothing too pricey"
# cut at five words): quoted, it would say the opposite of the person's words, or nothing.
_TRAILING_STOP = _JOINERS | {"my", "your", "our", "please", "no", "not", "nothing", "without"}


@lru_cache(maxsize=16384)
def shorten(
    text: str,
    max_chars: int = MAX_SUBJECT,
    max_words: int = MAX_SUBJECT_WORDS,
    *,
    strip_filler: bool = True,
) -> str:
    """Reduce text to a short phrase that can sit inside a title, or "" if nothing is left.

    Drops redaction markers and anything that still looks like contact details, punctuation,
    leading filler ("I want something ...", only for the person's free text: a brand's own label
    is kept as written) and trailing joiners ("... for the"), then cuts at a word boundary.
    """
    text = text.replace("\u2019", "'")
    text = _MARKER.sub(" ", text)
    text = _PII_TOKEN.sub(" ", text)
    text = _UNSAFE.sub(" ", text).replace("_", " ")
    text = " ".join(text.split())
    previous = None if strip_filler else text
    while previous != text:
        previous = text
        text = _LEADING_FILLER.sub("", text).strip()
    words: list[str] = []
    for word in text.split():
        if len(words) == max_words or len(" ".join([*words, word])) > max_chars:
            break
        words.append(word)
    while words and words[-1].lower() in _TRAILING_STOP:
        words.pop()
    return " ".join(words).strip("'-& ")


def _subject(answer: Answer, spec: ExperienceSpec) -> str:
    captured = answer.captured
    if captured is None:
        return ""
    if captured.choice_id:
        choice = spec.choice(captured.choice_id)
        if choice is not None:
            return shorten(choice.label, max_chars=MAX_SUBJECT + 12, strip_filler=False)
    if answer.input_flags:
        return ""  # the answer swore, tried an injection or touched a sensitive topic: no echo
    text = shorten(captured.text)
    words = text.lower().split()
    # "Your rainy day jazz mix" reads fine, "Your mellow for a sunday mix" does not: a longer
    # phrase, or one with joining words, is quoted as the person's own words.
    if len(words) >= 3 or any(w in _JOINERS for w in words):
        return f"\u201c{text}\u201d"
    return text


def _mood(answer: Answer, subject: str) -> str:
    if answer.intent is None:
        return ""
    for mood in answer.intent.moods:
        word = shorten(mood, max_chars=16, max_words=2, strip_filler=False).lower()
        # "Your chill Chill mix" reads as a bug; skip a mood the subject already says.
        if word and word not in subject.lower():
            return word
    return ""


def _values(value: object) -> list[str]:
    """Categorical values of one attribute; numbers and flags say nothing readable."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


@lru_cache(maxsize=8192)
def _feature_text(value: str) -> str | None:
    """The value as a feature may quote it, or None (remembered: result items repeat)."""
    if not value or len(value) > MAX_FEATURE:
        return None
    text = shorten(value, max_chars=MAX_FEATURE, max_words=3, strip_filler=False)
    if not text or text != " ".join(value.split()):
        return None  # a value that needs cutting or cleaning would misquote the item
    return text


def common_feature(
    items: Sequence[ResultItem],
    preferred: Mapping[str, list[str]],
    ignore: Collection[str] = (),
) -> str:
    """An attribute value most of the items share (a strict majority, two at minimum), or "".

    A strict majority keeps phrasings like "mostly jazz" true. A value the person asked for
    (``preferred``) wins over a merely frequent one; ties go to the most frequent, then
    alphabetically so the choice is stable. Attributes in ``ignore`` (those the experience's
    rules require, which every item shares by construction: "with track at its heart") are
    never the feature.
    """
    if len(items) < 2:
        return ""
    wanted = {(a, v.casefold()) for a, vs in preferred.items() for v in vs}
    counts: Counter[tuple[str, str]] = Counter()
    shown: dict[tuple[str, str], str] = {}
    for item in items:
        seen: set[tuple[str, str]] = set()
        for attr, raw in item.attributes.items():
            if attr in ignore:
                continue
            for value in _values(raw):
                text = _feature_text(value)
                if text is None:
                    continue
                key = (attr, text.casefold())
                if key not in seen:
                    seen.add(key)
                    counts[key] += 1
                    shown.setdefault(key, text)
    need = max(2, len(items) // 2 + 1)
    ranked = sorted(
        (k for k, n in counts.items() if n >= need),
        key=lambda k: (k not in wanted, -counts[k], k),
    )
    return shown[ranked[0]] if ranked else ""


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def _seed(answer: Answer, spec: ExperienceSpec) -> int:
    """Seed from what the person said, so the same answer always reads the same."""
    captured = answer.captured
    basis = ""
    if captured is not None:
        basis = captured.choice_id or " ".join(captured.text.casefold().split())
    if not basis:
        basis = f"user:{answer.user_id}" if answer.user_id else f"request:{answer.request_id}"
    # The variant stays out of the seed: an A/B test of ranking must not also vary the wording.
    key = "\x1f".join((spec.key, basis))
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


# --- the template copywriter ----------------------------------------------------------------------


def _first_upper(text: str) -> str:
    """Capitalise the first letter, looking past an opening quote."""
    for i, ch in enumerate(text):
        if ch.isalnum():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def _ordered(
    phrases: Sequence[Phrase], facts: Mapping[str, str], rng: random.Random, prefer: str
) -> list[Phrase]:
    """Usable phrases in a seeded order, those naming ``prefer`` (when known) first."""
    usable = [p for p in phrases if p.slots <= facts.keys()]
    first = [p for p in usable if prefer in p.slots] if prefer in facts else []
    rest = [p for p in usable if p not in first]
    rng.shuffle(first)
    rng.shuffle(rest)
    return first + rest


class TemplateCopywriter:
    """The default copywriter: seeded phrase banks per brand voice and output kind."""

    source = "template"

    def __init__(self, banks: Mapping[Voice, VoiceBank] = BANKS) -> None:
        self.banks = banks

    def facts(self, answer: Answer, spec: ExperienceSpec) -> dict[str, str]:
        """The grounded facts a phrase may use; a missing fact is simply absent."""
        kind: Kind = spec.output.kind
        bank = self.banks[spec.brand.voice]
        facts: dict[str, str] = {"thing": bank.things[kind]}
        subject = _subject(answer, spec)
        if subject:
            facts["subject"] = subject
        mood = _mood(answer, subject)
        if mood:
            facts["mood"] = mood
        n = len(answer.items)
        if n:
            facts["count"] = str(n)
            facts["noun"] = bank.nouns[kind][0 if n == 1 else 1]
        preferred = answer.intent.preferred if answer.intent is not None else {}
        feature = common_feature(answer.items, preferred, ignore=spec.rules.required.keys())
        if feature:
            facts["feature"] = feature
        if kind == "bundle" and answer.bundle_total is not None and n:
            facts["total"] = _money(answer.bundle_total)
        return facts

    def write(self, answer: Answer, spec: ExperienceSpec) -> CopyText:
        bank = self.banks[spec.brand.voice]
        facts = self.facts(answer, spec)
        rng = random.Random(_seed(answer, spec))
        return CopyText(
            title=self._title(bank, facts, rng, spec),
            description=self._description(bank, facts, rng, spec),
            cta=self._cta(bank, spec, rng),
            source=self.source,
        )

    def _title(
        self, bank: VoiceBank, facts: Mapping[str, str], rng: random.Random, spec: ExperienceSpec
    ) -> str:
        for phrase in _ordered(bank.titles, facts, rng, prefer="subject"):
            title = _first_upper(phrase.fill(facts))
            if len(title) <= MAX_TITLE:
                return title
        return spec.brand.safe_title

    def _description(
        self, bank: VoiceBank, facts: Mapping[str, str], rng: random.Random, spec: ExperienceSpec
    ) -> str:
        feature = rng.choice(bank.feature_clauses)
        total = rng.choice(bank.total_clauses)
        # Richest first; a clause whose fact is unknown is left out, and clauses are dropped when
        # the sentence would run over the limit (the total matters more than the feature).
        tails = [(feature, total), (None, total), (feature, None), (None, None)]
        for main in _ordered(bank.mains, facts, rng, prefer="subject"):
            for clauses in tails:
                if any(c is not None and not c.slots <= facts.keys() for c in clauses):
                    continue
                text = main.fill(facts) + "".join(c.fill(facts) for c in clauses if c) + bank.end
                text = _first_upper(text)
                if len(text) <= MAX_DESCRIPTION:
                    return text
        return spec.brand.safe_description

    def _cta(self, bank: VoiceBank, spec: ExperienceSpec, rng: random.Random) -> str:
        fits = [c for c in bank.ctas[spec.output.kind] if len(c) <= MAX_CTA]
        return rng.choice(fits) if fits else spec.brand.cta


DEFAULT_COPYWRITER: Copywriter = TemplateCopywriter()


def run(answer: Answer, spec: ExperienceSpec, copywriter: Copywriter | None = None) -> None:
    """Set ``answer.copy``; the runner may pass another copywriter, the template one is default."""
    answer.copy = (copywriter or DEFAULT_COPYWRITER).write(answer, spec)
