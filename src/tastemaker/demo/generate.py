"""A seeded demo catalog and plausible histories that the project may redistribute.

Public data sets carry licences that forbid redistribution or come without the mix of music and
retail that the demo needs, so the project makes its own: ~2,200 music tracks and ~800 products
for a weekend/home/outdoor store in one workspace, plus ~300 users whose events follow a latent
taste with popularity skew, and a few named personas (``DEMO_USERS``) whose histories differ
sharply so that switching the demo user visibly changes the result.

Everything is drawn from :class:`random.Random` streams seeded from ``seed`` and a stream name
(tracks, products, users, each persona), because its algorithms are stable across Python versions
and platforms: the same seed gives the same catalog everywhere, and the curated ``default_items``
in the demo experiences keep pointing at the items they were chosen for. Item ids are positional
(``t0001``, ``p0001``) so they never depend on the random draws at all. The words live in
``vocab.py``, the items are made in ``items.py``; this module adds the people and their events.

Event times are offsets back from ``now``. The default ``now`` is a fixed instant so that files
written by :func:`write` are reproducible; :func:`tastemaker.demo.load_demo` passes the real clock
so that recency weighting sees a fresh history. Each event carries a positional ``event_id``, so
loading the demo again inserts nothing new even though ``now`` moved.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tastemaker.demo import vocab as V
from tastemaker.demo.items import make_products, make_tracks, rng_for, weighted
from tastemaker.demo.slices import make_destinations, make_services, slice_events

SEED = 7
N_USERS = 300
HISTORY_DAYS = 120
DEMO_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z; fixed so that written files are reproducible

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Taste:
    """A latent taste: what a user gravitates to, and how much they do.

    ``focus`` is the share of picks that follow the taste (the rest follow popularity alone).
    ``drift`` are genres the user liked earlier on; their events sit in the older half of the
    window, so a recency-aware profile should favour ``genres`` over them.
    """

    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    n_plays: int = 0
    n_sessions: int = 0
    focus: float = 0.85
    drift: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Persona:
    """A named demo user; the demo page lists them so a visitor can switch between histories."""

    id: str
    label: str
    taste: Taste


DEMO_USERS: tuple[Persona, ...] = (
    Persona(
        "u_focus",
        "Deep-work listener",
        Taste(("ambient", "lo-fi", "classical"), ("focused", "calm"), n_plays=160, focus=0.95),
    ),
    Persona(
        "u_party",
        "Party starter",
        Taste(
            ("house", "disco", "pop", "latin", "funk"),
            ("energetic", "happy"),
            categories=("games", "snacks", "kitchen"),
            audiences=("adults",),
            tags=("party", "game-night"),
            n_plays=160,
            n_sessions=20,
            focus=0.95,
        ),
    ),
    Persona(
        "u_nightowl",
        "Late-night jazz & soul",
        Taste(("jazz", "soul", "r&b", "trip-hop"), ("romantic", "dreamy"), n_plays=140, focus=0.95),
    ),
    Persona(
        "u_family_shopper",
        "Family weekend shopper",
        Taste(
            ("pop", "acoustic"),
            ("happy",),
            categories=("games", "crafts", "snacks", "outdoor", "books"),
            audiences=("kids", "family"),
            tags=("family-day", "picnic"),
            n_plays=25,
            n_sessions=45,
            focus=0.95,
        ),
    ),
    Persona(
        "u_cozy",
        "Cozy homebody",
        Taste(
            ("folk", "acoustic", "jazz"),
            ("calm", "melancholic"),
            categories=("candles", "tea", "books", "coffee", "wellness"),
            audiences=("adults",),
            tags=("cozy-night-in", "self-care"),
            n_plays=60,
            n_sessions=40,
            focus=0.95,
        ),
    ),
    Persona("u_new", "New visitor (no history)", Taste()),
)


# -- histories --------------------------------------------------------------------------------


def _random_taste(rng: random.Random) -> Taste:
    genre_weights = {name: g.weight for name, g in V.GENRES.items()}
    listens = rng.random() < 0.75
    shops = rng.random() < 0.5 or not listens
    genres = weighted(rng, genre_weights, rng.choice((1, 2, 2, 3)))
    mood_weights: dict[str, float] = {}
    for g in genres:
        for m, w in V.GENRES[g].moods.items():
            mood_weights[m] = mood_weights.get(m, 0.0) + w
    drift = weighted(rng, genre_weights, 2) if rng.random() < 0.3 else []
    categories = weighted(rng, V.CATEGORY_WEIGHTS, rng.choice((2, 2, 3)))
    audience = rng.choices(V.AUDIENCES, weights=(0.55, 0.15, 0.3))[0]
    occasions = weighted(rng, dict.fromkeys(V.OCCASION_LINES, 1.0), 2)

    def size(median: float, lo: int, hi: int) -> int:
        return max(lo, min(hi, int(rng.lognormvariate(math.log(median), 0.7))))

    return Taste(
        genres=tuple(genres),
        moods=tuple(weighted(rng, mood_weights, 2)),
        categories=tuple(categories),
        audiences=(audience,) if audience == "adults" else ("kids", "family"),
        tags=tuple(occasions),
        n_plays=size(45, 5, 250) if listens else 0,
        n_sessions=size(14, 3, 80) if shops else 0,
        focus=rng.uniform(0.7, 0.9),
        drift=tuple(g for g in drift if g not in genres),
    )


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class _Histories:
    """Draws a user's events from a taste; holds the per-catalog precomputations."""

    def __init__(
        self,
        tracks: list[dict[str, Any]],
        track_pop: list[float],
        products: list[dict[str, Any]],
        product_pop: list[float],
        now: float,
    ) -> None:
        self.tracks, self.products, self.now = tracks, products, now
        self.track_pop = [p**0.8 for p in track_pop]
        self.product_pop = [p**0.8 for p in product_pop]
        self.track_pop_cum = _cumulative(self.track_pop)
        self.product_pop_cum = _cumulative(self.product_pop)
        self.track_sets = [
            (set(t["attributes"]["genres"]), set(t["attributes"]["moods"])) for t in tracks
        ]

    def _when(self, rng: random.Random, old: bool = False) -> float:
        """Seconds back from now: most activity is recent, some is spread over the window."""
        if old:
            days = rng.uniform(HISTORY_DAYS / 2, HISTORY_DAYS)
        elif rng.random() < 0.6:
            days = min(rng.expovariate(1 / 25), HISTORY_DAYS - 0.01)
        else:
            days = rng.uniform(0, HISTORY_DAYS)
        # At least an hour ago: follow-up events (a like, a cart, a purchase) come later than the
        # first one and must still lie in the past.
        return max(days * _DAY, 3600.0)

    def _track_weights(self, genres: set[str], moods: set[str]) -> list[float]:
        out = []
        for pop, (g, m) in zip(self.track_pop, self.track_sets, strict=True):
            match = 3.0 * bool(g & genres) + 1.5 * len(m & moods)
            out.append(pop * match * (2.0 if g & genres and m & moods else 1.0))
        return out

    def user(self, rng: random.Random, user_id: str, taste: Taste) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        def add(item_id: str, kind: str, ago: float, value: float | None = None) -> None:
            # Whole seconds back from ``now``: the order of events never depends on ``now``.
            events.append(
                {"user_id": user_id, "item_id": item_id, "type": kind,
                 "value": value, "ts": self.now - round(ago)}
            )  # fmt: skip

        if taste.n_plays:
            liked = _cumulative(self._track_weights(set(taste.genres), set(taste.moods)))
            old = _cumulative(self._track_weights(set(taste.drift), set())) if taste.drift else None
            rows = range(len(self.tracks))
            for _ in range(taste.n_plays):
                r = rng.random()
                back, fan = old is not None and r < 0.25, True
                if back:
                    row = rng.choices(rows, cum_weights=old)[0]
                elif r < taste.focus:
                    row = rng.choices(rows, cum_weights=liked)[0]
                else:  # something popular they did not pick for themselves: often skipped
                    row = rng.choices(rows, cum_weights=self.track_pop_cum)[0]
                    fan = rng.random() < 0.3
                item_id, ago = self.tracks[row]["id"], self._when(rng, old=back)
                if fan:
                    add(item_id, "play", ago, round(rng.uniform(0.6, 1.0), 2))
                    if rng.random() < 0.2:
                        add(item_id, "like", ago - rng.uniform(30, 240))
                else:
                    add(item_id, "skip", ago, round(rng.uniform(0.02, 0.3), 2))
        if taste.n_sessions:
            cats, auds, tags = set(taste.categories), set(taste.audiences), set(taste.tags)
            weights = []
            for pop, p in zip(self.product_pop, self.products, strict=True):
                a = p["attributes"]
                match = (
                    3.0 * (a["category"] in cats)
                    + 1.5 * (a["audience"] in auds)
                    + 1.0 * len(tags.intersection(a["tags"]))
                )
                weights.append(pop * match)
            liked = _cumulative(weights)
            for _ in range(taste.n_sessions):
                cum = liked if rng.random() < taste.focus else self.product_pop_cum
                row = rng.choices(range(len(self.products)), cum_weights=cum)[0]
                item_id, ago = self.products[row]["id"], self._when(rng)
                add(item_id, "view", ago)
                if rng.random() < (0.4 if cum is liked else 0.1):
                    ago -= rng.uniform(20, 600)
                    add(item_id, "add_to_cart", ago)
                    if rng.random() < 0.5:
                        add(item_id, "purchase", ago - rng.uniform(60, 1800))
        return events


