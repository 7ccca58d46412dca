"""Screenshots of the widget and the console for the README, taken in Debian's Chromium.

Serves a fitted demo workspace and a brand page exactly as the browser tests do, answers the
widget's prompt, walks the console's views, and writes PNGs into ``docs/``. So that the charts
have days to show, it first writes two weeks of SIMULATED traffic for one experiment (served
results, prompts shown and answered, clicks and carts, a few more for the "playful" variant)
and lets a Thompson-sampling bandit run over the same days; the figures in the screenshots are
that simulation's, not measurements:

    python scripts/web_screenshots.py            # docs/widget.png, docs/console-*.png
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT / "tests"))

import contextlib  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tastemaker.ingest import EventIn  # noqa: E402
from tastemaker.store import ServedRecord, Store, editorial  # noqa: E402
from tastemaker.store.experiments import Exposure  # noqa: E402
from tastemaker.store.measure import AnswerLog, record_answers  # noqa: E402
from web_fixtures import CHROMIUM, WebServers, start_web_servers  # noqa: E402

DAY = 86400.0
# Simulated per-variant rates: (answer given the prompt, click, add to cart).
RATES = {"warm": (0.55, 0.30, 0.08), "playful": (0.62, 0.36, 0.10)}


def simulate(web: WebServers, days: int = 14, per_day: int = 80) -> None:
    """Two weeks of simulated traffic on the playful-copy experiment, and a bandit's pulls."""
    rng = random.Random(11)
    ws, today = web.ws_id, time.time() // DAY
    db = web.engine.experiments.db
    items = [i.id for _, i in zip(range(5), web.store.iter_items(ws), strict=False)]
    for d in range(days, 0, -1):
        start = (today - d) * DAY
        served, logs, events, exposures = [], [], [], []
        for k in range(per_day):
            variant = ("warm", "playful")[k % 2]
            answer_p, click_p, cart_p = RATES[variant]
            user, at = f"sim{d}-{k}", start + rng.random() * (DAY - 7200)
            ctx = {"experience": "weekend-mood", "variant": variant}
            events.append(EventIn(user_id=user, type="prompt_shown", ts=at - 5, context=ctx))
            exposures.append(Exposure(ws, "playful-copy", user, variant, at))
            if rng.random() > answer_p:
                continue
            rid = f"sim-{d}-{k}"
            latency = 40 + rng.random() * 60
            served.append(ServedRecord(ws, rid, "weekend-mood", 1, variant, user,
                                       tuple(items), False, at, latency))  # fmt: skip
            logs.append(AnswerLog(ws, rid, "answer", "weekend-mood", variant, user, "chill",
                                  None, 0.7, None, at))  # fmt: skip
            if rng.random() < click_p:
                events.append(EventIn(user_id=user, item_id=items[0], type="click",
                                      ts=at + 30, request_id=rid))  # fmt: skip
            if rng.random() < cart_p:
                events.append(EventIn(user_id=user, item_id=items[0], type="add_to_cart",
                                      ts=at + 90, request_id=rid))  # fmt: skip
        web.store.record_served(served)
        record_answers(web.store, logs)
        web.store.insert_events(ws, events)
        db.log_exposures(exposures)
        bandit = web.engine.experiments.bandit(ws, "title-test", ["short", "question", "long"],
                                               contextual=False)  # fmt: skip
        truth = {"short": 0.06, "question": 0.10, "long": 0.04}
        for _ in range(120):
            arm = bandit.choose()
            reward = float(rng.random() < truth[arm])
            web.engine.experiments.bandit_reward(ws, "title-test", arm, reward, None,
                                                 now=start + rng.random() * DAY)  # fmt: skip


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
                                "ts": time.time(),
                            }
                        ]
                    },
                )
    simulate(web)
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
        page.wait_for_selector("#lift-over-time")
        page.screenshot(path=str(docs / "console-experiment.png"), full_page=True)
        page.click("nav >> text=Bandits")
        page.click("button[data-bandit=title-test]")
        page.wait_for_selector("#arm-share-chart")
        page.screenshot(path=str(docs / "console-bandit.png"), full_page=True)
        kit = {
            "name": "Weekend Radio",
            "voice": "warm",
            "tone": "Friendly and brief; never pushy.",
            "banned_claims": ["life-changing", "cheapest"],
            "banned_words": ["deal of the century"],
            "competitors": ["Spotiflix"],
            "legal_lines": ["Prices include VAT."],
        }
        with httpx.Client(base_url=web.api, headers=admin, timeout=60) as c:
            c.put("/v1/brand-kit", json=kit).raise_for_status()
        page.click("nav >> text=Brand kit")
        page.wait_for_selector("#guardrails-overview table")
        page.screenshot(path=str(docs / "console-brand.png"), full_page=True)
        browser.close()
    with contextlib.suppress(StopIteration):
        next(servers)
    print("wrote", ", ".join(f"docs/{n}" for n in ("widget.png", "console-*.png")))


if __name__ == "__main__":
    main()
