"""Understand: turn the answer into an intent expressed in the catalog's own vocabulary.

The grammar of constraints is English and generic (a negation word before a phrase, a currency
amount after "under", a decade like "90s"); *what* a phrase refers to is never looked up in a word
list. A phrase is mapped to the catalog's attribute values (its genres, moods, categories...) by
stemmed exact match first and, failing that, by embedding similarity between the phrase and the
value names. So "nothing animated" finds ``genres: Animation`` in a film catalog and "no jazz" finds
``genre: Jazz`` in a music one, with no per-dataset code.

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

from tastemaker.catalog import Catalog, Memo, tokens
from tastemaker.encoders import Encoder, knows_word
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.vocabulary import STOPWORDS, Match, Vocabulary, vocabulary_for
from tastemaker.pipeline.years import parse_years
from tastemaker.types import Answer, Intent

# Share of an unknown word that the known word it starts with must cover to stand for it
# (``_known_stem``: "suspenseful" -> "suspense", but not "tearjerker" -> "tear").
STEM_MIN_SHARE = 0.6
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
# Longer phrases first: "not after laughs" must not read as "not" + "after laughs".
_NEG_PHRASES = (
    r"(?:i'?m\s+|i\s+am\s+)?not\s+(?:after|into|in\s+the\s+mood\s+for|looking\s+for|up\s+for"
    r"|interested\s+in|a\s+fan\s+of|feeling)",
    r"keep\s+(?:it\s+|them\s+)?(?:free\s+of|away\s+from|clear\s+of)",
    r"steer\s+clear\s+of",
    r"stay\s+away\s+from",
    r"go\s+easy\s+on",
    r"spare\s+me",
    r"leave\s+out",
    r"hold\s+off\s+on",
    r"free\s+of",
    r"rather\s+not\s+(?:have|see|watch|get)",
    r"(?:i\s+|we\s+)?(?:hate|dislike|detest|loathe|can'?t\s+stand|cannot\s+stand)",
    r"(?:hates|dislikes|detests|loathes|can'?t\s+stand|cannot\s+stand)",
    r"(?:i\s+|we\s+)?(?:can'?t|cannot|could\s?n'?t)\s+(?:do|handle|take|deal\s+with|bear|face)",
    r"(?:i'?m\s+|i\s+am\s+|we'?re\s+)?(?:tired|sick)\s+of",
    r"(?:i'?m\s+|i\s+am\s+|we'?re\s+)(?:so\s+|really\s+|totally\s+|completely\s+)?"
    r"(?:done|over|finished)\s+with",
    r"(?:(?:i'?ll|we'?ll|i'?d|we'?d)\s+)?(?:(?:a\s+)?hard\s+)?pass\s+on",
    r"(?:don'?t|do\s+not)\s+(?:show|give|send|recommend|offer|pick|choose|suggest|put\s+on"
    r"|include|bring)(?:\s+(?:me|us))?",
    # "it can't be a crime movie", "it shouldn't be animated", "it mustn't be a drama"
    r"(?:it|this|that|they)?\s*(?:can'?t|cannot|shouldn'?t|should\s+not|mustn'?t|must\s+not"
    r"|won'?t|better\s+not)\s+be",
    r"(?:don'?t|do\s+not|doesn'?t|does\s+not|never)\s+(?:really\s+|much\s+|particularly\s+|really\s+much\s+)?"
    r"(?:like|love|enjoy|care\s+for|dig|fancy|go\s+for)",
    r"not\s+(?:big|keen|crazy|wild|mad)\s+(?:on|about)",
    r"other\s+than",
    r"(?:nope|no)\s+to",
    r"(?:i'?m|i\s+am|we'?re|we\s+are)\s+allergic\s+to",
    r"(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:so|really|totally|completely)\s+over",
    r"let'?s\s+not\s+(?:do|have|watch|go\s+for|go\s+with|pick)",
    r"count\s+(?:me|us)\s+out\s+(?:of|on)",
    r"veto(?:e?s|ed)?",
    r"(?:i'?ve|i\s+have|we'?ve|we\s+have)\s+had\s+(?:enough|it|my\s+fill|our\s+fill)\s+(?:of|with)",
    r"(?:filter|cut|rule|take|strike|cross)\s+out",
    r"(?:isn'?t|is\s+not|aren'?t|are\s+not)",
)
_NEG_WORDS = (
    r"(?:"
    + "|".join(_NEG_PHRASES)
    + r"|no|not|non|nothing|never|without|avoid|avoiding|except|exclude|excluding|minus|skip"
    + r"|hold|zero|nix|ditch"
    + r"|anything but|none of|rather than|instead of|don'?t want|do not want|nor)"
)
# What may stand between a negation and what it refuses: "not something made for children",
# "nothing that's aimed at kids", "no more of the gore", "nothing with a ton of fighting",
# "nothing that's trying to be funny", "nothing about a long journey", "no movies with talking
# animals". English function words and the words for an item only: the refused phrase is what
# follows them.
_NEG_FILLER = (
    r"(?:\s+(?:a|an|the|any|more|too|too much|much|of the|something|anything|stuff|one|ones"
    r"|another|other"
    r"|(?:(?:that|which)(?:'s|’s|\s+is|\s+was)?\s+)?(?:made|meant|aimed|intended)\s+(?:for|at)"
    r"|(?:that|which|who)(?:'s|’s|\s+is|\s+are|\s+was|\s+has|\s+have)?"
    r"|(?:that|which|who)(?:'ll|’ll|'d|’d|\s+will|\s+would|\s+might|\s+could)"
    r"(?:\s+(?:give|make|get|leave|keep|have|send)\s+(?:me|us|you|them))?"
    r"|(?:trying|tries|meant|supposed)\s+to\s+be"
    r"|with|about|involving|featuring|containing|including|having|where"
    r"|(?:movies?|films?|shows?|songs?|tracks?|items?|things?)"
    r"(?=\s+(?:with|about|that|which|where|involving|featuring|containing|including"
    r"|(?:made|meant|aimed|intended)\s+(?:for|at))\b)"
    r"|(?:ton|tons|lot|lots|load|loads|bunch|plenty)\s+of|full\s+of|heavy\s+on"
    r"|overly|very|really|super|so|all|many|(?:even\s+)?(?:close\s+to|remotely\s+like|like)"
    r"|for))*"
)
_NEG = re.compile(
    rf"(?:(?<=\W)|^){_NEG_WORDS}\b{_NEG_FILLER}\s+"
    r"(?P<phrase>[\w'-]+(?:\s+(?!(?:and|or|but|from|with|in|for|made|set|that|please|after|before|between|since|under|over)\b)[\w'-]+){0,2})",
    re.IGNORECASE,
)
# A negation's scope runs over a list: "no horror or gore", "nothing scary, romantic or sad".
# After "and" only a value named outright is taken ("no westerns and musicals"); "no horror and
# a comedy" or "no gore and something funny" go on to ask for something.
_NEG_MORE = re.compile(
    r"\s*,?\s*(?P<conj>or|nor|and)\s+(?:no\s+|any\s+|the\s+)?"
    r"(?!(?:a|an|some|something|anything|one)\b)"
    r"(?P<phrase>[\w'-]+(?:\s+(?!(?:and|or|nor|but|from|with|in|for|made|set|that|please|after|before|between|since|under|over)\b)[\w'-]+)?)",
    re.IGNORECASE,
)
# "keep crime out of it": the negated phrase sits inside the construction.
_KEEP_OUT = re.compile(
    r"\bkeep\s+(?:the\s+|any\s+|all\s+)?(?P<word>[\w'-]+(?:\s+[\w'-]+){0,2})\s+out\b"
    r"(?:\s+of\s+(?:it|this|that|there|the\s+\w+))?",
    re.IGNORECASE,
)
# Refusals after what they refuse: "horror is a no", "musicals are off the table", "horror?
# no thanks", "westerns are not for me", "crime films: hard no", "thrillers not so much",
# "sci-fi stuff, not tonight", "crime, I'll pass", "musicals won't fly", "if it's animated,
# skip it". A verdict with no object of its own refuses what stands before it.
_NP = r"[\w'-]+(?:\s+[\w'-]+)?"
_MY_THING = r"(?:my|our)\s+(?:thing|cup\s+of\s+tea|jam|scene|bag|style)"
_VERDICT_AFTER_BE = (
    r"a\s+no(?:-go)?|a\s+(?:hard\s+)?pass|off\s+the\s+table|out\s+of\s+the\s+question"
    r"|out\b(?!\s+(?:of|there|here|now))|where\s+(?:i|we)\s+draw\s+the\s+line|no\b(?!\s+\w)"
    rf"|(?:really\s+|just\s+)?not\s+(?:really\s+)?{_MY_THING}"
)
_VERDICT = (
    rf"(?:isn'?t|aren'?t)\s+(?:really\s+)?{_MY_THING}"
    r"|not\s+(?:welcome|allowed|wanted|permitted|an\s+option|happening|tonight|tonite|today|now"
    r"|this\s+time|so\s+much|please|thanks|for\s+(?:me|us))"
    r"|(?:strictly\s+)?off[-\s]limits|banned|out\s+of\s+the\s+question|need\s+not\s+apply"
    r"|won'?t\s+(?:fly|work|cut\s+it)|can\s+(?:wait|stay\s+on\s+the\s+shelf)"
    r"|(?:definitely\s+|strictly\s+)?off\s+the\s+(?:list|menu|table)"
    r"|(?:please\s+|pls\s+)?leave\s+(?:(?:it|them)\s+)?out\b"
    r"|gives?\s+(?:me|us)\s+the\s+ick"
    r"|(?:absolutely|definitely|certainly|totally)\s+not\b"
)
_VERDICT_AFTER_A_BREAK = (
    r"(?:(?:i'?ll|we'?ll|i'?d|we'?d)\s+)?pass\b(?!\s+(?:on|the|me|us))|nah\b(?!\s+to\b)"
    r"|(?:no|skip)\b(?=\s*(?:[.!,;:)]|$))|(?:so\s+)?skip\s+(?:it|that|them|those|'em)\b"
)
# Verdicts that need no break before them: "anything to laugh at nope".
# ("nope to X" refuses what follows it.)
_VERDICT_ALONE = (
    r"no\s+thanks?\b(?!\s+to\b)|(?:a\s+)?hard\s+(?:no|pass)\b|no\s+way\b|nope\b(?!\s+to\b)"
)
# What is refused put first, its verb left without an object: "crime movies I can't deal
# with.", "dramas I've seen enough of".
_FRONTED = (
    r"(?:i|we)\s+(?:really\s+|just\s+)?(?:don'?t|do\s+not)\s+(?:really\s+)?(?:want|like|need"
    r"|fancy|enjoy)|(?:i|we)\s+(?:really\s+|just\s+)?(?:can'?t|cannot)\s+(?:deal\s+with|stand"
    r"|handle|take|do)|(?:i'?ve|we'?ve|i\s+have|we\s+have)\s+(?:seen|had)\s+enough\s+of"
    r"|(?:i|we)\s+(?:really\s+)?(?:hate|dislike|detest)"
)
_REFUSED = re.compile(
    rf"\b(?P<word>{_NP})\s+(?:really\s+|just\s+)?(?:(?:is|are|'s|'re)\s+|=\s*)"
    rf"(?:strictly\s+|absolutely\s+|definitely\s+|totally\s+)?(?:{_VERDICT_AFTER_BE}|{_VERDICT})"
    rf"|\b(?P<word2>{_NP})\s*(?:[,:=]|\.{{2,}}|…|\s-+)?\s*(?:really\s+)?(?:{_VERDICT})\b"
    rf"|\b(?P<word3>{_NP}(?:\s+(?:and|or)\s+{_NP})?)"
    r"\s*(?:[?!:=,]|\.{2,}|…|\s-+)\s*"
    rf"(?:{_VERDICT_AFTER_A_BREAK}|{_VERDICT_ALONE})"
    rf"|\b(?P<word5>{_NP}(?:\s+(?:and|or)\s+{_NP})?)\s+(?:{_VERDICT_ALONE})"
    rf"|\b(?P<word6>{_NP})\s+(?:{_FRONTED})(?=\s*(?:[.!?,;:)]|$))"
    r"|\bif\s+(?:it'?s|it\s+is|they'?re|there'?s|it\s+has)\s+(?:a\s+|an\s+|any\s+)?"
    rf"(?P<word4>{_NP})\s*,?\s*(?:skip|pass\s+on|forget|avoid|ditch)\s+(?:it|that|them)\b",
    re.IGNORECASE,
)
# Words that end a refusal's scope (``_scope``): another request, or a phrase of another kind.
_SCOPE_ENDS = frozenset(
    [
        "but",
        "and",
        "or",
        "nor",
        "though",
        "although",
        "yet",
        "just",
        "only",
        "instead",
        "rather",
        "please",
        "pls",
        "plz",
        "give",
        "show",
        "find",
        "recommend",
        "suggest",
        "want",
        "need",
        "something",
        "i",
        "i'd",
        "i'm",
        "we",
        "we'd",
        "we're",
        "looking",
        "can",
        "could",
        "would",
        "maybe",
        "also",
    ]
)
_DETERMINERS = frozenset(["the", "a", "an", "my", "our", "your", "his", "her", "their", "little"])
_WORD_SPAN = re.compile(r"[\w'’-]+")
# "a non-horror comedy": only a value named outright, since "non-fiction" asks for something.
_NON = re.compile(r"\bnon-(?P<word>[a-z][\w]*)\b", re.IGNORECASE)
# Where a clause ends: two words on either side of it are not one phrase.
_CLAUSE = re.compile(r"[,;:.!?()\[\]/]|\s-\s")
# Words joined by hyphens read as one ("song-and-dance", "edge-of-your-seat").
_COMPOUND = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b", re.IGNORECASE)
_SUFFIX_FREE = re.compile(r"\b(?P<word>[a-z][\w-]*?)-free\b", re.IGNORECASE)
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


def _scope(text: str, start: int, vocab: Vocabulary) -> tuple[str, int]:
    """The rest of a refusal's clause from ``start``, and where it ends.

    A refusal that describes what it refuses ("no films that try to make you laugh", "nothing
    set in magical kingdoms") runs on past the few words a negation's phrase takes. Its scope
    is the rest of the clause: up to a punctuation mark, a word that starts another request
    ("but", "just", "give", "something"...) or a value named outright, which is asked for.
    "and" or "or" before a word that carries meaning joins a list ("hitmen and stolen money").
    """
    clause = _CLAUSE.search(text, start)
    end = clause.start() if clause is not None else len(text)
    words = list(_WORD_SPAN.finditer(text, start, end))
    for i, word in enumerate(words):
        low = word.group(0).lower()
        after = words[i + 1].group(0).lower() if i + 1 < len(words) else ""
        if low in ("and", "or") and after and _joins(after, vocab):
            continue
        # who it is for ends it ("nothing scary for the kids"), what it is for does not
        # ("nothing played for laughs")
        if low in _SCOPE_ENDS or vocab.exact(low) or (low == "for" and after in _DETERMINERS):
            end = word.start()
            break
    return text[start:end], end


def _scope_back(text: str, end: int, vocab: Vocabulary) -> tuple[str, int]:
    """The start of a refusal's clause before ``end``, and where it begins: the same scope as
    ``_scope`` for a verdict that follows what it refuses ("long journeys into the unknown,
    hard no")."""
    start = max((m.end() for m in _CLAUSE.finditer(text, 0, end)), default=0)
    words = list(_WORD_SPAN.finditer(text, start, end))
    for i in range(len(words) - 1, -1, -1):
        low = words[i].group(0).lower()
        if low in ("and", "or") and i + 1 < len(words) and _joins(words[i + 1].group(0), vocab):
            continue
        if low in _SCOPE_ENDS or vocab.exact(low):
            start = words[i].end()
            break
    return text[start:end], start


def _joins(word: str, vocab: Vocabulary) -> bool:
    """Whether ``word`` after "and"/"or" goes on with a list rather than start a request."""
    low = word.lower()
    return low not in STOPWORDS and low not in _SCOPE_ENDS and not vocab.exact(low)


def parse_negations(text: str, intent: Intent, vocab: Vocabulary, encoder: Encoder) -> str:
    """Negated phrases become exclusions; returns the text without them."""
    # (start, end, phrase, where the phrase's clause may go on after it or before it: None
    # for a refusal whose phrase is all it refuses)
    spans: list[tuple[int, int, str, int | None, int | None]] = []
    for m in _NEG.finditer(text):
        spans.append((m.start(), m.end(), m.group("phrase"), m.end(), None))
        pos = m.end()
        while (more := _NEG_MORE.match(text, pos)) is not None:
            phrase = more.group("phrase")
            if more.group("conj").lower() == "and" and not vocab.exact(phrase):
                break
            spans.append((more.start(), more.end(), phrase, None, None))
            pos = more.end()
    for pattern in (_SUFFIX_FREE, _KEEP_OUT):
        for m in pattern.finditer(text):
            spans.append((m.start(), m.end(), m.group("word"), None, None))
    for m in _REFUSED.finditer(text):
        word = next(
            m.group(g) for g in ("word", "word2", "word3", "word4", "word5", "word6") if m.group(g)
        )
        behind = None if m.group("word4") else m.start()
        spans.append((m.start(), m.end(), word, None, behind))
    for m in _NON.finditer(text):
        if vocab.exact(m.group("word")):
            spans.append((m.start(), m.end(), m.group("word"), None, None))
    for start, end, phrase, ahead, behind in spans:
        matches = vocab.exact(phrase)
        rest = ""
        if not matches and behind is not None:
            matches = _refused(vocab, encoder, phrase)
        if not matches and behind is not None:
            # A verdict refuses the whole of what stands before it in its clause ("long
            # journeys into the unknown, hard no") when its last words alone say nothing.
            rest, start = _scope_back(text, behind, vocab)
            described = f"{rest} {phrase}"
        elif not matches and ahead is not None:
            rest, scope_end = _scope(text, ahead, vocab)
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
    for clause in _CLAUSE.split(text):  # "witty, Michael Cera": no pair across the comma
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
    key = (id(catalog), catalog.version, id(encoder), role, text)
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
    if not word.isalpha() or knows_word(encoder, word) is not False:
        return None
    least = max(4, math.ceil(STEM_MIN_SHARE * len(word)))
    for end in range(len(word) - 1, least - 1, -1):
        if word[:end] not in STOPWORDS and knows_word(encoder, word[:end]):
            return word[:end]
    return None


def _reading(vocab: Vocabulary, encoder: Encoder, text: str, role: Role) -> Match | None:
    hit = _read_as_is(vocab, encoder, text, role)
    if hit is not None or role not in ("word", "refused"):
        return hit
    if (known := _known_stem(encoder, text)) is not None:
        return reading(vocab, encoder, known, role)
    return vocab.derived(text, encoder.encode([text])[0])


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
