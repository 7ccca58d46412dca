"""The marketer console in Debian's Chromium: an editor's flows over the admin API.

Sign in with the admin key, create an experience and preview it with a live answer, roll it
back, approve copy in the review queue, read an experiment's result. Skipped without
``/usr/bin/chromium``.
"""

from __future__ import annotations

import json
import time
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
    # Locators, not wait_for_function: the console's CSP (script-src 'self') may refuse the string
    # that wait_for_function evaluates in the page.
    page.locator("#status", has_text=text).wait_for()


def test_a_public_key_is_refused(browser: Any, web: WebServers) -> None:
    page = browser.new_page()
    page.goto(f"{web.api}/console")
    page.fill("#admin-key", web.demo.public_key)
    page.click("#login button[type=submit]")
    page.locator("#login-error", has_text="not accepted").wait_for()
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
    # The experience's history is a table too: wait for the audit log's own title before reading.
    page.locator("#view-title", has_text="Audit log").wait_for()
    page.locator("table td", has_text="rollback").first.wait_for()
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


def _admin(web: WebServers) -> httpx.Client:
    return httpx.Client(
        base_url=web.api, headers={"Authorization": f"Bearer {web.demo.admin_key}"}, timeout=60
    )


def test_brand_kit_form_saves_and_a_banned_claim_is_then_refused(
    browser: Any, web: WebServers
) -> None:
    with _admin(web) as c:
        before = c.get("/v1/brand-kit")
        # What the copy says for "party" today: its first word becomes a banned claim.
        copy = c.post("/v1/experiences/weekend-mood/answer", json={"choice": "party"}).json()[
            "copy"
        ]
    claim = copy["title"].split()[0].strip(".,!").lower()
    page = _signed_in(browser, web)
    try:
        page.click("nav >> text=Brand kit")
        page.wait_for_selector("#brand-form")
        assert page.locator("label[for=kit-banned_claims]").inner_text() == "Banned claims"
        # A value the API refuses is shown next to its field, which gets the focus.
        page.fill("#kit-safe_title", "x" * 61)
        page.click("#save-brand")
        page.locator("#kit-safe_title-error").filter(has_text="60").wait_for()
        assert page.get_attribute("#kit-safe_title", "aria-invalid") == "true"
        assert page.evaluate("document.activeElement.id") == "kit-safe_title"

        page.fill("#kit-safe_title", "Hand-picked for you")
        page.fill("#kit-banned_claims", f"life-changing\n{claim}")
        page.select_option("#kit-voice", "plain")
        page.click("#save-brand")
        _status(page, "Brand kit saved as version")
        with _admin(web) as c:
            kit = c.get("/v1/brand-kit").json()["brand_kit"]
        assert kit["banned_claims"] == ["life-changing", claim] and kit["voice"] == "plain"
        assert page.input_value("#kit-banned_claims") == f"life-changing\n{claim}"
        page.locator("#guardrails-overview td", has_text="weekend-mood").first.wait_for()

        # The preview now gets the brand's safe copy in place of the written one.
        page.click("nav >> text=Experiences")
        page.click("button[data-open=weekend-mood]")
        page.wait_for_selector("#history table")  # the spec is loaded before its history
        page.fill("#preview-answer", "party")
        page.click("#preview-run")
        page.locator("#preview-source", has_text="copy: safe").wait_for()
        # (the experience's own safe title, which it set, wins over the kit's)
        safe = web.engine.get_experience(web.demo.workspace, "weekend-mood").brand.safe_title
        assert page.inner_text("#preview h3") == safe

        # An editor's own words with the claim are refused in the review queue, inline.
        editorial.enqueue_review(
            web.store, web.ws_id, experience_key="weekend-mood", answer_key="choice:brandtest",
            answer_text="party", request_id="req-brand", reasons=["tone"],
            proposed={"title": "Tonight", "description": "Loud and bright.", "cta": "Play"},
        )  # fmt: skip
        review_id = next(
            r.id
            for r in editorial.list_reviews(web.store, web.ws_id)
            if r.request_id == "req-brand"
        )
        page.click("nav >> text=Review queue")
        page.fill(f"[aria-label='Title for review {review_id}']", f"{claim.title()} night")
        page.click(f"button[data-approve='{review_id}'] ~ button:text('Save edit')")
        page.locator(f"#review-error-{review_id}", has_text="banned claim").wait_for()
        title_box = f"[aria-label='Title for review {review_id}']"
        assert page.get_attribute(title_box, "aria-invalid") == "true"
        assert any(r.id == review_id for r in editorial.list_reviews(web.store, web.ws_id))
        assert page.errors == []
    finally:
        page.close()
        with _admin(web) as c:  # the other browser tests expect the demo's own copy
            body = before.json()["brand_kit"] if before.status_code == 200 else {}
            assert c.put("/v1/brand-kit", json=body).status_code == 200


