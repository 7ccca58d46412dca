"""The words of a request and the catalog's value vocabulary they are matched against.

Understand reads a person's words; this module says which of them carry nothing on their own
(``STOPWORDS``), how words are compared (``stem``, shared with lexical retrieval and the ranker),
and which attribute value a word or phrase names, implies or stands out for (``Vocabulary``).
The values are the catalog's own, with what its items and words say about them
(``catalog.value_centroids``, ``catalog.word_baselines``): no word list per dataset.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from tastemaker.catalog import Catalog, closeness, tokens
from tastemaker.types import FloatArray

# A word implies a value (and acts as naming it) when its mean similarity to the value's name and
# to the value's items (``Vocabulary.implied``) reaches IMPLY_MIN_SIMILARITY and beats every other
# value of every facet by IMPLY_MIN_MARGIN: far enough ahead that a second reading is unlikely.
IMPLY_MIN_SIMILARITY = 0.30
IMPLY_MIN_MARGIN = 0.20
# A word stands out for a value (a preference; under a negation, an exclusion) when it is
# IMPLY_MIN_Z standard deviations closer to it than the catalog's own words are on average
# (``catalog.word_baselines``), rarer than one word in a thousand for a normal spread, and leads
# every other value by IMPLY_MIN_Z_MARGIN of them.
IMPLY_MIN_Z = 3.5
IMPLY_MIN_Z_MARGIN = 1.5
# A reading of a word is dropped when the catalog itself uses the word in at least
# USAGE_MIN_ITEMS items (titles, texts) and those items have the value no more often than the
# catalog's items at large (``Vocabulary.used_against``).
USAGE_MIN_ITEMS = 20
# A word is read as a misspelt value name (``Vocabulary.respell``) when it has at least
# RESPELL_MIN_LETTERS letters and lies within one edit (two from RESPELL_TWO_EDITS letters on) of
# exactly one value's name.
RESPELL_MIN_LETTERS = 5
RESPELL_TWO_EDITS = 9
# A word is read as a value's name cut short ("docu", "anim") when it has at least
# SHORTENED_MIN_LETTERS letters and begins exactly one value's name.
SHORTENED_MIN_LETTERS = 4
# A word is read as derived from a value's name ("thrilling" from Thriller, "comedic" from
# Comedy) when the two begin with the same DERIVED_MIN_LETTERS letters or more, covering at least
# DERIVED_MIN_SHARE of the shorter of them, and the encoder places the word nearer that value
# than any other of its attribute ("fantastic" shares "fantas" with Fantasy but is nearest
# Horror: it is praise, not a genre).
DERIVED_MIN_LETTERS = 5
DERIVED_MIN_SHARE = 0.7
# A blend ("rom-com", "romcom") is read as the names its parts begin (Romance, Comedy) when each
# part has at least BLEND_MIN_LETTERS letters and begins exactly one name.
BLEND_MIN_LETTERS = 3
_WORD = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)*\b")  # hyphenated words as one: "sci-fy"
# Words that carry no request on their own.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "something",
        "anything",
        "any",
        "me",
        "my",
        "i",
        "we",
        "us",
        "our",
        "for",
        "of",
        "to",
        "with",
        "in",
        "on",
        "at",
        "by",
        "from",
        "and",
        "or",
        "but",
        "please",
        "want",
        "need",
        "like",
        "would",
        "love",
        "looking",
        "look",
        "find",
        "give",
        "show",
        "get",
        "play",
        "make",
        "really",
        "very",
        "just",
        "more",
        "most",
        "much",
        "few",
        "little",
        "kind",
        "sort",
        "type",
        "bit",
        "lot",
        "one",
        "ones",
        "stuff",
        "things",
        "thing",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "is",
        "are",
        "be",
        "was",
        "were",
        "been",
        "can",
        "could",
        "should",
        "movie",
        "movies",
        "film",
        "films",
        "song",
        "songs",
        "track",
        "tracks",
        "music",
        "item",
        "items",
        # pronouns and auxiliaries: "I am your father" once read "am your" as a genre
        "am",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "if",
        "than",
        "then",
        "so",
        "as",
        "there",
        "here",
        "also",
        "too",
        # the same glue as typed in a hurry: "im in the mood", "smth funny pls", "gimme"
        "im",
        "ive",
        "id",
        "u",
        "ur",
        "pls",
        "plz",
        "thx",
        "ty",
        "ngl",
        "lol",
        "rn",
        "smth",
        "sth",
        "gimme",
        "lemme",
        "wanna",
        "gonna",
        "tho",
    ]
)


@dataclass(slots=True, frozen=True)
class Match:
    """What a word or phrase was read as: an attribute value, and how firmly."""

    attribute: str
    value: str
    how: str  # "exact" | "similar" | "implied" | "standout" | "kind" (a kind noun's: never binds)
    similarity: float


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of a lower-case word (shared with the lexical index)."""
    s: str = _stemmer().stemWord(word.lower())  # type: ignore[attr-defined]
    return s


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(phrase) if t not in STOPWORDS)


