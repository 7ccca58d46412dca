"""The grammar of years: every common way of asking for a span reads as the same span."""

from __future__ import annotations

import pytest

from tastemaker.pipeline.years import normalise, parse_years


def century(decade: int) -> int:
    """A film catalog's: its "10s" and "00s" are this century's, its "60s" the last one's."""
    return 2000 + decade if decade <= 20 else 1900 + decade


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # decades, in digits and in words, with their parts
        ("a comedy from the 90s", (1990, 1999)),
        ("something from the '60s", (1960, 1969)),
        ("released in the nineties", (1990, 1999)),
        ("from the nineteen-eighties", (1980, 1989)),
        ("a space saga from the aughts", (2000, 2009)),
        ("from the noughties", (2000, 2009)),
        ("from the twenty-tens", (2010, 2019)),
        ("from the early 2000s", (2000, 2003)),
        ("the mid-2000s", (2004, 2006)),
        ("from the late '60s", (1967, 1969)),
        ("the first half of the twenty-tens", (2010, 2014)),
        ("in the second half of the noughties", (2005, 2009)),
        ("dating from the early noughties", (2000, 2003)),
        # centuries, named and counted from now (2026 in these cases)
        ("from the 20th century", (1900, 1999)),
        ("a twenty-first century thriller", (2000, 2099)),
        ("made this century", (2000, 2099)),
        ("something from the last century", (1900, 1999)),
        ("around the turn of the century", (1998, 2002)),
        ("at the turn of the millennium", (1998, 2002)),
        # two decades or two years joined: the span from the first to the last
        ("from the 80s and 90s", (1980, 1999)),
        ("sometime in the sixties or seventies", (1960, 1979)),
        ("from the 80s to the 90s", (1980, 1999)),
        ("the 2000s or 2010s", (2000, 2019)),
        ("made in 1995 or 1996", (1995, 1996)),
        # counted back from now (2026 in these cases)
        ("from the last decade", (2016, 2026)),
        ("made in the past five years", (2021, 2026)),
        ("the last 3 years", (2023, 2026)),
        # single years, four digits or two
        ("a drama from 1994", (1994, 1994)),
        ("a white-knuckle ride that came out in '98", (1998, 1998)),
        ("from the year 1996", (1996, 1996)),
        ("Release year: 2017.", (2017, 2017)),
        # years in words
        ("a drama that came out in nineteen ninety-six", (1996, 1996)),
        ("released in two thousand and five", (2005, 2005)),
        # a span placed next to another
        ("from the decade after the seventies", (1980, 1989)),
        ("from the decade before the 2010s", (2000, 2009)),
        ("from the ten years starting in 1970", (1970, 1979)),
        ("from the year before 1988", (1987, 1987)),
        ("from the ten years right after 1975", (1976, 1985)),
        ("from the ten years leading up to 2005", (1995, 2004)),
        ("made no more than five years before or after 1978", (1973, 1983)),
        ("released within three years of 2000", (1997, 2003)),
        ("released once 1950 was over", (1951, None)),
        ("made before two thousand", (None, 1999)),
        # one negation over both sides, and a negated "or later"
        ("not made before 1984 or after 1988", (1984, 1988)),
        ("not made in 1985 or later", (None, 1984)),
        ("nothing from 1990 or earlier", (1991, None)),
        ("from any year past 1980", (1981, None)),
        ("from some year ahead of 2000", (None, 1999)),
        ("made in some year from 1998 up to 2006", (1998, 2006)),
        # spans
        ("made between 1993 and 1996", (1993, 1996)),
        ("dated 1967-1975", (1967, 1975)),
        ("from 1996 to 1991", (1991, 1996)),
        ("somewhere from 1999 to 2002", (1999, 2002)),
        # one side, exclusive and inclusive
        ("made before 1980", (None, 1979)),
        ("from before the year 2000", (None, 1999)),
        ("made before Y2K", (None, 1999)),
        ("a quest story that predates 1995", (None, 1994)),
        ("pre-1970", (None, 1969)),
        ("made after 1990", (1991, None)),
        ("post-2000", (2001, None)),
        ("since 1990", (1990, None)),
        ("from 1950 onward", (1950, None)),
        ("made in 1985 or later", (1985, None)),
        ("from 1995 or earlier", (None, 1995)),
        ("released 2010 or earlier", (None, 2010)),
        # negated comparisons turn around
        ("no later than 1955", (None, 1955)),
        ("no newer than 2005", (None, 2005)),
        ("Nothing newer than 1990.", (None, 1990)),
        ("nothing released after 2015", (None, 2015)),
        ("nothing released before 2005", (2005, None)),
        ("Nothing older than 1995.", (1995, None)),
        ("no older than 1985", (1985, None)),
        ("no older than the 90s", (1990, None)),
        ("nothing before the 80s", (1980, None)),
        # decades compared
        ("before the 90s", (None, 1989)),
        ("after the 80s", (1990, None)),
        # both sides
        ("made after 1990 but before 2000", (1991, 1999)),
        # years said as two numbers; a bound at the edge of a year or a decade
        ("released between twenty twelve and twenty twenty", (2012, 2020)),
        ("between the start of 1990 and the end of 1999", (1990, 1999)),
        ("released no later than the end of the 1980s", (None, 1989)),
        ("made before the end of the 1980s", (None, 1989)),
        ("made after the start of the 1990s", (1990, None)),
        ("before the start of 1990", (None, 1989)),
        ("released later than the last year of the 1970s", (1980, None)),
        ("from the very first year of the noughties", (2000, 2000)),
        ("released before the 1990s were over", (None, 1999)),
        ("made once the eighties were over", (1990, None)),
        ("released after the twentieth century ended", (2000, None)),
        ("made before the 21st century", (None, 1999)),
        # spans set off from a year, around one, or at a decade's edge
        ("released at least seven years before 2020", (None, 2013)),
        ("at least one year after 1930", (1931, None)),
        ("made five years before 2000", (1995, 1995)),
        ("the five years before 2000", (1995, 1999)),
        ("from 2004, give or take a year", (2003, 2005)),
        ("from around 1998, plus or minus 4 years", (1994, 2002)),
        ("made in the ten years that started in 1990", (1990, 1999)),
        ("from the decade that began in nineteen seventy", (1970, 1979)),
        ("made in the two decades before 2010", (1990, 2009)),
        ("from the decade right before the aughts", (1990, 1999)),
        ("released in the first five years of the 2010s", (2010, 2014)),
        ("released in the last five years of the nineties", (1995, 1999)),
        ("from the first ten years of this millennium", (2000, 2009)),
        ("from the oughties", (2000, 2009)),
    ],
)
def test_a_span_of_years_in_its_many_forms(text: str, span: tuple[int | None, int | None]) -> None:
    got = parse_years(text, century, this_year=2026)
    assert (got.lo, got.hi) == span
    # the year phrase and the words that introduce it are cut from what is embedded
    assert not any(ch.isdigit() for ch in got.text)
    for word in ("released", "dated", "came out", "release year"):
        assert word not in got.text.lower()


def test_no_year_and_a_contradiction_give_no_span() -> None:
    for text in (
        "something funny",
        "a movie for teens",
        "made after 2005 and before 1999",
        "a hit of recent years",  # no count: no span
        "over the past decades",
    ):
        got = parse_years(text, century)
        assert (got.lo, got.hi) == (None, None)


def test_the_catalog_decides_the_century_of_two_digit_years() -> None:
    assert normalise("the 10s and '08", century) == "the 2010s and 2008"
    assert normalise("the '68 classics", century) == "the 1968 classics"
    old = parse_years("from the twenties", lambda d: 1900 + d)
    new = parse_years("from the twenties", lambda d: 2000 + d)
    assert (old.lo, new.lo) == (1920, 2020)
