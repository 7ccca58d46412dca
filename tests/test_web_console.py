"""The marketer console in Debian's Chromium: an editor's flows over the admin API.

Sign in with the admin key, create an experience and preview it with a live answer, roll it
back, approve copy in the review queue, read an experiment's result. Skipped without
``/usr/bin/chromium``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tastemaker.store import editorial
from web_fixtures import WebServers

pytestmark = pytest.mark.slow


def _signed_in(browser: Any, web: WebServers) -> Any:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{web.api}/console")
    page.fill("#admin-key", web.demo.admin_key)
    page.keyboard.press("Enter")
    page.wait_for_selector("button[data-open=weekend-mood]")
    page.errors = errors
    return page


def _status(page: Any, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('status').textContent.includes(t)", arg=text
    )


def test_a_public_key_is_refused(browser: Any, web: WebServers) -> None:
    page = browser.new_page()
    page.goto(f"{web.api}/console")
    page.fill("#admin-key", web.demo.public_key)
    page.click("#login button[type=submit]")
    page.wait_for_function("document.getElementById('login-error').textContent.length > 0")
    assert "not accepted" in page.inner_text("#login-error")
    assert page.is_hidden("#nav")
    page.close()


def test_create_preview_and_roll_back_an_experience(browser: Any, web: WebServers) -> None:
    page = _signed_in(browser, web)
    spec = web.engine.get_experience(web.demo.workspace, "weekend-mood").model_dump(mode="json")
    spec.update(key="console-made", name="Made in the console")

    page.click("#new-experience")
    page.fill("#spec", json.dumps(spec))
    page.click("#save")
    _status(page, "Saved console-made as version 1")
    assert web.engine.get_experience(web.demo.workspace, "console-made").name == spec["name"]

    page.fill("#preview-answer", "party")
    page.click("#preview-run")
    page.wait_for_selector("#preview .preview-item")
    assert page.locator("#preview .preview-item").count() == spec["output"]["size"]
    assert page.locator("#preview .reasons").first.inner_text()

    spec["name"] = "Renamed in the console"
    page.fill("#spec", json.dumps(spec))
    page.click("#save")
    _status(page, "version 2")
    page.click("text=Roll back to v1")
    _status(page, "now version 3")
    current = web.store.get_experience(web.ws_id, "console-made")
    assert current is not None and current.version == 3
    assert current.spec["name"] == "Made in the console"

    page.click("nav >> text=Audit log")
    page.wait_for_selector("table td")
    assert "rollback" in page.inner_text("table")
    assert page.errors == []
    page.close()


def test_approve_copy_in_the_review_queue(browser: Any, web: WebServers) -> None:
    proposed = {"title": "Party starters", "description": "Loud, bright and made for tonight."}
    assert editorial.enqueue_review(
        web.store,
        web.ws_id,
        experience_key="weekend-mood",
        answer_key="choice:party",
        answer_text="party",
        request_id="req-console",
        proposed=proposed,
        reasons=["tone"],
    )
    pending = editorial.list_reviews(web.store, web.ws_id, status="pending")
    review_id = next(r.id for r in pending if r.request_id == "req-console")
    page = _signed_in(browser, web)
    page.click("nav >> text=Review queue")
    page.click(f"button[data-approve='{review_id}']")
    _status(page, f"Review {review_id}: approved")
    approved = editorial.list_reviews(web.store, web.ws_id, status="approved")
    assert any(r.id == review_id and r.decided_by for r in approved)
    page.close()


def test_read_an_experiments_result(browser: Any, web: WebServers) -> None:
    admin = {"Authorization": f"Bearer {web.demo.admin_key}"}
    spec = web.engine.get_experience(web.demo.workspace, "weekend-mood").model_dump(mode="json")
    spec.update(key="console-exp", name="Experiment target")
    with httpx.Client(base_url=web.api, headers=admin, timeout=30) as c:
        assert c.post("/v1/experiences", json=spec).status_code == 200
        r = c.post(
            "/v1/experiments",
            json={
                "key": "console-voice",
                "experience": "console-exp",
                "target": "copywriter",
                "variants": [
                    {"name": "warm"},
                    {"name": "playful", "overrides": {"brand": {"voice": "playful"}}},
                ],
                "metric": {"event": "click"},
                "planned_units": 1000,
            },
        )
        assert r.status_code == 200, r.text
        for i in range(20):
            a = c.post(
                "/v1/experiences/console-exp/answer", json={"user_id": f"x{i}", "choice": "chill"}
            )
            assert a.status_code == 200
    page = _signed_in(browser, web)
    page.click("nav >> text=Experiments")
    page.click("button[data-experiment=console-voice]")
    page.wait_for_selector("#analysis .decision")
    assert page.inner_text("#analysis .decision strong") in {"ship", "keep running", "stop: harm"}
    assert "playful" in page.inner_text("#analysis table")

    page.click("nav >> text=Report")
    frame = page.frame_locator("iframe[title=Report]")
    frame.locator("table").first.wait_for()
    assert "console-exp" in frame.locator("body").inner_text()
    page.close()


def test_browse_and_search_the_catalog(browser: Any, web: WebServers) -> None:
    admin = {"Authorization": f"Bearer {web.demo.admin_key}"}
    with httpx.Client(base_url=web.api, timeout=30) as c:
        first = c.get("/v1/items", params={"limit": 5}, headers=admin).json()
        second = c.get("/v1/items", params={"limit": 5, "offset": 5}, headers=admin).json()
        ids = [i["id"] for i in first["items"] + second["items"]]
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert first["total"] == web.store.count_items(web.ws_id)
        found = c.get("/v1/items", params={"q": "Jazz"}, headers=admin).json()
        assert found["matches"] > 0 and found["items"]
        assert "jazz" in json.dumps(found["items"][0]).lower()
        none = c.get("/v1/items", params={"q": "zzzqqq"}, headers=admin).json()
        assert none["items"] == [] and none["matches"] == 0
        public = {"Authorization": f"Bearer {web.demo.public_key}"}
        assert c.get("/v1/items", headers=public).status_code == 403
        assert c.get("/v1/items", params={"limit": 0}, headers=admin).status_code == 422

    page = _signed_in(browser, web)
    page.click("nav >> text=Catalog")
    page.wait_for_selector("#catalog-out table td")
    page.fill("#catalog-q", "jazz")
    page.keyboard.press("Enter")
    # a locator waits without evaluating strings (the console's policy forbids eval)
    page.locator("#catalog-out p", has_text="matches").wait_for()
    assert "jazz" in page.inner_text("#catalog-out table").lower()
    page.close()
