"""Content checks shared by the input side (the person's answer) and the output side (the copy).

Four checks, each a pure function of the text:

- **profanity**: the word list that ships with ``better-profanity`` (curated, with leetspeak
  spellings), matched as one compiled regular expression. The library's own matcher walks every
  word through every variant and costs ~20 ms a call, which alone would blow an answer's budget;
  one alternation costs microseconds. A few words of the list are ordinary catalog words
  ("Cowgirl", "Hell's Kitchen", "pot", "weed killer") and are left out (:data:`NOT_PROFANE`).
- **pii**: e-mail addresses, phone and Luhn-valid card numbers (the capture stage's redactor),
  plus national-id and IBAN shapes, and street addresses.
- **injection**: the phrasings of prompt-injection attempts ("ignore previous instructions",
  "reveal your system prompt", chat-template role markers). Free text that looks like one is
  never shown to a model and never echoed.
- **sensitive**: the seven topics of :mod:`tastemaker.guardrails.topics`; a topic is only allowed
  when the experience lists it in ``guardrails.allowed_topics``.

Text is NFKC-normalised and case-folded first, and common leetspeak digits are read as letters
for the profanity check only (elsewhere "4" and "0" mean numbers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from tastemaker.experiences import ALL_CHECKS, CheckKind
from tastemaker.guardrails.topics import TOPICS, SensitiveTopic
from tastemaker.pipeline.capture import redact

__all__ = ["CHECKS", "CheckKind", "Finding", "injection", "pii", "profanity", "scan", "sensitive"]
CHECKS: tuple[CheckKind, ...] = ALL_CHECKS


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found: which check, and what (the term, the PII kind, or the topic)."""

    check: CheckKind
    detail: str

    @property
    def label(self) -> str:
        return f"{self.check}:{self.detail}"


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")


# --- profanity ------------------------------------------------------------------------------------

# Words of better-profanity's list that are everyday catalog and product words, not slurs or
# obscenities in a playlist title or a product name; measured as false alarms on the test set.
NOT_PROFANE = frozenset(
    {
        "god",
        "gay",
        "kill",
        "pot",
        "weed",
        "drunk",
        "dummy",
        "hell",
        "damn",
        "crap",
        "cowgirl",
        "cowgirls",
        "cow girl",
        "cow girls",
        "breasts",
        "erotic",
        "facial",
        "enlargement",
        "bondage",
        "busty",
        "crotch",
        "dopey",
        "doofus",
        "fart",
        "erect",
        "nazi",
        "screw",
        "suck",
        "snatch",
        "booty call",
        "lust",
        "strip",
        "stoned",
        "sexy",
        "sex",
        "virgin",
        "wad",
        "willy",
        "junky",
        "hemp",
        "pawn",
        "organ",
        "xxx",
        "omg",
        "wtf",
        "tampon",
        "ugly",
        "vodka",
        "weirdo",
        "yaoi",
        "yury",
        "menstruation",
        "hooters",
        "hoer",
    }
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)


_WORD = re.compile(r"[^\W_]+")
# "f.u.c.k", "s-h-i-t": single letters joined by separators are read as one word.
_SPELLED = re.compile(r"(?<![^\W_])(?:[^\W_][.\-_*\s]){2,}[^\W_](?![^\W_])")
_INFLECTIONS = ("", "s", "es", "ed", "ing", "er", "ers")
# A leetspeak character inside a word ("sh1t", "b!tch", "a$$"), not a number on its own ("10").
_LEET_INSIDE = re.compile(r"[^\W\d_][0134579@$!]|[0134579@$!][^\W\d_]|[@$!]{2}")


@lru_cache(maxsize=1)
def _profanity() -> tuple[dict[str, str], frozenset[tuple[str, ...]], frozenset[str]]:
    """The list as lookups: inflected word -> listed word, word sequences, their first words.

    Set lookups per word of the text rather than one regular expression over ~900 alternatives
    (the text is short and the list long): microseconds instead of hundreds of them. The simple
    inflections ("-s", "-ing", "-er", ...) are expanded here, once, not tried per word.
    """
    text = (resources.files("better_profanity") / "profanity_wordlist.txt").read_text("utf-8")
    singles: set[str] = set()
    multis: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        entry = normalise(line).strip()
        if not entry or entry in NOT_PROFANE:
            continue
        words = tuple(_WORD.findall(entry))
        if len(words) == 1 or all(len(w) == 1 for w in words):
            singles.add("".join(words))
        elif words:
            multis.add(words)
    forms: dict[str, str] = {}
    for base in sorted(singles):
        for suffix in _INFLECTIONS:
            form = base + suffix
            if form not in NOT_PROFANE and (form == base or form not in singles):
                forms.setdefault(form, base)
    return forms, frozenset(multis), frozenset(w[0] for w in multis)


