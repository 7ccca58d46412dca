"""The grammar of refusals: where an answer says what it does *not* want, and which words.

People refuse in many English constructions: a negation before what it refuses ("no horror",
"I can't stand musicals", "nothing that'll give me nightmares"), a verdict after it ("horror?
nope", "crime stuff, not tonight", "musicals = no"), what is refused put first ("dramas I've
seen enough of"), inside the construction ("keep crime out of it"), or a prefix ("non-horror",
"gore-free"). This is the grammar of the language, not of one catalog, so it is written out
here once, like the grammar of years (``years``). Which value the refused words mean is the
understand stage's to read (``understand.parse_negations``), through the catalog's own
vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tastemaker.pipeline.vocabulary import STOPWORDS, Vocabulary


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal's span in the text and the words it refuses.

    ``ahead`` (after a negation) or ``behind`` (before a verdict) says where the refusal's
    clause may run on past those words, when they alone read as nothing (``scope``,
    ``scope_back``); None for a refusal whose words are all it refuses.
    """

    start: int
    end: int
    phrase: str
    ahead: int | None = None
    behind: int | None = None


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
    r"(?:i\s+|we\s+)?(?:hates?|dislikes?|detests?|loathes?|can'?t\s+stand|cannot\s+stand)",
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
    # "I'm over action movies", not "I'm over 30" or "over the moon"
    r"(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:(?:so|really|totally|completely)\s+)?over"
    r"(?!\s+(?:\d|the\s+moon\b|here\b|there\b))",
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
    + r"|hold|zero|nix|ditch|w/o|sans"
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
# What a "not" refuses nothing by itself with: a verdict on what stands before it ("crime,
# not tonight", "horror not allowed"), never a refusal of "tonight".
_NOT_WHAT = (
    r"welcome|allowed|wanted|permitted|an\s+option|happening|tonight|tonite|today|now"
    r"|this\s+time|please|thanks(?!\s+to\b)|for\s+(?:me|us)"
)
_NEG = re.compile(
    rf"(?:(?<=\W)|^){_NEG_WORDS}\b(?!\s+(?:{_NOT_WHAT})\b){_NEG_FILLER}\s+"
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
# "keep crime out of it", "keep horror away": the negated phrase sits inside the construction.
_KEEP_OUT = re.compile(
    r"\bkeep\s+(?:the\s+|any\s+|all\s+)?(?P<word>[\w'-]+(?:\s+[\w'-]+){0,2})\s+(?:out|away)\b"
    r"(?:\s+(?:of|from)\s+(?:it|this|that|there|me|us|the\s+\w+))?",
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
    rf"|not\s+(?:{_NOT_WHAT}|so\s+much)"
    r"|(?:strictly\s+)?off[-\s]limits|banned|out\s+of\s+the\s+question|need\s+not\s+apply"
    r"|won'?t\s+(?:fly|work|cut\s+it)|can\s+(?:wait|stay\s+on\s+the\s+shelf)"
    r"|(?:definitely\s+|strictly\s+)?off\s+the\s+(?:list|menu|table)"
    # "horror, leave it out"; in "a comedy, leave out the horror" it is "the horror" that goes
    r"|(?:please\s+|pls\s+)?leave\s+(?:(?:it|them)\s+)?out\b(?!\s+[\w'])"
    r"|excluded|ruled\s+out|not\s+included"
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
# Words that end a refusal's scope (``scope``): another request, or a phrase of another kind.
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
CLAUSE = re.compile(r"[,;:.!?()\[\]/]|\s-\s")
_SUFFIX_FREE = re.compile(r"\b(?P<word>[a-z][\w-]*?)-free\b", re.IGNORECASE)


def find(text: str, vocab: Vocabulary) -> list[Refusal]:
    """Every refusal in ``text``, in the order its constructions are tried."""
    found: list[Refusal] = []
    for m in _NEG.finditer(text):
        found.append(Refusal(m.start(), m.end(), m.group("phrase"), ahead=m.end()))
        pos = m.end()
        while (more := _NEG_MORE.match(text, pos)) is not None:
            phrase = more.group("phrase")
            if more.group("conj").lower() == "and" and not vocab.exact(phrase):
                break
            found.append(Refusal(more.start(), more.end(), phrase))
            pos = more.end()
    for pattern in (_SUFFIX_FREE, _KEEP_OUT):
        for m in pattern.finditer(text):
            found.append(Refusal(m.start(), m.end(), m.group("word")))
    for m in _REFUSED.finditer(text):
        word = next(
            m.group(g) for g in ("word", "word2", "word3", "word4", "word5", "word6") if m.group(g)
        )
        behind = None if m.group("word4") else m.start()
        found.append(Refusal(m.start(), m.end(), word, behind=behind))
    for m in _NON.finditer(text):
        if vocab.exact(m.group("word")):
            found.append(Refusal(m.start(), m.end(), m.group("word")))
    return found


def scope(text: str, start: int, vocab: Vocabulary) -> tuple[str, int]:
    """The rest of a refusal's clause from ``start``, and where it ends.

    A refusal that describes what it refuses ("no films that try to make you laugh", "nothing
    set in magical kingdoms") runs on past the few words a negation's phrase takes. Its scope
    is the rest of the clause: up to a punctuation mark, a word that starts another request
    ("but", "just", "give", "something"...) or a value named outright, which is asked for.
    "and" or "or" before a word that carries meaning joins a list ("hitmen and stolen money").
    """
    clause = CLAUSE.search(text, start)
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


def scope_back(text: str, end: int, vocab: Vocabulary) -> tuple[str, int]:
    """The start of a refusal's clause before ``end``, and where it begins: the same scope as
    ``scope`` for a verdict that follows what it refuses ("long journeys into the unknown,
    hard no")."""
    start = max((m.end() for m in CLAUSE.finditer(text, 0, end)), default=0)
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
