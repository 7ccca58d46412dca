"""Time to first result in a real browser: the widget on a brand page, Debian's Chromium.

A fitted demo workspace is served by uvicorn on loopback; a brand page on another origin embeds
``/widget.js``. Each run opens the page, waits for the prompt, clicks a choice and reads the
widget's own performance entries:

- ``time-to-prompt``: script start (``tm:start``) to the prompt on screen (``tm:prompt-shown``),
  the experience fetched cross-origin;
- ``time-to-first-result``: the click (``tm:answer``) to the next frame after the result was
  painted (``tm:first-result``): the CORS preflight, the answer, the DOM, the paint.

    python benchmarks/widget.py [--runs 40]

Needs /usr/bin/chromium and the ``playwright`` package (the ``test`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/copy.py would shadow the standard library's copy: leave this folder off the path,
# and put tests/ on it for the servers the browser tests use.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "tests"))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402

from tastemaker.store import Store  # noqa: E402
from web_fixtures import CHROMIUM, start_web_servers  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tm-widget-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    Store(url).migrate()
    print("loading and fitting the demo workspace...", flush=True)
    servers = start_web_servers(url, tmp, "demo")
    web = next(servers)
    choices = ["focus", "chill", "party", "workout", "late-night"]
    prompt_ms: list[float] = []
    result_ms: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for i in range(args.warmup + args.runs):
            page = browser.new_page()
            page.goto(web.page_url("weekend-mood", f"bench-{uuid.uuid4().hex[:8]}"))
            page.wait_for_selector(".tm-choice")
            page.click(f".tm-choice[data-choice={choices[i % len(choices)]}]")
            page.wait_for_function(
                "performance.getEntriesByName('tm:time-to-first-result').length > 0"
            )
            ttp, ttfr = page.evaluate(
                "[performance.measure('p', 'tm:start', 'tm:prompt-shown').duration,"
                " performance.getEntriesByName('tm:time-to-first-result')[0].duration]"
            )
            if i >= args.warmup:
                prompt_ms.append(ttp)
                result_ms.append(ttfr)
            page.close()
        browser.close()
    with contextlib.suppress(StopIteration):
        next(servers)
    print(f"runs: {args.runs} (after {args.warmup} warm-up), chromium headless, loopback")
    for name, values in (("time-to-prompt", prompt_ms), ("time-to-first-result", result_ms)):
        print(
            f"{name:>22}: p50 {statistics.median(values):6.1f} ms   p95 {_pct(values, 0.95):6.1f}"
            f" ms   max {max(values):6.1f} ms"
        )


if __name__ == "__main__":
    main()