def test_export_then_erase_a_person_with_a_receipt_then_audited(
    browser: Any, web: WebServers
) -> None:
    person = "console-erase-me"
    with _admin(web) as c:
        a = c.post(
            "/v1/experiences/weekend-mood/answer", json={"user_id": person, "choice": "chill"}
        )
        assert a.status_code == 200
    web.engine.flush()
    page = _signed_in(browser, web)
    page.click("nav >> text=People")
    page.fill("#person", person)
    page.click("button:text('Export')")
    _status(page, f"Exported {person}")
    exported = json.loads(page.inner_text("#person-out"))
    assert exported["user_id"] == person and exported["tables"]["served"]

    page.once("dialog", lambda d: d.accept())
    page.click("button:text('Erase')")
    _status(page, f"Erased {person}: receipt")
    receipt_id = page.inner_text("#receipt-id")
    assert receipt_id and "served: 1" in page.inner_text("#receipt table")
    with _admin(web) as c:
        after = c.get(f"/v1/people/{person}/export").json()
        assert all(rows == [] for rows in after["tables"].values())
        assert c.get(f"/v1/privacy/erasures/{receipt_id}").status_code == 200

    page.click("nav >> text=Audit log")
    page.locator("table td", has_text="erase person").first.wait_for()
    log = page.inner_text("table")
    assert receipt_id in log and "export person" in log and person not in log
    assert page.errors == []
    page.close()


def test_an_experiments_charts_show_the_lift_interval_over_time(
    browser: Any, web: WebServers
) -> None:
    with _admin(web) as c:
        r = c.post(
            "/v1/experiments",
            json={
                "key": "chart-copy",
                "experience": "weekend-mood",
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
        events = []
        for i in range(40):
            a = c.post("/v1/experiences/weekend-mood/answer",
                       json={"user_id": f"chart{i}", "choice": "chill"}).json()  # fmt: skip
            if i % 2:
                item = a["items"][0]["id"]
                events.append({"user_id": f"chart{i}", "type": "click", "ts": time.time(),
                               "item_id": item, "request_id": a["request_id"]})  # fmt: skip
        assert c.post("/v1/events", json={"events": events}).status_code == 200
        web.engine.flush()
        timeline = c.get("/v1/experiments/chart-copy/timeline").json()
    page = _signed_in(browser, web)
    page.click("nav >> text=Experiments")
    page.click("button[data-experiment=chart-copy]")
    page.wait_for_selector("#lift-over-time")
    last = timeline["lift"]["playful"][-1]
    desc = page.evaluate("document.querySelector('#lift-over-time desc').textContent")
    assert last["lift_ci"][0] is not None, last  # 20 units a side, clicks in both
    low, high = (f"{100 * v:+.1f}%" for v in last["lift_ci"])
    assert f"95% interval {low} to {high}" in desc
    assert page.locator("#lift-over-time .lift-band").count() >= 1
    assert page.evaluate("document.querySelector('#lift-over-time title').textContent").startswith(
        "Lift of click over warm"
    )
    # The same numbers as a table, for those who cannot see the chart.
    page.click("summary:text('Data table: Lift of click')")
    table = page.locator("table.chart-data", has_text="Lift of click").inner_text()
    assert timeline["days"][-1] in table and "playful" in table
    for chart in ("#answer-rate-chart", "#conversion-chart"):
        assert page.locator(chart).count() == 1
    assert page.locator("#conversion-chart polyline").count() >= 2  # warm and playful
    assert page.errors == []
    page.close()


def test_a_bandits_arm_share_chart(browser: Any, web: WebServers) -> None:
    with _admin(web) as c:
        for arm, reward in [("short", 1)] * 6 + [("long", 0)] * 2 + [("long", 1)]:
            r = c.post("/v1/bandits/console-titles/reward", json={"arm": arm, "reward": reward})
            assert r.status_code == 200
    page = _signed_in(browser, web)
    page.click("nav >> text=Bandits")
    page.click("button[data-bandit=console-titles]")
    page.wait_for_selector("#arm-share-chart")
    desc = page.evaluate("document.querySelector('#arm-share-chart desc').textContent")
    assert "long 33.3%" in desc and "short 66.7%" in desc
    assert page.locator("#arm-share-chart .share-bar").count() == 2
    assert page.locator("#posterior-chart circle").count() == 2
    table = page.inner_text("#bandit-out table")
    assert "87.5%" in table and "40.0%" in table  # posterior means: Beta(7, 1) and Beta(2, 3)
    assert page.errors == []
    page.close()
