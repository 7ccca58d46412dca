"""The embeddable widget, end to end in Debian's Chromium on a brand page of another origin.

Skipped without ``/usr/bin/chromium``. The serving side (CORS, the script route) is also
tested without a browser at the bottom.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tastemaker.api.app import create_app
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store
from web_fixtures import WebServers

pytestmark = pytest.mark.slow


def _open(browser: Any, web: WebServers, experience: str, user: str) -> Any:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(web.page_url(experience, user))
    page.wait_for_selector(".tm-widget .tm-question, .tm-widget .tm-label")
    page.errors = errors
    return page


def test_choice_prompt_by_keyboard_paints_result_and_records_events(
    browser: Any, web: WebServers
) -> None:
    user = "web-keyboard"
    page = _open(browser, web, "weekend-mood", user)
    assert page.inner_text(".tm-question") == "Pick a vibe"
    assert "Nothing you pick is shared" in page.inner_text(".tm-notice")
    # The brand page sets --tm-accent: the widget's buttons wear it.
    accent = page.eval_on_selector(".tm-choice", "b => getComputedStyle(b).backgroundColor")
    assert accent == "rgb(122, 31, 162)"
    labels = page.locator(".tm-choice").all_inner_texts()
    assert labels[:2] == ["Focus", "Chill"]
    shown = web.wait_for_event(user, "prompt_shown")
    assert shown.context["experience"] == "weekend-mood"

    # Keyboard only: the brand's skip link, then the choices in reading order.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.choice") == "chill"
    page.keyboard.press("Enter")

    page.wait_for_selector(".tm-results .tm-item")
    assert page.get_attribute(".tm-results", "aria-live") == "polite"
    items = page.locator(".tm-item")
    assert items.count() == 12
    assert page.locator(".tm-item .tm-reasons li").count() >= 12  # every item says why
    assert page.get_attribute(".tm-choice[data-choice=chill]", "aria-pressed") == "true"
    # Focus moves to the result's heading, so the next Tab reaches the first item.
    assert page.evaluate("document.activeElement.classList.contains('tm-title')")
    web.wait_for_event(user, "prompt_answered")
    viewed = web.wait_for_event(user, "result_viewed")
    served = None
    for _ in range(50):  # served results are written behind the answer
        served = web.store.get_served(web.ws_id, viewed.request_id)
        if served is not None:
            break
        page.wait_for_timeout(100)
    assert served is not None and served.user_id == user

    ttfr = page.evaluate(
        "performance.getEntriesByName('tm:time-to-first-result').map(e => e.duration)"
    )
    assert len(ttfr) == 1 and ttfr[0] > 0
    assert page.errors == []

    # The first item: a link to the brand's page for it (followed) or a button.
    first = page.get_attribute(".tm-item >> nth=0", "data-item")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # a click, sent with keepalive so it survives navigation
    click = web.wait_for_event(user, "click")
    assert click.item_id == first and click.request_id == viewed.request_id
    page.close()


def test_text_prompt_consent_and_abandon(browser: Any, web: WebServers) -> None:
    user = "web-text"
    page = _open(browser, web, "tell-us", user)
    label_for = page.get_attribute(".tm-label", "for")
    assert label_for and page.get_attribute(f"#{label_for}", "type") == "text"

    # The consent choice writes the person's memory consent through the public key.
    page.check(".tm-consent input")
    for _ in range(50):
        if web.engine.privacy.consent(web.demo.workspace, user)["memory"]["granted"]:
            break
        page.wait_for_timeout(100)
    assert web.engine.privacy.consent(web.demo.workspace, user)["memory"]["granted"]

    page.fill(f"#{label_for}", "calm acoustic songs, no jazz")
    page.keyboard.press("Enter")
    page.wait_for_selector(".tm-results .tm-item")
    assert page.locator(".tm-item").count() > 0
    page.close()

    # Another visit closed unanswered: an abandoned prompt.
    other = "web-abandon"
    page = _open(browser, web, "weekend-mood", other)
    page.click("text=No thanks")
    abandoned = web.wait_for_event(other, "prompt_abandoned")
    assert abandoned.context["experience"] == "weekend-mood"
    assert page.is_hidden(".tm-widget")
    page.close()


def test_missing_key_says_so(browser: Any, web: WebServers) -> None:
    page = browser.new_page()
    page.set_content(
        f'<body><p>Shop</p><script src="{web.api}/widget.js" data-experience="weekend-mood">'
        "</script></body>"
    )
    page.wait_for_selector(".tm-error")
    assert "data-key" in page.inner_text(".tm-error")
    page.close()


# -- serving, without a browser ---------------------------------------------------------------


def _client(store: Store, tmp_path: Path, origins: tuple[str, ...]) -> TestClient:
    settings = Settings(data_dir=tmp_path, database_url=str(store.engine.url), cors_origins=origins)
    return TestClient(create_app(Engine(store, settings)))


@pytest.mark.parametrize("origins", [("https://brand.example",), ("*",)])
def test_cors_lets_allowed_origins_send_the_key(
    store: Store, tmp_path: Path, origins: tuple[str, ...]
) -> None:
    client = _client(store, tmp_path, origins)
    r = client.options(
        "/v1/experiences/x/answer",
        headers={
            "Origin": "https://brand.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in {"https://brand.example", "*"}
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers


def test_cors_refuses_other_origins(store: Store, tmp_path: Path) -> None:
    client = _client(store, tmp_path, ("https://brand.example",))
    r = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options(
        "/v1/events",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 400


def test_widget_script_is_served(store: Store, tmp_path: Path) -> None:
    r = _client(store, tmp_path, ()).get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "data-experience" in r.text and "prompt_abandoned" in r.text
