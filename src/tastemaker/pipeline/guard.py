"""Guard stage: the last check on the words before a person sees them.

Copy is written from the person's own answer, so anything they type can be echoed back: a banned
word, a claim the brand may not make ("best", "guaranteed"), or a stray template placeholder. The
guard is the single gate for all of it, whichever copywriter wrote the text (template today, an
model): :func:`check` is pure and lists every hard problem, :func:`run` swaps failing copy for the
brand's safe copy and hands the violations back to the runner to log and count. Soft problems
(:func:`soft_check`: another channel's length, tone, low confidence) keep the copy and send it to
editorial review. The content checks (profanity, personal data, injection, sensitive topics) are
those of :mod:`tastemaker.guardrails.checks`.

Matching is whole-word and case-insensitive after Unicode normalisation, and tolerant of simple
variants: a trailing plural or tense ("guarantees", "guaranteed", "cured"), punctuation around
the word ("Best!", "best-ever") and any separator inside a multi-word term ("number-one").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from tastemaker.experiences import ExperienceSpec
from tastemaker.guardrails.checks import scan
from tastemaker.types import Answer, CopyText

MAX_TITLE = 60
MAX_DESCRIPTION = 160
MAX_CTA = 32

ViolationKind = Literal[
    "banned_word",
    "banned_claim",
    "competitor",
    "too_long",
    "empty",
    "placeholder",
    "missing",
    "profanity",
    "pii",
    "injection",
    "sensitive",
    # soft: the copy is served, and queued for an editor
    "channel_too_long",
    "tone",
    "low_confidence",
]
SOFT_KINDS: frozenset[str] = frozenset({"channel_too_long", "tone", "low_confidence"})
CopyField = Literal["title", "description", "cta", "copy"]

_FIELDS: tuple[tuple[CopyField, int], ...] = (
    ("title", MAX_TITLE),
    ("description", MAX_DESCRIPTION),
    ("cta", MAX_CTA),
)

# Template syntax of the common engines (Jinja, str.format, shell/JS, printf-style): any of these
# in finished copy means a template was not filled in.
_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}|\$\{|\{\s*[A-Za-z_][\w.\[\]]*\s*\}|%\([A-Za-z_]\w*\)[sdr]"
)

# A term matches as a whole word: not preceded or followed by a letter or digit. The underscore
# counts as a separator so that "best_ever" is caught like "best-ever".
_LEFT = r"(?<![^\W_])"
_RIGHT = r"(?![^\W_])"
_SUFFIXES = r"(?:s|es|d|ed|ing|er|ers)?"


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem with the copy: what kind, the offending term, and where it was found."""

    kind: ViolationKind
    term: str
    field: CopyField