class Vocabulary:
    """Stemmed attribute values of a catalog, for matching phrases to values.

    Built once per catalog snapshot and cached on it (``vocabulary_for``).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.by_stems: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self.spellings: dict[str, set[tuple[str, str]]] = {}
        self.longest = 1
        for name, attr in catalog.categorical.items():
            # Near-unique attributes (titles, ids, artists) are not a vocabulary to ask for.
            if not attr.is_facet:
                continue
            for value in attr.values:
                key = _stems(value.replace("-", " "))
                if not key:
                    continue
                self.by_stems.setdefault(key, []).append((name, value))
                self.longest = max(self.longest, len(key))
                # "sci-fi" is also typed "scifi"; a name of several words is never one typo
                for form in {value.lower(), re.sub(r"[\s-]", "", value.lower())}:
                    if form.isalpha():
                        self.spellings.setdefault(form, set()).add((name, value))
        self.spelling_forms = list(self.spellings)
        self.catalog = catalog
        # "SF" for Sci-Fi, "EDM" for Electronic Dance Music: a name of several words is also
        # written with its initials, unless the catalog's items use those letters themselves
        # (and ``respell`` reads them so only where the encoder agrees: ``_initials_of``).
        self.initials: dict[str, set[tuple[str, str]]] = {}
        self._initials_ok: dict[str, bool] = {}
        for pairs in self.by_stems.values():
            for name, value in pairs:
                words = [w for w in re.split(r"[\s-]+", value.lower()) if w not in STOPWORDS]
                short = "".join(w[0] for w in words if w)
                if len(words) > 1 and short not in STOPWORDS and not self._uses(short):
                    self.initials.setdefault(short, set()).add((name, value))
        self.year_attribute = _year_attribute(catalog)

    def exact(self, phrase: str) -> list[Match]:
        """Values whose stemmed name appears as a whole n-gram in the phrase."""
        words = _stems(phrase.replace("-", " "))
        found: list[Match] = []
        for n in range(min(self.longest, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                for attr, value in self.by_stems.get(tuple(words[i : i + n]), []):
                    if not any(m.value == value and m.attribute == attr for m in found):
                        found.append(Match(attr, value, "exact", 1.0))
        return found

    def respell(
        self,
        text: str,
        knows: Callable[[str], bool | None],
        encode: Callable[[str], FloatArray] | None = None,
    ) -> tuple[str, list[tuple[str, str]]]:
        """``text`` with misspelt or shortened value names written out ("a thriler" -> "a
        thriller", "some SF" -> "some sci-fi", "a docu" -> "a documentary"), and the (word,
        value) pairs it changed.

        A typo is outside every vocabulary, so the encoder can only cut it into pieces and
        place it by chance ("thriler" lands near IMAX). A word is taken for a value's name
        when it is one edit from that name and no other (two edits for long words), with the
        same first letter, *and*
        nothing says it is a word of its own: the encoder does not know it (``knows``: its
        whole-word tokens, i.e. the language it was trained on; None, it cannot tell, changes
        nothing) and the catalog's items never use it (a title's made-up name stays). The
        same holds for a shortening: the start of exactly one name, of at least
        ``SHORTENED_MIN_LETTERS`` letters. Initials ("SF") are read as the one name of several
        words they stand for (``initials``), which the catalog does not use, when the encoder
        (``encode``; without it, never) places them nearer that name than any other of its
        attribute: "SF" is nearest Sci-Fi, while "PC" is not nearest pet-care, nor "DB"
        drum-and-bass.
        """
        fixes: list[tuple[str, str]] = []

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            value = self._initials_of(word, encode) or self._misspelt(word, knows)
            names = [value] if value is not None else self._blend_of(word, knows)
            fixes.extend((word, name) for name in names)
            return " ".join(name.lower() for name in names) or word

        return _WORD.sub(fix, text), fixes

    def _blend_of(self, word: str, knows: Callable[[str], bool | None]) -> list[str]:
        """The names a blend of their beginnings stands for ("rom-com" and "romcom": Romance
        and Comedy), if each of its two parts begins exactly one name (``BLEND_MIN_LETTERS``),
        the names differ, and nothing says the word is one of its own: written as one word the
        encoder does not know it, and the catalog's items never use it."""
        low = word.lower()
        if self._uses(low.replace("-", "")):
            return []
        if "-" in low:
            splits = [low.split("-")] if low.count("-") == 1 else []
        elif knows(low) is False:
            least = BLEND_MIN_LETTERS
            splits = [[low[:i], low[i:]] for i in range(least, len(low) - least + 1)]
        else:
            splits = []
        for parts in splits:
            begun = [
                self._begun(part) if len(part) >= BLEND_MIN_LETTERS and part.isalpha() else set()
                for part in parts
            ]
            names = {value for found in begun if len(found) == 1 for _, value in found}
            if len(names) == len(parts):
                return [next(iter(found))[1] for found in begun]
        return []

    def _begun(self, start: str) -> set[tuple[str, str]]:
        """The (attribute, value) pairs whose names ``start`` begins."""
        return {
            v
            for form in self.spelling_forms
            if form.startswith(start)
            for v in self.spellings[form]
        }

    def _initials_of(self, word: str, encode: Callable[[str], FloatArray] | None) -> str | None:
        """The one name ``word`` is the initials of, if the encoder places it nearest that
        name of its attribute (remembered: initials come from the catalog, not from answers)."""
        short = word.lower().replace("-", "")
        values = self.initials.get(short, set())
        if len(values) != 1 or encode is None:
            return None
        name, value = next(iter(values))
        known = self._initials_ok.get(short)
        if known is None:
            attr = self.catalog.categorical[name]
            sims = attr.worded(attr.value_vectors @ encode(short))
            known = self._initials_ok[short] = attr.values[int(np.argmax(sims))] == value
        return value if known else None

    def _misspelt(self, word: str, knows: Callable[[str], bool | None]) -> str | None:
        """The one name ``word`` is cut short from or misspells, if it is no word of its own
        (see :meth:`respell`)."""
        low = word.lower().replace("-", "")
        if len(low) < SHORTENED_MIN_LETTERS or low in self.spellings:
            return None
        if all(knows(p) is not False or self._uses(p) for p in word.lower().split("-")):
            return None
        values = self._begun(low)
        if len(values) != 1 and len(low) >= RESPELL_MIN_LETTERS:
            limit = 1 if len(low) < RESPELL_TWO_EDITS else 2
            near = process.extract(
                low, self.spelling_forms, scorer=OSA.distance, score_cutoff=limit, limit=None
            )
            # A slip of the hand seldom hits the first letter; another word often differs
            # there only ("sappy" is not "happy").
            values = {v for form, _, _ in near if form[0] == low[0] for v in self.spellings[form]}
        return next(iter(values))[1] if len(values) == 1 else None

    def derived(self, word: str, vector: FloatArray) -> Match | None:
        """The one value whose name ``word`` is derived from, if the encoder agrees (see
        ``DERIVED_MIN_LETTERS``): the encoder may keep "thrilling" nearly as close to
        Adventure as to Thriller, while the words themselves say which."""
        low = word.lower()
        if len(low) < DERIVED_MIN_LETTERS or not low.isalpha():
            return None
        values = set()
        for form in self.spelling_forms:
            common = len(os.path.commonprefix([low, form]))  # noqa: RUF071 (letters, not paths)
            share = common / min(len(low), len(form))
            if common >= DERIVED_MIN_LETTERS and share >= DERIVED_MIN_SHARE:
                values |= self.spellings[form]
        if len(values) != 1:
            return None
        name, value = next(iter(values))
        attr = self.catalog.categorical[name]
        sims = attr.worded(
            closeness(attr, vector[None, :])[0]
            if attr.centroids is not None
            else attr.value_vectors @ vector
        )
        j = int(np.argmax(sims))
        if attr.values[j] != value:
            return None
        return Match(name, value, "similar", float(sims[j]))

    def _uses(self, word: str) -> bool:
        """Whether any of the catalog's items has ``word`` among its indexed words."""
        return len(self.catalog.lexical_rows(stem(word))) > 0

    def implied(self, vector: FloatArray) -> Match | None:
        """The one value a word or short phrase clearly points to, if any.

        Two views of a value are compared with the phrase: its name, and its centroid in the
        catalog (the mean embedding of its items minus the catalog's mean,
        ``catalog.value_centroids``), which carries the words the catalog's own titles and texts
        use with that value. Their mean is the phrase's closeness to the value
        (``catalog.closeness``). Two readings, tried in this order:

        - ``implied``: the closeness is high (``IMPLY_MIN_SIMILARITY``) *and* no other value of
          any facet comes near it (``IMPLY_MIN_MARGIN``): "dramatic" is Drama and nothing else,
          "creepy" is Horror or Mystery, so only the first counts as naming the value;
        - ``standout``: measured against the catalog's own words (``catalog.word_baselines``),
          the phrase stands out for one value (``IMPLY_MIN_Z`` deviations above a typical word)
          and for no other (``IMPLY_MIN_Z_MARGIN`` ahead of the runner-up). The encoder keeps
          "cowboy" at a modest 0.32 from Western, but hardly any word of a film catalog is that
          close to it. This reading is weaker evidence (it also sends "fairy tales" to Fantasy,
          where a person's tagged fairy tale may not be), so callers treat it as a preference.

        Costs one matrix-vector product per facet (values x dim), no pass over the items.
        """
        raw: list[tuple[float, str, str]] = []
        standard: list[tuple[float, str, str]] = []
        for name, attr in self.catalog.categorical.items():
            if not attr.is_facet or attr.centroids is None:
                continue
            sims = attr.worded(closeness(attr, vector[None, :])[0])
            raw.extend(_top_two(sims, name, attr.values))
            if attr.baselines is not None:
                z = (sims - attr.baselines[0]) / attr.baselines[1]
                standard.extend(_top_two(z, name, attr.values))
        for found, least, margin, how in (
            (raw, IMPLY_MIN_SIMILARITY, IMPLY_MIN_MARGIN, "implied"),
            (standard, IMPLY_MIN_Z, IMPLY_MIN_Z_MARGIN, "standout"),
        ):
            found.sort(reverse=True)
            if not found or found[0][0] < least:
                continue
            if len(found) > 1 and found[0][0] - found[1][0] < margin:
                continue
            return Match(found[0][1], found[0][2], how, found[0][0])
        return None

    def used_against(self, words: str, hit: Match) -> bool:
        """Whether the catalog's own use of one of ``words`` speaks against reading them as
        ``hit``.

        The encoder knows words in general, the catalog knows how they are used in it. Its
        words' vectors may put a common word near a value ("people" near Children in a film
        catalog, from the family films' texts); but when the catalog's items that use the word
        are plentiful (``USAGE_MIN_ITEMS``) and have the value no more often than any item,
        the word does not mean that value here. Too few uses say nothing either way, so a word
        the catalog rarely or never uses keeps what the encoder reads.
        """
        attr = self.catalog.categorical.get(hit.attribute)
        j = None if attr is None else attr.index.get(hit.value.lower())
        if attr is None or attr.dense is None or j is None or not self.catalog.size:
            return False
        share = float(attr.counts[j]) / self.catalog.size
        for word in tokens(words):
            if word in STOPWORDS:
                continue
            rows = self.catalog.lexical_rows(stem(word))
            if len(rows) >= USAGE_MIN_ITEMS and float(attr.dense[rows, j].mean()) <= share:
                return True
        return False

    def similar(self, vector: FloatArray, min_similarity: float) -> Match | None:
        """The attribute value whose name is close enough to a phrase vector, if any.

        When several names are ("cartoon" is as close to Comedy as to Animation), the one
        whose items the phrase is also closest to wins (``catalog.closeness``): what the value
        means in this catalog settles what its name leaves open.
        """
        best: tuple[float, Match] | None = None
        for name, attr in self.catalog.categorical.items():
            if not attr.is_facet:
                continue
            sims = attr.worded(attr.value_vectors @ vector)
            close = np.flatnonzero(sims >= min_similarity)
            if not len(close):
                continue
            rank = sims[close]
            if attr.centroids is not None:
                rank = closeness(attr, vector[None, :])[0][close]
            j = int(close[int(np.argmax(rank))])
            key = float(np.max(rank))
            if best is None or key > best[0]:
                best = (key, Match(name, attr.values[j], "similar", float(sims[j])))
        return None if best is None else best[1]


def _top_two(scores: FloatArray, name: str, values: list[str]) -> list[tuple[float, str, str]]:
    """The two best-scoring values of one facet, as (score, facet, value)."""
    order = np.argsort(-scores)[:2]
    return [(float(scores[j]), name, values[int(j)]) for j in order]


def _year_attribute(catalog: Catalog) -> str | None:
    """The numeric attribute that holds years, recognised by its values, not its name."""
    best = None
    for name, col in catalog.numeric.items():
        vals = col[~np.isnan(col)]
        yearlike = len(vals) and 1800 <= float(np.median(vals)) <= 2100
        if (
            yearlike
            and np.all(vals == np.round(vals))
            and (best is None or name.lower() in ("year", "release_year"))
        ):
            best = name
    return best


_VOCABS: dict[int, Vocabulary] = {}


def vocabulary_for(catalog: Catalog) -> Vocabulary:
    key = id(catalog)
    vocab = _VOCABS.get(key)
    if vocab is None or vocab.catalog is not catalog:
        if len(_VOCABS) > 16:
            _VOCABS.clear()
        vocab = _VOCABS[key] = Vocabulary(catalog)
    return vocab
