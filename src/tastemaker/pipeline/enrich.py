"""Enrich: what we know about the person, from their events and the request's context.

The runner hands this stage the person's latest events (newest first); the stage turns them into
catalog rows with recency- and frequency-weighted strengths, the set of items they already have,
and affinities to attribute values. Weights use the person's own latest event as "now", so a
replayed history (offline evaluation) behaves like a live one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from tastemaker.catalog import Catalog
from tastemaker.fit import NEGATIVE_EVENTS, event_weight
from tastemaker.types import Answer, Profile, RequestContext

HISTORY_HALF_LIFE_DAYS = 90.0
MAX_HISTORY = 200
MAX_RECENT = 20
# Event types that mean the person already has (or has had) the item.
CONSUMING = frozenset({"rating", "purchase", "play", "complete", "like", "save", "tag"})


class EventLike(Protocol):
    @property
    def item_id(self) -> str | None: ...
    @property
    def type(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def ts(self) -> float: ...


def time_of_day(hour: int | None) -> str | None:
    if hour is None:
        return None
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def build_profile(
    user_id: str | None,
    events: Sequence[EventLike],
    catalog: Catalog,
    context: RequestContext,
) -> Profile:
    """A profile from events (any order); unknown items are ignored."""
    if context.time_of_day is None:
        context.time_of_day = time_of_day(context.hour)
    profile = Profile(user_id=user_id, context=context)
    if not events:
        return profile
    now = max(e.ts for e in events)
    profile.now = now
    strength: dict[int, float] = {}
    consumed: set[int] = set()
    latest: dict[int, float] = {}
    rejected: set[int] = set()
    for e in events:
        if e.item_id is None:
            continue
        row = catalog.id_to_row.get(e.item_id)
        if row is None:
            continue
        if e.type in NEGATIVE_EVENTS:
            rejected.add(row)
            continue
        if e.type in CONSUMING:
            consumed.add(row)
        w = event_weight(e.type, e.value)
        if w <= 0:
            continue
        decay = 0.5 ** (max(0.0, now - e.ts) / 86400.0 / HISTORY_HALF_LIFE_DAYS)
        strength[row] = strength.get(row, 0.0) + w * decay
        latest[row] = max(latest.get(row, -np.inf), e.ts)
    # A removed item is never offered again (rules exclude ``consumed``) and its earlier
    # positives stop shaping the person's affinities.
    profile.consumed = consumed | rejected
    for row in rejected:
        strength.pop(row, None)
        latest.pop(row, None)
    if not strength:
        return profile
    # Newest first; same-second events (a batch of ratings) keep the stronger one first.
    newest = sorted(latest, key=lambda r: (-latest[r], -strength[r]))[:MAX_RECENT]
    profile.recent = np.array(newest, dtype=np.int32)
    rows = sorted(strength, key=lambda r: -strength[r])[:MAX_HISTORY]
    profile.history = np.array(rows, dtype=np.int32)
    profile.history_weights = np.array([strength[r] for r in rows], dtype=np.float32)
    weights = profile.history_weights / profile.history_weights.sum()
    for name, attr in catalog.categorical.items():
        if not attr.is_facet:
            continue  # near-unique attributes (artists, authors) say little about taste
        scores = attr.totals(profile.history, weights)
        if scores.max() <= 0:
            continue
        scores = scores / scores.max()
        top = np.argsort(-scores)[:10]
        profile.affinities[name] = {
            attr.values[j]: float(scores[j]) for j in top if scores[j] > 0.05
        }
    return profile


def run(
    answer: Answer, catalog: Catalog, events: Sequence[EventLike], *, use_history: bool = True
) -> None:
    """Sets ``answer.profile``. ``use_history=False`` answers from prompt and context alone."""
    answer.profile = build_profile(
        answer.user_id, events if use_history else [], catalog, answer.context
    )
