"""Two more catalog slices for the demo: trips (travel shortlist) and local services (a service
package with open time slots), generated like the rest of the demo catalog.

They are the other two case studies of prompted personalization next to retail: "where should we
go?" answered with a shortlist of destinations, and "what do you need this week?" answered with a
package of local services one can book into. Everything is drawn from seeded
:func:`~tastemaker.demo.items.rng_for` streams, ids are positional (``d0001``, ``s0001``), and
the wording is the project's own, so the slices are as redistributable as the rest of the demo.
Services carry a weekly schedule (``open_days``, ``open_hours``) rather than dated slots, so the
demo never goes stale: the open slots are computed at render time (``channels.kinds``).
"""

from __future__ import annotations

from typing import Any

from tastemaker.demo.items import rng_for

N_DESTINATIONS = 240
N_SERVICES = 240
TRIP_URL = "https://travel.example.com/trip/"
SERVICE_URL = "https://local.example.com/book/"

REGION_OF: dict[str, str] = {
    "Algarve": "Southern Europe", "Amalfi Coast": "Southern Europe", "Crete": "Southern Europe",
    "Andalusia": "Southern Europe", "Istria": "Southern Europe", "Sicily": "Southern Europe",
    "Lofoten": "Northern Europe", "Lake District": "Northern Europe",
    "Stockholm": "Northern Europe", "Copenhagen": "Northern Europe", "Highlands": "Northern Europe",
    "Vienna": "Central Europe", "Dolomites": "Central Europe", "Prague": "Central Europe",
    "Black Forest": "Central Europe", "Tyrol": "Central Europe", "Budapest": "Central Europe",
    "Marrakesh": "North Africa", "Essaouira": "North Africa", "Atlas Mountains": "North Africa",
    "Kyoto": "East Asia", "Hokkaido": "East Asia", "Seoul": "East Asia", "Taipei": "East Asia",
    "Jeju": "East Asia", "Bali": "Southeast Asia", "Chiang Mai": "Southeast Asia",
    "Hoi An": "Southeast Asia", "Langkawi": "Southeast Asia", "Luang Prabang": "Southeast Asia",
    "Oaxaca": "Americas", "Patagonia": "Americas", "Montreal": "Americas",
    "Cartagena": "Americas", "Big Sur": "Americas", "Banff": "Americas",
}  # fmt: skip
# trip style -> places that suit it (real regions; the stays and their facts are generated)
PLACES: dict[str, list[str]] = {
    "beach": ["Algarve", "Crete", "Sicily", "Bali", "Langkawi", "Essaouira", "Cartagena", "Jeju"],
    "city": ["Vienna", "Prague", "Budapest", "Stockholm", "Copenhagen", "Kyoto", "Seoul",
             "Taipei", "Montreal", "Marrakesh"],
    "mountains": ["Dolomites", "Tyrol", "Highlands", "Lofoten", "Atlas Mountains", "Hokkaido",
                  "Patagonia", "Banff", "Black Forest"],
    "food": ["Sicily", "Andalusia", "Oaxaca", "Hoi An", "Taipei", "Istria", "Marrakesh",
             "Amalfi Coast"],
    "slow": ["Lake District", "Luang Prabang", "Chiang Mai", "Big Sur", "Black Forest", "Istria",
             "Bali", "Lofoten"],
}  # fmt: skip
# trip style -> (stay words, description words, seasons, nights range, price per night range)
TRIPS: dict[str, tuple[list[str], str, list[str], tuple[int, int], tuple[int, int]]] = {
    "beach": (
        ["beach house", "cove cabins", "seaside guesthouse", "surf camp", "island villa"],
        "sun, sand and warm water; swimming, snorkelling and long lazy days by the sea",
        ["summer", "spring"],
        (4, 10),
        (60, 220),
    ),
    "city": (
        ["old town loft", "design hotel", "canal apartment", "rooftop studio"],
        "a city break of museums, galleries, cafés, markets and walks through historic streets",
        ["spring", "autumn", "winter"],
        (2, 4),
        (80, 260),
    ),
    "mountains": (
        ["alpine chalet", "mountain hut", "lodge", "valley farmhouse"],
        "hiking trails, fresh air, lakes and peaks; skiing in winter, wildflowers in summer",
        ["summer", "winter"],
        (3, 7),
        (70, 240),
    ),
    "food": (
        ["cooking school stay", "market-side apartment", "vineyard inn", "street-food tour"],
        "a food trip: markets, cooking classes, wine tastings and long dinners with local dishes",
        ["autumn", "spring"],
        (3, 6),
        (90, 280),
    ),
    "slow": (
        ["eco retreat", "lakeside cabin", "garden cottage", "yoga retreat", "treehouse"],
        "slow travel to rest and recharge: quiet nature, books, spa days and unhurried mornings",
        ["spring", "summer", "autumn"],
        (4, 9),
        (50, 200),
    ),
}
EXTRA_TAGS = ["family-friendly", "romantic", "budget", "eco", "pet-friendly", "adults-only"]

