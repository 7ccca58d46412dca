"""Measure each content check on the labelled cases: catch rate and false-alarm rate.

Usage: ``python scripts/eval_guards.py [CASES.jsonl ...] [--misses]`` (default: both the
development set ``tests/data/guard_cases.jsonl`` and the hold-out set written after the checks
were frozen, ``tests/data/guard_cases_holdout.jsonl``).

Each line of the file is ``{"check": ..., "text": ..., "caught": bool, "detail"?: ...}``:
real-looking answers a person might type, some that the check must catch and some that look
close but must pass (a "Cowgirl" song, a "budget" tent, "ignore the rain"). The catch rate is
the share of must-catch cases caught (with the right topic or PII kind when one is named); the
false-alarm rate is the share of must-pass cases flagged. ``--misses`` lists every wrong call.

``sensitive`` is the word lists alone (what the guard runs on copy); ``sensitive+enc`` adds the
match by meaning with the static encoder (what runs on a person's answer).
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from tastemaker.encoders import Encoder, get_encoder
from tastemaker.guardrails import semantic
from tastemaker.guardrails.checks import CHECKS, Finding, scan

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DEFAULT = [DATA / "guard_cases.jsonl", DATA / "guard_cases_holdout.jsonl"]
ROWS = [*CHECKS, "sensitive+enc"]


def run_check(check: str, text: str, encoder: Encoder) -> list[Finding]:
    if check != "sensitive+enc":
        return scan(text, checks=(check,))  # type: ignore[arg-type]
    found = scan(text, checks=("sensitive",))
    known = {f.detail for f in found}
    return found + [
        Finding("sensitive", t) for t in semantic.topics(text, encoder) if t not in known
    ]


def evaluate(path: Path, encoder: Encoder, show_misses: bool) -> None:
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # caught/pos, alarms/neg
    misses: list[str] = []
    start = time.perf_counter()
    calls = 0
    for case in cases:
        checks = [case["check"]] + (["sensitive+enc"] if case["check"] == "sensitive" else [])
        for check in checks:
            calls += 1
            found = run_check(check, case["text"], encoder)
            hit = bool(found) and (
                "detail" not in case or case["detail"] in {f.detail for f in found}
            )
            row = tally[check]
            if case["caught"]:
                row[1] += 1
                row[0] += hit
                if not hit:
                    misses.append(f"missed      {check:13s} {case['text']!r} -> {found}")
            else:
                row[3] += 1
                row[2] += bool(found)
                if found:
                    misses.append(f"false alarm {check:13s} {case['text']!r} -> {found}")
    elapsed_us = (time.perf_counter() - start) / max(calls, 1) * 1e6
    print(f"\n{path.name}: {len(cases)} cases, {elapsed_us:.0f} us per check call")
    print(f"{'check':14s} {'catch rate':>14s} {'false alarms':>14s}")
    for check in ROWS:
        caught, pos, alarms, neg = tally[check]
        print(
            f"{check:14s} {caught:>4d}/{pos:<3d} {caught / max(pos, 1):5.0%} "
            f"{alarms:>4d}/{neg:<3d} {alarms / max(neg, 1):5.0%}"
        )
    if show_misses:
        print("\n".join(misses))


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or DEFAULT
    encoder = get_encoder("static")
    scan("warm up", checks=CHECKS)  # compiles the patterns once, outside the timing
    semantic.topics("warm up", encoder)
    for path in paths:
        evaluate(path, encoder, show_misses)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