def profanity(text: str) -> list[Finding]:
    forms, multis, firsts = _profanity()
    folded = normalise(text)
    found: dict[str, None] = {}
    variants = [folded]
    if _LEET_INSIDE.search(folded):
        variants.append(folded.translate(_LEET))
    for variant in variants:
        if "." in variant or "-" in variant or "*" in variant or "_" in variant:
            variant = _SPELLED.sub(lambda m: "".join(_WORD.findall(m.group(0))), variant)
        words = _WORD.findall(variant)
        for i, word in enumerate(words):
            base = forms.get(word)
            if base is not None:
                found.setdefault(base)
            if word in firsts:
                for n in (2, 3):
                    if i + n <= len(words) and tuple(words[i : i + n]) in multis:
                        found.setdefault(" ".join(words[i : i + n]))
    return [Finding("profanity", w) for w in found]


# --- personal data --------------------------------------------------------------------------------

_EXTRA_PII: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("national_id", re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")),  # US SSN shape
    ("national_id", re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")),
    (
        "address",
        re.compile(
            r"\b\d{1,5}\s+(?:[A-Za-z]+\s){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr"
            r"|boulevard|blvd|court|ct|way|place|pl|terrace)\b\.?",
            re.I,
        ),
    ),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")),  # UK postcode
)


def pii(text: str) -> list[Finding]:
    digits = sum(map(str.isdigit, text))  # a third of the generator's cost
    if "@" not in text and not digits:
        return []  # every shape above needs an "@" or a digit: most text has neither
    # E-mail needs an "@"; phone and card numbers at least seven digits.
    found = list(redact(text)[1]) if "@" in text or digits >= 7 else []
    for kind, pattern in _EXTRA_PII:
        if kind not in found and pattern.search(text):
            found.append(kind)
    return [Finding("pii", k) for k in found]


# --- prompt injection -----------------------------------------------------------------------------

_INJECTION = re.compile(
    r"|".join(
        (
            r"\b(?:ignore|disregard|forget|override|skip|bypass)\b.{0,30}\b(?:previous|prior|above"
            r"|earlier|preceding|all|any|your|the|these|those)\b.{0,20}\b(?:instruction|rule"
            r"|prompt|direction|guideline|guardrail|constraint|polic(?:y|ies)|filter)s?\b",
            r"\b(?:reveal|show|print|repeat|output|leak|tell me|what is|what's)\b.{0,20}"
            r"\b(?:system|hidden|initial|original|secret)\s+(?:prompt|instruction|message)s?\b",
            r"\b(?:you are now|from now on,? you|act as (?:an? )?(?:unfiltered|unrestricted|"
            r"different|evil|jailbroken|dan)|pretend (?:to be|you are)|roleplay as)\b",
            r"\b(?:jailbreak|jailbroken|dan mode|developer mode|do anything now)\b",
            r"<\|?(?:im_start|im_end|system|assistant|user|endoftext)\|?>|\[/?inst\]|</?s>",
            r"(?:^|[\n.!?])\s*(?:system|assistant)\s*:",
            r"#{2,}\s*(?:system|instruction|new instructions?)",
            r"\bnew (?:instructions?|rules?|task)\s*:",
            r"\b(?:instead|rather),?\s+(?:say|write|output|respond|reply|print)\b",
            r"\b(?:respond|reply|answer) only with\b",
            r"\b(?:api[_ ]?key|password|credentials|access token)s?\b.{0,20}\b(?:print|show|"
            r"reveal|give|send|output)\b|\b(?:print|show|reveal|give|send|output)\b.{0,20}"
            r"\b(?:api[_ ]?key|password|credentials|access token)s?\b",
        )
    ),
    re.I | re.S,
)


# Every pattern above needs one of these words or characters; text without any (most text)
# skips the large pattern, which costs far more than a set lookup per word.
_TRIGGERS = (
    "ignore disregard forget override skip bypass system hidden initial original secret now "
    "act pretend roleplay jailbreak jailbroken dan developer instruction instructions rule "
    "rules task instead rather only api password passwords credentials token tokens assistant"
)
_INJECTION_WORDS = frozenset(_TRIGGERS.split())


def injection(text: str) -> list[Finding]:
    folded = normalise(text)
    if (
        "<" not in folded
        and "[" not in folded
        and "#" not in folded
        and _INJECTION_WORDS.isdisjoint(_WORD.findall(folded))
    ):
        return []
    m = _INJECTION.search(folded)
    return [] if m is None else [Finding("injection", " ".join(m.group(0).split())[:60])]


# --- sensitive inference --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TopicIndex:
    words: dict[str, SensitiveTopic]  # a word and its inflections -> topic
    prefixes: tuple[tuple[str, SensitiveTopic], ...]  # "diagnos*" -> ("diagnos", "health")
    starts: tuple[str, ...]  # the prefixes alone, for one str.startswith call
    phrases: dict[tuple[str, ...], SensitiveTopic]  # word sequences (last word inflected)
    firsts: frozenset[str]
    longest: int


def _spellings(term: str) -> list[str]:
    """``tumou?r`` -> ``tumour``, ``tumor``: the lists' one regex-ism, expanded."""
    m = re.search(r"(\w)\?", term)
    if m is None:
        return [term]
    head, tail = term[: m.start()], term[m.end() :]
    return [*_spellings(head + m.group(1) + tail), *_spellings(head + tail)]


@lru_cache(maxsize=1)
def _topic_index() -> _TopicIndex:
    """The topic lists as lookups per word (as for profanity): one pass, a few microseconds."""
    words: dict[str, SensitiveTopic] = {}
    prefixes: list[tuple[str, SensitiveTopic]] = []
    phrases: dict[tuple[str, ...], SensitiveTopic] = {}
    for topic, terms in TOPICS.items():
        for term in terms:
            for spelling in _spellings(normalise(term)):
                tokens = tuple(_WORD.findall(spelling))
                if spelling.endswith("*"):
                    prefixes.append((tokens[0], topic))
                    continue
                for suffix in ("", "s", "es", "ed", "d", "ing"):
                    inflected = (*tokens[:-1], tokens[-1] + suffix)
                    if len(tokens) == 1:
                        words.setdefault(inflected[0], topic)
                    else:
                        phrases.setdefault(inflected, topic)
    return _TopicIndex(
        words=words,
        prefixes=tuple(prefixes),
        starts=tuple(p for p, _ in prefixes),
        phrases=phrases,
        firsts=frozenset(p[0] for p in phrases),
        longest=max(len(p) for p in phrases),
    )


def sensitive(text: str, allowed: Collection[str] = ()) -> list[Finding]:
    index = _topic_index()
    tokens = _WORD.findall(normalise(text))
    found: dict[str, None] = {}
    for i, word in enumerate(tokens):
        topic = index.words.get(word)
        if topic is not None:
            found.setdefault(topic)
        if word.startswith(index.starts):
            for prefix, t in index.prefixes:
                if word.startswith(prefix):
                    found.setdefault(t)
        if word in index.firsts:
            for n in range(2, index.longest + 1):
                hit = index.phrases.get(tuple(tokens[i : i + n]))
                if hit is not None:
                    found.setdefault(hit)
    return [Finding("sensitive", t) for t in found if t not in allowed]


def scan(
    text: str, *, allowed_topics: Collection[str] = (), checks: Collection[CheckKind] = CHECKS
) -> list[Finding]:
    """Run the named checks over ``text``; an empty list means nothing was found."""
    if not text.strip():
        return []
    out: list[Finding] = []
    if "profanity" in checks:
        out += profanity(text)
    if "pii" in checks:
        out += pii(text)
    if "injection" in checks:
        out += injection(text)
    if "sensitive" in checks:
        out += sensitive(text, allowed_topics)
    return out