# category -> (names, description, tags, duration minutes, price range)
SERVICES: dict[str, tuple[list[str], str, list[str], int, tuple[int, int]]] = {
    "massage": (
        [
            "Deep tissue massage",
            "Aromatherapy massage",
            "Hot stone massage",
            "Back and neck massage",
        ],
        "a relaxing massage at a calm studio to ease tension and unwind",
        ["relax", "self-care"],
        60,
        (45, 95),
    ),
    "spa": (
        ["Facial and glow treatment", "Sauna and spa pass", "Float tank session"],
        "a spa treatment for a slow, pampering afternoon",
        ["relax", "self-care"],
        90,
        (35, 110),
    ),
    "cleaning": (
        ["Deep home clean", "Spring clean", "End-of-week tidy", "Oven and kitchen clean"],
        "a thorough home cleaning by a vetted local cleaner",
        ["home"],
        180,
        (50, 140),
    ),
    "handyman": (
        ["Odd jobs hour", "Shelf and picture hanging", "Flat-pack assembly", "Leaky tap fix"],
        "a local handyman for small repairs and fixes around the home",
        ["home"],
        60,
        (35, 90),
    ),
    "gardening": (
        ["Garden tidy-up", "Lawn mowing", "Balcony planting", "Hedge trimming"],
        "a gardener to tidy, plant and refresh outdoor space",
        ["home", "outdoor"],
        120,
        (40, 110),
    ),
    "pet-care": (
        ["Dog walk", "Pet sitting visit", "Dog grooming", "Puppy training class"],
        "local pet care: walks, visits, grooming and training for dogs and cats",
        ["pets"],
        45,
        (15, 70),
    ),
    "fitness": (
        ["Personal training session", "Running coach session", "Bootcamp class", "Pilates class"],
        "a fitness session with a coach to get moving, build strength and feel energetic",
        ["fitness"],
        60,
        (15, 75),
    ),
    "yoga": (
        ["Beginner yoga class", "Restorative yoga", "Yoga and breathwork", "Private yoga session"],
        "a yoga class to stretch, breathe and calm the mind",
        ["fitness", "relax"],
        60,
        (12, 70),
    ),
    "beauty": (
        ["Haircut and blow-dry", "Manicure", "Brow and lash tidy", "Barber cut"],
        "a salon appointment to look sharp for the week or a night out",
        ["party", "self-care"],
        45,
        (20, 80),
    ),
    "catering": (
        ["Party platters delivery", "Private chef dinner", "Cocktail bartender", "Cake order"],
        "food and drinks for a party or dinner at home, prepared by local caterers",
        ["party", "food"],
        120,
        (60, 180),
    ),
    "entertainment": (
        ["Party DJ", "Magician for kids", "Live acoustic duo", "Photo booth hire"],
        "entertainment that makes a party: music, magic and photos",
        ["party"],
        120,
        (80, 190),
    ),
}
PROVIDERS = [
    "Green Leaf", "Bright Day", "Northside", "Corner Studio", "Calm Co.", "Oak & Ivy", "Pronto",
    "Little Helpers", "Riverside", "Sunny Paws", "Fresh Start", "The Local", "Harbour", "Maple",
]  # fmt: skip
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOURS = ["08:00", "09:30", "11:00", "13:00", "14:30", "16:00", "17:30", "19:00"]


