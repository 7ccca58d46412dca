"""The English grammar of years: which span of years a phrase asks for.

People write the same span many ways: "from the 90s", "in the nineties", "the late '90s",
"1995 or later", "no newer than 2005", "nothing released before 1980", "pre-1970", "'98",
"before the year 2000", "from the 20th century", "made this century". This is
the grammar of the language, not of one catalog, so it is written out here once; the catalog only
decides which century a two-digit year or decade means (``century``). Understand calls
:func:`parse_years` and cuts the spans it returns from the words it embeds.

Bounds are inclusive years. "before 1990" is ``hi = 1989``; "no later than 1990" is ``hi = 1990``;
a negated comparison flips ("nothing newer than 2005" is ``hi = 2005``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

Century = Callable[[int], int]  # a two-digit decade (0, 10, ..., 90) -> its full decade

_ONES = {
    "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
    "seventies": 70, "eighties": 80, "nineties": 90,
}  # fmt: skip
_NAMED_DECADES = re.compile(
    r"\b(?:(?P<c19>nineteen)[\s-]?|(?P<c20>twenty)[\s-]?)?"
    r"(?P<w>" + "|".join(_ONES) + r"|tens|teens)\b"
    r"|\b(?P<aughts>noughties|naughties|aughts|oughties|two[\s-]thousands)\b",
    re.IGNORECASE,
)
# Years in words: "nineteen ninety-six", "nineteen eighty", "two thousand and five".
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_YEAR_WORDS = re.compile(
    r"\bnineteen[\s-]+(?P<tens>"
    + "|".join(_TENS)
    + r")(?:[\s-]+(?P<ones>"
    + "|".join(list(_UNITS)[:9])
    + r"))?\b(?![\s-]*s\b)"
    r"|\btwo[\s-]+thousand(?:(?:[\s-]+and)?[\s-]+(?P<units>" + "|".join(_UNITS) + r"))?\b"
    # "twenty twelve", "twenty twenty": this century's years read as two numbers
    r"|\btwenty[\s-]+(?P<teen>" + "|".join(list(_UNITS)[9:]) + r"|twenty)\b(?![\s-]*s\b)",
    re.IGNORECASE,
)
# "the year 2000" is 2000 ("before the year 2000"); Y2K is the year 2000 too
_THE_YEAR = re.compile(r"\b(?:the\s+)?year\s+(?=(?:1[89]|20)\d\d\b)|\b(?P<y2k>y2k)\b", re.I)
_ORDINALS = {"twentieth": 20, "twenty-first": 21, "twenty first": 21, "nineteenth": 19}
_CENTURY = re.compile(
    r"\b(?:the\s+)?(?:(?P<n>1[89]|2[01])(?:st|nd|rd|th)|(?P<word>"
    + "|".join(_ORDINALS)
    + r")|(?P<rel>this|current|present|new|last|previous|past)|(?P<rel2>turn\s+of\s+the))"
    r"[\s-]+(?:century|millenn?ium)\b",
    re.I,
)
_CENTURY_SIDE = re.compile(
    r"\b(?:(?P<after>after|once|later\s+than|beyond|past|since\s+the\s+end\s+of)"
    r"|before|earlier\s+than|prior\s+to|ahead\s+of)\s*$",
    re.I,
)
_TWO_DIGIT_YEAR = re.compile(r"(?<![\w'’])['’](?P<yy>\d\d)\b(?!['’]?s\b)")
_TWO_DIGIT_DECADE = re.compile(r"(?<![\w'’])['’]?(?P<d>\d0)['’]?s\b")
# What every year phrase holds once normalised: digits, or a word of "the last decade", "the
# past five years", "this century" (``_RECENT``, ``_CENTURY``).
_MAY_NAME_YEARS = re.compile(r"\d|centur|millenn?i|decade|year", re.I)
_NO_YEAR_NEXT = r"(?!\s*(?:the\s+)?(?:1[89]|20)\d\d)"  # "1990 and before 2000" is two bounds
_YEAR = r"1[89]\d\d|20\d\d"
_Y = rf"(?P<y>{_YEAR})(?P<s>['’]?s)?"  # a year, or a decade when followed by "s"
_VERB = (
    r"(?:(?:was|were|been|got)\s+)?"
    r"(?:made|released|filmed|produced|shot|came\s+out|out|dated|dating)\s+"
)
# "the start of 1990", "the end of the 1980s": a bound's own edge of the year or decade it names
# (before the start of 1990 is before 1990; no later than the end of the 1980s is by 1989).
_THE = r"(?:the\s+)?(?:(?:very\s+)?(?:start|beginning|dawn|end|close)\s+of\s+(?:the\s+)?)?"
_EDGE_OF = r"the\s+(?:very\s+)?(?:{})\s+of\s+(?:the\s+)?"
_NEGATED = r"(?:no|not|nothing|never|none)\s+(?:(?:that\s+)?" + _VERB + r")?"

# (pattern, bound): "lt" before, "le" no later than, "gt" after, "ge" no earlier than.
# Negated and two-sided forms come first so that "no later than" is not read as "later than".
_COMPARISONS: list[tuple[re.Pattern[str], str]] = [
    # "not made in 1985 or later" is before 1985; "nothing from 1990 or earlier" after 1990
    (
        re.compile(
            rf"\b{_NEGATED}(?:in\s+|from\s+)?{_THE}{_Y}\s*(?:,\s*)?(?:or|and)\s+"
            r"(?:later|after|newer|since|beyond|on)\b",
            re.I,
        ),
        "lt",
    ),
    (
        re.compile(
            rf"\b{_NEGATED}(?:in\s+|from\s+)?{_THE}{_Y}\s*(?:,\s*)?(?:or|and)\s+"
            r"(?:earlier|before|older|prior)\b",
            re.I,
        ),
        "gt",
    ),
    (re.compile(rf"\b{_NEGATED}(?:later|newer|more\s+recent)\s+than\s+{_THE}{_Y}", re.I), "le"),
    # "before the 1990s were over", "before the end of the 1980s": by their last year; "after
    # the start of the 1990s": from their first
    (
        re.compile(
            rf"\b(?:before|by\s+the\s+time)\s+{_THE}{_Y}\s+(?:was|were|had)\s+(?:been\s+)?"
            r"(?:over|done|out|ended|gone)\b",
            re.I,
        ),
        "le",
    ),
    (re.compile(rf"\bbefore\s+{_EDGE_OF.format('end|close')}{_Y}", re.I), "le"),
    (re.compile(rf"\bafter\s+{_EDGE_OF.format('start|beginning|dawn')}{_Y}", re.I), "ge"),
    (re.compile(rf"\b{_NEGATED}(?:after|since|post-?)\s*{_THE}{_Y}", re.I), "le"),
    (re.compile(rf"\b{_NEGATED}(?:earlier|older)\s+than\s+{_THE}{_Y}", re.I), "ge"),
    (re.compile(rf"\b{_NEGATED}(?:before|prior\s+to|pre-?)\s*{_THE}{_Y}", re.I), "ge"),
    (
        re.compile(
            rf"\b{_Y}\s*(?:,\s*)?(?:or|and)\s+(?:earlier|before|older|prior)\b{_NO_YEAR_NEXT}", re.I
        ),
        "le",
    ),
    (
        re.compile(
            rf"\b{_Y}\s*(?:,\s*)?(?:(?:or|and)\s+(?:later|after|newer|since|up|beyond|on)"
            rf"|onwards?|and\s+onwards?|\+)(?!\w){_NO_YEAR_NEXT}",
            re.I,
        ),
        "ge",
    ),
    (re.compile(rf"\bfrom\s+{_Y}\s+on(?:wards?)?\b", re.I), "ge"),
    (
        re.compile(
            rf"\bonce\s+{_THE}{_Y}\s+(?:was|were|had)\s+(?:been\s+)?(?:over|gone|done|past|ended)\b",
            re.I,
        ),
        "gt",
    ),
    (re.compile(rf"\b{_Y}\s+at\s+the\s+latest\b", re.I), "le"),
    (re.compile(rf"\b{_Y}\s+at\s+the\s+earliest\b", re.I), "ge"),
    (
        re.compile(
            rf"\b(?:before|earlier\s+than|older\s+than|prior\s+to|pre-?|predates?|predating"
            rf"|preceding|ahead\s+of)\s*{_THE}{_Y}",
            re.I,
        ),
        "lt",
    ),
    (re.compile(rf"\b(?:up\s+to|until|till|through|thru|by)\s+{_THE}{_Y}", re.I), "le"),
    (
        re.compile(
            rf"\b(?:after|later\s+than|newer\s+than|more\s+recent\s+than|post-?|postdates?"
            rf"|postdating|past|beyond)\s*{_THE}{_Y}",
            re.I,
        ),
        "gt",
    ),
    (
        re.compile(
            rf"\b(?:since|starting(?:\s+(?:in|from))?|beginning(?:\s+(?:in|from))?)\s+"
            rf"{_THE}{_Y}",
            re.I,
        ),
        "ge",
    ),
]
_RANGE = re.compile(
    r"\b(?:between|from)\s+" + _THE + r"(?P<lo>1[89]\d\d|20\d\d)\s+"
    r"(?:and|(?:up\s+)?to|-|–|through|thru|till|until)\s+" + _THE + r"(?P<hi>1[89]\d\d|20\d\d)\b"
    r"|\b(?P<lo2>1[89]\d\d|20\d\d)\s?(?:-|–|\s(?:to|through|thru|till|until)\s)\s?"
    r"(?P<hi2>1[89]\d\d|20\d\d)\b",
    re.IGNORECASE,
)
# Two decades or two years joined: "the 80s and 90s", "from the 80s to the 90s", "60s or 70s",
# "1995 or 1996": the span from the first to the last.
_JOINED = re.compile(
    r"\b(?P<a>(?:1[89]|20)\d\d)(?P<as>['’]?s)?\s*(?:,\s*)?(?:and|or|to|through|thru|till|until|-|–|/)"
    r"\s*(?:the\s+)?(?P<b>(?:1[89]|20)\d\d)(?P<bs>['’]?s)?\b",
    re.IGNORECASE,
)
# "not made before 1984 or after 1988": one negation over both sides, the span between them.
_NOT_OUTSIDE = re.compile(
    rf"\b{_NEGATED}(?:before|earlier\s+than|older\s+than|prior\s+to)\s*{_THE}(?P<lo>{_YEAR})"
    rf"\s*,?\s*(?:or|nor)\s+(?:after|later\s+than|newer\s+than)\s*{_THE}(?P<hi>{_YEAR})\b",
    re.I,
)
# "the last decade", "the past five years": counted back from this year.
_NUMBERS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "few": 3,
    "couple of": 2,
}  # fmt: skip
_COUNT = r"(?:\d{1,2}|" + "|".join(_NUMBERS) + r")"
# "the decade after the seventies", "the ten years right after 1975", "the five years leading
# up to 2005", "the year before 1988", "within three years of 2000": a span placed next to, or
# around, a year.
_RIGHT = r"(?:right\s+|just\s+|immediately\s+)?"
_NEXT_TO = re.compile(
    rf"\b(?:the\s+)?(?P<unit>decade|year)\s+{_RIGHT}(?P<dir>after|following|before|preceding)\s+"
    rf"{_THE}{_Y}"
    rf"|\b(?P<span>the\s+)?(?P<n>{_COUNT})\s+(?P<nunit>years|decades)\s+{_RIGHT}"
    r"(?P<way>after|following|before|preceding|leading\s+up\s+to|up\s+to|starting"
    r"(?:\s+(?:in|from|with))?|beginning(?:\s+(?:in|with))?|from"
    r"|(?:that|which)\s+(?:started|began|starts|begins)(?:\s+(?:in|with))?)\s+"
    rf"(?P<start>{_YEAR})\b"
    r"|\b(?:the\s+)?decade\s+(?:(?:that|which)\s+)?(?:starting|beginning|started|began|starts"
    r"|begins)\s+(?:in\s+|with\s+)?"
    rf"(?P<dstart>{_YEAR})\b"
    # "2004, give or take a year", "around 1998, plus or minus 4 years"
    rf"|\b(?P<gmid>{_YEAR})\s*,?\s*(?:give\s+or\s+take|plus\s+or\s+minus|±|\+/-)\s*"
    rf"(?P<pm>{_COUNT})(?:\s+years?)?\b"
    rf"|\b(?:(?:no|not)\s+more\s+than|within|at\s+most)\s+(?P<near>{_COUNT})\s+years?\s+"
    r"(?:before\s+or\s+after|after\s+or\s+before|either\s+side\s+of|of|from|around)\s+"
    rf"(?P<mid>{_YEAR})\b",
    re.I,
)
# "at least seven years before 2020": a bound set off from a year.
_SET_OFF = re.compile(
    rf"\b(?:at\s+least|a\s+good|a\s+full|fully)\s+(?P<n>{_COUNT})\s+(?P<unit>years?|decades?)\s+"
    rf"(?P<dir>before|after|earlier\s+than|later\s+than|prior\s+to)\s+{_THE}(?P<y>{_YEAR})\b",
    re.I,
)
# "the first five years of the 1990s", "the last three years of the 1970s", "the very first year
# of the 2000s", "the first ten years of this millennium": the edge of a decade or a century.
_EDGE = re.compile(
    rf"\b(?:the\s+)?(?:very\s+)?(?P<edge>first|opening|last|final|closing)\s+"
    rf"(?:(?P<k>{_COUNT})\s+years|year)\s+of\s+(?:the\s+)?"
    r"(?:(?P<d>(?:1[89]|20)\d0)['’]?s\b|(?P<now>this|the\s+(?:current|new|present))\s+"
    r"(?:century|millenn?ium)\b)",
    re.I,
)
_RECENT = re.compile(
    rf"\b(?:the\s+)?(?:last|past|previous)\s+(?:(?P<n>{_COUNT})\s+(?P<units>years|decades)"
    r"|(?P<unit>year|decade))\b",
    re.IGNORECASE,
)
# "early", "mid", "late", "first/second half of": the part of a decade (inclusive offsets).
# Early, mid and late are its thirds: the narrow reading, so that every item of the span is in
# it however widely the person meant the word.
_PARTS = {
    "early": (0, 3), "mid": (4, 6), "middle": (4, 6), "late": (7, 9),
    "first": (0, 4), "second": (5, 9), "latter": (5, 9), "last": (5, 9),
}  # fmt: skip
_DECADE = re.compile(
    r"(?:\b(?:the\s+)?(?P<part>early|mid|middle|late)[\s-]*|(?:the\s+)?(?P<half>first|second|latter|last)"
    r"\s+half\s+of\s+)?(?:the\s+)?"
    r"(?<![\w])(?P<d>(?:1[89]|20)\d0)['’]?s\b",  # four digits: normalise wrote two-digit ones
    re.IGNORECASE,
)
_IN_YEAR = re.compile(
    r"\b(?:in|from|of|year|dated|circa|around)\s+(?:the\s+year\s+)?(?P<y>1[89]\d\d|20\d\d)\b",
    re.I,
)
_BARE_YEAR = re.compile(r"(?<![\d$€£.,])(?P<y>1[89]\d\d|20\d\d)(?![\d])")
# The words that introduce a year: part of the constraint, not words to match items by.
_LEAD = re.compile(
    r"(?:\b(?:(?:that|which)\s+)?(?:(?:was|were|got|been|is)\s+)?(?:made|released|filmed|produced"
    r"|shot|came\s+out|come\s+out|out|dated|dating|dates)(?:\s+(?:from|in))?"
    r"|\brelease\s+(?:year|date)s?(?:\s*:)?(?:\s+(?:somewhere|anywhere))?(?:\s+(?:from|in))?"
    r"|\b(?:from|in|of)\s+the\s+year|\bwithin"
    r"|(?:\b(?:made|released|filmed|produced|shot|came\s+out|out)\s+)?(?:\b(?:from|in)\s+)?"
    r"\b(?:some|any)\s+year)\s*$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Years:
    """The inclusive span asked for (``None``: open on that side) and the text without it."""

    lo: int | None
    hi: int | None
    text: str


def normalise(text: str, century: Century) -> str:
    """Decades and two-digit years in words or with an apostrophe, as four-digit numbers:
    "the nineties" -> "the 1990s", "the '90s" -> "the 1990s", "the noughties" -> "the 2000s",
    "'98" -> "1998"."""

    def decade(m: re.Match[str]) -> str:
        if m.group("aughts"):
            return "2000s"
        word = m.group("w").lower()
        if word in ("tens", "teens"):
            if not m.group("c20"):
                return m.group(0)  # "teens" alone is an audience, not a decade
            return "2010s"
        ones = _ONES[word]
        if m.group("c19"):
            return f"{1900 + ones}s"
        if m.group("c20"):
            return f"{2000 + ones}s"
        return f"{century(ones)}s"

    text = _YEAR_WORDS.sub(_year_in_words, text)
    text = _THE_YEAR.sub(lambda m: "2000" if m.group("y2k") else "", text)
    text = _NAMED_DECADES.sub(decade, text)
    text = _TWO_DIGIT_DECADE.sub(lambda m: f"{century(int(m.group('d')))}s", text)
    text = _TWO_DIGIT_YEAR.sub(
        lambda m: str(century(int(m.group("yy")) // 10 * 10) + int(m.group("yy")) % 10), text
    )
    # "the last year of the 1980s" is 1989: a year, which "later than" can then bound
    return _EDGE.sub(_edge_year, text)


def _edge_year(m: re.Match[str]) -> str:
    """The one year an ``_EDGE`` phrase names when it names a decade's first or last year."""
    if m.group("k") is not None or m.group("d") is None:
        return m.group(0)  # several years, or a century's: a span, which parse_years reads
    return str(int(m.group("d")) + (0 if _opens(m) else 9))


