"""Measure each content check on the labelled cases: catch rate and false-alarm rate.

Usage: ``python scripts/eval_guards.py [tests/data/guard_cases.jsonl] [--misses]``

Each line of the file is ``{"check": ..., "text": ..., "caught": bool, "detail"?: ...}``:
real-looking answers a person might type, some that the check must catch and some that look
close but must pass (a "Cowgirl" song, a "budget" tent, "ignore the rain"). The catch rate is
the share of must-catch cases caught (with the right topic or PII kind when one is named); the
false-alarm rate is the share of must-pass cases flagged. ``--misses`` lists every wrong call.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from tastemaker.guardrails.checks import CHECKS, scan

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "guard_cases.jsonl"


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0]) if paths else DEFAULT
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # caught/pos, alarms/neg
    misses: list[str] = []
    scan("warm up", checks=CHECKS)  # compiles the patterns once, outside the timing
    start = time.perf_counter()
    for case in cases:
        check = case["check"]
        found = scan(case["text"], checks=(check,))
        hit = bool(found) and ("detail" not in case or case["detail"] in {f.detail for f in found})
        row = tally[check]
        if case["caught"]:
            row[1] += 1
            row[0] += hit
            if not hit:
                misses.append(f"missed      {check:10s} {case['text']!r} -> {found}")
        else:
            row[3] += 1
            row[2] += bool(found)
            if found:
                misses.append(f"false alarm {check:10s} {case['text']!r} -> {found}")
    elapsed_us = (time.perf_counter() - start) / max(len(cases), 1) * 1e6
    print(f"{'check':12s} {'catch rate':>14s} {'false alarms':>14s}")
    for check in CHECKS:
        caught, pos, alarms, neg = tally[check]
        print(
            f"{check:12s} {caught:>4d}/{pos:<3d} {caught / max(pos, 1):5.0%} "
            f"{alarms:>4d}/{neg:<3d} {alarms / max(neg, 1):5.0%}"
        )
    print(f"{len(cases)} cases, {elapsed_us:.0f} us per check call")
    if show_misses:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
