"""The demo catalog: music tracks and weekend-store products, drawn from ``vocab``.

Each generator takes the seed and returns item dicts (shaped like ``tastemaker.ingest.ItemIn``)
with an aligned list of latent popularity, which ``generate`` uses to skew the histories; the
popularity itself is never stored, the engine learns it from the events.

Every draw comes from :class:`random.Random` streams seeded from the seed and a stream name,
because its algorithms are stable across Python versions and platforms: the same seed gives the
same catalog everywhere. Ids are positional (``t0001``, ``p0001``).
"""

from __future__ import annotations

import random
from typing import Any

from tastemaker.demo import vocab as V

N_TRACKS = 2200
N_PRODUCTS = 800
N_ARTISTS = 420
TRACK_URL = "https://music.example.com/track/"
PRODUCT_URL = "https://shop.example.com/p/"

_ELECTRONIC = {"ambient", "lo-fi", "house", "techno", "drum-and-bass", "synthwave", "trip-hop"}
_BANDS = {"rock", "indie", "metal", "folk", "funk", "disco", "reggae"}


def rng_for(seed: int, stream: str) -> random.Random:
    # A str seed is hashed with SHA-512 by random.Random, so it is stable across runs and versions
    # (unlike hash()), and one stream's draws never shift another's.
    return random.Random(f"tastemaker-demo:{seed}:{stream}")


