"""Generated journeys over the last days (real clock) and the check that the report from the
daily rollups equals the report from the rows; shared by the rollup and partition tests."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import EventIn
from tastemaker.measure import metrics
from tastemaker.store import ServedRecord, Store
from tastemaker.store import measure as q

DAY = 86400.0
DAYS = 40


def _spec(key: str, window_h: float) -> ExperienceSpec:
    return ExperienceSpec.model_validate(
        {
            "key": key,
            "name": key,
            "prompt": {
                "kind": "choice",
                "question": "?",
                "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            },
            "measure": {
                "objective": "revenue",
                "guardrails": ["fallback_rate", "p99_latency_ms"],
                "attribution_window_hours": window_h,
            },
        }
    )


# Two windows: each has its own conversion rollups, sharing the rest.
SPECS = {"films": _spec("films", 24.0), "books": _spec("books", 168.0)}


def ev(user: str, type_: str, ts: float, **kw: Any) -> EventIn:
    return EventIn.model_validate({"user_id": user, "type": type_, "ts": ts, **kw})


def fill(store: Store, ws: int, now: float, n: int = 600, seed: int = 3) -> None:
    """``n`` results over the last :data:`DAYS` days (today up to now), with their funnels."""
    rng = random.Random(seed)
    today = int(now // DAY)
    people = [f"u{i}" for i in range(40)]
    served: list[ServedRecord] = []
    logs: list[q.AnswerLog] = []
    evs: list[EventIn] = []
    for i in range(n):
        start = (today - rng.randrange(DAYS)) * DAY
        at = start + rng.random() * (min(now, start + DAY) - start)
        exp, variant = rng.choice(list(SPECS)), rng.choice("AB")
        user = None if rng.random() < 0.15 else rng.choice(people)
        # Rounded latencies give ties and full buckets; a few have none.
        ms = None if rng.random() < 0.05 else round(rng.lognormvariate(2, 0.6), rng.choice([1, 4]))
        rid = f"r{seed}-{i}"
        served.append(
            ServedRecord(ws, rid, exp, 1, variant, user, ("f1",), rng.random() < 0.1, at, ms)
        )
        if rng.random() < 0.9:
            kind = rng.choice(["answer", "answer", "followup", "refine"])
            conf = None if rng.random() < 0.2 else rng.random()
            logs.append(q.AnswerLog(ws, rid, kind, exp, variant, user, "a", None, conf, None, at))
        person = user or f"anon-{seed}-{i}"
        ctx = {"experience": exp, "variant": variant}
        evs.append(ev(person, "prompt_shown", at - 5, context=ctx))
        if rng.random() < 0.1:
            evs.append(ev(person, "prompt_abandoned", at - 1, context=ctx))
        for type_, p in (("result_viewed", 0.6), ("click", 0.3), ("save", 0.1)):
            if rng.random() < p:
                evs.append(ev(person, type_, at + 2, item_id="f1", request_id=rid))
        if rng.random() < 0.15:
            evs.append(ev(person, "add_to_cart", min(now, at + 60), item_id="f1"))
        if rng.random() < 0.12:
            late = min(now, at + rng.uniform(0, 3 * DAY))
            named = {"request_id": rid} if rng.random() < 0.3 else {}
            value = round(rng.uniform(5, 80), 2)
            evs.append(ev(person, "purchase", late, value=value, **named))
        if rng.random() < 0.01:
            evs.append(ev(person, "unsubscribe", min(now, at + 7200)))
    for _ in range(150):  # site-wide conversions, attributed by person
        ts = now - rng.random() * DAYS * DAY
        who = rng.choice(people)
        evs.append(ev(who, "purchase", ts, value=round(rng.uniform(5, 80), 2), item_id="f2"))
    store.record_served(served)
    q.record_answers(store, logs)
    store.insert_events(ws, evs)


def same(got: Any, want: Any, path: str = "") -> None:
    """Equal, floats up to summation order (the rollups add day sums, not rows)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), path
        for k in want:
            same(got[k], want[k], f"{path}/{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        assert isinstance(got, float) and got == pytest.approx(want, rel=1e-9, abs=1e-12), path
    else:
        assert type(got) is type(want) and got == want, path


def check(store: Store, ws: int, days: tuple[int, ...] = (1, 2, 7, 30, 45)) -> None:
    """The report from the rollups equals the report from the rows, for several periods."""
    now = time.time()
    for n in days:
        period = metrics.Period.last_days(n, now)
        want = metrics.report(store, ws, SPECS, period, rollups=False)
        got = metrics.report(store, ws, SPECS, period)
        same(got, want, f"days={n}")