@dataclass(frozen=True, slots=True)
class GuardResult:
    """What the guard did to one answer, for the runner to log and count.

    ``violations`` lists what was wrong with the copy as written (empty when it passed);
    ``replaced`` says whether the brand's safe copy was put in its place.
    """

    violations: tuple[Violation, ...] = field(default_factory=tuple)
    replaced: bool = False
    soft: tuple[Violation, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not self.violations


def _normalise(text: str) -> str:
    # NFKC folds full-width and compatibility forms ("ｂｅｓｔ", ligatures) onto plain letters, so
    # they cannot slip past the patterns; casefold is the Unicode-aware lower().
    return unicodedata.normalize("NFKC", text).casefold()


def _term_pattern(term: str) -> str | None:
    words = _normalise(term).split()
    if not words:
        return None
    body = r"[\s\-_]+".join(re.escape(w) for w in words)
    last = words[-1]
    if last[-1:].isalnum():
        # Simple inflections of the last word; "cure" -> "curing" drops its "e" first.
        body += _SUFFIXES
        if last.endswith("e") and len(last) > 2:
            stem = r"[\s\-_]+".join(re.escape(w) for w in [*words[:-1], last[:-1]])
            body = f"(?:{body}|{stem}ing)"
    return f"{_LEFT}{body}{_RIGHT}"


@lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation per brand term list; cached because specs rarely change."""
    parts: list[str] = []
    for term in terms:
        pattern = _term_pattern(term)
        if pattern is not None:
            parts.append(f"(?P<t{len(parts)}>{pattern})")
    return re.compile("|".join(parts)) if parts else None


_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=256)
def _prepared(terms: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The usable terms, and the start of each one's first word (less a final "e": "cur" for
    "cure", so "curing" counts): text with no word starting so cannot match any term."""
    kept = tuple(t for t in terms if _normalise(t).strip())
    starts: list[str] = []
    for term in kept:
        words = _TOKEN.findall(_normalise(term))
        first = words[0] if words else ""
        starts.append(first[:-1] if first.endswith("e") and len(first) > 2 else first)
    return kept, tuple(starts)


def _find_terms(text: str, terms: Iterable[str]) -> list[str]:
    """Return each configured term that occurs in ``text`` (as configured, once each)."""
    kept, starts = _prepared(tuple(terms))
    folded = _normalise(text)
    if "" not in starts and not any(w.startswith(starts) for w in _TOKEN.findall(folded)):
        return []  # the usual case, for the price of one tokenisation
    matcher = _matcher(kept)
    if matcher is None:
        return []
    found: list[str] = []
    for m in matcher.finditer(folded):
        assert m.lastgroup is not None
        term = kept[int(m.lastgroup[1:])]
        if term not in found:
            found.append(term)
    return found


_SHOUT = re.compile(r"\b[A-Z]{4,}\b")


def _field_limits(spec: ExperienceSpec) -> dict[str, int]:
    web = spec.brand.channel_limits.get("web")
    if web is None:
        return dict(_FIELDS)
    return {"title": web.title, "description": web.description, "cta": web.cta}


def check(copy: CopyText, spec: ExperienceSpec) -> list[Violation]:
    """List every hard problem with ``copy`` under the experience's brand rules (pure).

    Hard problems mean the copy must not be shown: a banned word, claim or competitor, a
    placeholder, copy too long for the web, and whatever the output content checks find
    (profanity, personal data, an echoed injection, a sensitive topic the experience does not
    allow). :func:`soft_check` lists what an editor should look at instead.
    """
    brand = spec.brand
    rails = spec.guardrails
    limits = _field_limits(spec)
    out: list[Violation] = []
    # Every check below almost always finds nothing: one pass over the whole copy first, and a
    # pass per field only when there is something to place.
    whole = "\n".join((copy.title, copy.description, copy.cta))
    any_term = bool(
        _find_terms(whole, (*brand.banned_words, *brand.banned_claims, *brand.competitors))
    )
    for name, _ in _FIELDS:
        text: str = getattr(copy, name)
        if not text.strip():
            out.append(Violation("empty", "", name))
            continue
        if len(text) > limits[name]:
            out.append(Violation("too_long", str(len(text)), name))
        if any_term:
            for term in _find_terms(text, brand.banned_words):
                out.append(Violation("banned_word", term, name))
            for term in _find_terms(text, brand.banned_claims):
                out.append(Violation("banned_claim", term, name))
            for term in _find_terms(text, brand.competitors):
                out.append(Violation("competitor", term, name))
        for m in _PLACEHOLDER.finditer(text):
            out.append(Violation("placeholder", m.group(0), name))
    if scan(whole, allowed_topics=rails.allowed_topics, checks=rails.output_checks):
        for name, _ in _FIELDS:
            text = getattr(copy, name)
            for f in scan(text, allowed_topics=rails.allowed_topics, checks=rails.output_checks):
                out.append(Violation(f.check, f.detail, name))
    return out


def soft_check(copy: CopyText, spec: ExperienceSpec) -> list[Violation]:
    """Problems that do not stop the copy but send it to an editor.

    Copy too long for another declared channel (an ad headline, an SMS), a tone the voice
    does not use (exclamation marks outside the playful voice, shouted words), and copy its
    copywriter was not confident about.
    """
    out: list[Violation] = []
    for channel, lim in spec.brand.channel_limits.items():
        if channel == "web":
            continue
        pairs: tuple[tuple[CopyField, int], ...] = (
            ("title", lim.title),
            ("description", lim.description),
        )
        for name, limit in pairs:
            text: str = getattr(copy, name)
            if len(text) > limit:
                out.append(Violation("channel_too_long", f"{channel}:{len(text)}>{limit}", name))
    if spec.brand.voice != "playful":
        for name, _ in _FIELDS:
            text = getattr(copy, name)
            if "!" in text:
                out.append(Violation("tone", "exclamation", name))
            if _SHOUT.search(text):
                out.append(Violation("tone", "shouting", name))
    if copy.confidence < spec.guardrails.min_confidence:
        out.append(Violation("low_confidence", f"{copy.confidence:.2f}", "copy"))
    return out


def safe_copy(spec: ExperienceSpec) -> CopyText:
    """The brand's own fallback words, reviewed once when the brand was set up."""
    brand = spec.brand
    return CopyText(
        title=brand.safe_title,
        description=brand.safe_description,
        cta=brand.cta,
        source="safe",
        legal=list(brand.legal_lines),
    )


def run(answer: Answer, spec: ExperienceSpec) -> GuardResult:
    """Check ``answer.copy``; replace it with the brand's safe copy when anything is wrong.

    Missing copy (the copywriter failed or was skipped) is also replaced, so the render stage
    always has words to show. Copy that passes but fails a soft check is kept, and its reasons
    go to ``answer.review`` for the engine to queue. The brand's legal lines are attached to
    whatever copy is shown. The return value is for the runner's logs and counters.
    """
    if answer.copy is None:
        answer.copy = safe_copy(spec)
        return GuardResult((Violation("missing", "", "copy"),), replaced=True)
    violations = tuple(check(answer.copy, spec))
    if violations:
        answer.copy = safe_copy(spec)
        return GuardResult(violations, replaced=True)
    soft = tuple(soft_check(answer.copy, spec)) if answer.copy.source != "approved" else ()
    answer.review = [f"{v.kind}:{v.term}:{v.field}" for v in soft]
    answer.copy.legal = list(spec.brand.legal_lines)
    return GuardResult((), replaced=False, soft=soft)