def weighted(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """Up to ``k`` distinct keys drawn with probability proportional to their weight."""
    pool = dict(weights)
    out: list[str] = []
    while pool and len(out) < k:
        pick = rng.choices(list(pool), weights=list(pool.values()))[0]
        out.append(pick)
        del pool[pick]
    return out


def _artist_name(rng: random.Random, genre: str, taken: set[str]) -> str:
    for _ in range(50):
        r = rng.random()
        if genre in _ELECTRONIC and r < 0.6:
            name = rng.choice(V.ALIASES) + rng.choice(("", "", " Collective", " Sound", " & Co"))
        elif genre in _BANDS and r < 0.6:
            name = f"The {rng.choice(V.BAND_ADJECTIVES)} {rng.choice(V.BAND_NOUNS)}"
        elif r < 0.85:
            name = f"{rng.choice(V.FIRST_NAMES)} {rng.choice(V.LAST_NAMES)}"
        else:
            name = f"{rng.choice(V.FIRST_NAMES)} & the {rng.choice(V.BAND_NOUNS)}"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{rng.choice(V.FIRST_NAMES)} {rng.choice(V.LAST_NAMES)} {len(taken)}"
    taken.add(name)
    return name


def _an(word: str) -> str:
    """``word`` with its indefinite article ("an 80s", "an upbeat", "a 90s")."""
    return f"{'an' if word[0] in 'aeiou8' else 'a'} {word}"


def _track_text(rng: random.Random, t: dict[str, Any], genre: str, sound: str) -> str:
    moods: list[str] = t["moods"]
    if len(moods) > 1:
        a, b = rng.choice(V.MOOD_WORDS[moods[0]]), rng.choice(V.MOOD_WORDS[moods[-1]])
    else:
        a, b = rng.sample(V.MOOD_WORDS[moods[0]], 2)
    use = rng.choice(V.MOOD_USES[rng.choice(moods)])
    bpm, energy = t["tempo_bpm"], t["energy"]
    pace = (
        "slow" if bpm < 80 else "mid-tempo" if bpm < 105
        else "upbeat" if bpm < 125 else "driving" if bpm < 150 else "breakneck"
    )  # fmt: skip
    feel = (
        "Low-key and gentle, it stays in the background."
        if energy < 0.35
        else "It moves at an easy, steady pace."
        if energy < 0.65
        else "High energy from the first bar."
    )
    artist, year, decade = t["artist"], t["year"], t["decade"]
    other = next((g for g in t["genres"] if g != genre), None)
    templates = [
        f"{_an(pace).capitalize()} {genre} track by {artist}, built on {sound}. "
        f"It feels {a} and {b}, good for {use}.",
        f"{artist} delivers {sound} at {bpm} BPM: {_an(a)}, {b} {genre} cut from {year}. "
        f"Try it for {use}.",
        f"{a.capitalize()} and {b}: {sound} with {_an(decade)} {genre} flavour. Ideal for {use}.",
        f"From {year}, {artist} blends {genre}{f' and {other}' if other else ''} with {sound}. "
        f"{feel}",
        f"Built on {sound}, this {a} {genre} piece by {artist} is made for {use}. {feel}",
    ]
    return rng.choice(templates)


def make_tracks(seed: int) -> tuple[list[dict[str, Any]], list[float]]:
    """Tracks (as item dicts) and their latent popularity, aligned."""
    rng = rng_for(seed, "tracks")
    genre_names = list(V.GENRES)
    genre_weights = [g.weight for g in V.GENRES.values()]
    total = sum(genre_weights)
    taken: set[str] = set()
    # Artists per genre in proportion to the genre's share, so a prolific artist cannot tilt the
    # genre mix; within a genre, Zipf-like sizes: a few prolific artists, a long single-track tail.
    roster: dict[str, list[tuple[str, int, float]]] = {}  # genre -> (name, decade index, pop)
    for genre, w in zip(genre_names, genre_weights, strict=True):
        decades = V.GENRES[genre].decades
        roster[genre] = [
            (
                _artist_name(rng, genre, taken),
                rng.choices(range(len(V.DECADES)), weights=decades)[0],
                rng.lognormvariate(0, 1),
            )
            for _ in range(max(3, round(N_ARTISTS * w / total)))
        ]
    titles: set[str] = set()
    items: list[dict[str, Any]] = []
    popularity: list[float] = []
    for n in range(N_TRACKS):
        genre = rng.choices(genre_names, weights=genre_weights)[0]
        names = roster[genre]
        name, decade_i, artist_pop = rng.choices(
            names, weights=[1.0 / (i + 2) ** 0.9 for i in range(len(names))]
        )[0]
        g = V.GENRES[genre]
        genres = [genre]
        if g.neighbours and rng.random() < 0.4:
            genres.append(rng.choice(g.neighbours))
        energy = round(rng.uniform(*g.energy), 2)
        moods = weighted(rng, g.moods, rng.choices((1, 2, 3), weights=(0.25, 0.55, 0.2))[0])
        if energy > 0.8 and "energetic" not in moods and rng.random() < 0.5:
            moods.append("energetic")
        if energy < 0.25 and "calm" not in moods and rng.random() < 0.5:
            moods.append("calm")
        if decade_i + 1 < len(V.DECADES) and rng.random() < 0.3:
            decade_i += 1
        decade = V.DECADES[decade_i]
        year = min(V.DECADE_START[decade] + rng.randrange(10), 2025)
        title = ""
        for _ in range(30):
            title = f"{rng.choice(V.TITLE_ADJECTIVES[moods[0]])} {rng.choice(V.TITLE_NOUNS)}"
            if title not in titles:
                break
        else:
            title += " II"
        titles.add(title)
        attributes: dict[str, Any] = {
            "kind": "track",
            "genres": genres,
            "moods": moods,
            "decade": decade,
            "year": year,
            "tempo_bpm": rng.randint(*g.tempo),
            "energy": energy,
            "artist": name,
        }
        item_id = f"t{n + 1:04d}"
        text = _track_text(rng, attributes, genre, rng.choice(g.sounds))
        items.append(
            {
                "id": item_id,
                "title": f"{title} by {name}",
                "text": text,
                "attributes": attributes,
                "price": None,
                "available": True,
                "url": TRACK_URL + item_id,
            }
        )
        popularity.append(artist_pop * rng.lognormvariate(0, 0.6))
    return items, popularity


def _product_text(rng: random.Random, title: str, p: V.ProductType, tags: list[str]) -> str:
    lines = [f"{title}: {p.blurb}."]
    occasions = [t for t in tags if t in V.OCCASION_LINES]
    lines.append(V.OCCASION_LINES[rng.choice(occasions)])
    extras = {
        "organic": "Certified organic.",
        "vegan": "Vegan, with nothing artificial.",
        "gift": "Arrives gift-wrapped.",
        "eco": "Made from recycled materials.",
        "handmade": "Handmade in small batches.",
        "local": "Made by a local maker.",
        "kid-friendly": "Safe and easy for kids.",
    }
    lines.extend(extras[t] for t in tags if t in extras)
    return " ".join(lines)


def make_products(seed: int) -> tuple[list[dict[str, Any]], list[float]]:
    """Products (as item dicts) and their latent popularity, aligned."""
    rng = rng_for(seed, "products")
    categories = list(V.PRODUCTS)
    cat_weights = [V.CATEGORY_WEIGHTS[c] for c in categories]
    titles: set[str] = set()
    drafts: list[tuple[str, str, V.ProductType, list[str], str, float, bool]] = []
    for _ in range(N_PRODUCTS):
        category = rng.choices(categories, weights=cat_weights)[0]
        variants, types = V.PRODUCTS[category]
        ptype = rng.choice(types)
        title = ""
        for _ in range(30):
            variant = rng.choice(ptype.variants or variants)
            title = (
                f"{variant} ({ptype.name})" if category == "books" else f"{variant} {ptype.name}"
            )
            if title not in titles:
                break
        else:
            title += rng.choice((" - Large", " - Travel Size", " - Deluxe", " - Mini"))
        titles.add(title)
        audience = rng.choices(V.AUDIENCES, weights=ptype.audience)[0]
        tags = list(ptype.tags)
        tags += rng.sample(V.PROPERTY_TAGS, rng.choices((0, 1, 2), weights=(0.4, 0.4, 0.2))[0])
        if audience != "adults":
            tags.append("kid-friendly")
        lo, hi = ptype.price
        price = max(round(rng.uniform(lo, hi)), 4) - 0.01
        drafts.append((title, category, ptype, tags, audience, price, rng.random() < 0.93))
    popularity = [rng.lognormvariate(0, 1) for _ in drafts]
    # The most popular ~8% carry a "bestseller" tag, so a boost on it agrees with the events.
    cutoff = sorted(popularity, reverse=True)[int(N_PRODUCTS * 0.08)]
    items: list[dict[str, Any]] = []
    for n, ((title, category, ptype, tags, audience, price, available), pop) in enumerate(
        zip(drafts, popularity, strict=True)
    ):
        if pop > cutoff:
            tags.append("bestseller")
        item_id = f"p{n + 1:04d}"
        items.append(
            {
                "id": item_id,
                "title": title,
                "text": _product_text(rng, title, ptype, tags),
                "attributes": {
                    "kind": "product",
                    "category": category,
                    "tags": tags,
                    "audience": audience,
                },
                "price": price,
                "available": available,
                "url": PRODUCT_URL + item_id,
            }
        )
    return items, popularity
