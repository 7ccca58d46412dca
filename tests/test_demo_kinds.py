"""The output kinds beyond playlists, end to end on the demo: a bundle with a time-limited
offer, a travel shortlist and a service package with open slots."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from tastemaker.channels import formats
from tastemaker.demo import load_demo
from tastemaker.demo.generate import DEMO_NOW
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC).timestamp()


def test_demo_answers_every_kind(store: Store, tmp_path: Path) -> None:
    info = load_demo(store, f"kinds-{tmp_path.name[-8:]}".lower(), now=DEMO_NOW)
    engine = Engine(store, Settings(data_dir=tmp_path, database_url=store.url))
    engine.fit(info.workspace)
    try:
        trips = engine.get_experience(info.workspace, "trip-shortlist")
        for choice in trips.prompt.choices:
            a = engine.answer(info.workspace, trips.key, user_id="u001", choice=choice.id)
            assert not a.fallback and len(a.items) == 5
            assert all(i.attributes["kind"] == ["destination"] for i in a.items)
            styles = [i.attributes["trip"][0] for i in a.items]
            assert styles.count(choice.id) >= 3, (choice.id, styles)
            regions = [i.attributes["region"][0] for i in a.items]
            assert max(regions.count(r) for r in regions) <= 2
            assert 'class="tm-result tm-result--shortlist' in a.html and " nights" in a.html

        services = engine.get_experience(info.workspace, "local-services")
        for choice in services.prompt.choices:
            a = engine.answer(info.workspace, services.key, user_id="u002", choice=choice.id)
            assert not a.fallback and 1 <= len(a.items) <= 3
            assert all(i.attributes["kind"] == ["service"] for i in a.items)
            assert a.bundle_total is not None and a.bundle_total <= 200
            page = formats.render(a, services, "web", now=NOW)["html"]
            slots = re.findall(r'<time class="tm-slot" datetime="([^"]+)"', page)
            assert len(slots) == 3 * len(a.items)
            assert all(s > "2026-03-02T08:30Z" for s in slots)

        bundle = engine.get_experience(info.workspace, "weekend-bundle")
        a = engine.answer(info.workspace, bundle.key, choice="picnic")
        assert a.bundle_total is not None
        out = formats.render_all(a, bundle, now=NOW)
        offer = out["json"]["data"]["offer"]
        assert offer["ends_at"] == "2026-03-04T08:30Z" and offer["code"] == "WEEKEND15"
        assert offer["price"] == round(a.bundle_total * 0.85, 2)
        assert "15% off" in out["email"]["text"] and "WEEKEND15" in out["web"]["html"]
        assert [f["subject"] for f in out["email"]["followups"]] == [
            "Your bundle offer ends tomorrow"
        ]
    finally:
        engine.close()
