"""The data that travels through the pipeline.

One mutable :class:`Answer` object flows through every stage (capture -> understand -> enrich ->
retrieve -> rank -> rules -> assemble -> copywriting -> guard -> render). Each stage reads what the
stages before it wrote and fills in its own part, so a test can run any prefix of the pipeline and
look at the state in between, and the runner can time each stage and fall back at any point.

Item-level data is kept as NumPy arrays of *catalog row indices* (``int32``) with aligned feature
columns, not as lists of objects: ranking a few hundred candidates per request must cost
microseconds, and arrays make that cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.int32]


@dataclass(slots=True)
class RequestContext:
    """What the client tells us about the moment of the request.

    ``time_of_day`` is derived from ``hour`` when the client sends only the hour (its local time).
    """

    hour: int | None = None
    time_of_day: str | None = None  # "morning" | "afternoon" | "evening" | "night"
    device: str | None = None  # "mobile" | "desktop" | "tablet" | ...
    locale: str | None = None  # e.g. "en-GB"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Captured:
    """The person's answer after validation and redaction (capture stage)."""

    choice_id: str | None
    text: str  # redacted, trimmed, length-capped; the only form of free text that is ever stored
    redactions: list[str] = field(default_factory=list)  # kinds removed: "email", "phone", "card"


@dataclass(slots=True)
class Intent:
    """What the person asked for, in the catalog's own terms (understand stage).

    ``required`` and ``excluded`` are hard constraints on categorical attributes
    (attribute name -> values; an item passes ``required`` when it has at least one of the
    values of each listed attribute, and ``excluded`` when it has none of them).
    ``preferred`` are soft: they raise the score but never filter.
    """

    text: str  # what is embedded: the choice's intent text or the free text minus constraints
    vector: FloatArray | None = None  # unit-norm embedding of ``text``
    terms: list[str] = field(default_factory=list)  # lexical query terms
    moods: list[str] = field(default_factory=list)
    preferred: dict[str, list[str]] = field(default_factory=dict)
    required: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    # values the person named in their own words (a subset of ``required``): "as you asked"
    # is true of these, not of what the experience requires of every item
    asked: dict[str, list[str]] = field(default_factory=dict)
    numeric_min: dict[str, float] = field(default_factory=dict)  # e.g. {"price": 10, "year": 1990}
    numeric_max: dict[str, float] = field(default_factory=dict)  # e.g. {"price": 50, "year": 1999}
    # values the person required that had to be relaxed to fill the result: items that have
    # them still come first (rules stage), the others only fill
    relaxed: dict[str, list[str]] = field(default_factory=dict)
    budget: float | None = None  # total budget for a bundle
    audience: str | None = None  # e.g. "kids"
    notes: list[str] = field(default_factory=list)  # readable trace of what was understood


@dataclass(slots=True)
class Profile:
    """What we know about the person (enrich stage)."""

    user_id: str | None
    history: IndexArray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    history_weights: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    consumed: set[int] = field(default_factory=set)  # catalog rows the person already has
    # the latest positives, newest first: what someone picks next is closest to what they
    # picked last, which a recency-weighted history sum blurs
    recent: IndexArray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    now: float | None = None  # the person's latest event time: their own "now"
    # attribute name -> value -> affinity in [0, 1] (recency- and frequency-weighted)
    affinities: dict[str, dict[str, float]] = field(default_factory=dict)
    context: RequestContext = field(default_factory=RequestContext)

    @property
    def is_cold(self) -> bool:
        return len(self.history) == 0


@dataclass(slots=True)
class Candidates:
    """Candidate items with one aligned column per signal (retrieve, rank, rules stages)."""

    rows: IndexArray
    features: dict[str, FloatArray] = field(default_factory=dict)
    score: FloatArray | None = None
    pinned: list[int] = field(default_factory=list)  # catalog rows that rules pin, in order
    # per-request scratch shared by rank, rules and assemble (e.g. the constraint mask, the
    # attribute weights behind the "intent" signal), so reasons reuse what ranking computed
    explain: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask_or_order: npt.NDArray[Any]) -> Candidates:
        """Keep (or reorder) candidates by a boolean mask or an index array, columns aligned."""
        return Candidates(
            rows=self.rows[mask_or_order],
            features={k: v[mask_or_order] for k, v in self.features.items()},
            score=None if self.score is None else self.score[mask_or_order],
            pinned=self.pinned,
            explain=self.explain,
        )


@dataclass(slots=True)
class ResultItem:
    """One item of the final result, ready to show."""

    id: str
    title: str
    score: float
    reasons: list[str]
    url: str | None = None
    price: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CopyText:
    """The words around the result (copywriting stage, checked by guard)."""

    title: str
    description: str
    cta: str
    source: str = "template"  # which copywriter wrote it; "safe" when guard replaced it
    legal: list[str] = field(default_factory=list)  # the brand's required lines, set by guard
    confidence: float = 1.0  # the copywriter's own confidence; low goes to editorial review


@dataclass(slots=True)
class Answer:
    """The one object that flows through every stage of a request."""

    request_id: str
    workspace: str
    experience_key: str
    experience_version: int
    variant: str
    user_id: str | None
    raw_choice: str | None
    raw_text: str | None
    context: RequestContext
    captured: Captured | None = None
    intent: Intent | None = None
    profile: Profile | None = None
    candidates: Candidates | None = None
    items: list[ResultItem] = field(default_factory=list)
    bundle_total: float | None = None
    copy: CopyText | None = None
    html: str = ""
    fallback: bool = False
    fallback_reason: str | None = None
    # what the content checks found in the person's answer ("injection:...", "sensitive:health")
    input_flags: list[str] = field(default_factory=list)
    # soft guard findings: the copy was served but goes to editorial review
    review: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_public(self) -> dict[str, Any]:
        """The JSON shape that the API returns."""
        return {
            "request_id": self.request_id,
            "experience": self.experience_key,
            "experience_version": self.experience_version,
            "variant": self.variant,
            "items": [
                {
                    "id": it.id,
                    "title": it.title,
                    "score": round(float(it.score), 6),
                    "reasons": it.reasons,
                    "url": it.url,
                    "price": it.price,
                }
                for it in self.items
            ],
            "bundle_total": self.bundle_total,
            "copy": None
            if self.copy is None
            else {
                "title": self.copy.title,
                "description": self.copy.description,
                "cta": self.copy.cta,
                "source": self.copy.source,
                "legal": self.copy.legal,
            },
            "html": self.html,
            "fallback": self.fallback,
            "understood": None if self.intent is None else self.intent.notes,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }
