"""The language's own knowledge of words: Princeton WordNet 3.0 (Debian's ``wordnet-base``).

Why: the encoder places a word by its word pieces, so a word it has no vector of its own for lands
where its pieces do ("whodunit" near nothing, "tearjerker" near tears). WordNet knows such words:
"whodunit" is a synonym of "mystery" ("a story about a crime (usually murder) presented as a novel
or play or movie"), "horse opera" one of "western". What they mean in a catalog is then read from
those synonyms and that gloss (``pipeline.understand``), in the catalog's own vocabulary; nothing
here is written for one catalog.

The database is read where it is installed (``TASTEMAKER_WORDNET``, else ``/usr/share/wordnet``;
the Makefile installs Debian's package). Its index files are sorted, so a word is found by
binary search over the memory-mapped file and a sense read at its byte offset in the data file,
as wndb(5WN) lays them out and WordNet's own library reads them: nothing is loaded up front, and
the files stay shared between processes. NLTK's reader was the first choice; it wants files
Debian's package leaves out (``lexnames``, ``index.sense`` for its mapping between versions) and
copies of the database under its own data path. Without the database every lookup finds nothing.
"""

from __future__ import annotations

import logging
import mmap
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Parts of speech in the order their senses are offered: a word asked for in a catalog is
# mostly a noun or an adjective ("a whodunit", "something mushy").
PARTS_OF_SPEECH = ("noun", "adj", "verb", "adv")
DEFAULT_DIR = Path("/usr/share/wordnet")


@dataclass(frozen=True)
class Sense:
    """One meaning of a word: the words that say it (its synset) and its definition."""

    words: tuple[str, ...]
    gloss: str


class WordNet:
    """Lookups in a WordNet database directory (the WNDB files: ``index.*``, ``data.*``,
    ``*.exc``). Thread-safe: each lookup reads from read-only memory maps."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, mmap.mmap] = {}
        self._data: dict[str, mmap.mmap] = {}
        self._exceptions: dict[str, dict[str, list[str]]] = {}
        for pos in PARTS_OF_SPEECH:
            for kind, into in (("index", self._index), ("data", self._data)):
                with open(root / f"{kind}.{pos}", "rb") as fh:
                    into[pos] = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            path = root / f"{pos}.exc"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            self._exceptions[pos] = {line.split()[0]: line.split()[1:] for line in lines}

    def senses(self, phrase: str) -> list[Sense]:
        """Every sense of ``phrase`` (a word or a fixed expression such as "horse opera"), the
        most frequent first: each part of speech's first sense, then each one's second, and so
        on. An inflected form is read as its base form ("whodunits": "whodunit")."""
        key = "_".join(phrase.lower().split())
        per_pos: list[list[int]] = []
        for pos in PARTS_OF_SPEECH:
            offsets: list[int] = []
            for base in self._bases(key, pos):
                offsets += [o for o in self._offsets(base, pos) if o not in offsets]
            per_pos.append(offsets)  # a form that is no word of this part of speech adds none
        out: list[Sense] = []
        for rank in range(max((len(o) for o in per_pos), default=0)):
            for pos, offsets in zip(PARTS_OF_SPEECH, per_pos, strict=True):
                if rank < len(offsets):
                    out.append(self._sense(pos, offsets[rank]))
        return out

    def _bases(self, word: str, pos: str) -> list[str]:
        """The word and its base forms by the exception lists and the detachment rules of
        morphy(7WN), each once."""
        found = [word, *self._exceptions[pos].get(word, [])]
        for ending, base in _DETACHMENTS[pos]:
            if word.endswith(ending) and len(word) > len(ending):
                found.append(word[: len(word) - len(ending)] + base)
        return list(dict.fromkeys(found))

    def _offsets(self, lemma: str, pos: str) -> list[int]:
        line = self._line(lemma, pos)
        if line is None:
            return []
        # lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
        fields = line.split()
        pointers = int(fields[3])
        return [int(f) for f in fields[6 + pointers :]]

    def _line(self, lemma: str, pos: str) -> str | None:
        """The index line of ``lemma``, found by binary search (the file is sorted bytewise)."""
        data = self._index[pos]
        target = lemma.encode("utf-8") + b" "
        lo, hi = 0, len(data)
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            line = data[start:end]
            if line.startswith(b"  "):  # the licence at the top sorts before every word
                lo = end + 1
                continue
            if line.startswith(target):
                return line.decode("utf-8")
            if line < target:
                lo = end + 1
            else:
                hi = start
        return None

    def _sense(self, pos: str, offset: int) -> Sense:
        data = self._data[pos]
        end = data.find(b"\n", offset)
        line = data[offset : len(data) if end < 0 else end].decode("utf-8")
        head, _, gloss = line.partition(" | ")
        # synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] ...
        fields = head.split()
        count = int(fields[3], 16)
        words = tuple(_plain(fields[4 + 2 * i]) for i in range(count))
        # The gloss is the definition, then examples in quotes: only the definition says what
        # the word means.
        definition = gloss.split('; "')[0].strip().rstrip(";").strip()
        return Sense(words=tuple(dict.fromkeys(words)), gloss=definition)


def _plain(word: str) -> str:
    """A synset's word as written: spaces for underscores, without an adjective's syntactic
    marker ("(a)", "(p)", "(ip)")."""
    if word.endswith(")") and "(" in word:
        word = word[: word.rindex("(")]
    return word.replace("_", " ")


# morphy(7WN): the endings each part of speech inflects with, and what replaces them.
_DETACHMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "noun": (
        ("s", ""),
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ),
    "verb": (
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ),
    "adj": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "adv": (),
}

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _open(root: str) -> WordNet | None:
    path = Path(root)
    if not (path / "index.noun").exists():
        log.info("no WordNet database at %s: words the encoder does not know stay unread", path)
        return None
    try:
        return WordNet(path)
    except (OSError, ValueError) as exc:
        log.warning("WordNet at %s is unreadable (%s): unknown words stay unread", path, exc)
        return None


def wordnet() -> WordNet | None:
    """The installed WordNet (``TASTEMAKER_WORDNET``, else Debian's ``/usr/share/wordnet``)."""
    with _lock:
        return _open(os.environ.get("TASTEMAKER_WORDNET") or str(DEFAULT_DIR))