def make_destinations(seed: int) -> list[dict[str, Any]]:
    """Trips as item dicts (kind ``destination``): region, trip style, seasons, nights, price."""
    rng = rng_for(seed, "destinations")
    styles = list(TRIPS)
    items: list[dict[str, Any]] = []
    titles: set[str] = set()
    for n in range(N_DESTINATIONS):
        style = styles[n % len(styles)] if n < len(styles) * 4 else rng.choice(styles)
        stays, blurb, seasons, (lo_n, hi_n), (lo_p, hi_p) = TRIPS[style]
        place = rng.choice(PLACES[style])
        region = REGION_OF[place]
        title = f"{rng.choice(stays).capitalize()} in {place}"
        if title in titles:
            title += f" ({rng.choice(['north', 'south', 'east', 'west', 'centre'])})"
        if title in titles:
            title += f" #{n + 1}"
        titles.add(title)
        nights = rng.randint(lo_n, hi_n)
        tags = rng.sample(EXTRA_TAGS, rng.choice((0, 1, 2)))
        items.append(
            {
                "id": f"d{n + 1:04d}",
                "title": title,
                "text": f"{title}, {region}. {nights} nights: {blurb}.",
                "attributes": {
                    "kind": "destination",
                    "trip": style,
                    "region": region,
                    "season": rng.sample(seasons, rng.randint(1, len(seasons))),
                    "nights": nights,
                    "tags": tags,
                },
                "price": float(nights * rng.randint(lo_p, hi_p)),
                "available": rng.random() < 0.95,
                "url": f"{TRIP_URL}d{n + 1:04d}",
            }
        )
    return items


def make_services(seed: int) -> list[dict[str, Any]]:
    """Local services as item dicts (kind ``service``) with a weekly schedule of open starts."""
    rng = rng_for(seed, "services")
    categories = list(SERVICES)
    items: list[dict[str, Any]] = []
    for n in range(N_SERVICES):
        category = categories[n % len(categories)]
        names, blurb, tags, minutes, (lo, hi) = SERVICES[category]
        provider = rng.choice(PROVIDERS)
        name = rng.choice(names)
        title = f"{name} by {provider}"
        days = sorted(rng.sample(WEEKDAYS, rng.randint(2, 6)), key=WEEKDAYS.index)
        hours = sorted(rng.sample(HOURS, rng.randint(2, 5)))
        items.append(
            {
                "id": f"s{n + 1:04d}",
                "title": title,
                "text": f"{name} ({minutes} min) by {provider}: {blurb}.",
                "attributes": {
                    "kind": "service",
                    "category": category,
                    "tags": list(tags),
                    "duration_min": minutes,
                    "open_days": days,
                    "open_hours": hours,
                },
                "price": float(rng.randint(lo, hi)) - 0.01,
                "available": rng.random() < 0.95,
                "url": f"{SERVICE_URL}s{n + 1:04d}",
            }
        )
    return items


def slice_events(
    seed: int, now: float, users: list[str], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A light history on the slices: some users browsed trips or services in the last months.

    Popularity is skewed (a few trips and services get most views) so that "popular" means
    something; ``event_id`` is set later by ``generate`` with the rest.
    """
    rng = rng_for(seed, "slice-events")
    weights = [rng.lognormvariate(0, 1) for _ in items]
    events: list[dict[str, Any]] = []
    for user in users:
        for _ in range(rng.choice((0, 0, 1, 2, 3, 5))):
            item = rng.choices(items, weights=weights)[0]
            ts = now - rng.uniform(0, 90) * 86_400
            kind = rng.choices(("view", "add_to_cart", "purchase"), weights=(6, 3, 1))[0]
            events.append({"user_id": user, "item_id": item["id"], "type": kind, "ts": ts})
    return events
