"""The demo: a deterministic catalog, distinct personas, valid experiences, an idempotent load."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tastemaker.demo import (
    DEMO_USERS,
    EXPERIENCES_DIR,
    STATIC_DIR,
    demo_experiences,
    load_demo,
    write,
)
from tastemaker.demo.generate import DEMO_NOW, HISTORY_DAYS, generate
from tastemaker.demo.vocab import MOODS
from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import validate_events, validate_items
from tastemaker.store import Store

Data = tuple[list[dict[str, Any]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def data() -> Data:
    return generate()


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {it["id"]: it for it in items}


# -- generation -------------------------------------------------------------------------------


def test_generation_is_deterministic(data: Data) -> None:
    assert generate(7) == data
    other_items, _ = generate(8)
    # Ids are positional, the content is not.
    assert [i["id"] for i in other_items] == [i["id"] for i in data[0]]
    assert [i["title"] for i in other_items] != [i["title"] for i in data[0]]


def test_catalog_shape(data: Data) -> None:
    items, _ = data
    validate_items(items)
    kinds = Counter(i["attributes"]["kind"] for i in items)
    assert kinds == {"track": 2200, "product": 800, "destination": 240, "service": 240}
    assert len({i["id"] for i in items}) == len(items)
    tracks = [i for i in items if i["attributes"]["kind"] == "track"]
    products = [i for i in items if i["attributes"]["kind"] == "product"]
    for t in tracks:
        a = t["attributes"]
        assert set(a["moods"]) <= set(MOODS) and a["moods"]
        assert 0 <= a["energy"] <= 1 and 40 <= a["tempo_bpm"] <= 200
        assert a["decade"] in {"70s", "80s", "90s", "2000s", "2010s", "2020s"}
        assert str(a["year"])[2] == a["decade"][-3] or a["decade"] in {"2000s", "2010s", "2020s"}
        assert t["text"] and t["price"] is None
    assert len({t["text"] for t in tracks}) > 0.95 * len(tracks)  # varied wording
    assert len({t["attributes"]["artist"] for t in tracks}) > 200
    prices = [p["price"] for p in products]
    assert 3 <= min(prices) < 6 and 100 < max(prices) <= 150
    assert 0.85 < sum(p["available"] for p in products) / len(products) < 1
    assert {p["attributes"]["audience"] for p in products} == {"adults", "kids", "family"}
    assert len({p["attributes"]["category"] for p in products}) >= 8


def test_events_are_plausible(data: Data) -> None:
    items, events = data
    validate_events(events)
    ids = {i["id"] for i in items}
    assert all(e["item_id"] in ids for e in events)
    assert len({e["event_id"] for e in events}) == len(events)
    assert len({e["user_id"] for e in events}) >= 290
    start = DEMO_NOW - HISTORY_DAYS * 86_400
    assert all(start <= e["ts"] <= DEMO_NOW for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    # Recency: the last month is busier than the first.
    recent = sum(e["ts"] > DEMO_NOW - 30 * 86_400 for e in events)
    oldest = sum(e["ts"] < start + 30 * 86_400 for e in events)
    assert recent > 2 * oldest
    # Popularity skew: the top 10% of items draw a large share of the activity.
    per_item = sorted(Counter(e["item_id"] for e in events).values(), reverse=True)
    assert sum(per_item[: len(items) // 10]) > 0.3 * len(events)
    assert {e["type"] for e in events} == {
        "play", "like", "skip", "view", "add_to_cart", "purchase"
    }  # fmt: skip


def test_now_shifts_times_but_keeps_event_ids(data: Data) -> None:
    _, events = data
    _, later = generate(now=DEMO_NOW + 86_400)
    assert [e["event_id"] for e in later] == [e["event_id"] for e in events]
    assert later[0]["ts"] == events[0]["ts"] + 86_400


def _top(
    events: list[dict[str, Any]], items: list[dict[str, Any]], user: str, attr: str
) -> set[str]:
    by_id = _by_id(items)
    counts: Counter[str] = Counter()
    for e in events:
        if e["user_id"] == user and e["type"] in {"play", "like", "view", "purchase"}:
            value = by_id[e["item_id"]]["attributes"].get(attr)
            if value is not None:
                counts.update(value if isinstance(value, list) else [value])
    return {v for v, _ in counts.most_common(3)}


def test_personas_are_distinct(data: Data) -> None:
    items, events = data
    ids = [p.id for p in DEMO_USERS]
    assert len(ids) == len(set(ids)) and 4 <= len(ids) <= 6
    per_user = Counter(e["user_id"] for e in events)
    assert per_user["u_new"] == 0
    assert all(per_user[p] >= 50 for p in ids if p != "u_new")
    focus, party = (
        _top(events, items, "u_focus", "genres"),
        _top(events, items, "u_party", "genres"),
    )
    night = _top(events, items, "u_nightowl", "genres")
    assert focus <= {"ambient", "lo-fi", "classical"}
    assert not focus & party and not focus & night
    assert "focused" in _top(events, items, "u_focus", "moods")
    assert "energetic" in _top(events, items, "u_party", "moods")
    family = _top(events, items, "u_family_shopper", "audience")
    cozy = _top(events, items, "u_cozy", "category")
    assert family & {"kids", "family"}
    assert cozy & {"candles", "tea", "books", "coffee", "wellness"}
    assert _top(events, items, "u_focus", "category") == set()  # a listener, not a shopper


def test_write(tmp_path: Path, data: Data) -> None:
    items_path, events_path = write(tmp_path)
    lines = items_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(data[0]) and json.loads(lines[0]) == data[0][0]
    assert len(events_path.read_text(encoding="utf-8").splitlines()) == len(data[1])


# -- experiences ------------------------------------------------------------------------------


def test_experiences_validate() -> None:
    specs = {s.key: s for s in demo_experiences()}
    assert set(specs) == {
        "weekend-mood", "tell-us", "weekend-bundle", "trip-shortlist", "local-services"
    }  # fmt: skip
    assert len(list(EXPERIENCES_DIR.glob("*.yaml"))) == 5
    mood = specs["weekend-mood"]
    assert [c.id for c in mood.prompt.choices] == [
        "focus",
        "chill",
        "party",
        "workout",
        "late-night",
    ]
    assert mood.output.kind == "playlist" and mood.output.size == 12
    assert mood.diversity.max_per_value == {"artist": 2}
    assert all(c.intent.required == {"kind": ["track"]} for c in mood.prompt.choices)
    assert specs["tell-us"].prompt.kind == "text"
    bundle = specs["weekend-bundle"]
    assert bundle.output.kind == "bundle" and bundle.output.budget == 60
    assert bundle.diversity.max_per_value == {"category": 1}
    assert bundle.rules.pins and bundle.rules.boosts
    for spec in specs.values():
        # Round-trips through the dict the store keeps.
        assert ExperienceSpec.model_validate(spec.model_dump(mode="json")) == spec


def test_curated_ids_exist_and_fit(data: Data) -> None:
    by_id = _by_id(data[0])
    for spec in demo_experiences():
        kind = spec.rules.required["kind"][0]
        curated = spec.default_items + spec.rules.pins
        assert curated, spec.key
        for item_id in curated:
            assert item_id in by_id, (spec.key, item_id)
            assert by_id[item_id]["attributes"]["kind"] == kind
            assert by_id[item_id]["available"]
        assert len(spec.default_items) >= spec.output.size
    bundle = next(s for s in demo_experiences() if s.key == "weekend-bundle")
    picked = [by_id[i] for i in bundle.default_items]
    assert bundle.output.budget is not None
    assert sum(p["price"] for p in picked) <= bundle.output.budget
    assert len({p["attributes"]["category"] for p in picked}) == len(picked)
    mood = next(s for s in demo_experiences() if s.key == "weekend-mood")
    artists = Counter(by_id[i]["attributes"]["artist"] for i in mood.default_items)
    assert max(artists.values()) <= 2


def test_every_choice_leaves_candidates(data: Data) -> None:
    """Hard filters in a choice must not starve the ranker (a few hundred candidates each)."""
    items = data[0]
    for spec in demo_experiences():
        for choice in spec.prompt.choices:
            it = choice.intent
            n = sum(
                all(
                    set(v) & set(_as_list(i["attributes"].get(k)))
                    for k, v in {**spec.rules.required, **it.required}.items()
                )
                and all(i["attributes"].get(k, 0) >= v for k, v in it.numeric_min.items())
                and all(i["attributes"].get(k, 0) <= v for k, v in it.numeric_max.items())
                for i in items
            )
            assert n >= 200, (spec.key, choice.id, n)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- loading ----------------------------------------------------------------------------------


def test_load_demo(store: Store) -> None:
    info = load_demo(store, now=DEMO_NOW)
    ws = store.get_workspace("demo")
    assert ws is not None and info.workspace == "demo"
    assert store.count_items(ws.id) == 3480
    assert info.items_changed == 3480 and info.events_added > 15_000
    assert {e.key for e in store.list_experiences(ws.id)} == {
        "weekend-mood", "tell-us", "weekend-bundle", "trip-shortlist", "local-services"
    }  # fmt: skip
    public, admin = (
        store.authenticate(info.public_key),
        store.authenticate(info.admin_key),
    )
    assert public is not None and public.scope == "public" and public.workspace_slug == "demo"
    assert admin is not None and admin.scope == "admin"
    assert info.users == [{"id": p.id, "label": p.label} for p in DEMO_USERS]
    assert info.config() == {
        "workspace": "demo",
        "public_key": info.public_key,
        "users": info.users,
    }
    assert store.user_events(ws.id, "u_new") == []
    assert len(store.user_events(ws.id, "u_focus")) >= 50

    # A restart (later clock) stores nothing twice and keeps versions, but mints fresh keys.
    again = load_demo(store, now=DEMO_NOW + 3600)
    assert again.items_changed == 0 and again.events_added == 0
    assert again.experiences == info.experiences
    assert again.public_key != info.public_key
    assert store.authenticate(info.public_key) is not None  # old keys keep working


# -- page -------------------------------------------------------------------------------------


def test_page_is_self_contained() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    # No third-party scripts, styles or fonts: nothing is loaded from another origin.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", html)
    assert "@import" not in html and "innerHTML" not in html
    for path in ("/demo/config.json", "/v1/experiences", "/answer"):
        assert path in html
