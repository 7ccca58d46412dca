"""Understand: turn the answer into an intent expressed in the catalog's own vocabulary.

The grammar of constraints is English and generic (a negation word before a phrase, a currency
amount after "under", a decade like "90s"; refusals have a module of their own, ``refusals``, as
years do, ``years``); *what* a phrase refers to is never looked up in a word list. A phrase is
mapped to the catalog's attribute values (its genres, moods, categories...) by stemmed exact
match first and, failing that, by embedding similarity between the phrase and the value names.
So "nothing animated" finds ``genres: Animation`` in a film catalog and "no jazz" finds ``genre:
Jazz`` in a music one, with no per-dataset code.

Hard constraints (negations, explicit value mentions, numeric ranges) go to ``required`` /
``excluded`` / ``numeric_*``. A word that *implies* one value clearly ("dramatic" -> Drama,
"no love stories" -> not Romance) counts as naming it (``Vocabulary.implied``); a word merely
close in meaning to a value ("creepy" -> Horror, but Mystery is close too), or one that stands
out for a value only against the catalog's own words ("futuristic" -> Sci-Fi), becomes a soft
``preferred`` value (such a word is required when the answer also sets limits: a year, a
price, a refusal), and the semantic drift of the whole answer towards attribute values
("make me laugh" -> Comedy) is left to the rank stage as a soft signal. No reading of a word
stands that the catalog's own use of it contradicts ("people" is near Children for the encoder;
the catalog's many titles with "people" are not children's films: ``Vocabulary.used_against``).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Literal

import numpy as np

from tastemaker import lexicon
from tastemaker.catalog import Catalog, Memo, tokens
from tastemaker.encoders import Encoder, knows_word
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline import refusals
from tastemaker.pipeline.vocabulary import STOPWORDS, Match, Vocabulary, vocabulary_for
from tastemaker.pipeline.years import parse_years
from tastemaker.types import Answer, Intent

# Share of an unknown word that the known word it starts with must cover to stand for it
# (``_known_stem``: "suspenseful" -> "suspense", but not "tearjerker" -> "tear").
STEM_MIN_SHARE = 0.6
# How many of a word's senses in the dictionary may speak for it, most frequent first.
LEXICON_SENSES = 3
# Similarity needed to map a negated phrase to an attribute value it does not spell out.
NEGATION_MIN_SIMILARITY = 0.45
# Stop words only as verbs that glue a request together ("I'd love a comedy", "play something");
# after an article or a preposition they are nouns that can carry one ("a love story", "a road
# play", "falling in love", "a film about love").
_GLUE_VERBS = frozenset(["love", "like", "play", "look", "kind", "sort", "type"])
_BEFORE_A_NOUN = frozenset(
    ["a", "an", "the", "some", "any", "in", "about", "of", "into", "with", "without", "on", "for"]
)
# Stop words that say what kind of item is asked for in a music catalog, but may stand out for a
# value in a catalog of another kind ("burst into song" in a film catalog: Musical), which
# ``Vocabulary.implied`` measures; such a reading only prefers, like a mere closeness.
_KIND_NOUNS = frozenset(["song", "songs", "music"])
# What a word or a short phrase reads as, per snapshot (``reading``): the words people use repeat
# far more than whole answers do, and a reading costs a product per facet and a look at the
# catalog's own use of the words. It holds answer words, so an erasure empties it
# (privacy.clear_text_caches).
READINGS = Memo(size=16384)
Role = Literal["word", "phrase", "kind", "refused"]  # what a text is read as: see ``reading``
# Words joined by hyphens read as one ("song-and-dance", "edge-of-your-seat").
_COMPOUND = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b", re.IGNORECASE)
_CURRENCY = r"(?:[$€£¥]|usd|eur|gbp)"
_AMOUNT = rf"(?:{_CURRENCY}\s?(?P<a1>\d+(?:[.,]\d+)?)|(?P<a2>\d+(?:[.,]\d+)?)\s?(?:{_CURRENCY}|dollars?|bucks|euros?|pounds?))"  # noqa: E501
_PRICE_MAX = re.compile(
    rf"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|within|budget(?: of| is)?|for)\s+{_AMOUNT}",  # noqa: E501
    re.IGNORECASE,
)
_PRICE_MIN = re.compile(
    rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+{_AMOUNT}", re.IGNORECASE
)
_PRICE_RANGE = re.compile(
    rf"(?:between\s+)?{_CURRENCY}?\s?(?P<lo>\d+)\s?(?:-|–|to|and)\s?{_CURRENCY}\s?(?P<hi>\d+)",
    re.IGNORECASE,
)
# "nothin' newer than 2004", "somethin' funny": the dropped g of casual writing, put back so that
# the grammars of refusals and years read the word they know.
_DROPPED_G = re.compile(r"\b(noth|someth|anyth|everyth)in(?:'|’)?(?!\w)", re.IGNORECASE)
_AUDIENCE = re.compile(r"\bfor\s+(?:my\s+|the\s+|our\s+|a\s+|little\s+)*(?P<who>[a-z]+)", re.I)


def _price_attribute(catalog: Catalog) -> str | None:
    return "price" if "price" in catalog.numeric else None


def _amount(m: re.Match[str]) -> float:
    raw = m.group("a1") or m.group("a2")
    return float(raw.replace(",", "."))


def _cut(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _century(catalog: Catalog, year: str, decade: int) -> int:
    """A two-digit decade ("'10s") in the century where the catalog has more items of it.

    "the 10s" of a film catalog are the 2010s; of a catalog of old prints, the 1910s. The
    catalog's own years decide, not a fixed cut-off.
    """
    col = catalog.numeric[year]
    counts = [
        int(np.count_nonzero((col >= c + decade) & (col <= c + decade + 9))) for c in (1900, 2000)
    ]
    return 2000 + decade if counts[1] > counts[0] else 1900 + decade


def parse_numeric(text: str, intent: Intent, catalog: Catalog, *, bundle: bool) -> str:
    """Price and year constraints; returns the text with the parsed spans blanked out."""
    price = _price_attribute(catalog)
    year = vocabulary_for(catalog).year_attribute
    if price or bundle:
        for m in list(_PRICE_MAX.finditer(text)):
            amount = _amount(m)
            # For a bundle, "under $40" is what the whole bundle may cost, unless the person
            # says it is per item ("under $10 each").
            per_item = re.match(r"\s*(?:each|apiece|per (?:item|piece|product))\b", text[m.end() :])
            if bundle and not per_item:
                intent.budget = amount
                intent.notes.append(f"budget {amount:g}")
            elif price:
                intent.numeric_max[price] = amount
                intent.notes.append(f"{price} <= {amount:g}")
            text = _cut(text, m.span())
        for m in list(_PRICE_MIN.finditer(text)):
            if price:
                intent.numeric_min[price] = _amount(m)
                intent.notes.append(f"{price} >= {_amount(m):g}")
            text = _cut(text, m.span())
    if year is None:
        return text
    span = parse_years(text, lambda decade: _century(catalog, year, decade))
    text = span.text
    lo = None if span.lo is None else float(span.lo)
    hi = None if span.hi is None else float(span.hi)
    if lo is not None:
        intent.numeric_min[year] = max(lo, intent.numeric_min.get(year, lo))
    if hi is not None:
        intent.numeric_max[year] = min(hi, intent.numeric_max.get(year, hi))
    if lo is not None or hi is not None:
        intent.notes.append(
            f"{year} {'' if lo is None else f'>= {lo:g}'}"
            f"{' and ' if lo is not None and hi is not None else ''}"
            f"{'' if hi is None else f'<= {hi:g}'}"
        )
    return text


def parse_negations(text: str, intent: Intent, vocab: Vocabulary, encoder: Encoder) -> str:
    """Negated phrases become exclusions; returns the text without them."""
    for refusal in refusals.find(text, vocab):
        start, end, phrase = refusal.start, refusal.end, refusal.phrase
        ahead, behind = refusal.ahead, refusal.behind
        matches = vocab.exact(phrase)
        rest = ""
        if not matches and behind is not None:
            matches = _refused(vocab, encoder, phrase)
        if not matches and behind is not None:
            # A verdict refuses the whole of what stands before it in its clause ("long
            # journeys into the unknown, hard no") when its last words alone say nothing.
            rest, start = refusals.scope_back(text, behind, vocab)
            described = f"{rest} {phrase}"
        elif not matches and ahead is not None:
            rest, scope_end = refusals.scope(text, ahead, vocab)
            described = f"{phrase} {rest}"
        if not matches and tokens(rest):
            # A refusal that describes what it refuses runs on to the end (or from the start)
            # of its clause ("no stories about people falling in love"): read whole first,
            # then by its firmest word, which need not come first ("people" is near
            # Children). All of it is refused, read or not: "laugh" in "no films that try to
            # make you laugh" must not be left to be asked for.
            whole = " ".join(w for w in tokens(described) if w not in STOPWORDS)
            hit = reading(vocab, encoder, whole, "refused") if whole else None
            matches = [hit] if hit is not None else _refused(vocab, encoder, described, best=True)
            if ahead is not None:
                end = scope_end
        elif not matches:
            matches = _refused(vocab, encoder, phrase)
        for hit in matches:
            vals = intent.excluded.setdefault(hit.attribute, [])
            if hit.value not in vals:
                vals.append(hit.value)
                intent.notes.append(f"not {hit.attribute} {hit.value}")
        # Cut even when no value matched: what the person does not want ("no gore") must not
        # be embedded with the rest of the answer as if they wanted it.
        text = _cut(text, (start, end))
    return text


def _refused(
    vocab: Vocabulary, encoder: Encoder, phrase: str, *, best: bool = False
) -> list[Match]:
    """What a refused phrase that names no value outright reads as (at most one value).

    The phrase is tried whole, then its words alone, first one first ("horror films please"
    -> "horror"), then the others ("jump scares" -> "scares": the head of an English noun
    phrase comes last): a value close in name, or one the words imply. After a negation a
    word that glues requests elsewhere is one that may be refused ("I'd love a..." but "no
    love stories", "keep the sappy love plots out"); a word for an item never is ("no
    movies" is near Comedy's name). With ``best``, every word is read and the firmest,
    closest reading wins: in a description of what is refused ("stories about people
    falling in love") the word that carries it need not come first.
    """
    raw = tokens(phrase)
    words = [w for w in raw if w not in STOPWORDS]
    nouns = [w for w in raw if w not in STOPWORDS or w in _GLUE_VERBS]
    found: list[Match] = []
    for candidate in dict.fromkeys([" ".join(words), *(words[:1]), *nouns]):
        if candidate and (hit := reading(vocab, encoder, candidate, "refused")) is not None:
            if not best:
                return [hit]
            found.append(hit)
    if not found:
        return []
    return [max(found, key=lambda hit: (hit.how != "standout", hit.similarity))]


def parse_mentions(text: str, intent: Intent, vocab: Vocabulary) -> None:
    """Attribute values named outright ("a comedy", "jazz") become hard requirements."""
    for hit in vocab.exact(text):
        if hit.value in intent.excluded.get(hit.attribute, []):
            continue
        vals = intent.required.setdefault(hit.attribute, [])
        if hit.value not in vals:
            vals.append(hit.value)
            intent.asked.setdefault(hit.attribute, []).append(hit.value)
            intent.notes.append(f"{hit.attribute} {hit.value}")
    if m := _AUDIENCE.search(text):
        intent.audience = m.group("who").lower()


def parse_words(text: str, intent: Intent, vocab: Vocabulary, encoder: Encoder) -> None:
    """Words and short phrases that mean a value without naming it ("dramatic", "wild west").

    The answer's embedding as a whole drifts towards one value at most; "something dramatic
    with plenty of laughs" means two. So the remaining words are weighed on their own: first
    the compounds ("song-and-dance") and pairs of neighbouring words ("fairy tale", "love
    story"), whose meaning is more than their words', then each word left. One that clearly
    implies one value (``Vocabulary.implied``: "dramatic" -> Drama) counts as naming it and
    becomes a requirement, like "a drama" would. One that only stands out for a value
    against the catalog's words ("futuristic" -> Sci-Fi), or a single word as close to a
    value as a negated phrase must be but with a rival reading ("creepy": Horror or Mystery),
    becomes a soft preference, which never filters: a wrong guess there costs ranking, never
    the result. Unless the answer also sets limits (a year, a price, a refusal: parsed before
    this): then it describes what must fit, and a standout or close reading is a requirement
    too ("a cartoon from the 90s" asks for 90s animation; "a cartoon" only leans to it).
    """
    raw = tokens(text)
    content = _content(raw)
    phrases = [m.group(0).lower() for m in _COMPOUND.finditer(text)]
    for clause in refusals.CLAUSE.split(text):  # "witty, Michael Cera": no pair across the comma
        ws = tokens(clause)
        keep = _content(ws)
        phrases += [f"{ws[i]} {ws[i + 1]}" for i in range(len(ws) - 1) if keep[i] and keep[i + 1]]
    readings: dict[str, Match | None] = {}
    for word in dict.fromkeys(w for w, keep in zip(raw, content, strict=True) if keep):
        if not vocab.exact(word):  # a value named outright is parse_mentions' to take
            readings[word] = reading(vocab, encoder, word, "word")
    for word in dict.fromkeys(w for w in raw if w in _KIND_NOUNS and not vocab.exact(w)):
        readings[word] = reading(vocab, encoder, word, "kind")
    # An answer that sets limits ("..., from the 80s, no horror") asks for what fits them; what
    # its words clearly stand out for is then part of that request, not a leaning.
    limited = bool(intent.excluded or intent.numeric_min or intent.numeric_max)
    used: set[str] = set()
    for phrase in dict.fromkeys(phrases):
        parts = tokens(phrase)
        if used.intersection(parts) or vocab.exact(phrase):
            continue  # overlaps a phrase already read, or names a value: parse_mentions has it
        hit = reading(vocab, encoder, phrase, "phrase")
        # A phrase is read as one unless one of its words alone says more: "real scares" only
        # stands out for Horror, while "scares" alone implies it.
        if hit is None or any(_strength(readings.get(w)) > _strength(hit) for w in parts):
            continue
        if _take(intent, _firm(hit, limited), phrase):
            used.update(parts)
    for word, hit in readings.items():
        if hit is not None and word not in used:
            _take(intent, _firm(hit, limited), word)


def reading(vocab: Vocabulary, encoder: Encoder, text: str, role: Role) -> Match | None:
    """What ``text`` (a word or a short phrase) reads as in ``role``, remembered per snapshot
    (``READINGS``): the same words always read the same against the same catalog.

    Roles: ``"word"``, a word alone (an implication, a standout or a close name); ``"phrase"``,
    a pair or a compound (an implication or a standout only); ``"kind"``, a kind noun's
    implication, which never binds; ``"refused"``, what a negation refuses (a close name
    first). A reading the catalog's own use of the words contradicts is none
    (``Vocabulary.used_against``).
    """
    catalog = vocab.catalog
    key = (catalog.uid, id(encoder), role, text)
    found: Match | None = READINGS.get(key, lambda: _reading(vocab, encoder, text, role))
    return found


def _known_stem(encoder: Encoder, word: str) -> str | None:
    """The known word a word the encoder does not know is built on, if any: "suspenseful" ->
    "suspense", "jokey" -> "joke", "stressful" -> "stress".

    The encoder cuts such a word into its first piece and a suffix, and averages them, which
    dilutes what the first piece says ("suspenseful" lands between Thriller, Drama and
    Romance). When that reads as nothing, the longest start of the word that the encoder
    knows as a word of its own and that covers most of it (``STEM_MIN_SHARE``, at least four
    letters) is what it means. No list of suffixes: the encoder's vocabulary decides.
    """
    if not _unknown(encoder, word):
        return None
    least = max(4, math.ceil(STEM_MIN_SHARE * len(word)))
    for end in range(len(word) - 1, least - 1, -1):
        if word[:end] not in STOPWORDS and knows_word(encoder, word[:end]):
            return word[:end]
    return None


def _unknown(encoder: Encoder, word: str) -> bool:
    """Whether ``word`` is a word of letters the encoder says it does not know (it cuts it into
    pieces); an encoder that cannot tell knows every word."""
    return word.isalpha() and knows_word(encoder, word) is False


def _reading(vocab: Vocabulary, encoder: Encoder, text: str, role: Role) -> Match | None:
    senses = _senses(encoder, text) if role != "kind" else []
    if (named := _synonym_named(vocab, text, senses)) is not None:
        return named
    hit = _read_as_is(vocab, encoder, text, role)
    if hit is not None or role == "kind":
        return hit
    for sense in senses:
        others = [w for w in sense.words if w.lower() != text.lower()]
        hit = _read_as_is(vocab, encoder, "; ".join([*others, sense.gloss]), role)
        if hit is not None:
            return hit
    if role == "phrase":
        return None
    if (known := _known_stem(encoder, text)) is not None:
        return reading(vocab, encoder, known, role)
    return vocab.derived(text, encoder.encode([text])[0])


def _senses(encoder: Encoder, text: str) -> list[lexicon.Sense]:
    """The senses the language's dictionary (``tastemaker.lexicon``) gives a word the encoder
    does not know, or a fixed expression of several words ("horse opera"), most frequent first
    (``LEXICON_SENSES`` of them, so that a rare sense seldom speaks for the word).

    The encoder places an unknown word by its pieces ("whodunit" near nothing, "tearjerker"
    near tears) and an expression by its words ("horse opera" near Musical); WordNet knows
    what they mean. A word the encoder knows keeps its own reading, right or wrong: the
    dictionary does not know what a word is used for in this catalog, the encoder has seen it
    used.
    """
    if " " not in text and not _unknown(encoder, text):
        return []
    wordnet = lexicon.wordnet()
    return [] if wordnet is None else wordnet.senses(text)[:LEXICON_SENSES]


def _synonym_named(vocab: Vocabulary, text: str, senses: list[lexicon.Sense]) -> Match | None:
    """A value the dictionary gives as a synonym of ``text``, named outright: "whodunit" is a
    "mystery", "horse opera" a "Western". That settles it, as naming the value would; a
    synonym naming several values ("comedy drama") settles nothing."""
    for sense in senses:
        for synonym in sense.words:
            if synonym.lower() != text.lower() and len(named := vocab.exact(synonym)) == 1:
                return replace(named[0], how="implied")
    return None


def _read_as_is(vocab: Vocabulary, encoder: Encoder, text: str, role: Role) -> Match | None:
    vec = encoder.encode([text])[0]
    if role == "refused":
        return vocab.similar(vec, NEGATION_MIN_SIMILARITY) or vocab.implied(vec)
    if role == "kind":
        kind = vocab.implied(vec)
        return None if kind is None else replace(kind, how="kind")
    hit = vocab.implied(vec)
    if hit is None and role == "word":
        hit = vocab.similar(vec, NEGATION_MIN_SIMILARITY)
    return None if hit is None or vocab.used_against(text, hit) else hit


def _content(words: list[str]) -> list[bool]:
    """Which words may carry a request on their own: not numbers, not glue, except a glue verb
    after an article or a preposition, which is a noun there ("a love story", "in love")."""
    return [
        not w.isdigit()
        and (w not in STOPWORDS or (w in _GLUE_VERBS and i > 0 and words[i - 1] in _BEFORE_A_NOUN))
        for i, w in enumerate(words)
    ]


def _firm(hit: Match, limited: bool) -> Match:
    """A standout or close reading of an answer that sets limits binds like an implication
    (a kind noun's reading never binds: "songs" in a film catalog only leans to Musical)."""
    firm = limited and hit.how in ("standout", "similar")
    return replace(hit, how="implied") if firm else hit


def _strength(hit: Match | None) -> int:
    """How firmly a reading binds: an implication (a requirement) over a preference."""
    return 0 if hit is None else 2 if hit.how == "implied" else 1


def _take(intent: Intent, hit: Match, words: str) -> bool:
    """Record what ``words`` mean unless the person excluded it; True if recorded.

    A clear implication is a requirement; a standout or a mere closeness a preference."""
    if hit.value in intent.excluded.get(hit.attribute, []):
        return False
    if hit.how == "implied":
        vals = intent.required.setdefault(hit.attribute, [])
        if hit.value not in vals:
            vals.append(hit.value)
            intent.asked.setdefault(hit.attribute, []).append(hit.value)
            intent.notes.append(f"{hit.attribute} {hit.value} ({words})")
        preferred = intent.preferred.get(hit.attribute, [])
        if hit.value in preferred:  # required now: a preference for it would add nothing
            preferred.remove(hit.value)
            if not preferred:
                del intent.preferred[hit.attribute]
        return True
    vals = intent.preferred.get(hit.attribute, [])
    if hit.value not in vals and hit.value not in intent.required.get(hit.attribute, []):
        intent.preferred[hit.attribute] = [*vals, hit.value]
        intent.notes.append(f"{hit.attribute} {hit.value}? ({words})")
    return True


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog, encoder: Encoder) -> None:
    """Sets ``answer.intent`` from the captured answer and the chosen option's declared intent."""
    assert answer.captured is not None, "capture runs first"
    intent = Intent(text="")
    parts: list[str] = []
    choice = spec.choice(answer.captured.choice_id) if answer.captured.choice_id else None
    if choice is not None:
        ci = choice.intent
        parts.append(ci.text or choice.label)
        intent.moods = list(ci.moods)
        intent.preferred = {k: list(v) for k, v in ci.attributes.items()}
        intent.required = {k: list(v) for k, v in ci.required.items()}
        intent.excluded = {k: list(v) for k, v in ci.excluded.items()}
        intent.numeric_min = dict(ci.numeric_min)
        intent.numeric_max = dict(ci.numeric_max)
        intent.notes.append(f"chose {choice.label}")
    text = answer.captured.text
    if text:
        vocab = vocabulary_for(catalog)
        text = _DROPPED_G.sub(r"\1ing", text)
        text, fixes = vocab.respell(
            text, lambda word: knows_word(encoder, word), lambda word: encoder.encode([word])[0]
        )
        intent.notes.extend(f"read {word!r} as {value}" for word, value in fixes)
        rest = parse_numeric(text, intent, catalog, bundle=spec.output.kind == "bundle")
        rest = parse_negations(rest, intent, vocab, encoder)
        parse_mentions(rest, intent, vocab)
        parse_words(rest, intent, vocab, encoder)
        rest = " ".join(rest.split())
        # What is left once the constraints are cut out may be only glue ("a movie from the"):
        # embedded, it would point at some value by chance and steer the ranking with it.
        if any(t not in STOPWORDS and not t.isdigit() for t in tokens(rest)):
            parts.append(rest)
    if intent.budget is None and spec.output.kind == "bundle":
        intent.budget = spec.output.budget
    for mood in intent.moods:
        if mood.lower() not in " ".join(parts).lower():
            parts.append(mood)
    intent.text = ". ".join(p for p in parts if p)
    intent.terms = [t for t in tokens(intent.text) if t not in STOPWORDS]
    if intent.text:
        intent.vector = encoder.encode([intent.text])[0]
    answer.intent = intent
