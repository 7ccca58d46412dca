"""A small, hand-made catalog and helpers for pipeline tests (no database needed)."""

from __future__ import annotations

from typing import Any

from tastemaker.catalog import Catalog
from tastemaker.encoders import get_encoder
from tastemaker.experiences import ExperienceSpec
from tastemaker.fit import EventData, ItemData, build_catalog
from tastemaker.types import Answer, RequestContext

FILMS: list[tuple[str, str, int, list[str], float]] = [
    ("f1", "Laugh Riot", 1994, ["Comedy"], 9.0),
    ("f2", "Space Wars", 1997, ["Action", "Sci-Fi"], 12.0),
    ("f3", "The Haunting Hour", 1985, ["Horror"], 8.0),
    ("f4", "Toy Town", 1995, ["Animation", "Children", "Comedy"], 15.0),
    ("f5", "Love in Paris", 2003, ["Romance", "Drama"], 11.0),
    ("f6", "Die Harder", 1990, ["Action", "Thriller"], 10.0),
    ("f7", "Funny Business", 1998, ["Comedy", "Romance"], 7.0),
    ("f8", "Night Screams", 1999, ["Horror", "Thriller"], 6.0),
    ("f9", "Robot Pals", 2010, ["Animation", "Sci-Fi", "Children"], 20.0),
    ("f10", "Desert Gunfight", 1968, ["Western", "Action"], 5.0),
    ("f11", "Sing Along", 1964, ["Musical", "Comedy"], 9.5),
    ("f12", "The Heist", 1996, ["Crime", "Action", "Comedy"], 13.0),
    ("f13", "Quiet Sorrow", 1993, ["Drama"], 8.5),
    ("f14", "Cartoon Capers", 1992, ["Animation", "Comedy", "Action"], 14.0),
    ("f15", "Mars Attack Force", 1998, ["Action", "Sci-Fi", "Comedy"], 16.0),
    ("f16", "Campfire Tales", 2015, ["Horror", "Comedy"], 9.0),
    ("f17", "Office Jokes", 2012, ["Comedy"], 6.5),
    ("f18", "Galaxy Quest Again", 1999, ["Sci-Fi", "Comedy"], 10.5),
    ("f19", "Spy Games", 1991, ["Action", "Thriller", "Crime"], 11.5),
    ("f20", "Dance Hall", 1987, ["Musical", "Romance"], 7.5),
]


def film_items() -> list[ItemData]:
    return [
        ItemData(
            id=i,
            title=f"{t} ({y})",
            text=f"{t} ({y}). Genres: {', '.join(g)}",
            attributes={"year": y, "genres": g},
            price=p,
            available=True,
            url=None,
        )
        for i, t, y, g, p in FILMS
    ]


def film_events() -> list[EventData]:
    """Two taste groups: action fans (a*) and comedy fans (c*)."""
    events: list[EventData] = []
    ts = 1_700_000_000.0
    action = ["f2", "f6", "f10", "f12", "f15", "f19"]
    comedy = ["f1", "f7", "f11", "f16", "f17", "f18"]
    for u in range(8):
        for k, item in enumerate(action):
            if (u + k) % 5:
                events.append(EventData(f"a{u}", item, "rating", 4.5, ts + u * 100 + k))
        for k, item in enumerate(comedy):
            if (u + k) % 5:
                events.append(EventData(f"c{u}", item, "rating", 4.5, ts + u * 100 + k))
    return events


_CATALOG: Catalog | None = None


def film_catalog() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = build_catalog("films", 1, film_items(), film_events(), get_encoder("static"))
    return _CATALOG


def film_spec(**over: Any) -> ExperienceSpec:
    data: dict[str, Any] = {
        "key": "films",
        "name": "Film night",
        "prompt": {
            "kind": "text",
            "question": "What do you feel like watching?",
            "max_length": 120,
        },
        "output": {"kind": "list", "size": 3},
        "default_items": ["f13", "f5"],
    }
    data.update(over)
    return ExperienceSpec.model_validate(data)


def new_answer(
    text: str | None = None, choice: str | None = None, user_id: str | None = None
) -> Answer:
    return Answer(
        request_id="r1",
        workspace="films",
        experience_key="films",
        experience_version=1,
        variant="default",
        user_id=user_id,
        raw_choice=choice,
        raw_text=text,
        context=RequestContext(hour=21),
    )
