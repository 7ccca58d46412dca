"""Capture: validate the person's answer and strip identifiers before anything is stored.

This is the only stage whose errors reach the person (as 422): everything after it falls back to
curated items instead. Free text is redacted here, first, so that no later stage, log line or
table ever sees an e-mail address, a phone number or a card number that someone typed. The input
content checks run here too (``answer.input_flags``): free text that swears, carries personal
data, tries a prompt injection or touches a sensitive topic is still used to find items, but is
never echoed in copy nor shown to a model.
"""

from __future__ import annotations

import re
import unicodedata

from tastemaker.errors import InvalidInput
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Answer, Captured

# The local part takes every character RFC 5322 allows unquoted, not only the common ones.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# A run of 13-19 digits, optionally split by spaces or dashes: a card number candidate.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Phone numbers: an optional +country code, then 7+ digits with common separators.
_PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d(?:[\s.-]?\d){6,13}(?!\d)"
)
# Two years joined by a dash: what people write for a span of years.
_YEAR_RANGE = re.compile(r"(?:1[89]|20)\d\d\s?-\s?(?:1[89]|20)\d\d")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def redact(text: str) -> tuple[str, list[str]]:
    """Replace e-mail addresses, card numbers and phone numbers with placeholders."""
    kinds: list[str] = []

    def sub_email(_: re.Match[str]) -> str:
        kinds.append("email")
        return "[email]"

    def sub_card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        # The match may run past the card into a neighbouring number ("4111... 1"): any
        # 13-19 digit stretch inside it that passes the Luhn check counts.
        if any(
            _luhn_ok(digits[i : i + n])
            for n in range(13, min(19, len(digits)) + 1)
            for i in range(len(digits) - n + 1)
        ):
            kinds.append("card")
            return "[card]"
        return m.group(0)

    def sub_phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        # A bare 4-digit year or a price never reaches 7 digits; a range of two years
        # ("1990-1996") does, and is a request, not a phone number.
        if len(digits) < 7 or _YEAR_RANGE.fullmatch(m.group(0)):
            return m.group(0)
        kinds.append("phone")
        return "[phone]"

    text = _EMAIL.sub(sub_email, text)
    text = _CARD.sub(sub_card, text)
    text = _PHONE.sub(sub_phone, text)
    return text, sorted(set(kinds))


def clean(text: str) -> str:
    """Normalise unicode, drop control characters and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def run(answer: Answer, spec: ExperienceSpec) -> None:
    """Validate choice and text against the experience, then redact (sets ``answer.captured``)."""
    choice = answer.raw_choice
    text = answer.raw_text
    if choice is not None and (not isinstance(choice, str) or spec.choice(choice) is None):
        known = ", ".join(c.id for c in spec.prompt.choices) or "none (free-text prompt)"
        raise InvalidInput(f"unknown choice {choice!r}; choices: {known}", field="choice")
    if text is not None:
        if not isinstance(text, str):
            raise InvalidInput("must be a string", field="text")
        text = clean(text)
        if len(text) > spec.prompt.max_length:
            raise InvalidInput(
                f"answer is {len(text)} characters; this prompt takes at most "
                f"{spec.prompt.max_length}",
                field="text",
            )
    text = text or ""
    if choice is None and not text and not spec.prompt.allow_empty:
        raise InvalidInput("an answer is required: a choice or some text", field="text")
    redacted, kinds = redact(text)
    answer.captured = Captured(choice_id=choice, text=redacted, redactions=kinds)
    if redacted:
        # Imported here: the checks reuse this module's redactor.
        from tastemaker.guardrails.checks import scan

        rails = spec.guardrails
        findings = scan(redacted, allowed_topics=rails.allowed_topics, checks=rails.input_checks)
        answer.input_flags = [f.label for f in findings]
