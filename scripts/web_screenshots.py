"""Screenshots of the widget and the console for the README, taken in Debian's Chromium.

Serves a fitted demo workspace and a brand page exactly as the browser tests do, answers the
widget's prompt, walks the console's views, and writes PNGs into ``docs/``:

    python scripts/web_screenshots.py            # docs/widget.png, docs/console-*.png
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT / "tests"))

import contextlib  # noqa: E402
import tempfile  # noqa: E402

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tastemaker.store import Store, editorial  # noqa: E402
from web_fixtures import CHROMIUM, start_web_servers  # noqa: E402


def main() -> None:
    docs = _ROOT / "docs"
    tmp = Path(tempfile.mkdtemp(prefix="tm-shots-"))
    url = f"sqlite:///{tmp / 'shots.db'}"
    Store(url).migrate()
    servers = start_web_servers(url, tmp, "demo")
    web = next(servers)
    admin = {"Authorization": f"Bearer {web.demo.admin_key}"}
    with httpx.Client(base_url=web.api, headers=admin, timeout=60) as c:
        c.post(
            "/v1/experiments",
            json={
                "key": "playful-copy",
                "experience": "weekend-mood",
                "target": "copywriter",
                "variants": [
                    {"name": "warm"},
                    {"name": "playful", "overrides": {"brand": {"voice": "playful"}}},
                ],
                "metric": {"event": "click"},
                "planned_units": 1000,
            },
        ).raise_for_status()
        for i in range(60):
            a = c.post(
                "/v1/experiences/weekend-mood/answer",
                json={"user_id": f"shot{i}", "choice": ["chill", "party", "focus"][i % 3]},
            ).json()
            if i % 3 == 0:
                c.post(
                    "/v1/events",
                    json={
                        "events": [
                            {
                                "user_id": f"shot{i}",
                                "type": "click",
                                "item_id": a["items"][0]["id"],
                                "request_id": a["request_id"],
                                "ts": 4e9,
                            }
                        ]
                    },
                )
    editorial.enqueue_review(
        web.store,
        web.ws_id,
        experience_key="weekend-mood",
        answer_key="choice:party",
        answer_text="party",
        request_id="shot-review",
        proposed={"title": "Party starters", "description": "Loud, bright, made for tonight."},
        reasons=["tone: too formal for the brand voice"],
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 1100})
        page.goto(web.page_url("weekend-mood", "shopper-1"))
        page.click(".tm-choice[data-choice=chill]")
        page.wait_for_selector(".tm-item")
        page.screenshot(path=str(docs / "widget.png"), full_page=True)

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{web.api}/console")
        page.fill("#admin-key", web.demo.admin_key)
        page.keyboard.press("Enter")
        page.click("button[data-open=weekend-mood]")
        page.fill("#preview-answer", "party")
        page.click("#preview-run")
        page.wait_for_selector("#preview .preview-item")
        page.wait_for_selector("#history table")
        page.screenshot(path=str(docs / "console-experience.png"))
        page.click("nav >> text=Review queue")
        page.wait_for_selector("button[data-approve]")
        page.screenshot(path=str(docs / "console-review.png"))
        page.click("nav >> text=Experiments")
        page.click("button[data-experiment=playful-copy]")
        page.wait_for_selector("#lift-chart")
        page.screenshot(path=str(docs / "console-experiment.png"), full_page=True)
        browser.close()
    with contextlib.suppress(StopIteration):
        next(servers)
    print("wrote", ", ".join(f"docs/{n}" for n in ("widget.png", "console-*.png")))


if __name__ == "__main__":
    main()