def generate(
    seed: int = SEED, now: float | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The demo catalog and events: ``(items, events)`` as ItemIn / EventIn-shaped dicts.

    Deterministic for a given ``seed`` and ``now`` (default: the fixed ``DEMO_NOW``). Items come
    tracks first, then products, then the trip and service slices; events are ordered by time.
    """
    now = DEMO_NOW if now is None else float(now)
    tracks, track_pop = make_tracks(seed)
    products, product_pop = make_products(seed)
    histories = _Histories(tracks, track_pop, products, product_pop, now)
    events: list[dict[str, Any]] = []
    users = rng_for(seed, "users")
    for n in range(N_USERS):
        events += histories.user(users, f"u{n + 1:03d}", _random_taste(users))
    for persona in DEMO_USERS:
        events += histories.user(rng_for(seed, persona.id), persona.id, persona.taste)
    slices = make_destinations(seed) + make_services(seed)
    users_seen = [f"u{n + 1:03d}" for n in range(N_USERS)]
    events += slice_events(seed, now, users_seen, [i for i in slices if i["available"]])
    events.sort(key=lambda e: (e["ts"], e["user_id"], e["item_id"], e["type"]))
    for n, e in enumerate(events):
        # Positional ids: ts shifts with ``now`` but the sort order does not, so a reload with a
        # later clock maps every event onto the one already stored.
        e["event_id"] = f"demo-{seed}-{n:06d}"
    return tracks + products + slices, events


def write(folder: str | Path, seed: int = SEED, now: float | None = None) -> tuple[Path, Path]:
    """Write ``items.jsonl`` and ``events.jsonl`` into ``folder``; returns their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    items, events = generate(seed, now)
    paths = out / "items.jsonl", out / "events.jsonl"
    for path, rows in zip(paths, (items, events), strict=True):
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return paths