def _opens(m: re.Match[str]) -> bool:
    """Whether an ``_EDGE`` phrase is at the start of its decade or century."""
    return m.group("edge").lower() in ("first", "opening")


def _year_in_words(m: re.Match[str]) -> str:
    if m.group("teen"):  # "twenty twelve"
        return str(
            2000 + (20 if m.group("teen").lower() == "twenty" else _UNITS[m.group("teen").lower()])
        )
    if m.group("tens") is None:  # "two thousand (and five)"
        return str(2000 + (_UNITS[m.group("units").lower()] if m.group("units") else 0))
    ones = _UNITS[m.group("ones").lower()] if m.group("ones") else 0
    return str(1900 + _TENS[m.group("tens").lower()] + ones)


def _cut(text: str, start: int, end: int) -> str:
    """Blank a year phrase and the words that introduce it ("released", "dating from")."""
    lead = _LEAD.search(text[:start])
    if lead is not None:
        start = lead.start()
    return text[:start] + " " * (end - start) + text[end:]


def _bound(m: re.Match[str], how: str) -> tuple[int | None, int | None]:
    y = int(m.group("y"))
    decade = bool(m.group("s"))
    first, last = (y, y + 9) if decade else (y, y)
    if how == "lt":
        return None, first - 1
    if how == "le":
        return None, last
    if how == "gt":
        return last + 1, None
    return first, None


