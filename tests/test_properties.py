"""Property tests (hypothesis) on the two stages that read what a person typed.

capture: whatever the text or choice, it either accepts it (cleaned, within the prompt's
length) or raises the documented :class:`InvalidInput`; e-mail addresses, card numbers and
phone numbers inside any text never survive redaction.

understand: whatever survived capture, it never raises, and the constraints it parses are
consistent: a lower bound never above the upper bound it was parsed with, nothing both
required and excluded, a budget never negative, the vector unit-norm.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_fixtures import film_catalog, film_spec, new_answer
from tastemaker.encoders import get_encoder
from tastemaker.errors import InvalidInput
from tastemaker.pipeline import capture, understand
from tastemaker.pipeline.capture import redact

SPEC = film_spec()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
# Words that make understand parse: numbers, ranges, negations, the catalog's genres.
PHRASES = st.lists(
    st.sampled_from(
        [
            "under",
            "over",
            "between",
            "and",
            "not",
            "no",
            "without",
            "from",
            "to",
            "before",
            "after",
            "the",
            "90s",
            "1990s",
            "$20",
            "50",
            "1999",
            "2005",
            "comedy",
            "drama",
            "horror",
            "kids",
            "budget",
            "cheap",
            "-",
            "€",
            "less than",
            "more than",
        ]
    )
    | st.integers(min_value=-(10**6), max_value=10**12).map(str),
    max_size=12,
).map(" ".join)


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


@FAST
@given(text=st.one_of(st.none(), st.text(max_size=400)), choice=st.none() | st.text(max_size=8))
def test_capture_accepts_or_raises_invalid_input(text: str | None, choice: str | None) -> None:
    answer = new_answer(text=text, choice=choice)
    try:
        capture.run(answer, SPEC)
    except InvalidInput as exc:
        assert exc.field in ("text", "choice")
        return
    assert answer.captured is not None
    assert len(answer.captured.text) <= SPEC.prompt.max_length
    assert not any(ord(c) < 32 for c in answer.captured.text)


@FAST
@given(before=WORDS, after=WORDS, email=st.emails())
def test_emails_never_survive(before: str, after: str, email: str) -> None:
    out, kinds = redact(f"{before} {email} {after}")
    assert email not in out
    assert "email" in kinds


@FAST
@given(
    before=WORDS,
    after=WORDS,
    body=st.text(alphabet="0123456789", min_size=15, max_size=15),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_card_numbers_never_survive(before: str, after: str, body: str, sep: str) -> None:
    number = body + _luhn_digit(body)
    written = sep.join(number[i : i + 4] for i in range(0, 16, 4))
    out, _ = redact(f"{before} {written} {after}")
    assert number not in out.replace(" ", "").replace("-", "")


@FAST
@given(
    before=st.text(alphabet="abc xyz", max_size=20),
    after=st.text(alphabet="abc xyz", max_size=20),
    digits=st.text(alphabet="0123456789", min_size=10, max_size=10),
)
def test_phone_numbers_never_survive(before: str, after: str, digits: str) -> None:
    written = f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    out, kinds = redact(f"{before} {written} {after}")
    assert digits[3:] not in "".join(ch for ch in out if ch.isdigit())
    assert "phone" in kinds


@FAST
@given(text=st.one_of(PHRASES, st.text(max_size=120)))
def test_understand_never_raises_and_parses_consistent_constraints(text: str) -> None:
    answer = new_answer(text=text)
    try:
        capture.run(answer, SPEC)
    except InvalidInput:
        return
    understand.run(answer, SPEC, film_catalog(), get_encoder("static"))
    intent = answer.intent
    assert intent is not None
    for name, low in intent.numeric_min.items():
        high = intent.numeric_max.get(name)
        assert high is None or low <= high, (text, intent.numeric_min, intent.numeric_max)
    for name, values in intent.required.items():
        assert not set(values) & set(intent.excluded.get(name, [])), (text, intent)
    assert intent.budget is None or intent.budget >= 0
    if intent.vector is not None:
        norm = float(np.linalg.norm(intent.vector))
        assert norm == 0.0 or abs(norm - 1.0) < 1e-3