def _next_to(m: re.Match[str]) -> tuple[int, int]:
    """The span a ``_NEXT_TO`` phrase places: years after, before or from a year, a decade or
    a year after or before another ("the decade after the 1970s" is the 1980s), or the years
    around one."""
    if m.group("mid") or m.group("gmid"):
        y, n = int(m.group("mid") or m.group("gmid")), _count(m.group("near") or m.group("pm"))
        return y - n, y + n
    if m.group("dstart"):
        return int(m.group("dstart")), int(m.group("dstart")) + 9
    if m.group("start"):
        y, way = int(m.group("start")), m.group("way").lower()
        n = _years(m.group("n"), m.group("nunit"))
        # "the five years before 2000" are 1995-1999; "five years before 2000" is 1995
        if way.startswith(("after", "following")):
            return (y + 1, y + n) if m.group("span") else (y + n, y + n)
        if way.startswith(("before", "preceding")) and not m.group("span"):
            return y - n, y - n
        if way.startswith(("before", "preceding", "leading", "up")):
            return y - n, y - 1
        return y, y + n - 1  # from, starting, that started in
    step = 10 if m.group("unit").lower() == "decade" or m.group("s") else 1
    after = m.group("dir").lower() in ("after", "following")
    first = int(m.group("y")) + (step if after else -step)
    return first, first + step - 1


def _count(word: str) -> int:
    """A count of years written in digits or in words ("5", "five", "a couple of")."""
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _years(count: str | None, unit: str) -> int:
    """How many years a count of ``unit`` ("year(s)" or "decade(s)") spans ("two decades":
    20); no count is one."""
    return (1 if count is None else _count(count)) * (
        10 if unit.lower().startswith("decade") else 1
    )


def _century_span(m: re.Match[str], this_year: int) -> tuple[int, int]:
    """The years of "the 20th century", "this century", "the turn of the century": as people
    count them (1900-1999), not as calendars do (1901-2000)."""
    if m.group("rel2"):
        turn = this_year // 100 * 100
        return turn - 2, turn + 2
    if rel := m.group("rel"):
        nth = this_year // 100 + (0 if rel.lower() in ("last", "previous", "past") else 1)
    else:
        nth = int(m.group("n")) if m.group("n") else _ORDINALS[m.group("word").lower()]
    return (nth - 1) * 100, (nth - 1) * 100 + 99


def parse_years(text: str, century: Century, this_year: int | None = None) -> Years:
    """The span of years ``text`` asks for; both bounds ``None`` when it names none.

    A contradiction ("after 2005 and before 1999") gives no span rather than an empty one.
    ``this_year`` places "this century" and "the last century" (default: today's year).
    """
    text = normalise(text, century)
    if not _MAY_NAME_YEARS.search(text):
        return Years(None, None, text)  # most answers name no year: skip the dozen patterns
    lo: int | None = None
    hi: int | None = None
    if m := _NOT_OUTSIDE.search(text):
        ends = sorted((int(m.group("lo")), int(m.group("hi"))))
        return Years(ends[0], ends[1], _cut(text, *m.span()))
    if m := _SET_OFF.search(text):
        y, gap = int(m.group("y")), _years(m.group("n"), m.group("unit"))
        if m.group("dir").lower().startswith(("before", "earlier", "prior")):
            return Years(None, y - gap, _cut(text, *m.span()))
        return Years(y + gap, None, _cut(text, *m.span()))
    if m := _NEXT_TO.search(text):
        return Years(*_next_to(m), _cut(text, *m.span()))
    if m := _RANGE.search(text):
        # A span written backwards ("2005 to 1999") means the same years.
        ends = sorted((int(m.group("lo") or m.group("lo2")), int(m.group("hi") or m.group("hi2"))))
        return Years(ends[0], ends[1], _cut(text, *m.span()))
    if (m := _JOINED.search(text)) and bool(m.group("as")) == bool(m.group("bs")):
        ends = sorted((int(m.group("a")), int(m.group("b"))))
        # "the 80s and 90s": a decade runs to its ninth year; "1995 or 1996": years as they are
        first, last = ends[0], ends[1] + (9 if m.group("as") else 0)
        if last - first < 50:
            return Years(first, last, _cut(text, *m.span()))
    if m := _EDGE.search(text):
        base = (
            int(m.group("d"))
            if m.group("d")
            else (this_year or datetime.date.today().year) // 100 * 100
        )
        k = 1 if m.group("k") is None else _count(m.group("k"))
        end = base + (9 if m.group("d") else 99)
        span = (base, base + k - 1) if _opens(m) else (end - k + 1, end)
        return Years(*span, _cut(text, *m.span()))
    if m := _RECENT.search(text):
        now = this_year or datetime.date.today().year
        years = _years(m.group("n"), m.group("units") or m.group("unit"))
        return Years(now - years, now, _cut(text, *m.span()))
    for pattern, how in _COMPARISONS:
        while (m := pattern.search(text)) is not None:
            a, b = _bound(m, how)
            lo = a if a is not None and (lo is None or a > lo) else lo
            hi = b if b is not None and (hi is None or b < hi) else hi
            text = _cut(text, *m.span())
    if lo is not None and hi is not None and lo > hi:
        return Years(None, None, text)
    if lo is not None or hi is not None:
        return Years(lo, hi, text)
    if m := _DECADE.search(text):
        d = int(m.group("d"))
        first, last = _PARTS.get((m.group("part") or m.group("half") or "").lower(), (0, 9))
        return Years(d + first, d + last, _cut(text, *m.span()))
    if m := _CENTURY.search(text):
        first, last = _century_span(m, this_year or datetime.date.today().year)
        # "after the twentieth century ended", "before the 21st century": a bound, not the span
        if side := _CENTURY_SIDE.search(text[: m.start()]):
            start = side.start()
            if side.group("after"):
                return Years(last + 1, None, _cut(text, start, m.end()))
            return Years(None, first - 1, _cut(text, start, m.end()))
        return Years(first, last, _cut(text, *m.span()))
    if m := (_IN_YEAR.search(text) or _BARE_YEAR.search(text)):
        y = int(m.group("y"))
        return Years(y, y, _cut(text, *m.span()))
    return Years(None, None, text)
